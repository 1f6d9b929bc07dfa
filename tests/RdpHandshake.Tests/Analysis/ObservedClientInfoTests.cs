using System.Text;
using RdpHandshake.Analysis;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tests.Analysis;

/// <summary>The Client Info step of an analysis shows the captured client's user, and of its password only that there is one.</summary>
public sealed class ObservedClientInfoTests
{
    private static byte[] Frame(ClientInfoPacket info, ushort securityFlags)
    {
        byte[] packet = Pdu.Encode(info);
        byte[] payload = [(byte)securityFlags, (byte)(securityFlags >> 8), 0, 0, .. packet];
        byte[] send = Pdu.Encode(new SendData(DomainMcsPduType.SendDataRequest, 1007, 1003, new ByteString(payload)));
        return Pdu.Encode(new X224Data(new ByteString(send)));
    }

    [Fact]
    public void The_user_and_domain_are_shown_and_the_password_is_not()
    {
        const string Password = "Captured-Pw-42";
        var info = new ClientInfoPacket(0x409, ClientInfoFlags.Unicode, "CONTOSO", "bob", Encoding.Unicode.GetBytes(Password), string.Empty, string.Empty);

        (string summary, IReadOnlyList<Protocol.Sequence.StepField> fields) = ConnectionObserver.CapturedClientInfo(Frame(info, 0x0040))!.Value;

        Assert.Equal("client info for CONTOSO\\bob", summary);
        Assert.Contains(fields, f => f.Name == "userName" && f.Value == "bob");
        Assert.Contains(fields, f => f.Name == "password" && f.Value == "(present, not shown)");
        Assert.DoesNotContain(fields, f => f.Value.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public void An_encrypted_client_info_is_not_read()
    {
        var info = new ClientInfoPacket(0x409, ClientInfoFlags.Unicode, string.Empty, "bob", [], string.Empty, string.Empty);
        Assert.Null(ConnectionObserver.CapturedClientInfo(Frame(info, 0x0048)));
        Assert.Null(ConnectionObserver.CapturedClientInfo([0x03, 0x00, 0x00, 0x04]));
    }
}
