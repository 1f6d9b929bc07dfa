using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Sequence;

/// <summary>
/// Why the connection sequence cannot go on, as seen from the bytes alone: the phase, a stable cause code
/// (see <see cref="Causes"/>), a short lowercase explanation and, for malformed input, the decode error.
/// The engine turns it into a full diagnosis with evidence and a remedy.
/// </summary>
public sealed record ProtocolFailure(ConnectionPhase Phase, string Cause, string Reason, DecodeError? DecodeError = null);

/// <summary>Stable cause codes. A code may carry a detail after a colon, e.g. <c>negotiation-failure:SSL_REQUIRED_BY_SERVER</c>.</summary>
public static class Causes
{
    /// <summary>The server answered with bytes that do not decode as the PDU expected at this step.</summary>
    public const string MalformedResponse = "malformed-response";

    /// <summary>The server sent a well-formed PDU of another type than the step expects.</summary>
    public const string UnexpectedPdu = "unexpected-pdu";

    /// <summary>The server refused the requested security protocols with an RDP_NEG_FAILURE.</summary>
    public const string NegotiationFailure = "negotiation-failure";

    /// <summary>The server selected a security protocol the client did not request.</summary>
    public const string ProtocolNotRequested = "protocol-not-requested";

    /// <summary>The server answered the Connection Request with an X.224 Disconnect Request.</summary>
    public const string DisconnectRequest = "x224-disconnect-request";

    /// <summary>The server ended the connection with an MCS Disconnect Provider Ultimatum.</summary>
    public const string DisconnectProviderUltimatum = "mcs-disconnect-provider-ultimatum";

    /// <summary>
    /// After the X.224 connection: the server ended it with an MCS Disconnect Provider Ultimatum; the detail
    /// is the T.125 reason, e.g. <c>disconnect-ultimatum:rn-provider-initiated</c>.
    /// </summary>
    public const string DisconnectUltimatum = "disconnect-ultimatum";

    /// <summary>
    /// The server ended the connection after a Set Error Info PDU; the detail is the ERRINFO code, which the
    /// engine turns into its name, e.g. <c>server-error-info:ERRINFO_SERVER_DENIED_CONNECTION</c>.
    /// </summary>
    public const string ServerErrorInfo = "server-error-info";

    /// <summary>Builds <c>negotiation-failure:NAME</c>.</summary>
    public static string ForNegotiationFailure(X224.NegotiationFailureCode code) =>
        $"{NegotiationFailure}:{X224.NegotiationNames.Name(code)}";

    /// <summary>The part of a cause code before any colon, e.g. <c>negotiation-failure</c>.</summary>
    public static string BaseOf(string cause)
    {
        int colon = cause.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? cause : cause[..colon];
    }
}
