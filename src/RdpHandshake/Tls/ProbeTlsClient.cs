using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace RdpHandshake.Tls;

/// <summary>
/// The BouncyCastle TLS client configured from a <see cref="TlsOffer"/>. It accepts every server
/// certificate (judging it is the certificate analysis's job, not the handshake's) and records everything
/// into <see cref="TlsObservations"/>.
/// </summary>
internal sealed class ProbeTlsClient(TlsCrypto crypto, TlsOffer offer, TlsObservations seen) : DefaultTlsClient(crypto)
{
    private readonly HashSet<string> _logged = [];

    /// <summary>Receives NSS key log lines (<c>LABEL client_random secret</c>), when key logging is on.</summary>
    public Action<string>? KeyLog { get; init; }

    /// <summary>
    /// Writes the secrets established so far to <see cref="KeyLog"/>, each once: the TLS 1.3 handshake traffic
    /// secrets right after the ServerHello, the application traffic secrets and exporter secret once the
    /// handshake completes, or the TLS 1.2 master secret. Called after every record.
    /// </summary>
    public void LogSecrets()
    {
        if (KeyLog is null || m_context is null)
        {
            return;
        }

        SecurityParameters parameters = m_context.SecurityParameters;
        if (parameters?.ClientRandom is not { } clientRandom || parameters.NegotiatedVersion is not { } version)
        {
            return;
        }

        if (TlsUtilities.IsTlsV13(version))
        {
            string prefix = seen.HandshakeComplete ? string.Empty : "HANDSHAKE_";
            string suffix = seen.HandshakeComplete ? "_0" : string.Empty;
            Log($"CLIENT_{prefix}TRAFFIC_SECRET{suffix}", clientRandom, parameters.TrafficSecretClient);
            Log($"SERVER_{prefix}TRAFFIC_SECRET{suffix}", clientRandom, parameters.TrafficSecretServer);
            if (seen.HandshakeComplete)
            {
                Log("EXPORTER_SECRET", clientRandom, parameters.ExporterMasterSecret);
            }
        }
        else
        {
            // Established when the client sends its key exchange, before the Finished messages.
            Log("CLIENT_RANDOM", clientRandom, parameters.MasterSecret);
        }
    }

    private void Log(string label, byte[] clientRandom, TlsSecret? secret)
    {
        if (secret is null || _logged.Contains(label) || SecretBytes.Copy(secret) is not { } bytes)
        {
            return;
        }

        _logged.Add(label);
        KeyLog!($"{label} {Convert.ToHexStringLower(clientRandom)} {Convert.ToHexStringLower(bytes)}");
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
    }

    protected override ProtocolVersion[] GetSupportedVersions() => [.. offer.Versions.Select(TlsNames.ToLibrary)];

    protected override int[] GetSupportedCipherSuites() =>
        TlsUtilities.GetSupportedCipherSuites(Crypto, [.. offer.CipherSuites ?? TlsOffer.DefaultCipherSuites]);

    protected override IList<int> GetSupportedGroups(IList<int> namedGroupRoles) =>
        offer.NamedGroups is { } groups ? [.. groups] : base.GetSupportedGroups(namedGroupRoles);

    protected override IList<SignatureAndHashAlgorithm> GetSupportedSignatureAlgorithms() =>
        offer.SignatureSchemes is { } schemes
            ? schemes.Select(SignatureScheme.GetSignatureAndHashAlgorithm).ToList()
            : base.GetSupportedSignatureAlgorithms();

    protected override IList<ServerName>? GetSniServerNames() =>
        offer.ServerName is { } name ? [new ServerName(NameType.host_name, System.Text.Encoding.ASCII.GetBytes(name))] : null;

    public override void Init(TlsClientContext context)
    {
        base.Init(context);
        seen.OfferedVersions = offer.Versions;
        seen.OfferedCipherSuites = GetSupportedCipherSuites();
    }

    public override void NotifyServerVersion(ProtocolVersion serverVersion)
    {
        seen.ServerVersion = TlsNames.FromLibrary(serverVersion);
        base.NotifyServerVersion(serverVersion);
    }

    public override void NotifySelectedCipherSuite(int selectedCipherSuite)
    {
        seen.CipherSuite = selectedCipherSuite;
        base.NotifySelectedCipherSuite(selectedCipherSuite);
    }

    // Record, don't abort: the report says whether the server supports secure renegotiation.
    public override void NotifySecureRenegotiation(bool secureRenegotiation) => seen.SecureRenegotiation = secureRenegotiation;

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) =>
        seen.AlertsReceived.Add(TlsNames.Alert(alertLevel, alertDescription));

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        seen.AlertsRaised.Add(TlsNames.Alert(alertLevel, alertDescription, message ?? cause?.Message));

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        SecurityParameters parameters = m_context.SecurityParameters;
        seen.ServerVersion = TlsNames.FromLibrary(parameters.NegotiatedVersion);
        seen.CipherSuite = parameters.CipherSuite;
        seen.NamedGroup = parameters.NegotiatedGroup >= 0 ? parameters.NegotiatedGroup : null;
        seen.HandshakeComplete = true;
    }

    public override TlsAuthentication GetAuthentication() => new RecordingAuthentication(seen);

    private sealed class RecordingAuthentication(TlsObservations seen) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            seen.CertificateChain = serverCertificate.Certificate.GetCertificateList().Select(c => c.GetEncoded()).ToArray();

        // RDP servers do not ask for client certificates; if one does, we send none.
        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => null;
    }
}
