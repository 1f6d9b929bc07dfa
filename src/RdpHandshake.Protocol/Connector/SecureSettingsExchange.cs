using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// Secure Settings Exchange (MS-RDPBCGR 1.3.1.1, 3.2.5.3.11): the Client Info PDU with the user and domain when
/// given. Never a password: auto-logon stays off, so the server shows its own logon screen.
/// </summary>
public sealed class SecureSettingsExchange(ConnectionState connection) : Sequence<SecureSettingsExchange.Steps>(Steps.SendClientInfo)
{
    public const string ClientInfoStep = "security.client-info";

    public enum Steps
    {
        SendClientInfo,
    }

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendClientInfo => new StepPlan(ClientInfoStep, ConnectionPhase.Security, null, connection.Layer),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendClientInfo => SendClientInfo(output),
    };

    private StepResult SendClientInfo(IBufferWriter<byte> output)
    {
        SessionOptions options = connection.Options.Session;
        var extended = new ExtendedInfoPacket(
            ClientAddressFamily.Inet,
            options.ClientAddress,
            "rdphs",
            new TimeZoneInformation(0, "Coordinated Universal Time", default, 0, "Coordinated Universal Time", default, 0),
            0,
            options.PerformanceFlags,
            ByteString.Empty);
        var info = new ClientInfoPacket(0x409, options.InfoFlags, options.Domain, options.UserName, [], string.Empty, string.Empty, extended);
        connection.Channel.Send(output, SecurityHeaderFlags.InfoPkt, Pdu.Encode(info));
        connection.Reach(ConnectionPhase.Security);
        Complete();
        var fields = new List<StepField>
        {
            new("flags", $"0x{(uint)options.InfoFlags:x8} (no auto-logon)"),
            new("domain", options.Domain.Length == 0 ? "(empty)" : options.Domain),
            new("userName", options.UserName.Length == 0 ? "(empty)" : options.UserName),
            new("password", "(none)"),
            new("performanceFlags", $"0x{(uint)options.PerformanceFlags:x8}"),
        };
        return new StepResult(ClientInfoStep, ConnectionPhase.Security, "Client Info PDU", fields,
            options.UserName.Length == 0 ? "client info without user name" : $"client info for {(options.Domain.Length == 0 ? string.Empty : options.Domain + "\\")}{options.UserName}");
    }
}
