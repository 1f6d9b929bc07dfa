using RdpHandshake.Protocol.X224;

namespace RdpHandshake.TestServer;

/// <summary>
/// Chooses the Connection Confirm for a Connection Request the way MS-RDPBCGR 3.3.5.3.1 describes a server:
/// select one requested protocol the server accepts, else refuse with the failure code that tells the client
/// what it should have offered.
/// </summary>
public static class NegotiationPolicy
{
    public static X224ConnectionConfirm Answer(X224ConnectionRequest request, TestServerOptions options)
    {
        if (request.NegotiationRequest is not { } negReq)
        {
            // A client without RDP_NEG_REQ gets no negotiation data: Standard RDP Security or nothing.
            return options.AcceptStandardSecurity || options.ForcedFailure is null
                ? new X224ConnectionConfirm()
                : new X224ConnectionConfirm(Failure: new RdpNegotiationFailure(options.ForcedFailure.Value));
        }

        if (options.ForcedFailure is { } forced)
        {
            return new X224ConnectionConfirm(Failure: new RdpNegotiationFailure(forced));
        }

        SecurityProtocols requested = negReq.RequestedProtocols;
        foreach (SecurityProtocols candidate in options.Preference)
        {
            if ((requested & candidate) != 0 && (options.Accepted & candidate) != 0)
            {
                return new X224ConnectionConfirm(new RdpNegotiationResponse(candidate, options.ResponseFlags));
            }
        }

        if (options.AcceptStandardSecurity)
        {
            return new X224ConnectionConfirm(new RdpNegotiationResponse(SecurityProtocols.Rdp, options.ResponseFlags));
        }

        NegotiationFailureCode code = (options.Accepted & (SecurityProtocols.Hybrid | SecurityProtocols.HybridEx)) != 0
            && (options.Accepted & SecurityProtocols.Ssl) == 0
            ? NegotiationFailureCode.HybridRequiredByServer
            : NegotiationFailureCode.SslRequiredByServer;
        return new X224ConnectionConfirm(Failure: new RdpNegotiationFailure(code));
    }
}
