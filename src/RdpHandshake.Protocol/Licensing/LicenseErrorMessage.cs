using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Licensing;

/// <summary>
/// The message after a LICENSE_PREAMBLE. <see cref="LicensingPdu"/> pairs one with its preamble and dispatches on
/// <c>bMsgType</c>; each concrete message also decodes on its own (its bytes without the preamble).
/// </summary>
public abstract record LicensingMessage
{
    /// <summary>The bMsgType this message goes with.</summary>
    public abstract LicenseMessageType MessageType { get; }

    /// <summary>Encoded size without the preamble.</summary>
    public abstract int Size { get; }

    public abstract void Encode(ref PduWriter writer);
}

/// <summary>
/// MS-RDPBCGR 2.2.1.12.1.3 Licensing Error Message (LICENSE_ERROR_MESSAGE), bMsgType ERROR_ALERT. With
/// STATUS_VALID_CLIENT and ST_NO_TRANSITION it is the "valid client" message that ends licensing (2.2.1.12).
/// </summary>
/// <param name="ErrorCode">dwErrorCode.</param>
/// <param name="StateTransition">dwStateTransition.</param>
/// <param name="ErrorInfo">bbErrorInfo; BB_ERROR_BLOB, usually empty. Its type is not checked.</param>
public sealed record LicenseErrorMessage(LicenseErrorCode ErrorCode, LicenseStateTransition StateTransition, LicenseBinaryBlob ErrorInfo)
    : LicensingMessage, IPdu<LicenseErrorMessage>
{
    public const int FixedPartSize = 4 /* dwErrorCode */ + 4 /* dwStateTransition */ + LicenseBinaryBlob.FixedPartSize /* bbErrorInfo */;

    /// <summary>The message every server sends when it does not license the client: licensing is over.</summary>
    public static LicenseErrorMessage ValidClient { get; } =
        new(LicenseErrorCode.StatusValidClient, LicenseStateTransition.NoTransition, LicenseBinaryBlob.Empty(LicenseBlobType.Error));

    public static string PduName => "LICENSE_ERROR_MESSAGE";

    public override LicenseMessageType MessageType => LicenseMessageType.ErrorAlert;

    /// <summary>True for STATUS_VALID_CLIENT with ST_NO_TRANSITION: the licensing phase succeeded.</summary>
    public bool IsValidClient => ErrorCode == LicenseErrorCode.StatusValidClient && StateTransition == LicenseStateTransition.NoTransition;

    public override int Size => 4 /* dwErrorCode */ + 4 /* dwStateTransition */ + ErrorInfo.Size;

    public override void Encode(ref PduWriter writer)
    {
        writer.WriteUInt32Le((uint)ErrorCode);
        writer.WriteUInt32Le((uint)StateTransition);
        ErrorInfo.Encode(ref writer);
    }

    public static DecodeResult<LicenseErrorMessage> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var code = (LicenseErrorCode)reader.ReadUInt32Le();
        var transition = (LicenseStateTransition)reader.ReadUInt32Le();
        DecodeResult<LicenseBinaryBlob> info = LicenseBinaryBlob.DecodeField(ref reader, PduName, "bbErrorInfo");
        return info.IsSuccess ? new LicenseErrorMessage(code, transition, info.Value) : info.Error;
    }

    public override string ToString() =>
        $"{LicenseNames.Name(ErrorCode)}, {LicenseNames.Name(StateTransition)}, bbErrorInfo {ErrorInfo}";
}
