using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.CredSsp;

/// <summary>A token the package produced, and how its step shows it.</summary>
/// <param name="Token">The bytes that go into the negoToken (inside SPNEGO, or bare).</param>
/// <param name="Pdu">What the token is, e.g. <c>NTLM NEGOTIATE</c>.</param>
/// <param name="Fields">What it says, for the timeline (never a secret).</param>
public sealed record PackageToken(byte[] Token, string Pdu, IReadOnlyList<StepField> Fields)
{
    /// <summary>Why the step that sends the token must not record its bytes (a Kerberos AP-REQ carries a ticket), or null.</summary>
    public string? BytesWithheld { get; init; }
}

/// <summary>What the package read in the server's token: how its step shows it, or why it cannot be used.</summary>
/// <param name="Pdu">What the token is, e.g. <c>NTLM CHALLENGE</c>.</param>
/// <param name="Summary">One line, e.g. what the CHALLENGE names.</param>
/// <param name="Fields">What it says, for the timeline.</param>
/// <param name="Failure">Why the token cannot be used (it does not decode), or null.</param>
public sealed record PackageAnswer(string Pdu, string Summary, IReadOnlyList<StepField> Fields, ProtocolFailure? Failure = null)
{
    /// <summary>
    /// A failure the package recovered from, as Windows' Negotiate does when it cannot get a Kerberos ticket and
    /// goes on with NTLM: the step is recorded as failed, with this cause, and the exchange goes on.
    /// </summary>
    public ProtocolFailure? Setback { get; init; }
}

/// <summary>How a KDC is reached (RFC 4120 7.2.1, 7.2.2).</summary>
public enum KdcTransport
{
    Tcp,
    Udp,
}

/// <summary>
/// An exchange with a KDC that a package needs before its first token (Kerberos: the AS and TGS exchanges): its step
/// name, the realm whose KDC answers it and the transport. While one exchange goes on (a pre-authentication round
/// trip, a retry over TCP) the package keeps its <paramref name="Id"/>; the next exchange has another.
/// </summary>
/// <param name="Id">Tells one exchange from the next: the timeline records one step per exchange.</param>
/// <param name="StepName">The timeline name, e.g. <c>kerberos.as-exchange</c>.</param>
/// <param name="Realm">The realm whose KDC is asked.</param>
/// <param name="Transport">TCP, or UDP (a reply too big for UDP makes the package ask again over TCP).</param>
/// <param name="Expecting">What the reply should be, e.g. <c>AS-REP</c>.</param>
public sealed record KdcExchange(int Id, string StepName, string Realm, KdcTransport Transport, string Expecting);

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

    /// <summary>The SPNEGO mechanism OIDs that name the package in the NegTokenInit, most preferred first.</summary>
    IReadOnlyList<string> MechanismOids { get; }

    /// <summary>The timeline names of the package's round trip: the first token sent, the server's answer, and the final token.</summary>
    (string FirstToken, string ServerToken, string FinalToken) StepNames { get; }

    /// <summary>
    /// Whether the package can authenticate (it holds credentials). Without them only the first round trip runs:
    /// the server's answer is still read (NTLM's CHALLENGE names the server).
    /// </summary>
    bool HasCredentials { get; }

    /// <summary>Who authenticates, for messages: <c>DOMAIN\user</c>.</summary>
    string Principal { get; }

    /// <summary>The exchange with a KDC that must happen before <see cref="FirstToken"/>, or null when none is left (NTLM never has one).</summary>
    KdcExchange? PendingKdcExchange { get; }

    /// <summary>The request of the pending KDC exchange (an AS-REQ, a TGS-REQ).</summary>
    PackageToken KdcRequest();

    /// <summary>
    /// Reads the KDC's reply: it may leave the same exchange pending (another round trip), move to the next one, or
    /// end the KDC exchanges; a KRB-ERROR that ends them is the answer's failure (or setback).
    /// </summary>
    PackageAnswer AcceptKdcReply(ReadOnlySpan<byte> reply);

    /// <summary>The pending KDC could not be reached or did not answer: the package's verdict on it (a failure, or a setback it recovers from).</summary>
    PackageAnswer KdcFailed(ProtocolFailure failure);

    /// <summary>The first token (NTLM: the NEGOTIATE; Kerberos: the AP-REQ).</summary>
    PackageToken FirstToken();

    /// <summary>Reads the server's answer to the first token (NTLM: the CHALLENGE).</summary>
    PackageAnswer AcceptServerToken(ReadOnlySpan<byte> token);

    /// <summary>Whether a final token follows the server's answer (NTLM's AUTHENTICATE); Kerberos is done once the AP-REP is checked.</summary>
    bool HasFinalToken { get; }

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
