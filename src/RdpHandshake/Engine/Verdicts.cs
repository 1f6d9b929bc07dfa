using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;

namespace RdpHandshake.Engine;

/// <summary>One-line verdicts for successful runs.</summary>
internal static class Verdicts
{
    public static string Success(NegotiationResult? negotiation, TlsResult? tls, ConnectionPhase? reached, ConnectionPhase until, SessionResult? session = null)
    {
        if (negotiation?.Selected is not { } selected)
        {
            return $"reached {reached?.Name() ?? "nothing"}";
        }

        string meaning = selected switch
        {
            SecurityProtocols.Rdp => session?.EncryptionMethod is { } method
                ? $"Standard RDP Security: {method} at {session.EncryptionLevel}{(session.WeakEncryption ? ", weak" : string.Empty)}, no server authentication"
                : "Standard RDP Security, no server authentication",
            SecurityProtocols.Ssl => "TLS",
            SecurityProtocols.Hybrid => "CredSSP / NLA",
            SecurityProtocols.HybridEx => "CredSSP / NLA with Early User Authorization",
            SecurityProtocols.RdsTls => "RDSTLS",
            SecurityProtocols.RdsAad => "RDS AAD authentication",
            _ => "an unknown protocol",
        };
        string verdict = $"reached {reached?.Name()}: the server selected {NegotiationNames.SpecNames(selected)} ({meaning})";
        if (tls is { HandshakeComplete: true })
        {
            verdict += $", {TlsNames.Version(tls.Version)} with {TlsNames.CipherSuite(tls.CipherSuite ?? 0)}";
            if (tls.Certificate is { } certificate)
            {
                int notable = certificate.Findings.Count(f => f.Severity != FindingSeverity.Info);
                verdict += notable == 0 ? ", certificate fine" : $", {notable} certificate finding(s)";
            }
        }
        if (reached < until)
        {
            verdict += reached < ConnectionPhase.CredSsp && selected is SecurityProtocols.Hybrid or SecurityProtocols.HybridEx && until >= ConnectionPhase.Mcs
                ? $"; {until.Name()} needs credentials (--user) to get past CredSSP"
                : $"; the steps after {reached?.Name()} are not implemented for this server's choices yet";
        }

        return verdict;
    }
}
