using System.Text;

namespace RdpHandshake.Protocol.X224;

/// <summary>
/// Another protocol's answer where the X.224 Connection Confirm should be, named from its first bytes: the port serves
/// something else than RDP (a web server, SSH, SMB, VNC) or speaks TLS without the X.224 negotiation first.
/// </summary>
/// <param name="Protocol">The protocol's short name, the cause's detail: <c>HTTP</c>, <c>SSH</c>, <c>SMB</c>, <c>VNC</c>, <c>TLS</c>.</param>
/// <param name="Answer">What the port answered, as it said it: <c>HTTP/1.1</c>, <c>SSH-2.0-OpenSSH_9.2p1</c>, <c>a TLS alert record</c>.</param>
/// <param name="Service">What kind of service that is: <c>a web server</c>.</param>
public sealed record NonRdpAnswer(string Protocol, string Answer, string Service)
{
    /// <summary>How many leading bytes are enough to name every protocol known here (and to show an SSH banner whole).</summary>
    public const int PeekLength = 64;

    /// <summary>
    /// Names the protocol that <paramref name="first"/> (the first bytes the server sent) belongs to, when it is one
    /// rdphs knows: an HTTP status line, an SSH identification string (RFC 4253 4.2), an RFB version (VNC), a TLS record
    /// header (RFC 8446 5.1: content type alert or handshake, major version 3), or an SMB message after its NetBIOS session
    /// header (MS-SMB2 2.1: <c>FE 'SMB'</c>, <c>FD 'SMB'</c>, SMB1 <c>FF 'SMB'</c>) or a NetBIOS negative session response
    /// (RFC 1002 4.3.4, what port 139 answers to anything else than a session request).
    /// </summary>
    public static NonRdpAnswer? Recognise(ReadOnlySpan<byte> first)
    {
        if (first.StartsWith("HTTP/"u8))
        {
            return new NonRdpAnswer("HTTP", Token(first, " \r\n"), "a web server");
        }

        if (first.StartsWith("SSH-"u8))
        {
            return new NonRdpAnswer("SSH", Token(first, " \r\n"), "an SSH server");
        }

        if (first.StartsWith("RFB "u8))
        {
            return new NonRdpAnswer("VNC", Token(first, "\n"), "a VNC server");
        }

        if (first.Length >= 3 && first[0] is 0x15 or 0x16 && first[1] == 0x03 && first[2] <= 0x04)
        {
            string record = first[0] == 0x15 ? "a TLS alert record" : "a TLS handshake record";
            return new NonRdpAnswer("TLS", record, "a TLS server that does not begin with the X.224 negotiation");
        }

        if (first.Length >= 8 && first[0] == 0x00 && first[5] == (byte)'S' && first[6] == (byte)'M' && first[7] == (byte)'B' && first[4] is 0xFE or 0xFD or 0xFF)
        {
            return new NonRdpAnswer("SMB", first[4] == 0xFF ? "SMB1" : "SMB2", "an SMB file server");
        }

        if (first.Length >= 4 && first[0] == 0x83 && first[1] == 0x00 && first[2] == 0x00 && first[3] == 0x01)
        {
            return new NonRdpAnswer("SMB", "a NetBIOS negative session response", "a NetBIOS session service (SMB on port 139)");
        }

        return null;
    }

    /// <summary>The first printable ASCII token of <paramref name="bytes"/>, up to one of <paramref name="ends"/>, at most 48 characters.</summary>
    private static string Token(ReadOnlySpan<byte> bytes, string ends)
    {
        var token = new StringBuilder();
        foreach (byte b in bytes)
        {
            if (ends.Contains((char)b, StringComparison.Ordinal) || b is < 0x20 or > 0x7E || token.Length == 48)
            {
                break;
            }

            token.Append((char)b);
        }

        return token.ToString();
    }
}
