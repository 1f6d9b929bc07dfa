using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Licensing;

/// <summary>
/// A licensing message with its preamble (MS-RDPBCGR 2.2.1.12.1, MS-RDPELE 2.2.2): the bytes after the security
/// header of a PDU whose security flags include SEC_LICENSE_PKT. <see cref="Decode"/> dispatches on
/// <c>bMsgType</c>; <see cref="Create"/> builds one with the right <c>wMsgSize</c>.
/// </summary>
/// <remarks>
/// <para>
/// <c>wMsgSize</c> is lenient on decode. The spec defines it as the size of the licensing message including the
/// preamble, and MS-RDPBCGR 4.1.11 shows <c>10 00</c> (16) for its 16-byte message; some implementations count
/// the 4-byte basic security header as well (0x14 for the same message). The message is framed by the bytes
/// received (the rest of the MCS payload), <c>wMsgSize</c> is kept as sent so re-encoding is exact, and
/// <see cref="MsgSizeMatches"/> tells whether it agrees with the spec. Only a value smaller than the preamble
/// is rejected.
/// </para>
/// <para>
/// LICENSE_INFO and unknown message types decode as <see cref="LicenseOpaqueMessage"/>.
/// </para>
/// </remarks>
public sealed record LicensingPdu(LicensePreamble Preamble, LicensingMessage Message) : IPdu<LicensingPdu>
{
    public const int FixedPartSize = LicensePreamble.FixedPartSize;

    public static string PduName => "licensing PDU";

    public int Size => LicensePreamble.FixedPartSize + Message.Size;

    /// <summary>True when <c>wMsgSize</c> equals the actual size, as the spec says it should.</summary>
    public bool MsgSizeMatches => Preamble.MsgSize == Size;

    /// <summary>A PDU for <paramref name="message"/> with a correct <c>wMsgSize</c>.</summary>
    public static LicensingPdu Create(LicensingMessage message, LicensePreambleFlags flags = LicensePreambleFlags.Version3)
    {
        int size = LicensePreamble.FixedPartSize + message.Size;
        if (ushort.MaxValue < size)
        {
            ThrowHelper.ThrowArgument(nameof(message), "a licensing message is at most 65535 bytes");
        }

        return new LicensingPdu(new LicensePreamble(message.MessageType, flags, (ushort)size), message);
    }

    public void Encode(ref PduWriter writer)
    {
        Preamble.Encode(ref writer);
        Message.Encode(ref writer);
    }

    public static DecodeResult<LicensingPdu> Decode(ref PduReader reader)
    {
        DecodeResult<LicensePreamble> preamble = LicensePreamble.Decode(ref reader);
        if (!preamble.IsSuccess)
        {
            return preamble.Error;
        }

        int bodyAt = reader.Position;
        if (preamble.Value.MsgSize < LicensePreamble.FixedPartSize)
        {
            return DecodeError.InvalidField(PduName, "wMsgSize", "smaller than the preamble", bodyAt - 2, LicensePreamble.FixedPartSize, preamble.Value.MsgSize);
        }

        var body = new PduReader(reader.ReadBytes(reader.Remaining));
        DecodeResult<LicensingMessage> message = DecodeBody(preamble.Value.MsgType, ref body);
        if (!message.IsSuccess)
        {
            return message.Error with { Offset = message.Error.Offset + bodyAt };
        }

        if (body.Remaining != 0)
        {
            return DecodeError.Trailing(LicenseNames.Name(preamble.Value.MsgType), bodyAt + body.Position, body.Remaining);
        }

        return new LicensingPdu(preamble.Value, message.Value);
    }

    private static DecodeResult<LicensingMessage> DecodeBody(LicenseMessageType type, ref PduReader body) => type switch
    {
        LicenseMessageType.ErrorAlert => Widen(LicenseErrorMessage.Decode(ref body)),
        LicenseMessageType.LicenseRequest => Widen(ServerLicenseRequest.Decode(ref body)),
        LicenseMessageType.PlatformChallenge => Widen(ServerPlatformChallenge.Decode(ref body)),
        LicenseMessageType.NewLicense => Widen(ServerNewLicense.Decode(ref body)),
        LicenseMessageType.UpgradeLicense => Widen(ServerUpgradeLicense.Decode(ref body)),
        LicenseMessageType.NewLicenseRequest => Widen(ClientNewLicenseRequest.Decode(ref body)),
        LicenseMessageType.PlatformChallengeResponse => Widen(ClientPlatformChallengeResponse.Decode(ref body)),
        _ => new LicenseOpaqueMessage(type, new ByteString(body.ReadBytes(body.Remaining))),
    };

    private static DecodeResult<LicensingMessage> Widen<T>(DecodeResult<T> result) where T : LicensingMessage =>
        result.IsSuccess ? result.Value : result.Error;

    public override string ToString() => $"{LicenseNames.Name(Preamble.MsgType)} (flags 0x{(byte)Preamble.Flags:x2}, wMsgSize {Preamble.MsgSize}): {Message}";
}

/// <summary>
/// A licensing message kept as bytes: LICENSE_INFO (MS-RDPELE 2.2.2.3, which carries a stored license) and any
/// bMsgType the specification does not define.
/// </summary>
public sealed record LicenseOpaqueMessage(LicenseMessageType Type, ByteString Body) : LicensingMessage
{
    public override LicenseMessageType MessageType => Type;

    public override int Size => Body.Length;

    public override void Encode(ref PduWriter writer) => writer.WriteBytes(Body.Span);
}
