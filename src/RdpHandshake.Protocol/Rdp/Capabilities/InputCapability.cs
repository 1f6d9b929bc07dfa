using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Rdp;

/// <summary>MS-RDPBCGR 2.2.7.1.6 <c>inputFlags</c>.</summary>
[Flags]
public enum InputFlags : ushort
{
    None = 0,
    Scancodes = 0x0001,
    MouseX = 0x0004,
    FastPathInput = 0x0008,
    Unicode = 0x0010,
    FastPathInput2 = 0x0020,
    Unused1 = 0x0040,
    MouseRelative = 0x0080,
    MouseHWheel = 0x0100,
    QoeTimestamps = 0x0200,
}

/// <summary>MS-RDPBCGR 2.2.7.1.6 Input Capability Set (TS_INPUT_CAPABILITYSET).</summary>
public sealed record InputCapability(
    InputFlags InputFlags,
    uint KeyboardLayout,
    uint KeyboardType = 4,
    uint KeyboardSubType = 0,
    uint KeyboardFunctionKey = 12,
    string ImeFileName = "") : IPdu<InputCapability>, ICapability
{
    public const int ImeFileNameSize = 64;

    public const int FixedPartSize = 2 /* inputFlags */ + 2 /* pad2octetsA */ + 4 /* keyboardLayout */ + 4 /* keyboardType */
        + 4 /* keyboardSubType */ + 4 /* keyboardFunctionKey */ + ImeFileNameSize /* imeFileName */;

    public static string PduName => "TS_INPUT_CAPABILITYSET";

    public CapabilitySetType Type => CapabilitySetType.Input;

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)InputFlags);
        writer.WriteZeros(2);
        writer.WriteUInt32Le(KeyboardLayout);
        writer.WriteUInt32Le(KeyboardType);
        writer.WriteUInt32Le(KeyboardSubType);
        writer.WriteUInt32Le(KeyboardFunctionKey);
        CapabilityText.WriteUtf16Fixed(ref writer, ImeFileName, ImeFileNameSize);
    }

    public static DecodeResult<InputCapability> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var flags = (InputFlags)reader.ReadUInt16Le();
        reader.Skip(2);
        uint layout = reader.ReadUInt32Le();
        uint type = reader.ReadUInt32Le();
        uint subType = reader.ReadUInt32Le();
        uint functionKeys = reader.ReadUInt32Le();
        string ime = CapabilityText.Utf16Fixed(reader.ReadBytes(ImeFileNameSize));
        return new InputCapability(flags, layout, type, subType, functionKeys, ime);
    }

    public IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("inputFlags", CapabilityNames.Flags((uint)InputFlags,
            ((uint)InputFlags.Scancodes, "INPUT_FLAG_SCANCODES"), ((uint)InputFlags.MouseX, "INPUT_FLAG_MOUSEX"),
            ((uint)InputFlags.FastPathInput, "INPUT_FLAG_FASTPATH_INPUT"), ((uint)InputFlags.Unicode, "INPUT_FLAG_UNICODE"),
            ((uint)InputFlags.FastPathInput2, "INPUT_FLAG_FASTPATH_INPUT2"), ((uint)InputFlags.Unused1, "INPUT_FLAG_UNUSED1"),
            ((uint)InputFlags.MouseRelative, "INPUT_FLAG_MOUSE_RELATIVE"), ((uint)InputFlags.MouseHWheel, "TS_INPUT_FLAG_MOUSE_HWHEEL"),
            ((uint)InputFlags.QoeTimestamps, "TS_INPUT_FLAG_QOE_TIMESTAMPS")));
        yield return ("keyboardLayout", $"0x{KeyboardLayout:x8}");
        yield return ("keyboardType", CapabilityText.Dec(KeyboardType));
        yield return ("keyboardFunctionKey", CapabilityText.Dec(KeyboardFunctionKey));
        if (ImeFileName.Length > 0)
        {
            yield return ("imeFileName", ImeFileName);
        }
    }
}
