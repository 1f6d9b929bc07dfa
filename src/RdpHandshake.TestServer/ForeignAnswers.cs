using System.Text;

namespace RdpHandshake.TestServer;

/// <summary>
/// What other services answer to an X.224 Connection Request, byte for byte as they send it: the faults that put
/// another protocol on the RDP port.
/// </summary>
internal static class ForeignAnswers
{
    private static readonly byte[] Http = Encoding.ASCII.GetBytes(
        "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    private static readonly byte[] Ssh = Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");

    private static readonly byte[] Vnc = Encoding.ASCII.GetBytes("RFB 003.008\n");

    /// <summary>A NetBIOS session header (type 0, length 73), an SMB2 header with STATUS_INVALID_PARAMETER, and an empty error body.</summary>
    private static readonly byte[] Smb = Convert.FromHexString(
        "00000049" // NetBIOS session message, 73 bytes
        + "fe534d42" + "4000" + "0000" + "0d0000c0" // ProtocolId, StructureSize 64, CreditCharge, Status STATUS_INVALID_PARAMETER
        + "0000" + "0100" + "01000000" + "00000000" // Command NEGOTIATE, CreditResponse 1, Flags SERVER_TO_REDIR, NextCommand
        + "0000000000000000" + "00000000" + "00000000" + "0000000000000000" // MessageId, Reserved, TreeId, SessionId
        + "00000000000000000000000000000000" // Signature
        + "0900" + "00" + "00" + "00000000" + "00"); // SMB2 ERROR Response: StructureSize 9, no context, ByteCount 0, one byte

    /// <summary>A TLS 1.2 record: fatal alert unexpected_message (10).</summary>
    private static readonly byte[] TlsAlert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a];

    public static byte[] For(FaultKind kind) => kind switch
    {
        FaultKind.Http => Http,
        FaultKind.Ssh => Ssh,
        FaultKind.Smb => Smb,
        FaultKind.Vnc => Vnc,
        FaultKind.TlsWithoutX224 => TlsAlert,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not another protocol's answer"),
    };
}
