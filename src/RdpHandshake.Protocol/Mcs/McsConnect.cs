using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>T.125 7 part 2 DomainParameters, BER-encoded as a SEQUENCE of eight INTEGERs.</summary>
public sealed record DomainParameters(
    uint MaxChannelIds,
    uint MaxUserIds,
    uint MaxTokenIds,
    uint NumPriorities,
    uint MinThroughput,
    uint MaxHeight,
    uint MaxMcsPduSize,
    uint ProtocolVersion)
{
    /// <summary>targetParameters of MS-RDPBCGR 3.2.5.3.3 (and of the 4.1.3 vector).</summary>
    public static DomainParameters Target { get; } = new(34, 2, 0, 1, 0, 1, 65535, 2);

    /// <summary>minimumParameters of MS-RDPBCGR 3.2.5.3.3.</summary>
    public static DomainParameters Minimum { get; } = new(1, 1, 1, 1, 0, 1, 1056, 2);

    /// <summary>maximumParameters of MS-RDPBCGR 3.2.5.3.3 (maxUserIds 64535, 0xfc17, as the 4.1.3 bytes show).</summary>
    public static DomainParameters Maximum { get; } = new(65535, 64535, 65535, 1, 0, 1, 65535, 2);

    private const string Context = "MCS DomainParameters";

    private uint[] Values => [MaxChannelIds, MaxUserIds, MaxTokenIds, NumPriorities, MinThroughput, MaxHeight, MaxMcsPduSize, ProtocolVersion];

    private int ContentSize => Values.Sum(v => Ber.IntegerSize(v));

    public int Size => 1 /* SEQUENCE */ + Ber.LengthSize(ContentSize) + ContentSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteByte(Ber.TagSequence);
        Ber.WriteLength(ref writer, ContentSize);
        foreach (uint value in Values)
        {
            Ber.WriteInteger(ref writer, value);
        }
    }

    public static DecodeResult<DomainParameters> Decode(ref PduReader reader, string field)
    {
        if (Ber.ExpectTag(ref reader, Ber.TagSequence, Context, field) is { } tagError)
        {
            return tagError;
        }

        DecodeResult<int> length = Ber.ReadLength(ref reader, Context, field);
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        int end = reader.Position + length.Value;
        Span<uint> values = stackalloc uint[8];
        string[] names = ["maxChannelIds", "maxUserIds", "maxTokenIds", "numPriorities", "minThroughput", "maxHeight", "maxMCSPDUsize", "protocolVersion"];
        for (int i = 0; i < values.Length; i++)
        {
            DecodeResult<uint> value = Ber.ReadInteger(ref reader, Context, names[i]);
            if (!value.IsSuccess)
            {
                return value.Error;
            }

            values[i] = value.Value;
        }

        if (reader.Position != end)
        {
            return DecodeError.InvalidField(Context, field, "the SEQUENCE length does not match its eight INTEGERs", reader.Position, end, reader.Position);
        }

        return new DomainParameters(values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7]);
    }

    public override string ToString() =>
        $"channels {MaxChannelIds}, users {MaxUserIds}, tokens {MaxTokenIds}, priorities {NumPriorities}, height {MaxHeight}, max PDU {MaxMcsPduSize}, version {ProtocolVersion}";
}

/// <summary>
/// T.125 Connect-Initial ([APPLICATION 101], BER), the body of the Client MCS Connect Initial PDU
/// (MS-RDPBCGR 2.2.1.3) inside an X.224 Data TPDU. <see cref="UserData"/> is the GCC Conference Create Request.
/// </summary>
public sealed record McsConnectInitial(
    ByteString CallingDomainSelector,
    ByteString CalledDomainSelector,
    bool UpwardFlag,
    DomainParameters TargetParameters,
    DomainParameters MinimumParameters,
    DomainParameters MaximumParameters,
    ByteString UserData) : IPdu<McsConnectInitial>
{
    public const byte ApplicationTag = 101;

    public static string PduName => "MCS Connect-Initial";

    /// <summary>The Connect-Initial an RDP client sends (MS-RDPBCGR 3.2.5.3.3) around the given GCC bytes.</summary>
    public static McsConnectInitial ForRdp(ReadOnlySpan<byte> gccConferenceCreateRequest) =>
        new(new ByteString([1]), new ByteString([1]), true, DomainParameters.Target, DomainParameters.Minimum, DomainParameters.Maximum, new ByteString(gccConferenceCreateRequest));

    private int ContentSize =>
        Ber.OctetStringSize(CallingDomainSelector.Length)
        + Ber.OctetStringSize(CalledDomainSelector.Length)
        + Ber.BooleanSize
        + TargetParameters.Size + MinimumParameters.Size + MaximumParameters.Size
        + Ber.OctetStringSize(UserData.Length);

    public int Size => Ber.ApplicationHeaderSize(ContentSize) + ContentSize;

    public void Encode(ref PduWriter writer)
    {
        Ber.WriteApplicationHeader(ref writer, ApplicationTag, ContentSize);
        Ber.WriteOctetString(ref writer, CallingDomainSelector.Span);
        Ber.WriteOctetString(ref writer, CalledDomainSelector.Span);
        Ber.WriteBoolean(ref writer, UpwardFlag);
        TargetParameters.Encode(ref writer);
        MinimumParameters.Encode(ref writer);
        MaximumParameters.Encode(ref writer);
        Ber.WriteOctetString(ref writer, UserData.Span);
    }

    public static DecodeResult<McsConnectInitial> Decode(ref PduReader reader)
    {
        DecodeResult<int> length = Ber.ReadApplicationHeader(ref reader, ApplicationTag, PduName);
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        int end = reader.Position + length.Value;
        DecodeResult<ByteString> calling = Ber.ReadOctetString(ref reader, PduName, "callingDomainSelector");
        if (!calling.IsSuccess)
        {
            return calling.Error;
        }

        DecodeResult<ByteString> called = Ber.ReadOctetString(ref reader, PduName, "calledDomainSelector");
        if (!called.IsSuccess)
        {
            return called.Error;
        }

        DecodeResult<bool> upward = Ber.ReadBoolean(ref reader, PduName, "upwardFlag");
        if (!upward.IsSuccess)
        {
            return upward.Error;
        }

        DecodeResult<DomainParameters> target = DomainParameters.Decode(ref reader, "targetParameters");
        if (!target.IsSuccess)
        {
            return target.Error;
        }

        DecodeResult<DomainParameters> minimum = DomainParameters.Decode(ref reader, "minimumParameters");
        if (!minimum.IsSuccess)
        {
            return minimum.Error;
        }

        DecodeResult<DomainParameters> maximum = DomainParameters.Decode(ref reader, "maximumParameters");
        if (!maximum.IsSuccess)
        {
            return maximum.Error;
        }

        DecodeResult<ByteString> userData = Ber.ReadOctetString(ref reader, PduName, "userData");
        if (!userData.IsSuccess)
        {
            return userData.Error;
        }

        if (reader.Position != end)
        {
            return DecodeError.InvalidField(PduName, "length", "does not match the encoded fields", reader.Position, end, reader.Position);
        }

        return new McsConnectInitial(calling.Value, called.Value, upward.Value, target.Value, minimum.Value, maximum.Value, userData.Value);
    }
}

/// <summary>T.125 7 part 2 Result, as carried by Connect-Response, Attach-User-Confirm and Channel-Join-Confirm.</summary>
public enum McsResult : byte
{
    Successful = 0,
    DomainMerging = 1,
    DomainNotHierarchical = 2,
    NoSuchChannel = 3,
    NoSuchDomain = 4,
    NoSuchUser = 5,
    NotAdmitted = 6,
    OtherUserId = 7,
    ParametersUnacceptable = 8,
    TokenNotAvailable = 9,
    TokenNotPossessed = 10,
    TooManyChannels = 11,
    TooManyTokens = 12,
    TooManyUsers = 13,
    UnspecifiedFailure = 14,
    UserRejected = 15,
}

public static class McsResultNames
{
    /// <summary>The T.125 name, e.g. <c>rt-parameters-unacceptable</c>.</summary>
    public static string Name(McsResult result) => result switch
    {
        McsResult.Successful => "rt-successful",
        McsResult.DomainMerging => "rt-domain-merging",
        McsResult.DomainNotHierarchical => "rt-domain-not-hierarchical",
        McsResult.NoSuchChannel => "rt-no-such-channel",
        McsResult.NoSuchDomain => "rt-no-such-domain",
        McsResult.NoSuchUser => "rt-no-such-user",
        McsResult.NotAdmitted => "rt-not-admitted",
        McsResult.OtherUserId => "rt-other-user-id",
        McsResult.ParametersUnacceptable => "rt-parameters-unacceptable",
        McsResult.TokenNotAvailable => "rt-token-not-available",
        McsResult.TokenNotPossessed => "rt-token-not-possessed",
        McsResult.TooManyChannels => "rt-too-many-channels",
        McsResult.TooManyTokens => "rt-too-many-tokens",
        McsResult.TooManyUsers => "rt-too-many-users",
        McsResult.UnspecifiedFailure => "rt-unspecified-failure",
        McsResult.UserRejected => "rt-user-rejected",
        _ => $"result {(byte)result}",
    };
}

/// <summary>
/// T.125 Connect-Response ([APPLICATION 102], BER), the body of the Server MCS Connect Response PDU
/// (MS-RDPBCGR 2.2.1.4). <see cref="UserData"/> is the GCC Conference Create Response.
/// </summary>
public sealed record McsConnectResponse(
    McsResult Result,
    uint CalledConnectId,
    DomainParameters DomainParameters,
    ByteString UserData) : IPdu<McsConnectResponse>
{
    public const byte ApplicationTag = 102;

    public static string PduName => "MCS Connect-Response";

    private int ContentSize =>
        1 /* ENUMERATED tag */ + 1 /* length */ + 1 /* result */
        + Ber.IntegerSize(CalledConnectId)
        + DomainParameters.Size
        + Ber.OctetStringSize(UserData.Length);

    public int Size => Ber.ApplicationHeaderSize(ContentSize) + ContentSize;

    public void Encode(ref PduWriter writer)
    {
        Ber.WriteApplicationHeader(ref writer, ApplicationTag, ContentSize);
        Ber.WriteInteger(ref writer, (byte)Result, Ber.TagEnumerated);
        Ber.WriteInteger(ref writer, CalledConnectId);
        DomainParameters.Encode(ref writer);
        Ber.WriteOctetString(ref writer, UserData.Span);
    }

    public static DecodeResult<McsConnectResponse> Decode(ref PduReader reader)
    {
        DecodeResult<int> length = Ber.ReadApplicationHeader(ref reader, ApplicationTag, PduName);
        if (!length.IsSuccess)
        {
            return length.Error;
        }

        int end = reader.Position + length.Value;
        int resultAt = reader.Position;
        DecodeResult<uint> result = Ber.ReadInteger(ref reader, PduName, "result", Ber.TagEnumerated);
        if (!result.IsSuccess)
        {
            return result.Error;
        }

        if (result.Value > (uint)McsResult.UserRejected)
        {
            return DecodeError.InvalidField(PduName, "result", $"{result.Value} is not a T.125 Result", resultAt, (long)McsResult.UserRejected, result.Value);
        }

        DecodeResult<uint> connectId = Ber.ReadInteger(ref reader, PduName, "calledConnectId");
        if (!connectId.IsSuccess)
        {
            return connectId.Error;
        }

        DecodeResult<DomainParameters> parameters = DomainParameters.Decode(ref reader, "domainParameters");
        if (!parameters.IsSuccess)
        {
            return parameters.Error;
        }

        DecodeResult<ByteString> userData = Ber.ReadOctetString(ref reader, PduName, "userData");
        if (!userData.IsSuccess)
        {
            return userData.Error;
        }

        if (reader.Position != end)
        {
            return DecodeError.InvalidField(PduName, "length", "does not match the encoded fields", reader.Position, end, reader.Position);
        }

        return new McsConnectResponse((McsResult)result.Value, connectId.Value, parameters.Value, userData.Value);
    }
}
