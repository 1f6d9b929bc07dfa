using System.Buffers;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Mcs;
using RdpHandshake.Protocol.Rdp;
using RdpHandshake.Protocol.Security;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.X224;

namespace RdpHandshake.Protocol.Connector;

/// <summary>
/// The MCS layer as every sequence after the Connect Initial uses it: X.224 Data TPDUs carrying MCS domain PDUs,
/// and on the I/O channel the security header the mode needs (MS-RDPBCGR 5.3.8 and 5.4): under Standard RDP
/// Security every PDU after the Security Exchange is signed and encrypted; under TLS only the PDUs that need flags
/// carry a basic header.
/// </summary>
public sealed class IoChannel
{
    private readonly ConnectionState _state;
    private IPacketCipher? _encryptor;
    private IPacketCipher? _decryptor;
    private bool _fips;

    internal IoChannel(ConnectionState state) => _state = state;

    /// <summary>Starts protecting the I/O channel with the keys of the Security Exchange.</summary>
    internal void StartEncryption(IPacketCipher encryptor, IPacketCipher decryptor, bool fips)
    {
        _encryptor = encryptor;
        _decryptor = decryptor;
        _fips = fips;
    }

    /// <summary>Writes <paramref name="userData"/> (an MCS PDU) in an X.224 Data TPDU; returns the bytes written.</summary>
    public static int WriteData(IBufferWriter<byte> output, byte[] userData) => Pdu.Encode(new X224Data(new ByteString(userData)), output);

    /// <summary>Sends a PDU on the I/O channel (or <paramref name="channel"/>) with the security header the mode needs.</summary>
    public int Send(IBufferWriter<byte> output, SecurityHeaderFlags flags, byte[] payload, ushort? channel = null) =>
        SendRaw(output, Protect(flags, payload), channel);

    /// <summary>Sends user data as is, inside an MCS Send Data Request (the Security Exchange PDU carries its own header).</summary>
    public int SendRaw(IBufferWriter<byte> output, byte[] userData, ushort? channel = null) =>
        WriteData(output, Pdu.Encode(SendData.Request(_state.Mcs.UserChannelId!.Value, channel ?? _state.Mcs.IoChannelId, userData)));

    private byte[] Protect(SecurityHeaderFlags flags, byte[] payload)
    {
        if (!_state.StandardSecurity || _encryptor is null)
        {
            return flags == 0 && !_state.StandardSecurity ? payload : [.. Pdu.Encode(new BasicSecurityHeader(flags)), .. payload];
        }

        byte[] cipher = _encryptor.Encrypt(payload, salted: false, out byte[] signature);
        byte[] header = _fips
            ? Pdu.Encode(new FipsSecurityHeader(flags | SecurityHeaderFlags.Encrypt, 0, (byte)(cipher.Length - payload.Length), new ByteString(signature)))
            : Pdu.Encode(new NonFipsSecurityHeader(flags | SecurityHeaderFlags.Encrypt, 0, new ByteString(signature)));
        return [.. header, .. cipher];
    }

    /// <summary>Removes the security header (and decrypts) what the server sent on the I/O or message channel.</summary>
    public Rejection? Unprotect(ReadOnlySpan<byte> data, out SecurityHeaderFlags? flags, out byte[] plain)
    {
        flags = null;
        plain = [];
        if (!_state.StandardSecurity && LooksLikeShareControl(data))
        {
            plain = data.ToArray();
            return null;
        }

        var reader = new PduReader(data);
        if (!_state.StandardSecurity || (data.Length >= 2 && ((SecurityHeaderFlags)(data[0] | (data[1] << 8)) & SecurityHeaderFlags.Encrypt) == 0) || _decryptor is null)
        {
            DecodeResult<BasicSecurityHeader> basic = BasicSecurityHeader.Decode(ref reader);
            if (!basic.IsSuccess)
            {
                return Rejection.Malformed(BasicSecurityHeader.PduName, basic.Error);
            }

            flags = basic.Value.Flags;
            plain = reader.RemainingSpan.ToArray();
            return null;
        }

        bool ok;
        if (_fips)
        {
            DecodeResult<FipsSecurityHeader> header = FipsSecurityHeader.Decode(ref reader);
            if (!header.IsSuccess)
            {
                return Rejection.Malformed(FipsSecurityHeader.PduName, header.Error);
            }

            flags = header.Value.Flags;
            ok = _decryptor.TryDecrypt(reader.RemainingSpan, header.Value.DataSignature.Span, false, out plain, header.Value.PadLength);
        }
        else
        {
            DecodeResult<NonFipsSecurityHeader> header = NonFipsSecurityHeader.Decode(ref reader);
            if (!header.IsSuccess)
            {
                return Rejection.Malformed(NonFipsSecurityHeader.PduName, header.Error);
            }

            flags = header.Value.Flags;
            ok = _decryptor.TryDecrypt(reader.RemainingSpan, header.Value.DataSignature.Span, (header.Value.Flags & SecurityHeaderFlags.SecureChecksum) != 0, out plain);
        }

        return ok
            ? null
            : new Rejection("encrypted PDU", [new StepField("flags", $"0x{(ushort)flags!:x4}")], new ProtocolFailure(CauseId.DecryptFailed,
                "a PDU from the server does not decrypt with the session keys (its MAC signature is wrong): the two sides derived different keys, or the stream was altered"));
    }

    /// <summary>
    /// Under TLS a PDU on the I/O channel is either a Share Control PDU (no security header) or a PDU with a
    /// basic security header (licensing, multitransport, auto-detect): a Share Control header announces a
    /// totalLength that fits the data and a TS_PROTOCOL_VERSION pduType.
    /// </summary>
    private static bool LooksLikeShareControl(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4)
        {
            return false;
        }

        int totalLength = data[0] | (data[1] << 8);
        if (totalLength == ShareControlHeader.FlowPduMarker)
        {
            return true;
        }

        int pduType = data[2] | (data[3] << 8);
        return totalLength >= 4 && totalLength <= data.Length && (pduType >> 4) == 1 && (pduType & 0xF) is 1 or 3 or 6 or 7 or 0xA;
    }

    /// <summary>
    /// Unwraps a TPKT frame into its X.224 Data user data. An X.224 Disconnect Request, a Disconnect Provider
    /// Ultimatum (after a Set Error Info: that code), a fast-path PDU or anything else is a rejection.
    /// </summary>
    public Rejection? ReadData(ReadOnlySpan<byte> frame, string pdu, out byte[] userData)
    {
        userData = [];
        if (frame.Length > 0 && frame[0] != TpktHeader.Version3)
        {
            return new Rejection(pdu, [new StepField("frame", $"fast-path PDU of {frame.Length} bytes")], new ProtocolFailure(CauseId.UnexpectedPdu,
                $"expected the {pdu}, got a fast-path PDU"));
        }

        if (X224Framing.PeekTpduCode(frame) == (byte)X224TpduCode.DisconnectRequest && Pdu.Decode<X224DisconnectRequest>(frame) is { IsSuccess: true } dr)
        {
            return new Rejection(X224DisconnectRequest.PduName, [new StepField("reason", dr.Value.ReasonName)], new ProtocolFailure(CauseId.X224DisconnectRequest,
                $"the server ended the connection with an X.224 Disconnect Request ({dr.Value.ReasonName}) instead of the {pdu}"));
        }

        DecodeResult<X224Data> data = Pdu.Decode<X224Data>(frame);
        if (!data.IsSuccess)
        {
            return Rejection.Malformed(pdu, data.Error);
        }

        userData = data.Value.UserData.Span.ToArray();
        if (DomainPdu.PeekType(userData) == DomainMcsPduType.DisconnectProviderUltimatum && Pdu.Decode<DisconnectProviderUltimatum>(userData) is { IsSuccess: true } dpum)
        {
            return Ultimatum(dpum.Value, $"instead of the {pdu}");
        }

        return null;
    }

    /// <summary>
    /// An MCS Disconnect Provider Ultimatum ending the connection: after a Set Error Info, that code says why
    /// (<see cref="CauseId.ServerErrorInfo"/>); otherwise <see cref="CauseId.DisconnectUltimatum"/> with the T.125 reason.
    /// </summary>
    public Rejection Ultimatum(DisconnectProviderUltimatum ultimatum, string where)
    {
        if (_state.LastErrorInfo is { } errorInfo)
        {
            return new Rejection(DisconnectProviderUltimatum.PduName, [new StepField("reason", ultimatum.ReasonName), new StepField("errorInfo", $"0x{errorInfo:x8}")],
                new ProtocolFailure(CauseId.ServerErrorInfo,
                    $"the server ended the connection (Disconnect Provider Ultimatum {ultimatum.ReasonName}) after a Set Error Info PDU with code 0x{errorInfo:x8}")
                { Detail = $"0x{errorInfo:x8}", Code = errorInfo });
        }

        return new Rejection(DisconnectProviderUltimatum.PduName, [new StepField("reason", ultimatum.ReasonName)],
            new ProtocolFailure(CauseId.DisconnectUltimatum, $"the server ended the connection with an MCS Disconnect Provider Ultimatum ({ultimatum.ReasonName}) {where}")
            { Detail = ultimatum.ReasonName });
    }

    /// <summary>Unwraps a frame into an MCS domain PDU of the <paramref name="expected"/> type.</summary>
    public Rejection? ReadDomainPdu(ReadOnlySpan<byte> frame, string pdu, DomainMcsPduType expected, out byte[] mcs)
    {
        if (ReadData(frame, pdu, out mcs) is { } failed)
        {
            return failed;
        }

        DomainMcsPduType? type = DomainPdu.PeekType(mcs);
        return type == expected
            ? null
            : new Rejection(pdu, [new StepField("domainPdu", type is { } t ? DomainPdu.Name(t) : "empty")], new ProtocolFailure(CauseId.UnexpectedPdu,
                $"expected the {pdu}, got {(type is { } found ? DomainPdu.Name(found) : "an empty X.224 Data TPDU")}"));
    }
}
