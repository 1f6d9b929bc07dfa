using System.Formats.Asn1;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 5.2.2 PrincipalName: <c>SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }</c>.
/// The realm travels beside it (crealm, realm, srealm).
/// </summary>
/// <param name="NameType">How to read the components (RFC 4120 6.2).</param>
/// <param name="NameString">The components, e.g. <c>["krbtgt", "EXAMPLE.COM"]</c>.</param>
public sealed record PrincipalName(PrincipalNameType NameType, SequenceOf<string> NameString) : IPdu<PrincipalName>, IDerElement<PrincipalName>
{
    /// <summary>The service name under which a Windows remote desktop server registers its principal (TERMSRV/host).</summary>
    public const string TermSrvService = "TERMSRV";

    /// <summary>The service name of a ticket-granting service (RFC 4120 7.3).</summary>
    public const string KrbtgtService = "krbtgt";

    public static string PduName => "Kerberos PrincipalName";

    /// <summary>A user, NT-PRINCIPAL with one component (RFC 4120 6.2), as the cname of an AS-REQ.</summary>
    public static PrincipalName User(string name) => new(PrincipalNameType.Principal, [name]);

    /// <summary>The ticket-granting service of <paramref name="realm"/>: NT-SRV-INST <c>krbtgt/REALM</c> (RFC 4120 7.3).</summary>
    public static PrincipalName Krbtgt(string realm) => new(PrincipalNameType.SrvInst, [KrbtgtService, realm]);

    /// <summary>A remote desktop server's service principal, NT-SRV-INST <c>TERMSRV/host</c>.</summary>
    public static PrincipalName TermSrv(string host) => new(PrincipalNameType.SrvInst, [TermSrvService, host]);

    /// <summary>
    /// Parses a service name written <c>service/instance[/more]</c> (no realm) into NT-SRV-INST components; a
    /// backslash escapes the next character (RFC 1964 2.1.1 shows names this way). False for an empty component,
    /// a trailing backslash, or an unescaped <c>@</c> (a realm does not belong in the name).
    /// </summary>
    public static bool TryParseService(string text, out PrincipalName? name)
    {
        name = null;
        var components = new List<string>();
        var current = new System.Text.StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\')
            {
                if (i + 1 == text.Length)
                {
                    return false;
                }

                current.Append(text[++i]);
            }
            else if (c == '/')
            {
                components.Add(current.ToString());
                current.Clear();
            }
            else if (c == '@')
            {
                return false;
            }
            else
            {
                current.Append(c);
            }
        }

        components.Add(current.ToString());
        if (components.Count < 2 || components.Exists(string.IsNullOrEmpty))
        {
            return false;
        }

        name = new PrincipalName(PrincipalNameType.SrvInst, new SequenceOf<string>(components));
        return true;
    }

    public int Size => KerberosDer.Size(this);

    public void Encode(ref PduWriter writer) => KerberosDer.Encode(this, ref writer);

    public static DecodeResult<PrincipalName> Decode(ref PduReader reader) => KerberosDer.Decode<PrincipalName>(ref reader, PduName);

    void IDerElement<PrincipalName>.Write(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            KerberosDer.WriteInt32Field(writer, 0, (int)NameType);
            using (writer.PushSequence(KerberosDer.Context(1)))
            using (writer.PushSequence())
            {
                foreach (string component in NameString)
                {
                    KerberosDer.WriteGeneralString(writer, component);
                }
            }
        }
    }

    static PrincipalName IDerElement<PrincipalName>.Read(DerCursor cursor)
    {
        DerCursor sequence = cursor.Enter(Asn1Tag.Sequence);
        var type = (PrincipalNameType)sequence.Explicit(0, "name-type").ReadInt32AndEnd();
        SequenceOf<string> names = sequence.Explicit(1, "name-string").ReadSequenceOf(static c => c.ReadGeneralString());
        sequence.End();
        return new PrincipalName(type, names);
    }

    /// <summary>The components joined with <c>/</c>, with <c>/</c>, <c>@</c> and <c>\</c> escaped: <c>TERMSRV/host</c>.</summary>
    public override string ToString() =>
        string.Join('/', NameString.Select(static c => c.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("/", "\\/", StringComparison.Ordinal).Replace("@", "\\@", StringComparison.Ordinal)));
}
