using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Security;

/// <summary>
/// MS-RDPBCGR 2.2.1.10.1 Security Exchange PDU Data (TS_SECURITY_PACKET): a basic security header with
/// SEC_EXCHANGE_PKT, the length of the encrypted client random, and the client random encrypted with the server's
/// public key (MS-RDPBCGR 5.3.4.1). The encrypted value is little-endian in a zeroed buffer of keylen bytes, so it
/// ends in 8 zero bytes of padding, which <see cref="EncryptedClientRandom"/> includes.
/// </summary>
/// <param name="EncryptedClientRandom">encryptedClientRandom, padding included.</param>
/// <param name="Flags">The header flags; SEC_EXCHANGE_PKT, plus SEC_LICENSE_ENCRYPT_SC when the client takes encrypted licensing PDUs.</param>
/// <param name="FlagsHi">Ignored unless SEC_FLAGSHI_VALID is set.</param>
public sealed record SecurityExchangePdu(
    ByteString EncryptedClientRandom,
    SecurityHeaderFlags Flags = SecurityHeaderFlags.ExchangePkt,
    ushort FlagsHi = 0) : IPdu<SecurityExchangePdu>
{
    /// <summary>The largest encryptedClientRandom accepted: the largest modulus plus its padding.</summary>
    public const int MaxEncryptedClientRandomLength = RsaPublicKey.MaxModulusBytes + RsaPublicKey.ModulusPaddingSize;

    public const int FixedPartSize = BasicSecurityHeader.FixedPartSize + 4 /* length */;

    public static string PduName => "TS_SECURITY_PACKET";

    public int Size => FixedPartSize + EncryptedClientRandom.Length;

    public void Encode(ref PduWriter writer)
    {
        if ((Flags & SecurityHeaderFlags.ExchangePkt) == 0)
        {
            ThrowHelper.ThrowArgument(nameof(Flags), "a Security Exchange PDU must carry SEC_EXCHANGE_PKT");
        }

        writer.WriteUInt16Le((ushort)Flags);
        writer.WriteUInt16Le(FlagsHi);
        writer.WriteUInt32Le((uint)EncryptedClientRandom.Length);
        writer.WriteBytes(EncryptedClientRandom.Span);
    }

    public static DecodeResult<SecurityExchangePdu> Decode(ref PduReader reader)
    {
        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        int start = reader.Position;
        var flags = (SecurityHeaderFlags)reader.ReadUInt16Le();
        ushort flagsHi = reader.ReadUInt16Le();
        if ((flags & SecurityHeaderFlags.ExchangePkt) == 0)
        {
            return new DecodeError(DecodeErrorKind.UnexpectedMessageType, PduName, "flags",
                $"SEC_EXCHANGE_PKT (0x0001) is not set in 0x{(ushort)flags:x4}", start, (long)SecurityHeaderFlags.ExchangePkt, (ushort)flags);
        }

        uint length = reader.ReadUInt32Le();
        if (length == 0)
        {
            return DecodeError.InvalidField(PduName, "length", "the encrypted client random is empty", start + 4, null, 0);
        }

        if (length > MaxEncryptedClientRandomLength)
        {
            return DecodeError.LengthLimit(PduName, "length", start + 4, MaxEncryptedClientRandomLength, length);
        }

        if (reader.Ensure((int)length, PduName) is { } shortRandom)
        {
            return shortRandom;
        }

        return new SecurityExchangePdu(new ByteString(reader.ReadBytes((int)length)), flags, flagsHi);
    }
}
