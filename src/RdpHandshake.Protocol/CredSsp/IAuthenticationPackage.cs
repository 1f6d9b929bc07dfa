using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>A token the package produced, and how its step shows it.</summary>
/// <param name="Token">The bytes that go into the negoToken (inside SPNEGO, or bare).</param>
/// <param name="Pdu">What the token is, e.g. <c>NTLM NEGOTIATE</c>.</param>
/// <param name="Fields">What it says, for the timeline (never a secret).</param>
public sealed record PackageToken(byte[] Token, string Pdu, IReadOnlyList<StepField> Fields);

/// <summary>What the package read in the server's token: how its step shows it, or why it cannot be used.</summary>
/// <param name="Pdu">What the token is, e.g. <c>NTLM CHALLENGE</c>.</param>
/// <param name="Summary">One line, e.g. what the CHALLENGE names.</param>
/// <param name="Fields">What it says, for the timeline.</param>
/// <param name="Failure">Why the token cannot be used (it does not decode), or null.</param>
public sealed record PackageAnswer(string Pdu, string Summary, IReadOnlyList<StepField> Fields, ProtocolFailure? Failure = null);

/// <summary>
/// A security package as CredSSP runs it (MS-CSSP 3.1.5): it produces the tokens of the authentication exchange
/// and, once the security context is established, protects CredSSP's messages with it. NTLM (MS-NLMP) is one;
/// Kerberos (MS-KILE) is another. CredSSP itself (the TSRequests, SPNEGO, the public-key binding, the delegated
/// credentials) is the <see cref="Connector.CredSspSequence"/>'s, the same for every package.
/// </summary>
public interface IAuthenticationPackage
{
    /// <summary>The package's name, e.g. <c>NTLM</c>.</summary>
    string Name { get; }

    /// <summary>The SPNEGO mechanism OID that names the package in the NegTokenInit.</summary>
    string MechanismOid { get; }

    /// <summary>The timeline names of the package's round trip: the first token sent, the server's answer, and the final token.</summary>
    (string FirstToken, string ServerToken, string FinalToken) StepNames { get; }

    /// <summary>
    /// Whether the package can authenticate (it holds credentials). Without them only the first round trip runs:
    /// the server's answer is still read (NTLM's CHALLENGE names the server).
    /// </summary>
    bool HasCredentials { get; }

    /// <summary>Who authenticates, for messages: <c>DOMAIN\user</c>.</summary>
    string Principal { get; }

    /// <summary>The first token (NTLM: the NEGOTIATE).</summary>
    PackageToken FirstToken();

    /// <summary>Reads the server's answer to the first token (NTLM: the CHALLENGE).</summary>
    PackageAnswer AcceptServerToken(ReadOnlySpan<byte> token);

    /// <summary>The final token (NTLM: the AUTHENTICATE); the security context is established once it is made.</summary>
    PackageToken FinalToken();

    /// <summary>Protects a CredSSP message (pubKeyAuth, authInfo) for the server.</summary>
    byte[] Wrap(ReadOnlySpan<byte> message);

    /// <summary>Unprotects a message from the server; null when its integrity check fails.</summary>
    byte[]? Unwrap(ReadOnlySpan<byte> message);

    /// <summary>The SPNEGO mechListMIC over the DER MechTypeList as sent (RFC 4178 5, MS-SPNG 3.3.5.1).</summary>
    byte[] MechListMic(ReadOnlySpan<byte> mechTypes);

    /// <summary>Checks the server's mechListMIC over the MechTypeList as sent.</summary>
    bool VerifyMechListMic(ReadOnlySpan<byte> mechTypes, ReadOnlySpan<byte> mic);

    /// <summary>The TSCredentials with the user's password (MS-CSSP 2.2.1.2.1), protected for the server: CredSSP's last message.</summary>
    byte[] WrapCredentials();
}
