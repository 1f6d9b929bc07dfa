using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RdpHandshake.CredSsp;
using RdpHandshake.Crypto;
using RdpHandshake.Crypto.Kerberos;
using RdpHandshake.Crypto.Licensing;
using RdpHandshake.Crypto.Ntlm;
using RdpHandshake.Crypto.StandardSecurity;
using RdpHandshake.Diagnostics;
using RdpHandshake.Engine;
using RdpHandshake.Kerberos;
using RdpHandshake.Policies;
using RdpHandshake.Protocol.Connector;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Kerberos;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Recording;
using RdpHandshake.Tls;
using RdpHandshake.Transport;

namespace RdpHandshake;

/// <summary>
/// Runs the client side of the connection sequence against one server and records every step. This is the
/// engine's entry point for the CLI and for engineers' own tests; it never throws for anything the server
/// does: the report's <see cref="ProbeReport.Diagnosis"/> says what went wrong. One attempt is: resolve and
/// connect, drive the <see cref="ClientConnector"/>, record, diagnose; the <see cref="Policies"/> decide whether a
/// finished attempt calls for another (a bare-NTLM retry, a nonce-binding check, a redirection followed).
/// </summary>
public sealed partial class RdpProber
{
    public const string TcpConnectStep = "tcp.connect";

    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public RdpProber(ILogger? logger = null, TimeProvider? time = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Called when a step begins and again when it ends, for live progress.</summary>
    public Action<StepRecord>? StepObserver { get; init; }

    /// <summary>
    /// What may follow an attempt, in order: each policy sees the report of the attempt with the policies before it
    /// applied, and may run more attempts (through those same policies) before it returns the report that stands.
    /// </summary>
    public IReadOnlyList<IProbePolicy> Policies { get; init; } = [new BareNtlmRetry(), new NonceBindingCheck(), new RedirectionFollowing()];

    /// <summary>Connects to <paramref name="target"/> over TCP and runs the sequence, with the <see cref="Policies"/>.</summary>
    public Task<ProbeReport> ProbeAsync(ProbeTarget target, ProbeOptions options, CancellationToken cancellationToken = default) =>
        ProbeWithPoliciesAsync(Policies.Count, target, options, cancellationToken);

    /// <summary>Runs the sequence over an already connected transport (in memory, a replay, a test pipe): one attempt, no policies.</summary>
    public async Task<ProbeReport> ProbeAsync(IRdpTransport transport, ProbeOptions options, CancellationToken cancellationToken = default)
    {
        var attempt = new Attempt(_logger, _time, StepObserver, transport.RemoteDescription, options);
        attempt.MarkConnected(transport);
        return await DriveAsync(attempt, transport, hostName: null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ProbeReport> ProbeWithPoliciesAsync(int policies, ProbeTarget target, ProbeOptions options, CancellationToken cancellationToken)
    {
        if (policies == 0)
        {
            return await AttemptAsync(target, options, cancellationToken).ConfigureAwait(false);
        }

        ProbeReport report = await ProbeWithPoliciesAsync(policies - 1, target, options, cancellationToken).ConfigureAwait(false);
        var context = new PolicyContext(target, options, (t, o, c) => ProbeWithPoliciesAsync(policies - 1, t, o, c), _logger);
        return await Policies[policies - 1].ApplyAsync(report, context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One connection: resolve and connect, then drive.</summary>
    private async Task<ProbeReport> AttemptAsync(ProbeTarget target, ProbeOptions options, CancellationToken cancellationToken)
    {
        var attempt = new Attempt(_logger, _time, StepObserver, target.ToString(), options);
        if (options.Gateway is { } gateway)
        {
            return await AttemptThroughGatewayAsync(attempt, gateway, target, cancellationToken).ConfigureAwait(false);
        }

        IRdpTransport? transport;
        Diagnosis? failed;
        try
        {
            (transport, failed) = options.Proxy is { } proxy
                ? await ConnectAsync(attempt, new ProbeTarget(proxy.Host, proxy.Port), ProxySteps.Connect, ConnectionPhase.Proxy, cancellationToken).ConfigureAwait(false)
                : await ConnectAsync(attempt, target, TcpConnectStep, ConnectionPhase.Tcp, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return attempt.Finish(attempt.FailInternally(ex, ex is OperationCanceledException && cancellationToken.IsCancellationRequested, null), null, null, null);
        }

        if (transport is null)
        {
            return attempt.Finish(failed, null, null, null);
        }

        await using (transport.ConfigureAwait(false))
        {
            return await DriveAsync(attempt, transport, target.Host, cancellationToken, target).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One attempt through an RD Gateway: the gateway hop's steps, then the sequence inside its channel, then the
    /// channel's close.
    /// </summary>
    private async Task<ProbeReport> AttemptThroughGatewayAsync(Attempt attempt, Gateway.GatewayOptions gateway, ProbeTarget target, CancellationToken cancellationToken)
    {
        var hop = new Gateway.GatewayHop(attempt, gateway, target, _time);
        Gateway.TunnelTransport? tunnel;
        Diagnosis? failed;
        try
        {
            (tunnel, failed) = await hop.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return attempt.Finish(attempt.FailInternally(ex, ex is OperationCanceledException && cancellationToken.IsCancellationRequested, ConnectionPhase.Gateway), null, null, null);
        }

        if (tunnel is null)
        {
            return attempt.Finish(failed, null, null, null);
        }

        attempt.MarkTunnelled(tunnel, $"RD Gateway {gateway}", tunnel.LocalEndPoint, tunnel.GatewayEndPoint, target);
        await using (tunnel.ConfigureAwait(false))
        {
            return await DriveAsync(attempt, tunnel, target.Host, cancellationToken, beforeReport: () => hop.CloseAsync(tunnel, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Drives the connector over <paramref name="transport"/> with the services it needs, and reports.</summary>
    private async Task<ProbeReport> DriveAsync(Attempt attempt, IRdpTransport transport, string? hostName, CancellationToken cancellationToken, ProbeTarget? target = null, Func<Task>? beforeReport = null)
    {
        ProbeOptions options = attempt.Options;
        using var ntlm = new NtlmPackage(options.Credentials, $"TERMSRV/{hostName ?? "localhost"}", _time);
        using IDisposable? authentication = AuthenticationFor(options, hostName, ntlm, out IAuthenticationPackage package);
        using var licensing = new LicensingProvider(options.Credentials?.User ?? "rdphs", options.Session.Core.ClientNameText);
        ProbeTlsSession? tls = null;
        var services = new ConnectorServices
        {
            Random = SystemRandom.Instance,
            TlsSession = () => tls = CreateTlsSession(options, hostName),
            Authentication = package,
            StandardSecurity = new StandardSecurityProvider(keyLog: options.KeyLog),
            Licensing = licensing,
            ProxyPassword = options.Proxy?.Password is { } proxyPassword ? new ProxySettings.PasswordSource(proxyPassword) : null,
        };
        ClientConnectorOptions connectorOptions = ConnectorOptions(options);
        if (options.Proxy is { } proxy && target is not null)
        {
            // The server's name goes to the proxy as given, for the proxy to resolve (SOCKS5 ATYP 3, CONNECT host:port).
            connectorOptions = connectorOptions with { Proxy = ProxyTunnelFor(proxy, target) };
        }

        var connector = new ClientConnector(connectorOptions, services, options.Sequence);
        Diagnosis? diagnosis;
        try
        {
            await using var driver = new ConnectionDriver(attempt, transport, options.ReadTimeout, new KdcLocator(options.Kerberos), options.ConnectTimeout);
            diagnosis = await driver.DriveAsync(connector, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            diagnosis = attempt.FailInternally(ex, ex is OperationCanceledException && cancellationToken.IsCancellationRequested, connector.State.Reached);
        }

        if (beforeReport is not null)
        {
            try
            {
                await beforeReport().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException or ObjectDisposedException)
            {
                // Closing the tunnel is recorded when it can be; the verdict is the sequence's.
            }
        }

        CredSspResult? credssp = connector.State.CredSsp is { } facts
            ? new CredSspResult(facts.ServerVersion, ntlm.Challenge, facts.SupportedMech)
            {
                NtlmInSpnego = facts.Spnego,
                Package = (package as NegotiatePackage)?.Current.Name ?? package.Name,
            }
            : null;
        return attempt.Finish(diagnosis, connector.State, tls, credssp);
    }

    /// <summary>
    /// The package CredSSP authenticates with: NTLM; Kerberos; or Negotiate, which tries Kerberos when the user names
    /// a realm and the server has a name to make a principal of (an IP address has none unless <c>--spn</c> gives
    /// one), as Windows does, and NTLM otherwise. The result disposes what it created besides <paramref name="ntlm"/>.
    /// </summary>
    private IDisposable? AuthenticationFor(ProbeOptions options, string? hostName, NtlmPackage ntlm, out IAuthenticationPackage package)
    {
        package = ntlm;
        // Kerberos needs SPNEGO; a run that sends NTLM bare (FreeRDP 2 servers) is an NTLM run.
        if (options.Authentication == AuthPackage.Ntlm || (!options.NtlmInSpnego && options.Authentication == AuthPackage.Negotiate) || options.Credentials is not { } credentials)
        {
            return null;
        }

        string? whyNot = KerberosUnavailable(options, credentials, hostName);
        KerberosPackage? kerberos = whyNot is null ? new KerberosPackage(credentials, KerberosOptionsFor(options, credentials, hostName!), _time) : null;
        if (options.Authentication == AuthPackage.Kerberos)
        {
            package = kerberos ?? throw new InvalidOperationException($"Kerberos was asked for and cannot run: {whyNot}");
            return kerberos;
        }

        var negotiate = new NegotiatePackage(kerberos, ntlm, whyNot);
        package = negotiate;
        return kerberos;
    }

    /// <summary>Why Kerberos cannot be tried, or null: it needs a realm, and a server principal (the target's name, or <c>--spn</c>).</summary>
    public static string? KerberosUnavailable(ProbeOptions options, Credentials credentials, string? hostName)
    {
        if (credentials.Domain.Length == 0)
        {
            return "the user names no realm (write user@REALM or REALM\\user for Kerberos)";
        }

        if (options.Kerberos.ServicePrincipal is null && (hostName is null || IPAddress.TryParse(hostName, out _)))
        {
            return "the target is an IP address, which no service principal names (give --spn TERMSRV/NAME for Kerberos)";
        }

        return null;
    }

    private static KerberosOptions KerberosOptionsFor(ProbeOptions options, Credentials credentials, string hostName)
    {
        PrincipalName service = options.Kerberos.ServicePrincipal is { } spn && PrincipalName.TryParseService(spn, out PrincipalName? parsed)
            ? parsed!
            : KerberosOptions.ServiceFor(hostName);
        KdcTransport transport = options.Kerberos.Kdcs.FirstOrDefault()?.Transport ?? KdcTransport.Tcp;
        return new KerberosOptions(credentials.Domain.ToUpperInvariant(), service, options.Kerberos.Etypes, transport);
    }

    /// <summary>What the connector is told: the probe's options, with the user of the credentials in the Client Info.</summary>
    private static ClientConnectorOptions ConnectorOptions(ProbeOptions options) => new()
    {
        Negotiation = options.Negotiation,
        Session = options.Session with
        {
            UserName = options.Session.UserName.Length > 0 ? options.Session.UserName : options.Credentials?.User ?? string.Empty,
            Domain = options.Session.Domain.Length > 0 ? options.Session.Domain : options.Credentials?.Domain ?? string.Empty,
        },
        Until = options.Until,
        StopWhereCredentialsAreNeeded = options.StopWhereCredentialsAreNeeded,
        CredSspVersion = options.CredSspVersion,
        UseSpnego = options.NtlmInSpnego,
        TlsStopAfter = options.TlsStopAfter,
    };

    /// <summary>The TLS client for a connection to <paramref name="hostName"/>: SNI is its DNS name, never an IP address.</summary>
    private ProbeTlsSession CreateTlsSession(ProbeOptions options, string? hostName)
    {
        string? serverName = options.Tls.ServerName
            ?? (options.SendServerName && hostName is not null && !IPAddress.TryParse(hostName, out _) ? hostName : null);
        var session = new TlsClientSession(options.Tls with { ServerName = serverName }, keyLog: options.KeyLog);
        return new ProbeTlsSession(session, serverName, hostName, _time.GetUtcNow, options.Trust, options.CertificatePolicy);
    }

    /// <summary>
    /// The <c>tcp.connect</c> step (or <c>proxy.connect</c>, to the proxy in front of the server): name resolution and
    /// the TCP handshake under the connect timeout.
    /// </summary>
    private static async Task<(IRdpTransport? Transport, Diagnosis? Failure)> ConnectAsync(Attempt attempt, ProbeTarget target, string stepName, ConnectionPhase phase,
        CancellationToken cancellationToken)
    {
        ProbeOptions options = attempt.Options;
        StepRecord step = attempt.Begin(stepName, phase);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.ConnectTimeout);
        string connectTimeout = $"{options.ConnectTimeout.TotalSeconds:0.###} s";
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(target.Host, out IPAddress? literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(target.Host, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, Interrupted(attempt, step));
        }
        catch (OperationCanceledException)
        {
            return (null, Fail(attempt, step, CauseId.ConnectTimeout, $"resolving {target.Host} took longer than the connect timeout ({connectTimeout})", null));
        }
        catch (SocketException ex)
        {
            return (null, Fail(attempt, step, CauseId.NameNotResolved, $"{target.Host} does not resolve: {ex.Message}", ex.SocketErrorCode));
        }

        if (addresses.Length == 0)
        {
            return (null, Fail(attempt, step, CauseId.NameNotResolved, $"{target.Host} resolved to no address", null));
        }

        var fields = new List<StepField> { new("host", target.Host), new("port", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
        if (addresses.Length > 1 || !IPAddress.TryParse(target.Host, out _))
        {
            fields.Add(new StepField("resolved", string.Join(", ", addresses.Select(a => a.ToString()))));
        }

        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                var remote = new IPEndPoint(address, target.Port);
                await socket.ConnectAsync(remote, deadline.Token).ConfigureAwait(false);
                SocketTransport transport = SocketTransport.Create(socket, remote);
                attempt.MarkConnected(transport, step, fields);
                return (transport, null);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                return (null, Interrupted(attempt, step));
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return (null, Fail(attempt, step, CauseId.ConnectTimeout, $"no answer from {(phase == ConnectionPhase.Proxy ? "the proxy " : string.Empty)}{address}:{target.Port} within the connect timeout ({connectTimeout})", SocketError.TimedOut, fields));
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
        }

        SocketError error = last?.SocketErrorCode ?? SocketError.SocketError;
        CauseId cause = error switch
        {
            SocketError.ConnectionRefused => CauseId.ConnectionRefused,
            SocketError.ConnectionReset or SocketError.ConnectionAborted => CauseId.Reset,
            SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => CauseId.Unreachable,
            SocketError.TimedOut => CauseId.ConnectTimeout,
            _ => CauseId.SocketError,
        };
        return (null, Fail(attempt, step, cause, $"connecting to {(phase == ConnectionPhase.Proxy ? "the proxy " : string.Empty)}{target} failed: {last?.Message ?? error.ToString()}", error, fields));
    }

    private static Diagnosis Interrupted(Attempt attempt, StepRecord step)
    {
        attempt.End(step, StepOutcome.Interrupted, "interrupted");
        return attempt.Diagnose(new Cause(step.Phase, CauseId.Interrupted), "interrupted while connecting", step);
    }

    private static Diagnosis Fail(Attempt attempt, StepRecord step, CauseId cause, string summary, SocketError? error, IReadOnlyList<StepField>? fields = null)
    {
        attempt.End(step, StepOutcome.Failed, summary, fields);
        return attempt.Diagnose(new Cause(step.Phase, cause), summary, step, socketError: error);
    }

    /// <summary>The tunnel asked of <paramref name="proxy"/>: the server as given, with its bytes when it is an IP address.</summary>
    internal static ProxyTunnelRequest ProxyTunnelFor(ProxySettings proxy, ProbeTarget target) =>
        new(proxy.Kind, target.Host, target.Port, proxy.User)
        {
            TargetAddress = IPAddress.TryParse(target.Host, out IPAddress? address) ? new ReadOnlyMemory<byte>(address.GetAddressBytes()) : null,
        };

    /// <summary>The system's cryptographic random number generator, for the core's nonces.</summary>
    private sealed class SystemRandom : IRandomSource
    {
        public static SystemRandom Instance { get; } = new();

        public void Fill(Span<byte> buffer) => RandomNumberGenerator.Fill(buffer);
    }
}
