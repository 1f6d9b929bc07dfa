namespace RdpHandshake.Protocol.Security;

/// <summary>
/// MS-RDPBCGR 2.2.1.3.3 <c>encryptionMethods</c> (client, a bit mask) and 2.2.1.4.3 <c>encryptionMethod</c>
/// (server, a single value) of Standard RDP Security (MS-RDPBCGR 5.3.2).
/// </summary>
[Flags]
public enum EncryptionMethod : uint
{
    /// <summary>ENCRYPTION_METHOD_NONE: no encryption and no MAC (also what Enhanced RDP Security selects).</summary>
    None = 0x0000_0000,

    /// <summary>ENCRYPTION_METHOD_40BIT: RC4 with 40-bit session keys (MS-RDPBCGR 5.3.5.1).</summary>
    Bit40 = 0x0000_0001,

    /// <summary>ENCRYPTION_METHOD_128BIT: RC4 with 128-bit session keys.</summary>
    Bit128 = 0x0000_0002,

    /// <summary>ENCRYPTION_METHOD_56BIT: RC4 with 56-bit session keys.</summary>
    Bit56 = 0x0000_0008,

    /// <summary>ENCRYPTION_METHOD_FIPS: 3DES-CBC with HMAC-SHA1 signatures (MS-RDPBCGR 5.3.5.2, 5.3.6.2).</summary>
    Fips = 0x0000_0010,
}

/// <summary>MS-RDPBCGR 2.2.1.4.3 <c>encryptionLevel</c> and 5.3.1 Encryption Levels.</summary>
public enum EncryptionLevel : uint
{
    /// <summary>ENCRYPTION_LEVEL_NONE: nothing is encrypted (the method is then ENCRYPTION_METHOD_NONE).</summary>
    None = 0,

    /// <summary>ENCRYPTION_LEVEL_LOW: only client-to-server data is encrypted.</summary>
    Low = 1,

    /// <summary>ENCRYPTION_LEVEL_CLIENT_COMPATIBLE: both directions, at the strongest key length the client supports.</summary>
    ClientCompatible = 2,

    /// <summary>ENCRYPTION_LEVEL_HIGH: both directions with 128-bit keys.</summary>
    High = 3,

    /// <summary>ENCRYPTION_LEVEL_FIPS: both directions with FIPS 140-1 validated methods.</summary>
    Fips = 4,
}

/// <summary>Spec names and a weakness classification for the Standard RDP Security constants.</summary>
public static class EncryptionNames
{
    private static readonly (EncryptionMethod Flag, string Name)[] Methods =
    [
        (EncryptionMethod.Bit40, "ENCRYPTION_METHOD_40BIT"),
        (EncryptionMethod.Bit128, "ENCRYPTION_METHOD_128BIT"),
        (EncryptionMethod.Bit56, "ENCRYPTION_METHOD_56BIT"),
        (EncryptionMethod.Fips, "ENCRYPTION_METHOD_FIPS"),
    ];

    /// <summary>
    /// The spec name of a method, e.g. <c>ENCRYPTION_METHOD_128BIT</c>; a client mask gives the names joined with
    /// <c>|</c>, and bits the spec does not define appear as hex.
    /// </summary>
    public static string Method(EncryptionMethod method)
    {
        if (method == EncryptionMethod.None)
        {
            return "ENCRYPTION_METHOD_NONE";
        }

        var parts = new List<string>();
        uint unknown = (uint)method;
        foreach (var (flag, name) in Methods)
        {
            if ((method & flag) != 0)
            {
                parts.Add(name);
                unknown &= ~(uint)flag;
            }
        }

        if (unknown != 0)
        {
            parts.Add($"0x{unknown:x8}");
        }

        return string.Join('|', parts);
    }

    /// <summary>The spec name of a level, e.g. <c>ENCRYPTION_LEVEL_CLIENT_COMPATIBLE</c>, or its value if unknown.</summary>
    public static string Level(EncryptionLevel level) => level switch
    {
        EncryptionLevel.None => "ENCRYPTION_LEVEL_NONE",
        EncryptionLevel.Low => "ENCRYPTION_LEVEL_LOW",
        EncryptionLevel.ClientCompatible => "ENCRYPTION_LEVEL_CLIENT_COMPATIBLE",
        EncryptionLevel.High => "ENCRYPTION_LEVEL_HIGH",
        EncryptionLevel.Fips => "ENCRYPTION_LEVEL_FIPS",
        _ => $"0x{(uint)level:x8}",
    };

    /// <summary>
    /// True for a selected method that protects nothing or uses keys short enough to break: none, 40-bit and
    /// 56-bit RC4. (128-bit RC4 and FIPS are not called weak here; all of Standard RDP Security lacks server
    /// authentication, which a report states separately.)
    /// </summary>
    public static bool IsWeak(EncryptionMethod method) =>
        method is EncryptionMethod.None or EncryptionMethod.Bit40 or EncryptionMethod.Bit56;

    /// <summary>True for a level that leaves at least one direction in clear text: none and low.</summary>
    public static bool IsWeak(EncryptionLevel level) => level is EncryptionLevel.None or EncryptionLevel.Low;

    /// <summary>The RC4 key length in bytes a non-FIPS method uses (8 for 40/56-bit, 16 for 128-bit), or 0.</summary>
    public static int Rc4KeyLength(EncryptionMethod method) => method switch
    {
        EncryptionMethod.Bit40 or EncryptionMethod.Bit56 => 8,
        EncryptionMethod.Bit128 => 16,
        _ => 0,
    };
}
