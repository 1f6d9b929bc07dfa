using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using RdpHandshake.Protocol.Tls;

namespace RdpHandshake.Tls;

/// <summary>
/// A sans-IO TLS client over BouncyCastle's non-blocking <see cref="TlsClientProtocol"/>: give it the
/// server's records, take back the bytes to send. It never sees a socket, so it runs over TCP, in memory and
/// in tests the same way. Library exceptions are mapped here, once, into a <see cref="TlsFailure"/>.
/// </summary>
public sealed class TlsClientSession : ITlsRecordLayer
{
    private readonly TlsClientProtocol _protocol = new();

    /// <param name="offer">What the ClientHello offers.</param>
    /// <param name="random">The random source (tests may fix it).</param>
    /// <param name="keyLog">Receives NSS key log lines so a capture of the connection can be decrypted; null for none.</param>
    public TlsClientSession(TlsOffer offer, SecureRandom? random = null, Action<string>? keyLog = null)
        : this(offer, new BcTlsCrypto(random ?? new SecureRandom()), keyLog)
    {
    }

    /// <summary>With a crypto of the caller's (a benchmark replays a recorded server flight with a deterministic one).</summary>
    internal TlsClientSession(TlsOffer offer, BcTlsCrypto crypto, Action<string>? keyLog = null)
    {
        Offer = offer;
        Client = new ProbeTlsClient(crypto, offer, Seen) { KeyLog = keyLog };
    }

    public TlsOffer Offer { get; }

    public TlsObservations Seen { get; } = new();

    public bool IsHandshaking => _protocol.IsHandshaking;

    public bool IsConnected => _protocol.IsConnected;

    private ProbeTlsClient Client { get; }

    /// <summary>Starts the handshake and returns the ClientHello to send.</summary>
    public byte[] Start()
    {
        _protocol.Connect(Client);
        return DrainOutput();
    }

    /// <summary>Feeds received bytes (whole records or parts); returns what to send and any failure.</summary>
    public TlsReceiveResult Receive(ReadOnlySpan<byte> bytes)
    {
        int raisedBefore = Seen.AlertsRaised.Count;
        try
        {
            byte[] input = bytes.ToArray();
            RsaKeyChecks.WithoutPrimalityRounds(() => _protocol.OfferInput(input));
            Client.LogSecrets();
            return new TlsReceiveResult(DrainOutput(), null);
        }
        catch (TlsFatalAlertReceived received)
        {
            return new TlsReceiveResult(DrainOutput(), new TlsFailure(TlsFailureKind.AlertReceived, TlsNames.Alert(AlertLevel.fatal, received.AlertDescription), received.Message));
        }
        catch (TlsFatalAlert raised)
        {
            return new TlsReceiveResult(DrainOutput(), new TlsFailure(TlsFailureKind.AlertRaised, TlsNames.Alert(AlertLevel.fatal, raised.AlertDescription, raised.Message), raised.Message));
        }
        catch (IOException ex)
        {
            // A message that does not even parse surfaces as a plain IOException, but the library has raised
            // (and queued) an alert for it: report that alert.
            if (Seen.AlertsRaised.Count > raisedBefore)
            {
                TlsAlert alert = Seen.AlertsRaised[^1];
                return new TlsReceiveResult(DrainOutput(), new TlsFailure(TlsFailureKind.AlertRaised, alert, alert.Message ?? ex.Message));
            }

            return new TlsReceiveResult(DrainOutput(), new TlsFailure(TlsFailureKind.Closed, null, ex.Message));
        }
    }

    /// <summary>Encrypts application data for the peer (used by the layers above TLS).</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext)
    {
        _protocol.WriteApplicationData(plaintext.ToArray(), 0, plaintext.Length);
        return DrainOutput();
    }

    /// <summary>Takes the application data decrypted so far.</summary>
    public byte[] ReadApplicationData()
    {
        int available = _protocol.GetAvailableInputBytes();
        byte[] data = new byte[available];
        if (available > 0)
        {
            _protocol.ReadInput(data, 0, available);
        }

        return data;
    }

    /// <summary>Sends close_notify and returns its bytes.</summary>
    public byte[] Close()
    {
        try
        {
            _protocol.Close();
        }
        catch (IOException)
        {
            // Already closed by a fatal alert: nothing more to send.
        }

        return DrainOutput();
    }

    private byte[] DrainOutput()
    {
        int available = _protocol.GetAvailableOutputBytes();
        byte[] output = new byte[available];
        if (available > 0)
        {
            _protocol.ReadOutput(output, 0, available);
        }

        return output;
    }
}
