using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Tls;

namespace RdpHandshake.Analysis;

/// <summary>
/// The TLS session as <see cref="Protocol.Connector.TlsUpgrade"/> drives it, when the sequence observes a capture
/// instead of connecting: it writes nothing (<see cref="Start"/> and <see cref="Receive"/> give no bytes), and reads
/// the server's records through a <see cref="TlsConversation"/>, so that the upgrade's steps, milestones and failure
/// causes are the probe's own. The certificate is analysed as the probe analyses it, at the capture's time.
/// </summary>
public sealed class ObservedTlsSession(TlsConversation conversation, Func<DateTimeOffset> now, CertificateCache? certificates = null) : ITlsSession
{
    private CertificateReport? _certificate;
    private bool _analyzed;

    public TlsConversation Conversation => conversation;

    private TlsObservations Seen => conversation.Seen;

    /// <summary>The time the current record was captured, set by the observer before it feeds one.</summary>
    public DateTimeOffset RecordTime { get; set; }

    public TlsMilestone Milestone => Seen.Milestone;

    public string OfferedVersions => Seen.OfferedVersions.Count == 0 ? "nothing" : $"{TlsNames.Version(Seen.OfferedVersions.Min())} to {TlsNames.Version(Seen.OfferedVersions.Max())}";

    public int OfferedCipherSuiteCount => Seen.OfferedCipherSuites.Count;

    public string ServerVersion => TlsNames.Version(Seen.ServerVersion);

    public ReadOnlyMemory<byte> ServerPublicKey => Seen.CertificateChain.Count == 0
        ? ReadOnlyMemory<byte>.Empty
        : Org.BouncyCastle.Asn1.X509.X509CertificateStructure.GetInstance(Seen.CertificateChain[0]).SubjectPublicKeyInfo.PublicKey.GetBytes();

    /// <summary>An observer holds no certificate policy: what a client refused shows as its own alert or close.</summary>
    public (string Code, string Text)? PolicyViolation => null;

    public CertificateReport? Certificate
    {
        get
        {
            if (!_analyzed && Seen.CertificateChain.Count > 0)
            {
                try
                {
                    _certificate = certificates is null
                        ? CertificateAnalysis.Analyze(Seen.CertificateChain, conversation.ServerName, now())
                        : certificates.Analyze(Seen.CertificateChain, conversation.ServerName, now());
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or Org.BouncyCastle.Security.Certificates.CertificateException or IOException)
                {
                    _certificate = null;
                }

                _analyzed = true;
            }

            return _certificate;
        }
    }

    public byte[] Start() => [];

    public TlsReceiveResult Receive(ReadOnlySpan<byte> bytes)
    {
        TlsFailure? failure = null;
        foreach (TlsConversation.TlsEvent e in conversation.Feed(fromClient: false, bytes, RecordTime))
        {
            if (e.Alert is { IsFatal: true } alert)
            {
                failure = new TlsFailure(TlsFailureKind.AlertReceived, alert, null);
            }
        }

        return new TlsReceiveResult([], failure);
    }

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext) => [];

    public byte[] ReadApplicationData() => [];

    public TlsStepReport Describe(TlsMilestone milestone) => milestone switch
    {
        TlsMilestone.ClientHello => new TlsStepReport("TLS ClientHello",
            Seen.OfferedVersions.Count == 0 ? "ClientHello" : $"offered {TlsNames.Version(Seen.OfferedVersions.Max())} to {TlsNames.Version(Seen.OfferedVersions.Min())}, {Seen.OfferedCipherSuites.Count} cipher suites",
            [
                new("versions", string.Join(", ", Seen.OfferedVersions.Select(v => TlsNames.Version(v)))),
                new("cipherSuites", $"{Seen.OfferedCipherSuites.Count}: {string.Join(", ", Seen.OfferedCipherSuites.Select(TlsNames.CipherSuite))}"),
                new("groups", string.Join(", ", conversation.OfferedGroups.Select(TlsNames.NamedGroupName))),
                new("sni", conversation.ServerName ?? "none"),
            ]),
        TlsMilestone.ServerHello => new TlsStepReport("ServerHello", $"{TlsNames.Version(Seen.ServerVersion)}, {TlsNames.CipherSuite(Seen.CipherSuite ?? 0)}", ServerHelloFields()),
        TlsMilestone.Certificate => new TlsStepReport("Certificate", $"{Seen.CertificateChain.Count} certificate(s)", TlsStepFields.Certificate(Certificate, judgedAt: " at the time of the capture")),
        TlsMilestone.Finished => new TlsStepReport("Finished", "handshake complete", FinishedFields()),
    };

    private List<StepField> ServerHelloFields()
    {
        List<StepField> hello = TlsStepFields.ServerHello(Seen);
        if (conversation.IsTls13)
        {
            hello.Add(new StepField("keys", conversation.HasKeys ? "from the key log: the rest of the handshake is decrypted" : $"none ({conversation.NoDecryption}): TLS 1.3 encrypts the rest of the handshake"));
        }

        return hello;
    }

    private List<StepField> FinishedFields()
    {
        List<StepField> done = TlsStepFields.Finished(Seen);
        if (!conversation.HasKeys)
        {
            done.Add(new StepField("keys", $"none ({conversation.NoDecryption ?? "no key log"}): the Finished was not decrypted, and nothing after the handshake is visible"));
        }

        return done;
    }

    /// <summary>What the TLS phase saw, for the report.</summary>
    public TlsResult Result() => TlsResult.From(Seen, conversation.ServerName, Certificate);
}
