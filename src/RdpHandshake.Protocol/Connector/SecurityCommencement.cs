using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// Security Commencement under Standard RDP Security (MS-RDPBCGR 1.3.1.1, 3.2.5.3.10, 5.3): the server certificate
/// of SC_SECURITY checked, the client random encrypted with its key in the Security Exchange PDU, and from then on
/// every PDU on the I/O channel encrypted and signed. The cryptography comes from an <see cref="IStandardSecurityProvider"/>.
/// </summary>
public sealed class SecurityCommencement(ConnectionState connection) : Sequence<SecurityCommencement.Steps>(Steps.SendSecurityExchange)
{
    public const string SecurityExchangeStep = "security.exchange";

    public enum Steps
    {
        SendSecurityExchange,
    }

    /// <summary>Whether the connection needs it: Standard RDP Security with an encryption method (level None has none).</summary>
    public static bool Applies(ConnectionState connection) => connection.StandardSecurity && connection.Encryption.Method != EncryptionMethod.None;

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendSecurityExchange => new StepPlan(SecurityExchangeStep, ConnectionPhase.Security, null, connection.Layer),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendSecurityExchange => SendSecurityExchange(output),
    };

    private StepResult SendSecurityExchange(IBufferWriter<byte> output)
    {
        ServerSecurityData security = connection.Mcs.Server!.Security!;
        (EncryptionMethod method, EncryptionLevel level) = connection.Encryption;
        if (connection.Services.StandardSecurity is not { } provider)
        {
            return Refuse([], new ProtocolFailure(CauseId.StandardSecurityUnavailable,
                "the server selected Standard RDP Security and this client has no cryptography provider for it"));
        }

        var certificateReader = new PduReader(security.ServerCertificate.Span);
        DecodeResult<ServerCertificate> certificate = ServerCertificate.Decode(ref certificateReader);
        if (!certificate.IsSuccess)
        {
            return Refuse([new StepField("error", certificate.Error.ToString())], new ProtocolFailure(CauseId.ServerCertificateInvalid,
                $"the server's certificate in SC_SECURITY does not decode: {certificate.Error}") { DecodeError = certificate.Error });
        }

        StandardSecuritySetup setup = provider.Establish(method, security.ServerRandom.Span, certificate.Value);
        var fields = new List<StepField>(setup.Fields)
        {
            new("encryptionLevel", EncryptionNames.Level(level)),
        };
        if (setup.CertificateProblem is not null || setup.Encryptor is null || setup.Decryptor is null)
        {
            return Refuse(fields, new ProtocolFailure(CauseId.ServerCertificateInvalid, setup.CertificateProblem ?? "the server certificate gives no usable key"));
        }

        connection.Channel.SendRaw(output, Pdu.Encode(new SecurityExchangePdu(setup.EncryptedClientRandom)));
        connection.Channel.StartEncryption(setup.Encryptor, setup.Decryptor, fips: method == EncryptionMethod.Fips);
        Complete();
        string weak = EncryptionNames.IsWeak(method) || EncryptionNames.IsWeak(level) ? " (weak)" : string.Empty;
        return new StepResult(SecurityExchangeStep, ConnectionPhase.Security, SecurityExchangePdu.PduName, fields, $"client random sent; {EncryptionNames.Method(method)}{weak}");
    }

    private StepResult Refuse(IReadOnlyList<StepField> fields, ProtocolFailure failure) =>
        Fail(SecurityExchangeStep, ConnectionPhase.Security, SecurityExchangePdu.PduName, fields, failure);
}
