using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Licensing;

namespace RdpHandshake.Tests;

/// <summary>
/// The sample licensing exchange of tests/data/vectors (FreeRDP's cunit/test_license.c, a Windows Server 2003
/// server): its inputs, and its messages decoded as they must be, byte for byte.
/// </summary>
internal static class LicensingSamples
{
    public static readonly byte[] ClientRandom = HexVectors.Hex("dc73a0c869256b18af0b947aa9a520af8bbc0dcca395b7b9eb815dbe0a109cd8");

    public static readonly byte[] ServerRandom = HexVectors.Hex("84efae20b1d59e36491ae82e0a9989ac49a6474f339b5ab99503a6c6c23c3f61");

    public static readonly byte[] PreMasterSecret = HexVectors.Hex(
        "cf7adbcbfb0e1523871c8481ba9d4e15bbd256bdd8f7f316cc353be1934278dd929ae47ae299d473b1aa6f55943bc9bc");

    /// <summary>Decodes the named vector as a licensing PDU that re-encodes to its bytes, and returns its message.</summary>
    public static T DecodeMessage<T>(string vector) where T : LicensingMessage
    {
        byte[] bytes = HexVectors.Load(vector);
        DecodeResult<LicensingPdu> decoded = Pdu.Decode<LicensingPdu>(bytes);
        Assert.True(decoded.IsSuccess, decoded.ToString());
        Assert.True(decoded.Value.MsgSizeMatches);
        Assert.Equal(bytes, Pdu.Encode(decoded.Value));
        Assert.Equal(bytes.Length, decoded.Value.Size);
        return Assert.IsType<T>(decoded.Value.Message);
    }
}
