namespace RdpHandshake.Fuzzing;

/// <summary>The layer whose client PDU a fuzz run mutates; the layers before it are done correctly.</summary>
public enum FuzzLayer
{
    /// <summary>The X.224 Connection Request with its RDP_NEG_REQ (MS-RDPBCGR 2.2.1.1), the first bytes sent.</summary>
    X224,

    /// <summary>The TLS ClientHello sent after an X.224 negotiation that selected TLS.</summary>
    Tls,

    /// <summary>The first CredSSP TSRequest (NTLM NEGOTIATE) sent inside TLS after the server selected HYBRID.</summary>
    CredSsp,

    /// <summary>The MCS Connect Initial with its GCC Conference Create Request, sent inside TLS.</summary>
    Mcs,
}

/// <summary>Names of <see cref="FuzzLayer"/> as the command line and the report spell them.</summary>
public static class FuzzLayerNames
{
    public static IReadOnlyList<string> All { get; } = ["x224", "tls", "credssp", "mcs"];

    public static string Name(FuzzLayer layer) => layer switch
    {
        FuzzLayer.X224 => "x224",
        FuzzLayer.Tls => "tls",
        FuzzLayer.CredSsp => "credssp",
        _ => "mcs",
    };

    public static bool TryParse(string text, out FuzzLayer layer)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "x224" or "x.224":
                layer = FuzzLayer.X224;
                return true;
            case "tls":
                layer = FuzzLayer.Tls;
                return true;
            case "credssp" or "nla":
                layer = FuzzLayer.CredSsp;
                return true;
            case "mcs" or "gcc":
                layer = FuzzLayer.Mcs;
                return true;
            default:
                layer = default;
                return false;
        }
    }
}

/// <summary>
/// One generated case: the bytes of the target layer's PDU and what was done to them. For the TLS layer the bytes
/// are the records sent on the wire; for CredSSP and MCS they are the plaintext sent inside TLS.
/// </summary>
/// <param name="Layer">The layer mutated.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Index">The case's index; (Seed, Index) regenerate exactly these bytes.</param>
/// <param name="Mutation">What was changed, e.g. <c>rdp_neg_req.length = 0x0009</c>.</param>
/// <param name="Bytes">The PDU to send.</param>
/// <param name="Invalid">
/// True when the mutation breaks a rule of the specification, so a server that answers as if nothing were wrong
/// is worth a look; false for edge values a server may legitimately accept (and for the unmutated baseline).
/// </param>
public sealed record FuzzCase(FuzzLayer Layer, ulong Seed, int Index, string Mutation, byte[] Bytes, bool Invalid)
{
    /// <summary>The replay id, <c>SEED:INDEX</c>.</summary>
    public string Id => $"{Seed}:{Index}";
}
