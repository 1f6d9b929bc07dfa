using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// A minimal CredSSP client for testing servers with a package other than the project's own: X.224 asking for
/// HYBRID, TLS through SslStream (any certificate), then TSRequests as the test writes them, with the MS-CSSP 3.1.5
/// bindings. The authentication tokens come from elsewhere (<see cref="GssInitiator"/>), so the server is checked
/// against an implementation that is not the one under development.
/// </summary>
internal sealed class CredSspTestClient : IAsyncDisposable
{
    public const int Version = 6;

    private readonly TcpClient _tcp;
    private readonly SslStream _tls;
    private readonly List<byte> _received = [];

    private CredSspTestClient(TcpClient tcp, SslStream tls, byte[] serverPublicKey)
    {
        _tcp = tcp;
        _tls = tls;
        ServerPublicKey = serverPublicKey;
    }

    /// <summary>The subjectPublicKey of the server's TLS certificate, which pubKeyAuth binds.</summary>
    public byte[] ServerPublicKey { get; }

    /// <summary>The clientNonce this client sends (MS-CSSP 2.2.1, version 5 and later).</summary>
    public byte[] Nonce { get; } = RandomNumberGenerator.GetBytes(32);

    public static async Task<CredSspTestClient> ConnectAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server, cancellationToken);
        NetworkStream stream = tcp.GetStream();
        await stream.WriteAsync(Pdu.Encode(new X224ConnectionRequest(Cookie: "krb", NegotiationRequest: new RdpNegotiationRequest(SecurityProtocols.Hybrid))), cancellationToken);
        byte[] header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken);
        byte[] frame = [.. header, .. new byte[((header[2] << 8) | header[3]) - header.Length]];
        await stream.ReadExactlyAsync(frame.AsMemory(header.Length), cancellationToken);
        X224ConnectionConfirm confirm = Pdu.Decode<X224ConnectionConfirm>(frame).Value!;
        Assert.Equal(SecurityProtocols.Hybrid, confirm.Response?.SelectedProtocol);

        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = (_, _, _, _) => true },
            cancellationToken);
        using X509Certificate2 certificate = new(tls.RemoteCertificate!);
        return new CredSspTestClient(tcp, tls, certificate.PublicKey.EncodedKeyValue.RawData);
    }

    /// <summary>The client's binding (MS-CSSP 3.1.5, version 5 and later): SHA-256 of the magic, the nonce and the key.</summary>
    public byte[] ClientBinding() => SHA256.HashData([.. "CredSSP Client-To-Server Binding Hash\0"u8, .. Nonce, .. ServerPublicKey]);

    /// <summary>What the server's decrypted pubKeyAuth must be.</summary>
    public byte[] ExpectedServerBinding() => SHA256.HashData([.. "CredSSP Server-To-Client Binding Hash\0"u8, .. Nonce, .. ServerPublicKey]);

    public async Task SendAsync(TsRequest request, CancellationToken cancellationToken)
    {
        await _tls.WriteAsync(Pdu.Encode(request), cancellationToken);
        await _tls.FlushAsync(cancellationToken);
    }

    /// <summary>The server's next TSRequest, or null when it closed first.</summary>
    public async Task<TsRequest?> ReceiveAsync(CancellationToken cancellationToken)
    {
        byte[] chunk = new byte[16 * 1024];
        while (true)
        {
            if (_received.Count >= 2)
            {
                FrameSize size = TsRequest.FindFrameSize(_received.ToArray());
                Assert.NotEqual(FrameSizeStatus.Invalid, size.Status);
                if (size.Status == FrameSizeStatus.Complete && _received.Count >= size.Length)
                {
                    byte[] frame = [.. _received.Take(size.Length)];
                    _received.RemoveRange(0, size.Length);
                    DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(frame);
                    Assert.True(decoded.IsSuccess, decoded.IsSuccess ? null : decoded.Error.ToString());
                    return decoded.Value;
                }
            }

            int read;
            try
            {
                read = await _tls.ReadAsync(chunk, cancellationToken);
            }
            catch (IOException)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            _received.AddRange(chunk.AsSpan(0, read));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }
}
