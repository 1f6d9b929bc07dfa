namespace RdpHandshake.TestServer;

/// <summary>What the test server does wrong at a step, instead of answering correctly.</summary>
public enum FaultKind
{
    /// <summary>Close the socket (FIN) without answering.</summary>
    Close,

    /// <summary>Reset the connection (RST) without answering.</summary>
    Reset,

    /// <summary>Never answer; keep the connection open.</summary>
    Stall,

    /// <summary>Answer with bytes that are not the expected PDU at all.</summary>
    Garbage,

    /// <summary>Send the first part of the correct answer, then close.</summary>
    Truncated,

    /// <summary>Send the answer with its length field set to the largest value the field can hold.</summary>
    OversizeLength,

    /// <summary>Send the answer with a wrong TPKT version byte.</summary>
    WrongTpktVersion,

    /// <summary>Send the correct answer one byte at a time, <see cref="Fault.DripInterval"/> apart.</summary>
    Drip,

    /// <summary>Answer with an X.224 Disconnect Request instead of a Connection Confirm.</summary>
    DisconnectRequest,

    /// <summary>
    /// Answer the ClientHello with a fatal handshake_failure alert; at a later step of a TLS connection, send a fatal
    /// internal_error alert inside the session instead of the answer (on Standard RDP Security, where there is no TLS,
    /// the same alert record goes out in the clear, as from a TLS terminator the client did not expect).
    /// </summary>
    Alert,

    /// <summary>
    /// Answer with an MCS Disconnect Provider Ultimatum, as xrdp does when its TLS layer cannot start; after
    /// X.224 the reason is rn-provider-initiated and the server then closes.
    /// </summary>
    Ultimatum,

    /// <summary>
    /// Refuse in the PDU's own terms, then close: Connect Response rt-unspecified-failure, Attach User Confirm
    /// rt-too-many-users, Channel Join Confirm rt-no-such-channel, a license error ERR_NO_LICENSE_SERVER with
    /// ST_TOTAL_ABORT, or, for the Kerberos AP-REQ, a TSRequest whose SPNEGO NegTokenResp says negState reject
    /// (RFC 4178 4.2.2) with neither token nor errorCode.
    /// </summary>
    Reject,

    /// <summary>
    /// Send a Set Error Info PDU with <see cref="TestServerOptions.ErrorInfo"/>, then an MCS Disconnect Provider
    /// Ultimatum, then close: how Windows ends a connection it denies (MS-RDPBCGR 2.2.5.1, 3.3.5.7.1).
    /// </summary>
    ErrorInfo,

    /// <summary>
    /// Instead of the answer, send valid PDUs that answer nothing (Save Session Info plain notices), up to a
    /// thousand or until the server's read timeout passes: a server stuck in a loop.
    /// </summary>
    Flood,

    /// <summary>
    /// The same useless PDUs as <see cref="Flood"/>, but one every <see cref="Fault.DripInterval"/>, until the client
    /// leaves: each arrives well within a read timeout, so only a deadline for the whole answer ends the wait.
    /// </summary>
    Trickle,

    /// <summary>
    /// Send the answer with a BER length inside it that claims 2 GB (<c>84 7F FF FF FF</c>), in a frame of the right
    /// size (for CredSSP, the TSRequest's own DER length): a client that allocated from the length, or waited for
    /// it, would fall over.
    /// </summary>
    HugeLength,

    /// <summary>Send the previous answer again instead of this one: a duplicate PDU of the wrong type for this step.</summary>
    RepeatPrevious,

    /// <summary>Answer the Connection Request as a web server answers bytes it cannot parse (HTTP 400), then close.</summary>
    Http,

    /// <summary>Answer with an SSH identification string (RFC 4253 4.2), as an SSH server greets every client, then close.</summary>
    Ssh,

    /// <summary>Answer with an SMB2 error response in a NetBIOS session header, as an SMB server answers a request it cannot use, then close.</summary>
    Smb,

    /// <summary>Answer with an RFB protocol version (RFC 6143 7.1.1), as a VNC server greets every client, then close.</summary>
    Vnc,

    /// <summary>
    /// Answer as a TLS server does when it reads the Connection Request as a TLS record of no known type: a fatal
    /// unexpected_message alert, then close (a TLS service on the port, without the X.224 negotiation RDP starts with).
    /// </summary>
    TlsWithoutX224,
}

/// <summary>A fault injected at a named step, e.g. <c>x224.confirm:reset</c>.</summary>
/// <param name="Step">The client-side step name the fault hits (<see cref="FaultSteps"/>).</param>
/// <param name="Kind">What goes wrong.</param>
public sealed record Fault(string Step, FaultKind Kind)
{
    /// <summary>The pause between bytes for <see cref="FaultKind.Drip"/>, and between PDUs for <see cref="FaultKind.Trickle"/>.</summary>
    public TimeSpan DripInterval { get; init; } = TimeSpan.FromSeconds(1);

    public override string ToString() => $"{Step}:{FaultNames.Name(Kind)}";

    /// <summary>Parses <c>STEP:KIND</c>; on failure <paramref name="error"/> names what is wrong.</summary>
    public static bool TryParse(string text, out Fault? fault, out string? error)
    {
        fault = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}': expected STEP:KIND, e.g. x224.confirm:reset";
            return false;
        }

        string step = text[..colon].Trim().ToLowerInvariant();
        string kindText = text[(colon + 1)..].Trim();
        if (!FaultSteps.All.Contains(step))
        {
            error = $"'{text}': unknown step '{step}' (known: {string.Join(", ", FaultSteps.All)})";
            return false;
        }

        if (!FaultNames.TryParse(kindText, out FaultKind kind))
        {
            error = $"'{text}': unknown fault '{kindText}' (known: {string.Join(", ", FaultNames.AllNames)})";
            return false;
        }

        if (!FaultSteps.KindsAt(step).Contains(kind))
        {
            error = $"'{text}': {FaultNames.Name(kind)} is not available at {step} (available: {string.Join(", ", FaultSteps.KindsAt(step).Select(FaultNames.Name))})";
            return false;
        }

        fault = new Fault(step, kind);
        error = null;
        return true;
    }
}

/// <summary>The steps at which the test server can inject a fault.</summary>
public static class FaultSteps
{
    /// <summary>Right after accepting the TCP connection, before reading anything.</summary>
    public const string TcpAccept = "tcp.accept";

    /// <summary>The server's answer to the X.224 Connection Request.</summary>
    public const string X224Confirm = "x224.confirm";

    /// <summary>The server's answer to the TLS ClientHello.</summary>
    public const string TlsServerHello = "tls.server-hello";

    /// <summary>The server's CredSSP answer to the NTLM NEGOTIATE: the TSRequest with the NTLM CHALLENGE.</summary>
    public const string CredSspChallenge = "credssp.challenge";

    /// <summary>
    /// The server's CredSSP answer to the Kerberos AP-REQ (in the client's SPNEGO NegTokenInit): the TSRequest whose
    /// NegTokenResp carries the AP-REP (served with <see cref="TestServerOptions.KerberosKeytab"/>).
    /// </summary>
    public const string CredSspApReply = "credssp.ap-reply";

    /// <summary>
    /// The server's CredSSP answer to the client's pubKeyAuth: the TSRequest with its own pubKeyAuth (with NTLM, the
    /// answer to the AUTHENTICATE, which carries the client's pubKeyAuth).
    /// </summary>
    public const string CredSspPubKey = "credssp.pubkey";

    /// <summary>The server's MCS Connect Response (the client waits for it after its Connect Initial).</summary>
    public const string McsConnectResponse = "mcs.connect-response";

    /// <summary>The server's MCS Attach User Confirm.</summary>
    public const string McsAttachUserConfirm = "mcs.attach-user-confirm";

    /// <summary>The server's MCS Channel Join Confirm (the fault hits the first join, whichever channel it is).</summary>
    public const string McsChannelJoinConfirm = "mcs.channel-join-confirm";

    /// <summary>The server's licensing PDU after the Client Info PDU.</summary>
    public const string LicensingLicense = "licensing.license";

    /// <summary>The server's Demand Active PDU.</summary>
    public const string CapabilitiesDemandActive = "capabilities.demand-active";

    /// <summary>The server's finalization PDUs (Synchronize, Control Cooperate, Control Granted Control, Font Map).</summary>
    public const string FinalizationFontMap = "finalization.font-map";

    /// <summary>The steps only a Kerberos client reaches (the test server then needs a keytab and the client a KDC).</summary>
    public static IReadOnlyList<string> Kerberos { get; } = [CredSspApReply];

    public static IReadOnlyList<string> All { get; } =
    [
        TcpAccept, X224Confirm, TlsServerHello, CredSspChallenge, CredSspApReply, CredSspPubKey, McsConnectResponse, McsAttachUserConfirm, McsChannelJoinConfirm,
        LicensingLicense, CapabilitiesDemandActive, FinalizationFontMap,
    ];

    private static readonly FaultKind[] SessionKinds =
        [FaultKind.Close, FaultKind.Reset, FaultKind.Stall, FaultKind.Garbage, FaultKind.Truncated, FaultKind.Ultimatum, FaultKind.Drip, FaultKind.OversizeLength, FaultKind.Alert, FaultKind.RepeatPrevious];

    /// <summary>The fault kinds each step supports.</summary>
    public static IReadOnlyList<FaultKind> KindsAt(string step) => step switch
    {
        TcpAccept => [FaultKind.Close, FaultKind.Reset, FaultKind.Stall],
        X224Confirm => [FaultKind.Close, FaultKind.Reset, FaultKind.Stall, FaultKind.Garbage, FaultKind.Truncated, FaultKind.OversizeLength, FaultKind.WrongTpktVersion, FaultKind.Drip, FaultKind.DisconnectRequest,
            FaultKind.Http, FaultKind.Ssh, FaultKind.Smb, FaultKind.Vnc, FaultKind.TlsWithoutX224],
        TlsServerHello => [FaultKind.Close, FaultKind.Reset, FaultKind.Stall, FaultKind.Garbage, FaultKind.Truncated, FaultKind.Alert, FaultKind.Ultimatum, FaultKind.OversizeLength, FaultKind.Drip],
        CredSspChallenge or CredSspPubKey => [FaultKind.Close, FaultKind.Reset, FaultKind.Stall, FaultKind.Garbage, FaultKind.Truncated, FaultKind.Drip, FaultKind.Alert, FaultKind.HugeLength],
        CredSspApReply => [FaultKind.Close, FaultKind.Reset, FaultKind.Stall, FaultKind.Garbage, FaultKind.Truncated, FaultKind.Drip, FaultKind.Alert, FaultKind.HugeLength, FaultKind.Reject],
        McsConnectResponse => [.. SessionKinds, FaultKind.Reject, FaultKind.HugeLength],
        McsAttachUserConfirm or McsChannelJoinConfirm => [.. SessionKinds, FaultKind.Reject],
        LicensingLicense => [.. SessionKinds, FaultKind.Reject, FaultKind.ErrorInfo, FaultKind.Flood, FaultKind.Trickle],
        CapabilitiesDemandActive or FinalizationFontMap => [.. SessionKinds, FaultKind.ErrorInfo, FaultKind.Flood, FaultKind.Trickle],
        _ => [],
    };
}

public static class FaultNames
{
    public static string Name(FaultKind kind) => kind switch
    {
        FaultKind.Close => "close",
        FaultKind.Reset => "reset",
        FaultKind.Stall => "stall",
        FaultKind.Garbage => "garbage",
        FaultKind.Truncated => "truncated",
        FaultKind.OversizeLength => "oversize-length",
        FaultKind.WrongTpktVersion => "wrong-tpkt-version",
        FaultKind.Drip => "drip",
        FaultKind.DisconnectRequest => "disconnect-request",
        FaultKind.Alert => "alert",
        FaultKind.Ultimatum => "ultimatum",
        FaultKind.Reject => "reject",
        FaultKind.ErrorInfo => "error-info",
        FaultKind.Flood => "flood",
        FaultKind.Trickle => "trickle",
        FaultKind.HugeLength => "huge-length",
        FaultKind.RepeatPrevious => "repeat-previous",
        FaultKind.Http => "http",
        FaultKind.Ssh => "ssh",
        FaultKind.Smb => "smb",
        FaultKind.Vnc => "vnc",
        FaultKind.TlsWithoutX224 => "tls",
        _ => kind.ToString().ToLowerInvariant(),
    };

    public static IReadOnlyList<string> AllNames { get; } = Enum.GetValues<FaultKind>().Select(Name).ToArray();

    public static bool TryParse(string text, out FaultKind kind)
    {
        foreach (FaultKind candidate in Enum.GetValues<FaultKind>())
        {
            if (string.Equals(Name(candidate), text, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
