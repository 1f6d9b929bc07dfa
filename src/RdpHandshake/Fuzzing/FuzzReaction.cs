using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Tls;
using RdpHandshake.Transport;

namespace RdpHandshake.Fuzzing;

/// <summary>How the server reacted to one fuzz case.</summary>
public enum FuzzReaction
{
    /// <summary>A well-formed next PDU: Connection Confirm with RDP_NEG_RSP, ServerHello, TSRequest with a token, Connect Response with rt-successful.</summary>
    Accepted,

    /// <summary>An X.224 Connection Confirm with RDP_NEG_FAILURE (the detail names the code).</summary>
    NegotiationFailure,

    /// <summary>A TLS alert (the detail names it).</summary>
    Alert,

    /// <summary>A refusal in the protocol's own terms: CredSSP errorCode, MCS result other than success, Disconnect Provider Ultimatum, X.224 Disconnect Request.</summary>
    ErrorAnswer,

    /// <summary>The server closed the connection (FIN) without a whole answer.</summary>
    Closed,

    /// <summary>The server reset the connection (RST).</summary>
    Reset,

    /// <summary>No whole answer within the timeout; the connection stayed open.</summary>
    Timeout,

    /// <summary>An answer that is not the PDU expected there, or does not decode.</summary>
    MalformedAnswer,

    /// <summary>The correct steps before the mutated PDU failed (connection refused, TLS not selected): the case did not run.</summary>
    SetupFailed,

    /// <summary>After the case, the server no longer accepted connections (the liveness probe failed).</summary>
    Crashed,
}

/// <summary>The report names of <see cref="FuzzReaction"/>.</summary>
public static class FuzzReactionNames
{
    public static IReadOnlyList<FuzzReaction> All { get; } = Enum.GetValues<FuzzReaction>();

    public static string Name(FuzzReaction reaction) => reaction switch
    {
        FuzzReaction.Accepted => "accepted",
        FuzzReaction.NegotiationFailure => "negotiation-failure",
        FuzzReaction.Alert => "alert",
        FuzzReaction.ErrorAnswer => "error-answer",
        FuzzReaction.Closed => "closed",
        FuzzReaction.Reset => "reset",
        FuzzReaction.Timeout => "timeout",
        FuzzReaction.MalformedAnswer => "malformed-answer",
        FuzzReaction.SetupFailed => "setup-failed",
        _ => "crashed",
    };
}

/// <summary>A reaction and the words that go with it (the failure code, the alert name, what ended the wait).</summary>
public readonly record struct Classification(FuzzReaction Reaction, string Detail);

/// <summary>
/// Turns what the server sent back into a <see cref="FuzzReaction"/>: pure functions over the bytes and the way
/// the wait ended, one per layer, so they can be tested on canned answers.
/// </summary>
public static class FuzzClassifier
{
    /// <summary>A wait that ended without a frame: timeout, FIN, RST, or bytes that cannot start the expected frame.</summary>
    public static Classification WithoutFrame(FrameReadResult read, TimeSpan timeout)
    {
        string partial = read.Bytes.Length == 0 ? string.Empty : $" after {read.Bytes.Length} byte(s) of an answer";
        return read.Status switch
        {
            FrameReadStatus.Timeout => new(FuzzReaction.Timeout, $"no whole answer within {timeout.TotalSeconds:0.###} s{partial}"),
            FrameReadStatus.Invalid => new(FuzzReaction.MalformedAnswer, $"the answer cannot start the expected frame: {read.Error}"),
            FrameReadStatus.Cancelled => new(FuzzReaction.Timeout, "interrupted"),
            _ => read.End?.Kind switch
            {
                TransportEndKind.Reset => new(FuzzReaction.Reset, $"the server reset the connection{partial}"),
                TransportEndKind.Closed => new(FuzzReaction.Closed, $"{read.End.Detail ?? "the server closed the connection"}{partial}"),
                _ => new(FuzzReaction.Reset, $"{read.End?.Describe() ?? "the connection ended"}{partial}"),
            },
        };
    }

    /// <summary>The answer to an X.224 Connection Request (one TPKT frame).</summary>
    public static Classification X224(ReadOnlySpan<byte> frame)
    {
        DecodeResult<X224ConnectionConfirm> confirm = Pdu.Decode<X224ConnectionConfirm>(frame);
        if (confirm.IsSuccess)
        {
            X224ConnectionConfirm cc = confirm.Value;
            if (cc.Failure is { } failure)
            {
                return new(FuzzReaction.NegotiationFailure, $"RDP_NEG_FAILURE {NegotiationNames.Name(failure.FailureCode)} (0x{(uint)failure.FailureCode:x8})");
            }

            return cc.Response is { } response
                ? new(FuzzReaction.Accepted, $"Connection Confirm selecting {NegotiationNames.SpecNames(response.SelectedProtocol)}")
                : new(FuzzReaction.Accepted, "Connection Confirm without negotiation data (Standard RDP Security)");
        }

        return OtherTpkt(frame) ?? new(FuzzReaction.MalformedAnswer, $"not a Connection Confirm: {confirm.Error}");
    }

    /// <summary>The first TLS record answering a ClientHello.</summary>
    public static Classification TlsRecord(ReadOnlySpan<byte> record)
    {
        if (record.Length < 6)
        {
            return new(FuzzReaction.MalformedAnswer, $"a {record.Length}-byte TLS record");
        }

        byte type = record[0];
        ushort version = (ushort)((record[1] << 8) | record[2]);
        if (type == 0x15 && record.Length >= 7)
        {
            TlsAlert alert = TlsNames.Alert(record[5], record[6]);
            return new(FuzzReaction.Alert, $"{(alert.IsFatal ? "fatal" : $"level {record[5]}")} alert {alert.DisplayName}");
        }

        if (type == 0x16 && record[5] == 0x02)
        {
            // ServerHello: handshake header (4), legacy_version (2), random (32), session id, cipher suite.
            string suite = string.Empty;
            int sessionAt = 5 + 4 + 2 + 32;
            if (record.Length > sessionAt && record.Length >= sessionAt + 1 + record[sessionAt] + 2)
            {
                int at = sessionAt + 1 + record[sessionAt];
                suite = $", {TlsNames.CipherSuite((record[at] << 8) | record[at + 1])}";
            }

            string legacy = record.Length >= 11 ? $"0x{(record[9] << 8) | record[10]:x4}" : "?";
            return new(FuzzReaction.Accepted, $"ServerHello (legacy_version {legacy}{suite}) in a 0x{version:x4} record");
        }

        return new(FuzzReaction.MalformedAnswer, $"a TLS record of type 0x{type:x2}{(type == 0x16 ? $" with handshake type 0x{record[5]:x2}" : string.Empty)} where a ServerHello or an alert belongs");
    }

    /// <summary>The TSRequest answering the first CredSSP message.</summary>
    public static Classification CredSsp(ReadOnlySpan<byte> tsRequest)
    {
        DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(tsRequest);
        if (!decoded.IsSuccess)
        {
            return new(FuzzReaction.MalformedAnswer, $"not a TSRequest: {decoded.Error}");
        }

        TsRequest answer = decoded.Value;
        if (answer.ErrorCode is { } code)
        {
            return new(FuzzReaction.ErrorAnswer, $"TSRequest v{answer.Version} errorCode {NtStatus.Name(code)} (0x{code:x8})");
        }

        return answer.NegoTokens.Count > 0
            ? new(FuzzReaction.Accepted, $"TSRequest v{answer.Version} with a {answer.NegoTokens[0].Length}-byte negoToken")
            : new(FuzzReaction.MalformedAnswer, $"TSRequest v{answer.Version} with neither negoTokens nor errorCode");
    }

    /// <summary>The TPKT frame answering the MCS Connect Initial.</summary>
    public static Classification Mcs(ReadOnlySpan<byte> frame)
    {
        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(frame);
        if (!data.IsSuccess)
        {
            return OtherTpkt(frame) ?? new(FuzzReaction.MalformedAnswer, $"not an X.224 Data TPDU: {data.Error}");
        }

        ReadOnlySpan<byte> mcs = data.Value.UserData.Span;
        if (mcs.Length >= 2 && mcs[0] == 0x7F && mcs[1] == 0x66)
        {
            var reader = new PduReader(mcs);
            DecodeResult<McsConnectResponse> response = McsConnectResponse.Decode(ref reader);
            if (!response.IsSuccess)
            {
                return new(FuzzReaction.MalformedAnswer, $"a Connect-Response that does not decode: {response.Error}");
            }

            return response.Value.Result == McsResult.Successful
                ? new(FuzzReaction.Accepted, "MCS Connect-Response rt-successful")
                : new(FuzzReaction.ErrorAnswer, $"MCS Connect-Response {McsResultNames.Name(response.Value.Result)}");
        }

        return OtherTpkt(frame) ?? new(FuzzReaction.MalformedAnswer, $"an X.224 Data TPDU that is not a Connect-Response (first byte 0x{(mcs.IsEmpty ? 0 : mcs[0]):x2})");
    }

    /// <summary>A refusal in RDP's terms where another PDU belonged: an X.224 Disconnect Request or an MCS Disconnect Provider Ultimatum.</summary>
    public static Classification? OtherTpkt(ReadOnlySpan<byte> frame)
    {
        DecodeResult<X224DisconnectRequest> disconnect = Pdu.Decode<X224DisconnectRequest>(frame);
        if (disconnect.IsSuccess)
        {
            return new(FuzzReaction.ErrorAnswer, $"X.224 Disconnect Request (reason {disconnect.Value.Reason})");
        }

        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(frame);
        if (data.IsSuccess)
        {
            var reader = new PduReader(data.Value.UserData.Span);
            DecodeResult<DisconnectProviderUltimatum> ultimatum = DisconnectProviderUltimatum.Decode(ref reader);
            if (ultimatum.IsSuccess)
            {
                return new(FuzzReaction.ErrorAnswer, $"MCS Disconnect Provider Ultimatum ({ultimatum.Value.ReasonName})");
            }
        }

        return null;
    }
}
