using System.Buffers.Binary;
using RdpHandshake.Protocol.Kerberos;

namespace RdpHandshake.TestServer.Kerberos;

/// <summary>One key of a keytab: the principal it belongs to, its version and the key itself.</summary>
/// <param name="Realm">The principal's realm.</param>
/// <param name="Name">The principal's name, e.g. TERMSRV/localhost.</param>
/// <param name="Kvno">The key version number, as the tickets name it.</param>
/// <param name="Key">The key.</param>
public sealed record KeytabEntry(string Realm, PrincipalName Name, uint Kvno, EncryptionKey Key);

/// <summary>
/// The MIT keytab file format, version 0x0502 (MIT krb5 doc/formats/keytab_file_format.rst): what an RDP server's
/// GSS-API reads its service keys from, so that the test server accepts the test KDC's tickets. Big-endian
/// throughout; each entry is its size, then the principal (component count, realm, components, name type), a
/// timestamp, the 8-bit kvno, the key (type and value) and the 32-bit kvno.
/// </summary>
public static class Keytab
{
    private const ushort FormatVersion = 0x0502;

    /// <summary>The keytab holding <paramref name="entries"/>.</summary>
    public static byte[] Encode(IEnumerable<KeytabEntry> entries, DateTimeOffset? written = null)
    {
        uint timestamp = (uint)(written ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        using var stream = new MemoryStream();
        WriteUInt16(stream, FormatVersion);
        foreach (KeytabEntry entry in entries)
        {
            using var body = new MemoryStream();
            WriteUInt16(body, (ushort)entry.Name.NameString.Count);
            WriteCounted(body, entry.Realm);
            foreach (string component in entry.Name.NameString)
            {
                WriteCounted(body, component);
            }

            WriteUInt32(body, (uint)entry.Name.NameType);
            WriteUInt32(body, timestamp);
            body.WriteByte((byte)Math.Min(entry.Kvno, 255));
            WriteUInt16(body, (ushort)entry.Key.KeyType);
            WriteCounted(body, entry.Key.KeyValue.Span);
            WriteUInt32(body, entry.Kvno);
            WriteUInt32(stream, (uint)body.Length);
            body.WriteTo(stream);
        }

        return stream.ToArray();
    }

    private static void WriteCounted(Stream stream, string text) => WriteCounted(stream, System.Text.Encoding.UTF8.GetBytes(text));

    private static void WriteCounted(Stream stream, ReadOnlySpan<byte> bytes)
    {
        WriteUInt16(stream, (ushort)bytes.Length);
        stream.Write(bytes);
    }

    private static void WriteUInt16(Stream stream, ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        stream.Write(bytes);
    }
}
