using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.2.3 KerberosTime: a GeneralizedTime in UTC ("Z") with no fractional seconds, always the 15 characters
/// YYYYMMDDHHMMSSZ. Microseconds travel in separate fields (cusec, susec, pausec). The core reads no clock: the
/// caller passes the time in.
/// </summary>
public readonly record struct KerberosTime : IPdu<KerberosTime>, IDerElement<KerberosTime>
{
    /// <param name="value">A time in whole seconds; its offset is dropped (the instant is kept, written in UTC).</param>
    public KerberosTime(DateTimeOffset value)
    {
        if (value.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            ThrowHelper.ThrowArgument(nameof(value), "a KerberosTime has no fractional seconds: use KerberosTime.FromInstant");
        }

        Value = value.ToUniversalTime();
    }

    /// <summary>The instant, in UTC.</summary>
    public DateTimeOffset Value { get; }

    public static string PduName => "Kerberos KerberosTime";

    /// <summary>The instant truncated to the whole second, as the wire carries it; see <see cref="Microseconds"/> for the rest.</summary>
    public static KerberosTime FromInstant(DateTimeOffset instant)
    {
        DateTimeOffset utc = instant.ToUniversalTime();
        return new KerberosTime(new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero));
    }

    /// <summary>The microseconds of <paramref name="instant"/> past its whole second (the cusec or pausec beside a KerberosTime).</summary>
    public static int Microseconds(DateTimeOffset instant) => (int)(instant.UtcTicks % TimeSpan.TicksPerSecond / 10);

    /// <summary>Always 17: the tag, the length and the 15 characters.</summary>
    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<KerberosTime> Decode(ref PduReader reader) => KerberosDer.Decode<KerberosTime>(ref reader, PduName);

    void IDerElement<KerberosTime>.Write(AsnWriter writer) => writer.WriteGeneralizedTime(Value, omitFractionalSeconds: true);

    static KerberosTime IDerElement<KerberosTime>.Read(DerCursor cursor) => cursor.ReadKerberosTime();

    public override string ToString() => Value.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
