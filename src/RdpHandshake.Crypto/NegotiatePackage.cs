using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Crypto;

/// <summary>
/// Negotiate as Windows clients run it under CredSSP: Kerberos first when it can work (a realm is known and the
/// target has a name a service principal can be made of), NTLM when Kerberos cannot get a ticket (no KDC, no such
/// principal, no common encryption type). The Kerberos steps that failed stay in the timeline as setbacks, so the
/// report shows both attempts. A refusal that NTLM would not cure (a wrong password, a locked account, skewed
/// clocks) ends the run, as it does for Windows.
/// </summary>
public sealed class NegotiatePackage : IAuthenticationPackage, IDisposable
{
    private readonly KerberosPackage? _kerberos;
    private readonly NtlmPackage _ntlm;
    private readonly string? _whyNtlm;
    private IAuthenticationPackage _current;

    /// <param name="kerberos">The Kerberos package, or null when Kerberos cannot be tried.</param>
    /// <param name="ntlm">The NTLM package, used when Kerberos cannot be, or cannot get a ticket.</param>
    /// <param name="whyNoKerberos">Why <paramref name="kerberos"/> is null, for the timeline (e.g. "the target is an IP address").</param>
    public NegotiatePackage(KerberosPackage? kerberos, NtlmPackage ntlm, string? whyNoKerberos = null)
    {
        _kerberos = kerberos;
        _ntlm = ntlm;
        _current = kerberos ?? (IAuthenticationPackage)ntlm;
        _whyNtlm = kerberos is null ? whyNoKerberos : null;
    }

    /// <summary>The package in use: Kerberos until it fails in a way Negotiate recovers from, then NTLM.</summary>
    public IAuthenticationPackage Current => _current;

    public string Name => _current.Name;

    public IReadOnlyList<string> MechanismOids => _current.MechanismOids;

    public (string FirstToken, string ServerToken, string FinalToken) StepNames => _current.StepNames;

    public bool HasCredentials => _current.HasCredentials;

    public string Principal => _current.Principal;

    public KdcExchange? PendingKdcExchange => _current.PendingKdcExchange;

    public bool HasFinalToken => _current.HasFinalToken;

    public PackageToken KdcRequest() => _current.KdcRequest();

    public PackageAnswer AcceptKdcReply(ReadOnlySpan<byte> reply) => FallBackIfNeeded(_current.AcceptKdcReply(reply));

    public PackageAnswer KdcFailed(ProtocolFailure failure) => FallBackIfNeeded(_current.KdcFailed(failure));

    public PackageToken FirstToken()
    {
        PackageToken token = _current.FirstToken();
        return _whyNtlm is null ? token : token with { Fields = [new StepField("negotiate", $"NTLM: {_whyNtlm}"), .. token.Fields] };
    }

    public PackageAnswer AcceptServerToken(ReadOnlySpan<byte> token) => _current.AcceptServerToken(token);

    public PackageToken FinalToken() => _current.FinalToken();

    public byte[] Wrap(ReadOnlySpan<byte> message) => _current.Wrap(message);

    public byte[]? Unwrap(ReadOnlySpan<byte> message) => _current.Unwrap(message);

    public byte[] MechListMic(ReadOnlySpan<byte> mechTypes) => _current.MechListMic(mechTypes);

    public bool VerifyMechListMic(ReadOnlySpan<byte> mechTypes, ReadOnlySpan<byte> mic) => _current.VerifyMechListMic(mechTypes, mic);

    public byte[] WrapCredentials() => _current.WrapCredentials();

    public void Dispose()
    {
        _kerberos?.Dispose();
        _ntlm.Dispose();
    }

    /// <summary>A Kerberos failure Negotiate recovers from becomes a setback, and NTLM takes over.</summary>
    private PackageAnswer FallBackIfNeeded(PackageAnswer answer)
    {
        if (answer.Failure is not { } failure || !ReferenceEquals(_current, _kerberos) || !KerberosVerdicts.NegotiateFallsBack(failure))
        {
            return answer;
        }

        _current = _ntlm;
        return answer with
        {
            Summary = $"{failure.Reason}: Negotiate goes on with NTLM, as Windows does",
            Failure = null,
            Setback = failure,
            Fields = [.. answer.Fields, new StepField("negotiate", "Kerberos failed: going on with NTLM")],
        };
    }
}
