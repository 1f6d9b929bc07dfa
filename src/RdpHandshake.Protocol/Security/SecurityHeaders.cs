using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Security;

/// <summary>MS-RDPBCGR 2.2.8.1.1.2.1 Basic Security Header <c>flags</c>.</summary>
[Flags]
public enum SecurityHeaderFlags : ushort
{
    None = 0x0000,

    /// <summary>SEC_EXCHANGE_PKT: a Security Exchange PDU (client to server only).</summary>
    ExchangePkt = 0x0001,

    /// <summary>SEC_TRANSPORT_REQ: an Initiate Multitransport Request PDU (server to client).</summary>
    TransportReq = 0x0002,

    /// <summary>SEC_TRANSPORT_RSP: an Initiate Multitransport Response PDU (client to server).</summary>
    TransportRsp = 0x0004,

    /// <summary>SEC_ENCRYPT: the data after the header is encrypted and signed (MS-RDPBCGR 5.3.6).</summary>
    Encrypt = 0x0008,

    /// <summary>SEC_RESET_SEQNO: unused, ignored on receipt.</summary>
    ResetSeqno = 0x0010,

    /// <summary>SEC_IGNORE_SEQNO: unused, ignored on receipt.</summary>
    IgnoreSeqno = 0x0020,

    /// <summary>SEC_INFO_PKT: a Client Info PDU.</summary>
    InfoPkt = 0x0040,

    /// <summary>SEC_LICENSE_PKT: a licensing PDU.</summary>
    LicensePkt = 0x0080,

    /// <summary>
    /// SEC_LICENSE_ENCRYPT_CS (0x0200). MS-RDPBCGR gives this value to two names: sent by a server on a licensing
    /// PDU it says the server can take encrypted licensing PDUs from the client.
    /// </summary>
    LicenseEncryptCs = 0x0200,

    /// <summary>
    /// SEC_LICENSE_ENCRYPT_SC (also 0x0200): sent by a client in the Security Exchange PDU it says the client can
    /// take encrypted licensing PDUs from the server.
    /// </summary>
    LicenseEncryptSc = 0x0200,

    /// <summary>SEC_REDIRECTION_PKT: a Standard Security Server Redirection PDU.</summary>
    RedirectionPkt = 0x0400,

    /// <summary>SEC_SECURE_CHECKSUM: the MAC is the salted one of MS-RDPBCGR 5.3.6.1.1.</summary>
    SecureChecksum = 0x0800,

    /// <summary>SEC_AUTODETECT_REQ: an Auto-Detect Request PDU.</summary>
    AutodetectReq = 0x1000,

    /// <summary>SEC_AUTODETECT_RSP: an Auto-Detect Response PDU.</summary>
    AutodetectRsp = 0x2000,

    /// <summary>SEC_HEARTBEAT: a Heartbeat PDU.</summary>
    Heartbeat = 0x4000,

    /// <summary>SEC_FLAGSHI_VALID: <c>flagsHi</c> carries meaning; otherwise receivers ignore it.</summary>
    FlagsHiValid = 0x8000,
}

/// <summary>MS-RDPBCGR 2.2.8.1.1.2.1 Basic Security Header (TS_SECURITY_HEADER).</summary>
/// <param name="Flags">Security flags.</param>
/// <param name="FlagsHi">Reserved for future flags; ignored unless <see cref="SecurityHeaderFlags.FlagsHiValid"/> is set.</param>
public sealed record BasicSecurityHeader(SecurityHeaderFlags Flags, ushort FlagsHi = 0) : IPdu<BasicSecurityHeader>
{
    public const int FixedPartSize = 2 /* flags */ + 2 /* flagsHi */;

    public static string PduName => "TS_SECURITY_HEADER";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        writer.WriteUInt16Le((ushort)Flags);
        writer.WriteUInt16Le(FlagsHi);
    }

    public static DecodeResult<BasicSecurityHeader> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var flags = (SecurityHeaderFlags)reader.ReadUInt16Le();
        return new BasicSecurityHeader(flags, reader.ReadUInt16Le());
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.8.1.1.2.2 Non-FIPS Security Header (TS_SECURITY_HEADER1): the basic header and the 8-byte MAC
/// of the data that follows (MS-RDPBCGR 5.3.6.1).
/// </summary>
/// <param name="Flags">Security flags.</param>
/// <param name="FlagsHi">Ignored unless <see cref="SecurityHeaderFlags.FlagsHiValid"/> is set.</param>
/// <param name="DataSignature">The 8-byte MAC (MACSignature or its salted variant).</param>
public sealed record NonFipsSecurityHeader(SecurityHeaderFlags Flags, ushort FlagsHi, ByteString DataSignature) : IPdu<NonFipsSecurityHeader>
{
    public const int DataSignatureSize = 8;

    public const int FixedPartSize = BasicSecurityHeader.FixedPartSize + DataSignatureSize /* dataSignature */;

    public static string PduName => "TS_SECURITY_HEADER1";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        if (DataSignature.Length != DataSignatureSize)
        {
            ThrowHelper.ThrowArgument(nameof(DataSignature), $"dataSignature must be {DataSignatureSize} bytes, not {DataSignature.Length}");
        }

        writer.WriteUInt16Le((ushort)Flags);
        writer.WriteUInt16Le(FlagsHi);
        writer.WriteBytes(DataSignature.Span);
    }

    public static DecodeResult<NonFipsSecurityHeader> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var flags = (SecurityHeaderFlags)reader.ReadUInt16Le();
        ushort flagsHi = reader.ReadUInt16Le();
        return new NonFipsSecurityHeader(flags, flagsHi, new ByteString(reader.ReadBytes(DataSignatureSize)));
    }
}

/// <summary>
/// MS-RDPBCGR 2.2.8.1.1.2.3 FIPS Security Header (TS_SECURITY_HEADER2): the basic header, a fixed length of 0x10,
/// version TSFIPS_VERSION1, the number of padding bytes added before 3DES encryption, and the 8-byte HMAC-SHA1
/// signature (MS-RDPBCGR 5.3.6.2).
/// </summary>
/// <param name="Flags">Security flags.</param>
/// <param name="FlagsHi">Ignored unless <see cref="SecurityHeaderFlags.FlagsHiValid"/> is set.</param>
/// <param name="PadLength">Bytes of padding appended to the data before encryption (0 to 7).</param>
/// <param name="DataSignature">The first 8 bytes of the HMAC-SHA1 signature.</param>
public sealed record FipsSecurityHeader(SecurityHeaderFlags Flags, ushort FlagsHi, byte PadLength, ByteString DataSignature) : IPdu<FipsSecurityHeader>
{
    /// <summary>The <c>length</c> value the spec fixes: the size of the FIPS-specific part of the header.</summary>
    public const ushort HeaderLength = 0x0010;

    /// <summary>TSFIPS_VERSION1.</summary>
    public const byte Version1 = 0x01;

    public const int FixedPartSize =
        BasicSecurityHeader.FixedPartSize + 2 /* length */ + 1 /* version */ + 1 /* padlen */ + NonFipsSecurityHeader.DataSignatureSize /* dataSignature */;

    public static string PduName => "TS_SECURITY_HEADER2";

    public int Size => FixedPartSize;

    public void Encode(ref PduWriter writer)
    {
        if (DataSignature.Length != NonFipsSecurityHeader.DataSignatureSize)
        {
            ThrowHelper.ThrowArgument(nameof(DataSignature), $"dataSignature must be {NonFipsSecurityHeader.DataSignatureSize} bytes, not {DataSignature.Length}");
        }

        writer.WriteUInt16Le((ushort)Flags);
        writer.WriteUInt16Le(FlagsHi);
        writer.WriteUInt16Le(HeaderLength);
        writer.WriteByte(Version1);
        writer.WriteByte(PadLength);
        writer.WriteBytes(DataSignature.Span);
    }

    public static DecodeResult<FipsSecurityHeader> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        var flags = (SecurityHeaderFlags)reader.ReadUInt16Le();
        ushort flagsHi = reader.ReadUInt16Le();
        int lengthOffset = reader.Position;
        ushort length = reader.ReadUInt16Le();
        if (length != HeaderLength)
        {
            return DecodeError.InvalidField(PduName, "length", $"must be 0x{HeaderLength:x4}", lengthOffset, HeaderLength, length);
        }

        byte version = reader.ReadByte();
        if (version != Version1)
        {
            return new DecodeError(DecodeErrorKind.UnsupportedVersion, PduName, "version",
                $"expected TSFIPS_VERSION1 (1), got {version}", lengthOffset + 2, Version1, version);
        }

        byte padLength = reader.ReadByte();
        if (padLength > 7)
        {
            return DecodeError.InvalidField(PduName, "padlen", "3DES padding is at most 7 bytes", lengthOffset + 3, 7, padLength);
        }

        return new FipsSecurityHeader(flags, flagsHi, padLength, new ByteString(reader.ReadBytes(NonFipsSecurityHeader.DataSignatureSize)));
    }
}
