using System.Net.Sockets;
using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Kerberos;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;
using RdpHandshake.Transport;

namespace RdpHandshake.Gateway;

/// <summary>
/// Kerberos for the gateway's HTTP authentication (Negotiate, RFC 4559): rdphs's own Kerberos client gets a ticket
/// for the gateway's service principal (<c>HTTP/</c> and the gateway's name unless <c>--gateway-spn</c> names
/// another) from the realm's KDC, wraps the AP-REQ in a SPNEGO NegTokenInit for <c>Authorization: Negotiate</c>, and
/// checks the gateway's AP-REP (mutual authentication) when its <c>WWW-Authenticate: Negotiate</c> answer carries one.
/// The KDC exchanges are part of the <c>gateway.http-auth</c> step: their fields are its fields, and a KDC that cannot
/// be found, reached or that refuses is a cause of phase <c>gateway</c> at that step. Bytes exchanged with the KDC
/// are never recorded (they carry tickets).
/// </summary>
internal sealed class GatewayKerberos : IAsyncDisposable
{
    private readonly KerberosPackage _package;
    private readonly KdcChannel _kdc;
    private readonly KdcLocator _locator;
    private readonly TimeSpan _readTimeout;
    private readonly TimeSpan _connectTimeout;
    private readonly string _realm;

    private GatewayKerberos(KerberosPackage package, KerberosSettings settings, string realm, TimeSpan readTimeout, TimeSpan connectTimeout)
    {
        _package = package;
        _realm = realm;
        _kdc = new KdcChannel(connectTimeout);
        _locator = new KdcLocator(settings);
        _readTimeout = readTimeout;
        _connectTimeout = connectTimeout;
    }

    /// <summary>The principal the ticket is asked for.</summary>
    public string Service => _package.Service.ToString();

    /// <summary>The service principal of the gateway: <c>--gateway-spn</c> when given, else <c>HTTP/</c> and its name.</summary>
    public static PrincipalName ServiceFor(GatewayOptions gateway) =>
        gateway.ServicePrincipal is { } spn && PrincipalName.TryParseService(spn, out PrincipalName? parsed)
            ? parsed!
            : PrincipalName.TryParseService($"HTTP/{gateway.Host}", out PrincipalName? http) ? http! : throw new InvalidOperationException($"no principal for HTTP/{gateway.Host}");

    public static GatewayKerberos Create(GatewayOptions gateway, KerberosSettings settings, TimeSpan readTimeout, TimeSpan connectTimeout, TimeProvider time)
    {
        Credentials credentials = gateway.Credentials ?? throw new InvalidOperationException("Kerberos to the gateway needs its credentials");
        string realm = credentials.Domain.ToUpperInvariant();
        KdcTransport transport = settings.Kdcs.FirstOrDefault()?.Transport ?? KdcTransport.Tcp;
        var options = new KerberosOptions(realm, ServiceFor(gateway), settings.Etypes, transport);
        return new GatewayKerberos(new KerberosPackage(credentials, options, time), settings, realm, readTimeout, connectTimeout);
    }

    /// <summary>
    /// Runs the KDC exchanges (AS, then TGS for the gateway's principal) and returns the value of the
    /// <c>Authorization</c> header, <c>Negotiate</c> and the base64 SPNEGO NegTokenInit; or the failure that ended them.
    /// Their fields are added to <paramref name="fields"/>.
    /// </summary>
    public async Task<(string? Authorization, ProtocolFailure? Failure)> AuthorizationAsync(List<StepField> fields, CancellationToken cancellationToken)
    {
        fields.Add(new StepField("kerberos.realm", _realm));
        fields.Add(new StepField("kerberos.spn", Service));
        while (_package.PendingKdcExchange is { } exchange)
        {
            PackageAnswer answer = await ExchangeAsync(exchange, fields, cancellationToken).ConfigureAwait(false);
            fields.AddRange(answer.Fields.Where(f => !fields.Contains(f)));
            if (answer.Failure is { } failure)
            {
                return (null, failure);
            }
        }

        PackageToken first = _package.FirstToken();
        fields.AddRange(first.Fields.Where(f => !fields.Contains(f)));
        byte[] init = Pdu.Encode(new SpnegoNegTokenInit(_package.MechanismOids, new ByteString(first.Token)));
        fields.Add(new StepField("negotiate", $"SPNEGO NegTokenInit, mechTypes {string.Join(", ", _package.MechanismOids.Select(Spnego.MechName))}"));
        return ("Negotiate " + Convert.ToBase64String(init), null);
    }

    /// <summary>
    /// Reads the gateway's <c>WWW-Authenticate: Negotiate</c> token (a SPNEGO NegTokenResp, or a bare Kerberos token):
    /// the AP-REP is checked, a KRB-ERROR or a reject is the failure. Null when the token proves the gateway's key.
    /// </summary>
    public ProtocolFailure? AcceptGatewayToken(byte[] token, List<StepField> fields)
    {
        ReadOnlySpan<byte> inner = token;
        if (token.Length > 0 && token[0] == 0xA1)
        {
            DecodeResult<SpnegoNegTokenResp> resp = Pdu.Decode<SpnegoNegTokenResp>(token);
            if (!resp.IsSuccess)
            {
                return ProtocolFailure.Malformed($"the gateway's Negotiate token is not a SPNEGO NegTokenResp: {resp.Error}", resp.Error);
            }

            if (resp.Value.State is { } state)
            {
                fields.Add(new StepField("spnego.negState", state.ToString()));
            }

            if (resp.Value.State == SpnegoNegState.Reject && resp.Value.ResponseToken.IsEmpty)
            {
                return new ProtocolFailure(CauseId.KerberosRejected, "the RD Gateway rejected the Kerberos token (SPNEGO reject, without a KRB-ERROR saying why)");
            }

            inner = resp.Value.ResponseToken.Span;
        }

        PackageAnswer answer = _package.AcceptServerToken(inner);
        fields.AddRange(answer.Fields);
        return answer.Failure;
    }

    public async ValueTask DisposeAsync()
    {
        await _kdc.DisposeAsync().ConfigureAwait(false);
        _package.Dispose();
    }

    /// <summary>One KDC exchange, its pre-authentication round trip included: the package's answer to the last reply.</summary>
    private async Task<PackageAnswer> ExchangeAsync(KdcExchange exchange, List<StepField> fields, CancellationToken cancellationToken)
    {
        if (!_kdc.IsLocated(exchange.Realm))
        {
            (KdcLocation? location, string? whyNot) = await _locator.LocateAsync(exchange.Realm, exchange.Transport, _connectTimeout, cancellationToken).ConfigureAwait(false);
            if (location is null)
            {
                return _package.KdcFailed(new ProtocolFailure(CauseId.KdcNotFound, whyNot!));
            }

            _kdc.Located(location);
            fields.Add(new StepField($"kdc.{exchange.Realm}", $"{string.Join(", ", location.Endpoints)} (from {location.Source})"));
        }

        while (true)
        {
            PackageToken request = _package.KdcRequest();
            fields.AddRange(request.Fields.Where(f => !fields.Contains(f)));
            byte[] frame = exchange.Transport == KdcTransport.Tcp ? Pdu.Encode(new KdcTcpFrame(new ByteString(request.Token))) : request.Token;
            _kdc.Target = new KdcTarget(exchange.Realm, exchange.Transport);
            if (await _kdc.SendAsync(frame, cancellationToken).ConfigureAwait(false) is { } end)
            {
                return _package.KdcFailed(_kdc.Unreachable(end, 0, exchange.Expecting, _readTimeout, connecting: true));
            }

            FrameHint hint = exchange.Transport == KdcTransport.Tcp ? new KdcTcpFrameHint(exchange.StepName, exchange.Expecting) : new KdcDatagramHint(exchange.StepName, exchange.Expecting);
            FrameReadResult read = await _kdc.ReadFrameAsync(hint, _readTimeout, cancellationToken).ConfigureAwait(false);
            PackageAnswer answer;
            switch (read.Status)
            {
                case FrameReadStatus.Frame when exchange.Transport == KdcTransport.Udp:
                    answer = _package.AcceptKdcReply(read.Bytes);
                    break;
                case FrameReadStatus.Frame:
                    DecodeResult<KdcTcpFrame> unframed = Pdu.Decode<KdcTcpFrame>(read.Bytes);
                    answer = unframed.IsSuccess
                        ? _package.AcceptKdcReply(unframed.Value.Message.Span)
                        : _package.KdcFailed(ProtocolFailure.Malformed($"the KDC's answer is not a {exchange.Expecting}: {unframed.Error}", unframed.Error));
                    break;
                case FrameReadStatus.Invalid:
                    answer = _package.KdcFailed(ProtocolFailure.Malformed($"the KDC's answer is not a {exchange.Expecting}: {read.Error}", read.Error!.Value));
                    break;
                case FrameReadStatus.Cancelled:
                    throw new OperationCanceledException(cancellationToken);
                default:
                    answer = _package.KdcFailed(_kdc.Unreachable(read.Status == FrameReadStatus.Timeout ? null : read.End, read.Bytes.Length, exchange.Expecting, _readTimeout));
                    break;
            }

            if (new StepField("kdc", _kdc.Peer ?? "none") is var peer && !fields.Contains(peer))
            {
                fields.Add(peer);
            }

            // Another round trip of the same exchange (pre-authentication asked for), or on to the next one.
            if (answer.Failure is not null || _package.PendingKdcExchange is not { } next || next.Id != exchange.Id)
            {
                return answer;
            }

            fields.AddRange(answer.Fields.Where(f => !fields.Contains(f)));
        }
    }
}
