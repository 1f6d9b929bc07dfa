namespace RdpHandshake.Protocol.X224;

/// <summary>
/// MS-RDPBCGR 2.2.1.1.1 <c>requestedProtocols</c> and 2.2.1.2.1 <c>selectedProtocol</c> values.
/// <see cref="Rdp"/> is zero: Standard RDP Security is what remains when no flag is set.
/// </summary>
[Flags]
public enum SecurityProtocols : uint
{
    /// <summary>PROTOCOL_RDP: Standard RDP Security (MS-RDPBCGR 5.3).</summary>
    Rdp = 0x0000_0000,

    /// <summary>PROTOCOL_SSL: TLS 1.0, 1.1 or 1.2 (MS-RDPBCGR 5.4.5.1).</summary>
    Ssl = 0x0000_0001,

    /// <summary>PROTOCOL_HYBRID: CredSSP, i.e. Network Level Authentication (MS-RDPBCGR 5.4.5.2).</summary>
    Hybrid = 0x0000_0002,

    /// <summary>PROTOCOL_RDSTLS: RDSTLS (MS-RDPBCGR 5.4.5.3).</summary>
    RdsTls = 0x0000_0004,

    /// <summary>PROTOCOL_HYBRID_EX: CredSSP with the Early User Authorization Result PDU (MS-RDPBCGR 2.2.10.2).</summary>
    HybridEx = 0x0000_0008,

    /// <summary>PROTOCOL_RDSAAD: RDS Azure AD Authentication (MS-RDPBCGR 5.4.5.4).</summary>
    RdsAad = 0x0000_0010,
}

/// <summary>MS-RDPBCGR 2.2.1.1.1 RDP_NEG_REQ <c>flags</c>.</summary>
[Flags]
public enum NegotiationRequestFlags : byte
{
    None = 0x00,

    /// <summary>RESTRICTED_ADMIN_MODE_REQUIRED.</summary>
    RestrictedAdminModeRequired = 0x01,

    /// <summary>REDIRECTED_AUTHENTICATION_MODE_REQUIRED (Remote Credential Guard).</summary>
    RedirectedAuthenticationModeRequired = 0x02,

    /// <summary>CORRELATION_INFO_PRESENT: an RDP_NEG_CORRELATION_INFO follows the RDP_NEG_REQ.</summary>
    CorrelationInfoPresent = 0x08,
}

/// <summary>MS-RDPBCGR 2.2.1.2.1 RDP_NEG_RSP <c>flags</c>.</summary>
[Flags]
public enum NegotiationResponseFlags : byte
{
    None = 0x00,

    /// <summary>EXTENDED_CLIENT_DATA_SUPPORTED: the server takes Extended Client Data Blocks in the MCS Connect Initial.</summary>
    ExtendedClientDataSupported = 0x01,

    /// <summary>DYNVC_GFX_PROTOCOL_SUPPORTED: the server supports the Graphics Pipeline Extension.</summary>
    DynvcGfxProtocolSupported = 0x02,

    /// <summary>NEGRSP_FLAG_RESERVED: unused, the client ignores it.</summary>
    NegRspFlagReserved = 0x04,

    /// <summary>RESTRICTED_ADMIN_MODE_SUPPORTED.</summary>
    RestrictedAdminModeSupported = 0x08,

    /// <summary>REDIRECTED_AUTHENTICATION_MODE_SUPPORTED.</summary>
    RedirectedAuthenticationModeSupported = 0x10,
}

/// <summary>MS-RDPBCGR 2.2.1.2.2 RDP_NEG_FAILURE <c>failureCode</c>.</summary>
public enum NegotiationFailureCode : uint
{
    /// <summary>The server requires Enhanced RDP Security (TLS or CredSSP); if only CredSSP was requested, it supports only TLS.</summary>
    SslRequiredByServer = 0x0000_0001,

    /// <summary>The server is configured for Standard RDP Security only.</summary>
    SslNotAllowedByServer = 0x0000_0002,

    /// <summary>The server has no valid certificate for TLS.</summary>
    SslCertNotOnServer = 0x0000_0003,

    /// <summary>The requested protocols contradict the security already in effect (Direct Approach only).</summary>
    InconsistentFlags = 0x0000_0004,

    /// <summary>The server requires CredSSP (Network Level Authentication).</summary>
    HybridRequiredByServer = 0x0000_0005,

    /// <summary>The server requires TLS with certificate-based client authentication.</summary>
    SslWithUserAuthRequiredByServer = 0x0000_0006,
}

/// <summary>Spec names and short texts for the X.224 negotiation constants.</summary>
public static class NegotiationNames
{
    private static readonly (SecurityProtocols Flag, string Name, string Short)[] Protocols =
    [
        (SecurityProtocols.Ssl, "PROTOCOL_SSL", "ssl"),
        (SecurityProtocols.Hybrid, "PROTOCOL_HYBRID", "hybrid"),
        (SecurityProtocols.RdsTls, "PROTOCOL_RDSTLS", "rdstls"),
        (SecurityProtocols.HybridEx, "PROTOCOL_HYBRID_EX", "hybrid_ex"),
        (SecurityProtocols.RdsAad, "PROTOCOL_RDSAAD", "rdsaad"),
    ];

    /// <summary>Short lowercase names as used on the command line and in reports, e.g. <c>ssl</c>.</summary>
    public static IReadOnlyList<string> ShortNames(SecurityProtocols protocols)
    {
        var names = new List<string>();
        if (protocols == SecurityProtocols.Rdp)
        {
            names.Add("rdp");
            return names;
        }

        uint unknown = (uint)protocols;
        foreach (var (flag, _, shortName) in Protocols)
        {
            if ((protocols & flag) != 0)
            {
                names.Add(shortName);
                unknown &= ~(uint)flag;
            }
        }

        if (unknown != 0)
        {
            names.Add($"0x{unknown:x8}");
        }

        return names;
    }

    /// <summary>The short name of a single selected protocol, e.g. <c>hybrid</c>, or its hex value if unknown.</summary>
    public static string ShortName(SecurityProtocols protocol) => string.Join('|', ShortNames(protocol));

    /// <summary>Spec names joined with <c>|</c>, e.g. <c>PROTOCOL_SSL|PROTOCOL_HYBRID</c>.</summary>
    public static string SpecNames(SecurityProtocols protocols)
    {
        if (protocols == SecurityProtocols.Rdp)
        {
            return "PROTOCOL_RDP";
        }

        var parts = new List<string>();
        uint unknown = (uint)protocols;
        foreach (var (flag, name, _) in Protocols)
        {
            if ((protocols & flag) != 0)
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

    /// <summary>Parses a short or spec name (<c>tls</c> and <c>nla</c> are accepted aliases).</summary>
    public static bool TryParseProtocol(string text, out SecurityProtocols protocol)
    {
        string key = text.Trim().ToLowerInvariant().Replace('-', '_');
        if (key.StartsWith("protocol_", StringComparison.Ordinal))
        {
            key = key["protocol_".Length..];
        }

        (bool ok, protocol) = key switch
        {
            "rdp" or "standard" => (true, SecurityProtocols.Rdp),
            "ssl" or "tls" => (true, SecurityProtocols.Ssl),
            "hybrid" or "nla" or "credssp" => (true, SecurityProtocols.Hybrid),
            "rdstls" => (true, SecurityProtocols.RdsTls),
            "hybrid_ex" or "hybridex" or "nla_ex" => (true, SecurityProtocols.HybridEx),
            "rdsaad" or "aad" => (true, SecurityProtocols.RdsAad),
            _ => (false, SecurityProtocols.Rdp),
        };
        return ok;
    }

    public static string FlagNames(NegotiationResponseFlags flags) => JoinFlags(
        (uint)flags,
        [
            (0x01, "EXTENDED_CLIENT_DATA_SUPPORTED"),
            (0x02, "DYNVC_GFX_PROTOCOL_SUPPORTED"),
            (0x04, "NEGRSP_FLAG_RESERVED"),
            (0x08, "RESTRICTED_ADMIN_MODE_SUPPORTED"),
            (0x10, "REDIRECTED_AUTHENTICATION_MODE_SUPPORTED"),
        ]);

    public static string FlagNames(NegotiationRequestFlags flags) => JoinFlags(
        (uint)flags,
        [
            (0x01, "RESTRICTED_ADMIN_MODE_REQUIRED"),
            (0x02, "REDIRECTED_AUTHENTICATION_MODE_REQUIRED"),
            (0x08, "CORRELATION_INFO_PRESENT"),
        ]);

    /// <summary>The spec name of a failure code, e.g. <c>SSL_REQUIRED_BY_SERVER</c>, or its hex value if unknown.</summary>
    public static string Name(NegotiationFailureCode code) => code switch
    {
        NegotiationFailureCode.SslRequiredByServer => "SSL_REQUIRED_BY_SERVER",
        NegotiationFailureCode.SslNotAllowedByServer => "SSL_NOT_ALLOWED_BY_SERVER",
        NegotiationFailureCode.SslCertNotOnServer => "SSL_CERT_NOT_ON_SERVER",
        NegotiationFailureCode.InconsistentFlags => "INCONSISTENT_FLAGS",
        NegotiationFailureCode.HybridRequiredByServer => "HYBRID_REQUIRED_BY_SERVER",
        NegotiationFailureCode.SslWithUserAuthRequiredByServer => "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
        _ => $"0x{(uint)code:x8}",
    };

    /// <summary>What the server means by the failure code, paraphrasing MS-RDPBCGR 2.2.1.2.2.</summary>
    public static string Meaning(NegotiationFailureCode code) => code switch
    {
        NegotiationFailureCode.SslRequiredByServer => "the server requires Enhanced RDP Security (TLS or CredSSP); if only CredSSP was requested, the server supports TLS only",
        NegotiationFailureCode.SslNotAllowedByServer => "the server is configured for Standard RDP Security only and supports no external security protocol",
        NegotiationFailureCode.SslCertNotOnServer => "the server has no valid authentication certificate and cannot start TLS",
        NegotiationFailureCode.InconsistentFlags => "the requested protocols are inconsistent with the security protocol already in effect",
        NegotiationFailureCode.HybridRequiredByServer => "the server requires CredSSP (Network Level Authentication)",
        NegotiationFailureCode.SslWithUserAuthRequiredByServer => "the server requires TLS with certificate-based client authentication",
        _ => "a failure code that MS-RDPBCGR does not define",
    };

    /// <summary>All six failure codes, in numeric order.</summary>
    public static IReadOnlyList<NegotiationFailureCode> AllFailureCodes { get; } =
        Enum.GetValues<NegotiationFailureCode>();

    /// <summary>Parses a failure code name such as <c>SSL_REQUIRED_BY_SERVER</c> (case-insensitive) or a number.</summary>
    public static bool TryParseFailureCode(string text, out NegotiationFailureCode code)
    {
        foreach (NegotiationFailureCode candidate in AllFailureCodes)
        {
            if (string.Equals(Name(candidate), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                code = candidate;
                return true;
            }
        }

        string number = text.Trim();
        bool parsed = number.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(number[2..], System.Globalization.NumberStyles.HexNumber, null, out uint value)
            : uint.TryParse(number, out value);
        code = (NegotiationFailureCode)value;
        return parsed;
    }

    private static string JoinFlags(uint value, (uint Bit, string Name)[] names)
    {
        if (value == 0)
        {
            return "none";
        }

        var parts = new List<string>();
        uint unknown = value;
        foreach (var (bit, name) in names)
        {
            if ((value & bit) != 0)
            {
                parts.Add(name);
                unknown &= ~bit;
            }
        }

        if (unknown != 0)
        {
            parts.Add($"0x{unknown:x2}");
        }

        return string.Join('|', parts);
    }
}
