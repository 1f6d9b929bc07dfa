using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.TestServer;

/// <summary>What one client did on one connection to the test server, for tests to assert on.</summary>
public sealed class ServerConnectionRecord
{
    internal ServerConnectionRecord(int id, string remote)
    {
        Id = id;
        Remote = remote;
    }

    public int Id { get; }

    public string Remote { get; }

    /// <summary>The raw bytes of the client's X.224 Connection Request, when one arrived.</summary>
    public byte[]? RequestBytes { get; internal set; }

    /// <summary>The decoded request, when it decoded.</summary>
    public X224ConnectionRequest? Request { get; internal set; }

    /// <summary>Why the request did not decode, when it did not.</summary>
    public DecodeError? RequestError { get; internal set; }

    /// <summary>The answer the policy chose (even when a fault replaced or spoiled it on the wire).</summary>
    public X224ConnectionConfirm? Answer { get; internal set; }

    /// <summary>The fault injected on this connection, if any.</summary>
    public Fault? FaultInjected { get; internal set; }

    /// <summary>The first bytes the client sent after the Connection Confirm (e.g. a TLS ClientHello), at most 4 KiB.</summary>
    public byte[] BytesAfterNegotiation { get; internal set; } = [];

    /// <summary>The TLS version negotiated, when the TLS handshake completed.</summary>
    public string? TlsVersion { get; internal set; }

    /// <summary>The cipher suite negotiated, when the TLS handshake completed.</summary>
    public int? TlsCipherSuite { get; internal set; }

    /// <summary>Why the server's TLS handshake failed, when it did.</summary>
    public string? TlsError { get; internal set; }

    /// <summary>The client's first TSRequest version, when it sent one.</summary>
    public int? CredSspClientVersion { get; internal set; }

    /// <summary>DOMAIN\user, once the client's NTLM proof and pubKeyAuth verified.</summary>
    public string? CredSspUser { get; internal set; }

    /// <summary>Whether the sealed TSCredentials arrived and unsealed.</summary>
    public bool CredentialsReceived { get; internal set; }

    /// <summary>True when the server answered the client's NTLM NEGOTIATE with a CHALLENGE.</summary>
    public bool NtlmChallengeSent { get; internal set; }

    /// <summary>The first application data the client sent inside TLS (e.g. a CredSSP TSRequest), at most 4 KiB.</summary>
    public byte[] BytesAfterTls { get; internal set; } = [];

    /// <summary>How the connection ended, from the server's point of view.</summary>
    public string? Ending { get; internal set; }
}
