using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
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

    /// <summary>
    /// Who the client authenticated as, once its proof and pubKeyAuth verified: DOMAIN\user with NTLM, the client
    /// principal (e.g. alice@RDPHS.TEST) with Kerberos.
    /// </summary>
    public string? CredSspUser { get; internal set; }

    /// <summary>The package CredSSP ran: <c>NTLM</c> or <c>Kerberos</c> (the latter only with a keytab).</summary>
    public string? CredSspPackage { get; internal set; }

    /// <summary>The errorCode of the TSRequest the server refused the client with, if it refused.</summary>
    public uint? CredSspErrorCode { get; internal set; }

    /// <summary>True when the server answered the client's Kerberos AP-REQ with its SPNEGO answer (the AP-REP).</summary>
    public bool KerberosApRepSent { get; internal set; }

    /// <summary>Why the server's GSS-API refused the client's Kerberos token, in GSS-API's words, when it did.</summary>
    public string? KerberosError { get; internal set; }

    /// <summary>The error-code of the KRB-ERROR the server sent (RFC 4120 7.5.9, e.g. 31, 37), when it sent one.</summary>
    public int? KerberosErrorCode { get; internal set; }

    /// <summary>Whether the sealed TSCredentials arrived and unsealed.</summary>
    public bool CredentialsReceived { get; internal set; }

    /// <summary>Whether the client's SPNEGO mechListMIC arrived and verified (MS-SPNG 3.3.5.1).</summary>
    public bool MechListMicVerified { get; internal set; }

    /// <summary>True when the server answered the client's NTLM NEGOTIATE with a CHALLENGE.</summary>
    public bool NtlmChallengeSent { get; internal set; }

    /// <summary>The first application data the client sent inside TLS (e.g. a CredSSP TSRequest), at most 4 KiB.</summary>
    public byte[] BytesAfterTls { get; internal set; } = [];

    /// <summary>The furthest stage of the connection sequence reached.</summary>
    public ServerStage Stage { get; internal set; }

    /// <summary>The security layer the rest of the sequence ran over: <c>rdp</c> (Standard RDP Security) or <c>tls</c>.</summary>
    public string? SecurityLayer { get; internal set; }

    /// <summary>The client's name from TS_UD_CS_CORE.</summary>
    public string? ClientName { get; internal set; }

    /// <summary>The RDP version in TS_UD_CS_CORE.</summary>
    public uint? ClientVersion { get; internal set; }

    /// <summary>serverSelectedProtocol from TS_UD_CS_CORE, when the client sent it.</summary>
    public uint? ServerSelectedProtocol { get; internal set; }

    /// <summary>earlyCapabilityFlags from TS_UD_CS_CORE, when the client sent them.</summary>
    public ClientEarlyCapabilities? EarlyCapabilityFlags { get; internal set; }

    /// <summary>encryptionMethods from TS_UD_CS_SEC (extEncryptionMethods when that is zero).</summary>
    public EncryptionMethod? ClientEncryptionMethods { get; internal set; }

    /// <summary>The static virtual channels the client asked for in TS_UD_CS_NET, in order.</summary>
    public IReadOnlyList<string> RequestedChannels { get; internal set; } = [];

    /// <summary>The encryption method the server selected (Standard RDP Security; NONE under TLS).</summary>
    public EncryptionMethod? SelectedEncryptionMethod { get; internal set; }

    /// <summary>The encryption level the server announced.</summary>
    public EncryptionLevel? SelectedEncryptionLevel { get; internal set; }

    /// <summary>The user channel given in the Attach User Confirm.</summary>
    public ushort? UserChannelId { get; internal set; }

    /// <summary>The channels the client asked to join, in the order it asked.</summary>
    public IReadOnlyList<ushort> JoinedChannels => _joinedChannels;

    internal List<ushort> _joinedChannels = [];

    /// <summary>Standard RDP Security: whether the client used the salted MAC (SEC_SECURE_CHECKSUM).</summary>
    public bool ClientUsedSaltedMac { get; internal set; }

    /// <summary>The domain of the Client Info PDU.</summary>
    public string? ClientInfoDomain { get; internal set; }

    /// <summary>The user name of the Client Info PDU.</summary>
    public string? ClientInfoUserName { get; internal set; }

    /// <summary>The flags of the Client Info PDU.</summary>
    public ClientInfoFlags? ClientInfoFlags { get; internal set; }

    /// <summary>The length in bytes of the Client Info password (the password itself is never kept).</summary>
    public int? ClientInfoPasswordLength { get; internal set; }

    /// <summary>The licensing message the server sent, e.g. <c>STATUS_VALID_CLIENT, ST_NO_TRANSITION</c>.</summary>
    public string? LicenseSent { get; internal set; }

    /// <summary>The capability set types of the client's Confirm Active, in wire order.</summary>
    public IReadOnlyList<CapabilitySetType> ConfirmActiveCapabilitySets { get; internal set; } = [];

    /// <summary>The finalization PDUs the client sent, by name (e.g. <c>PDUTYPE2_SYNCHRONIZE</c>), in order.</summary>
    public IReadOnlyList<string> ClientFinalizationPdus => _clientFinalizationPdus;

    internal List<string> _clientFinalizationPdus = [];

    /// <summary>The errorInfo of a Set Error Info PDU the server sent, if it sent one.</summary>
    public uint? ErrorInfoSent { get; internal set; }

    /// <summary>
    /// After finalization: how the client left, e.g. <c>disconnect-provider-ultimatum</c>, <c>closed</c>,
    /// <c>reset</c> or <c>still connected at the read timeout</c>.
    /// </summary>
    public string? ClientDeparture { get; internal set; }

    /// <summary>How the connection ended, from the server's point of view.</summary>
    public string? Ending { get; internal set; }
}
