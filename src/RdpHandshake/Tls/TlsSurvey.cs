using System.Reflection;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Tls;

/// <summary>What one TLS version looks like on the server.</summary>
/// <param name="Version">The version asked about (offered alone).</param>
/// <param name="Accepted">Whether the server completed a ServerHello for it.</param>
/// <param name="CipherSuites">Accepted suites in the order the server picked them.</param>
/// <param name="ServerPreference">True when the server picks by its own order (then <paramref name="CipherSuites"/> is that order); null with fewer than two suites.</param>
/// <param name="NamedGroups">TLS 1.3: the key-exchange groups the server accepts (each offered alone).</param>
/// <param name="Detail">Why the version is not accepted, or other notes.</param>
public sealed record TlsVersionResult(
    TlsVersion Version,
    bool Accepted,
    IReadOnlyList<int> CipherSuites,
    bool? ServerPreference,
    IReadOnlyList<int> NamedGroups,
    string? Detail);

/// <summary>The result of <see cref="TlsSurvey.RunAsync"/>.</summary>
public sealed record TlsSurveyReport(
    string Target,
    DateTimeOffset StartedAt,
    TimeSpan Elapsed,
    SecurityProtocols? SecurityProtocol,
    int Connections,
    int CipherSuitesTested,
    IReadOnlyList<TlsVersionResult> Versions,
    string? Problem)
{
    public IEnumerable<TlsVersion> AcceptedVersions => Versions.Where(v => v.Accepted).Select(v => v.Version);

    /// <summary>
    /// Why the survey could not answer, as a probe would say it: the first connection failed before TLS (in phase tcp
    /// or x224), or the server broke every handshake (no version answered, and none refused with an alert). Null when
    /// the survey ran, whatever it found, and when the server does not speak TLS (see <see cref="Problem"/>).
    /// </summary>
    public Diagnostics.Diagnosis? Failure { get; init; }
}

/// <summary>Options of a TLS survey.</summary>
public sealed record TlsSurveyOptions
{
    public IReadOnlyList<TlsVersion> Versions { get; init; } = [TlsVersion.Tls13, TlsVersion.Tls12, TlsVersion.Tls11, TlsVersion.Tls10];

    /// <summary>How many connections may be open at once.</summary>
    public int Concurrency { get; init; } = 2;

    /// <summary>A pause before each connection, to spare servers that rate-limit.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.Zero;

    /// <summary>Enumerate TLS 1.3 key-exchange groups too.</summary>
    public bool NamedGroups { get; init; } = true;
}

/// <summary>
/// Enumerates which TLS versions and cipher suites an RDP server accepts, over RDP (X.224 first, then TLS),
/// which generic TLS scanners cannot do. Each version is offered alone with every suite the TLS library can
/// offer for it; each accepted suite is removed and the rest offered again, so a version costs one connection
/// per accepted suite plus one, not one per suite. Each connection stops at the ServerHello.
/// </summary>
public static class TlsSurvey
{
    private static readonly int[] TlsV13Suites =
    [
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_AES_128_CCM_SHA256,
        CipherSuite.TLS_AES_128_CCM_8_SHA256,
    ];

    /// <summary>TLS 1.3 groups asked about, each alone.</summary>
    public static IReadOnlyList<int> Tls13Groups { get; } =
    [
        NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1, NamedGroup.x448,
        NamedGroup.ffdhe2048, NamedGroup.ffdhe3072, NamedGroup.ffdhe4096,
    ];

    /// <summary>The suites offered for a version: all the TLS library implements that are valid for it.</summary>
    public static IReadOnlyList<int> CandidateSuites(TlsVersion version)
    {
        var crypto = new BcTlsCrypto(new SecureRandom());
        if (version == TlsVersion.Tls13)
        {
            return TlsUtilities.GetSupportedCipherSuites(crypto, TlsV13Suites);
        }

        int[] all = typeof(CipherSuite).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .Where(f => !f.Name.Contains("_PSK_", StringComparison.Ordinal) && !f.Name.Contains("_SRP_", StringComparison.Ordinal)
                && !f.Name.Contains("_anon_", StringComparison.Ordinal) && !f.Name.Contains("SCSV", StringComparison.Ordinal)
                && !f.Name.StartsWith("DRAFT_", StringComparison.Ordinal))
            .Select(f => (int)f.GetRawConstantValue()!)
            .Where(s => !TlsV13Suites.Contains(s) && TlsUtilities.IsValidVersionForCipherSuite(s, TlsNames.ToLibrary(version)))
            .Distinct()
            .ToArray();
        return TlsUtilities.GetSupportedCipherSuites(crypto, all);
    }

    public static async Task<TlsSurveyReport> RunAsync(
        ProbeTarget target,
        ProbeOptions baseOptions,
        TlsSurveyOptions? surveyOptions = null,
        RdpProber? prober = null,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        surveyOptions ??= new TlsSurveyOptions();
        prober ??= new RdpProber();
        DateTimeOffset started = DateTimeOffset.UtcNow;
        long origin = TimeProvider.System.GetTimestamp();
        int connections = 0;
        using var gate = new SemaphoreSlim(surveyOptions.Concurrency);

        async Task<ProbeReport> AskAsync(TlsVersion version, IReadOnlyList<int> suites, IReadOnlyList<int>? groups, SecurityProtocols protocol)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (surveyOptions.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(surveyOptions.Delay, cancellationToken).ConfigureAwait(false);
                }

                Interlocked.Increment(ref connections);
                ProbeOptions options = baseOptions with
                {
                    Negotiation = baseOptions.Negotiation with { RequestedProtocols = protocol },
                    Until = Protocol.Sequence.ConnectionPhase.Tls,
                    TlsStopAfter = TlsMilestone.ServerHello,
                    Tls = baseOptions.Tls with { Versions = [version], CipherSuites = suites, NamedGroups = groups },
                };
                return await prober.ProbeAsync(target, options, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        // First, which TLS-based protocol the server selects: TLS itself, or CredSSP (same TLS handshake).
        SecurityProtocols offer = SecurityProtocols.Ssl | SecurityProtocols.Hybrid;
        ProbeReport first = await AskAsync(surveyOptions.Versions[0], CandidateSuites(surveyOptions.Versions[0]), null, offer).ConfigureAwait(false);
        SecurityProtocols? selected = first.Negotiation?.Selected;
        if (selected is not (SecurityProtocols.Ssl or SecurityProtocols.Hybrid))
        {
            string problem = selected == SecurityProtocols.Rdp
                ? "the server selected Standard RDP Security: it does not speak TLS on this port"
                : first.Verdict;
            return new TlsSurveyReport(target.ToString(), started, TimeProvider.System.GetElapsedTime(origin), selected, connections, 0, [], problem)
            {
                Failure = selected is null ? first.Diagnosis : null,
            };
        }

        int tested = 0;
        var refusals = new System.Collections.Concurrent.ConcurrentDictionary<TlsVersion, Diagnostics.Diagnosis?>();
        TlsVersionResult[] results = await Task.WhenAll(surveyOptions.Versions.Select(async version =>
        {
            IReadOnlyList<int> candidates = CandidateSuites(version);
            Interlocked.Add(ref tested, candidates.Count);
            var remaining = candidates.ToList();
            var accepted = new List<int>();
            string? detail = null;
            while (remaining.Count > 0)
            {
                ProbeReport answer = version.Equals(surveyOptions.Versions[0]) && accepted.Count == 0 && remaining.Count == candidates.Count
                    ? first
                    : await AskAsync(version, remaining, null, selected.Value).ConfigureAwait(false);
                if (answer.Tls?.CipherSuite is { } suite && answer.Tls.Version is { } picked && picked.Equals(version) && answer.Diagnosis is null)
                {
                    accepted.Add(suite);
                    remaining.Remove(suite);
                    continue;
                }

                if (accepted.Count == 0)
                {
                    detail = answer.Diagnosis is { } d ? $"{d.Cause}: {d.Summary}" : answer.Verdict;
                    refusals[version] = answer.Diagnosis;
                }

                break;
            }

            progress?.Report($"{TlsNames.Version(version)}: {accepted.Count} suite(s)");
            bool? serverPreference = null;
            if (accepted.Count >= 2)
            {
                // Offer the accepted suites in reverse: a server that still picks its favourite has its own order.
                ProbeReport reversed = await AskAsync(version, accepted.AsEnumerable().Reverse().ToArray(), null, selected.Value).ConfigureAwait(false);
                serverPreference = reversed.Tls?.CipherSuite == accepted[0];
            }

            var groups = new List<int>();
            if (accepted.Count > 0 && version == TlsVersion.Tls13 && surveyOptions.NamedGroups)
            {
                foreach (int group in Tls13Groups)
                {
                    ProbeReport answer = await AskAsync(version, [accepted[0]], [group], selected.Value).ConfigureAwait(false);
                    if (answer.Diagnosis is null && answer.Tls?.CipherSuite is not null)
                    {
                        groups.Add(group);
                    }
                }
            }

            return new TlsVersionResult(version, accepted.Count > 0, accepted, serverPreference, groups, detail);
        })).ConfigureAwait(false);

        // A server that refuses versions answers with an alert (or a ServerHello for another version); one that breaks every
        // handshake (closes, resets, garbles, stalls) is not surveyed: the survey fails as a probe of it would.
        Diagnostics.Diagnosis? broken = null;
        if (results.All(r => !r.Accepted)
            && surveyOptions.Versions.All(v => refusals.TryGetValue(v, out Diagnostics.Diagnosis? d) && d is not null && !IsRefusal(d)))
        {
            broken = refusals[surveyOptions.Versions[0]];
        }

        return new TlsSurveyReport(target.ToString(), started, TimeProvider.System.GetElapsedTime(origin), selected, connections, tested,
            results.OrderBy(r => r.Version).ToArray(), broken is null ? null : $"the server broke every TLS handshake: failed in {broken.Phase.Name()}: {broken.Cause} - {broken.Summary}")
        {
            Failure = broken,
        };
    }

    /// <summary>What a refusal of one version is: the server said no (an alert, no common version or suite), or it broke the handshake.</summary>
    internal static bool IsRefusal(Diagnostics.Diagnosis? diagnosis) =>
        diagnosis is { Cause.Id: CauseId.NoCommonVersion or CauseId.NoCommonCipherSuite or CauseId.ServerAlert };
}
