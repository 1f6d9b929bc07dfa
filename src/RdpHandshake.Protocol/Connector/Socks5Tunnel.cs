using System.Buffers;
using System.Security.Cryptography;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Proxy;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// A SOCKS5 proxy's tunnel to the RDP server (RFC 1928, RFC 1929), over the TCP connection to the proxy: the method
/// negotiation and the username/password exchange (<c>proxy.auth</c>), then CONNECT with the target's name for the
/// proxy to resolve (<c>proxy.tunnel</c>). Once the proxy answers succeeded, the same connection carries RDP.
/// </summary>
public sealed class Socks5Tunnel(ConnectionState connection, ProxyTunnelRequest request) : ProxyTunnelSequence<Socks5Tunnel.Steps>(Steps.SendMethods, ProxyKind.Socks5, "a SOCKS5 proxy")
{
    public enum Steps
    {
        SendMethods,
        WaitMethodSelection,
        WaitAuthenticationStatus,
        SendConnect,
        WaitReply,
    }

    protected override StepPlan Plan(Steps state) => state switch
    {
        Steps.SendMethods => new StepPlan(ProxySteps.Auth, ConnectionPhase.Proxy, null, FrameLayer.Transport),
        Steps.WaitMethodSelection => new StepPlan(ProxySteps.Auth, ConnectionPhase.Proxy,
            Fixed(ProxySteps.Auth, Socks5MethodSelection.PduName, Socks5MethodRequest.Version5), FrameLayer.Transport),
        Steps.WaitAuthenticationStatus => new StepPlan(ProxySteps.Auth, ConnectionPhase.Proxy,
            Fixed(ProxySteps.Auth, Socks5UsernamePasswordStatus.PduName, Socks5UsernamePasswordRequest.SubnegotiationVersion), FrameLayer.Transport),
        Steps.SendConnect => new StepPlan(ProxySteps.Tunnel, ConnectionPhase.Proxy, null, FrameLayer.Transport),
        Steps.WaitReply => new StepPlan(ProxySteps.Tunnel, ConnectionPhase.Proxy,
            new SizerFrameHint(ProxySteps.Tunnel, Socks5Reply.PduName, Socks5Reply.MaxSize, NonRdpAnswer.PeekLength, Socks5Reply.FindFrameSize), FrameLayer.Transport),
    };

    protected override StepResult Run(Steps state, ReadOnlySpan<byte> input, IBufferWriter<byte> output) => state switch
    {
        Steps.SendMethods => SendMethods(output),
        Steps.WaitMethodSelection => ReceiveMethodSelection(input, output),
        Steps.WaitAuthenticationStatus => ReceiveAuthenticationStatus(input),
        Steps.SendConnect => SendConnect(output),
        Steps.WaitReply => ReceiveReply(input),
    };

    /// <summary>A two-byte answer whose first byte is a version: anything else there is another protocol's answer.</summary>
    private static SizerFrameHint Fixed(string step, string pdu, byte version) =>
        new(step, pdu, 2, NonRdpAnswer.PeekLength, buffered => buffered.IsEmpty ? FrameSize.NeedMore(1)
            : buffered[0] != version ? FrameSize.Invalid(new DecodeError(DecodeErrorKind.UnsupportedVersion, pdu, "ver", $"expected {version}, got 0x{buffered[0]:x2}", 0, version, buffered[0]))
            : FrameSize.Complete(2));

    private StepResult SendMethods(IBufferWriter<byte> output)
    {
        byte[] methods = request.User is null ? [Socks5Methods.NoAuthentication] : [Socks5Methods.NoAuthentication, Socks5Methods.UsernamePassword];
        Pdu.Encode(new Socks5MethodRequest(methods), output);
        connection.Proxy = new ProxyFacts(ProxyKind.Socks5);
        State = Steps.WaitMethodSelection;
        string offered = string.Join(", ", methods.Select(Socks5Methods.Name));
        return new StepResult(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5MethodRequest.PduName, [new("methods", offered)], $"offered {offered}") { Continues = true };
    }

    private StepResult ReceiveMethodSelection(ReadOnlySpan<byte> frame, IBufferWriter<byte> output)
    {
        DecodeResult<Socks5MethodSelection> decoded = Pdu.Decode<Socks5MethodSelection>(frame);
        if (!decoded.IsSuccess)
        {
            return MalformedAnswer(decoded.Error);
        }

        byte method = decoded.Value.Method;
        List<StepField> fields = [new("method", $"{Socks5Methods.Name(method)} (0x{method:x2})")];
        connection.Proxy = connection.Proxy! with { Method = Socks5Methods.Name(method) };
        switch (method)
        {
            case Socks5Methods.NoAuthentication:
                State = Steps.SendConnect;
                return new StepResult(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5MethodSelection.PduName, fields, "the proxy asks for no authentication");
            case Socks5Methods.UsernamePassword when request.User is { } user && connection.Services.ProxyPassword is { } password:
                return SendUsernamePassword(user, password, fields, output);
            case Socks5Methods.UsernamePassword:
                return Fail(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5MethodSelection.PduName, fields, new ProtocolFailure(CauseId.ProxyAuthRequired,
                    "the SOCKS5 proxy requires a username and password (RFC 1929), and none was given"));
            case Socks5Methods.NoAcceptableMethods:
                string offered = request.User is null ? "no authentication" : "no authentication or username/password";
                return Fail(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5MethodSelection.PduName, fields, new ProtocolFailure(CauseId.ProxyNoAcceptableMethod,
                    $"the SOCKS5 proxy accepts none of the methods offered ({offered}): X'FF' no acceptable methods"));
            default:
                return Fail(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5MethodSelection.PduName, fields, new ProtocolFailure(CauseId.ProxyNoAcceptableMethod,
                    $"the SOCKS5 proxy selected {Socks5Methods.Name(method)} (0x{method:x2}), which was not offered"));
        }
    }

    private StepResult SendUsernamePassword(string user, IProxyPassword password, List<StepField> fields, IBufferWriter<byte> output)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(user);
        byte[] secret = new byte[password.Utf8Length];
        try
        {
            password.CopyUtf8(secret);
            if (name.Length is 0 or > Socks5UsernamePasswordRequest.MaxFieldLength || secret.Length is 0 or > Socks5UsernamePasswordRequest.MaxFieldLength)
            {
                return Fail(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5UsernamePasswordRequest.PduName, fields, new ProtocolFailure(CauseId.ProxyAuthFailed,
                    $"RFC 1929 carries a user name and a password of 1 to 255 bytes each; this user name has {name.Length}, this password {secret.Length}"));
            }

            var authentication = new Socks5UsernamePasswordRequest(name, secret);
            Pdu.Encode(authentication, output);
            State = Steps.WaitAuthenticationStatus;
            fields.Add(new StepField("user", user));
            fields.Add(new StepField("password", $"({secret.Length} bytes, not shown)"));
            return new StepResult(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5UsernamePasswordRequest.PduName, fields, $"the proxy asks for a username and password: sent user {user}")
            {
                Continues = true,
                RedactedOutput = Pdu.Encode(authentication.Redacted()),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private StepResult ReceiveAuthenticationStatus(ReadOnlySpan<byte> frame)
    {
        DecodeResult<Socks5UsernamePasswordStatus> decoded = Pdu.Decode<Socks5UsernamePasswordStatus>(frame);
        if (!decoded.IsSuccess)
        {
            return MalformedAnswer(decoded.Error);
        }

        List<StepField> fields = [new("method", $"{Socks5Methods.Name(Socks5Methods.UsernamePassword)} (0x02)"), new("user", request.User!), new("status", $"0x{decoded.Value.Status:x2}")];
        if (!decoded.Value.Succeeded)
        {
            return Fail(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5UsernamePasswordStatus.PduName, fields, new ProtocolFailure(CauseId.ProxyAuthFailed,
                $"the SOCKS5 proxy refused user {request.User} (RFC 1929 status 0x{decoded.Value.Status:x2})") { Code = decoded.Value.Status });
        }

        connection.Proxy = connection.Proxy! with { AuthenticatedAs = request.User };
        State = Steps.SendConnect;
        return new StepResult(ProxySteps.Auth, ConnectionPhase.Proxy, Socks5UsernamePasswordStatus.PduName, fields, $"the proxy accepted user {request.User}");
    }

    private StepResult SendConnect(IBufferWriter<byte> output)
    {
        // An IP address goes as one (the engine gives its bytes), anything else as a name for the proxy to resolve.
        Socks5Address destination = request.TargetAddress is { Length: 4 or 16 } ip
            ? Socks5Address.Ip(ip.Span, (ushort)request.TargetPort)
            : Socks5Address.Name(request.TargetHost, (ushort)request.TargetPort);
        if (destination.Type == Socks5AddressType.DomainName
            && (request.TargetHost.Length is 0 or > Socks5Address.MaxDomainNameLength || request.TargetHost.Any(c => c is < '!' or > '~')))
        {
            return Fail(ProxySteps.Tunnel, ConnectionPhase.Proxy, Socks5Request.PduName, [new("dst", request.TargetHost)], new ProtocolFailure(CauseId.NameNotResolved,
                $"'{request.TargetHost}' cannot be sent to a SOCKS5 proxy: a name there is 1 to {Socks5Address.MaxDomainNameLength} printable ASCII characters (IDNA names in their xn-- form)"));
        }

        Pdu.Encode(new Socks5Request(Socks5Command.Connect, destination), output);
        State = Steps.WaitReply;
        string how = destination.Type == Socks5AddressType.DomainName ? "by name, for the proxy to resolve" : "by address";
        return new StepResult(ProxySteps.Tunnel, ConnectionPhase.Proxy, Socks5Request.PduName,
            [new("cmd", "CONNECT"), new("atyp", destination.Type.ToString()), new("dst", destination.ToString())],
            $"CONNECT {destination} ({how})") { Continues = true };
    }

    private StepResult ReceiveReply(ReadOnlySpan<byte> frame)
    {
        DecodeResult<Socks5Reply> decoded = Pdu.Decode<Socks5Reply>(frame);
        if (!decoded.IsSuccess)
        {
            return MalformedAnswer(decoded.Error);
        }

        Socks5Reply reply = decoded.Value;
        List<StepField> fields = [new("rep", $"{Socks5ReplyNames.Meaning(reply.Reply)} (0x{reply.Reply:x2})"), new("bnd", reply.Bound.ToString())];
        if (!reply.Succeeded)
        {
            return Refused(reply.Reply, fields);
        }

        connection.Proxy = connection.Proxy! with { Bound = reply.Bound.ToString(), Tunnelled = true };
        connection.Reach(ConnectionPhase.Proxy);
        Complete();
        return new StepResult(ProxySteps.Tunnel, ConnectionPhase.Proxy, Socks5Reply.PduName, fields,
            $"the proxy connected to {request.Authority} (from {reply.Bound})");
    }

    private StepResult Refused(byte code, IReadOnlyList<StepField> fields) =>
        Fail(ProxySteps.Tunnel, ConnectionPhase.Proxy, Socks5Reply.PduName, fields, new ProtocolFailure(CauseId.SocksReply,
            $"the SOCKS5 proxy did not connect to {request.Authority}: {Socks5ReplyNames.Meaning(code)} (REP 0x{code:x2})")
        { Detail = Socks5ReplyNames.Name(code), Code = code });

    /// <summary>
    /// An answer that cannot be framed: another protocol's (an HTTP proxy's error page, a SOCKS4 reject), a reply whose
    /// failure code arrived with an address that does not parse (the code still says why), or plain garbage.
    /// </summary>
    public override StepResult RejectFrame(DecodeError error, ReadOnlySpan<byte> received)
    {
        if (State == Steps.WaitReply && received.Length >= 2 && received[0] == Socks5MethodRequest.Version5 && received[1] != 0)
        {
            return Refused(received[1], [new("rep", $"{Socks5ReplyNames.Meaning(received[1])} (0x{received[1]:x2})"), new("error", error.ToString())]);
        }

        return UnexpectedAnswer(error, received);
    }
}
