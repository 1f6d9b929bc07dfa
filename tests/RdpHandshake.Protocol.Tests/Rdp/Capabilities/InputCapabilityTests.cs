using RdpHandshake.Protocol.Rdp;
using static RdpHandshake.Tests.HexVectors;

namespace RdpHandshake.Protocol.Tests.Rdp.Capabilities;

/// <summary>MS-RDPBCGR 2.2.7.1.6 Input Capability Set (TS_INPUT_CAPABILITYSET).</summary>
public sealed class InputCapabilityTests
{
    /// <summary>Vector: the set in xrdp's Demand Active (a server leaves the keyboard fields zero).</summary>
    [Fact]
    public void Xrdp_demand_active_vector() =>
        CapabilityVector.Check(
            new InputCapability(
                InputFlags.Scancodes | InputFlags.MouseX | InputFlags.FastPathInput | InputFlags.Unicode | InputFlags.FastPathInput2 | InputFlags.MouseHWheel,
                KeyboardLayout: 0, KeyboardType: 0, KeyboardSubType: 0, KeyboardFunctionKey: 0, ImeFileName: ""),
            Hex(
                "0d 00 58 00" // capabilitySetType CAPSTYPE_INPUT (13), lengthCapability 88
                + "3d 01" // inputFlags: SCANCODES | MOUSEX | FASTPATH_INPUT | UNICODE | FASTPATH_INPUT2 | TS_INPUT_FLAG_MOUSE_HWHEEL
                + "00 00" // pad2octetsA
                + "00 00 00 00" // keyboardLayout: 0
                + "00 00 00 00" // keyboardType: 0
                + "00 00 00 00" // keyboardSubType: 0
                + "00 00 00 00" // keyboardFunctionKey: 0
                + string.Concat(Enumerable.Repeat("00 ", 64))), // imeFileName: empty
            CapabilityVector.Xrdp);
}
