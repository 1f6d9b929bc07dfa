using RdpHandshake.Protocol.Ntlm;

namespace RdpHandshake.CredSsp;

/// <summary>What the CredSSP phase learned: the server's TSRequest version and its NTLM CHALLENGE.</summary>
public sealed record CredSspResult(int ServerVersion, NtlmChallengeMessage? Challenge, string? SupportedMech)
{
    /// <summary>The package CredSSP ran with: <c>NTLM</c> or <c>Kerberos</c> (Negotiate's choice, after any fallback).</summary>
    public string Package { get; init; } = "NTLM";

    /// <summary>Whether the NTLM messages travelled wrapped in SPNEGO (true) or bare in the TSRequest (false).</summary>
    public bool NtlmInSpnego { get; init; } = true;

    /// <summary>The errorCode with which the server refused an earlier SPNEGO-wrapped NEGOTIATE, when the probe then went bare.</summary>
    public uint? SpnegoRefusedWith { get; init; }

    /// <summary>The answer of <see cref="ProbeOptions.CheckNonceBinding"/>; null when it was not asked for.</summary>
    public NonceBindingResult? NonceBinding { get; init; }

    /// <summary>The names and facts of the CHALLENGE a scanner reports, in a stable order; absent ones are left out.</summary>
    public IReadOnlyList<(string Key, string Value)> Info => Challenge is { } challenge ? NtlmChallengeInfo.Of(challenge) : [];
}

/// <summary>
/// Whether the server enforces the CredSSP version 5+ nonce binding of pubKeyAuth (MS-CSSP 3.1.5, the CVE-2018-0886
/// fix, "Force Updated Clients"): <paramref name="Enforced"/> is true when an authenticated attempt offering version 4
/// was refused, false when it was accepted, null when the check could not tell; <paramref name="Detail"/> says why.
/// </summary>
public sealed record NonceBindingResult(bool? Enforced, string Detail);
