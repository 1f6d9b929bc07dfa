using System.Diagnostics.CodeAnalysis;
using RdpHandshake.Protocol.Encoding;

namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// GSS-API context flags as the authenticator checksum carries them (RFC 4121 4.1.1.1; the values of the RFC 2744 C bindings), with
/// the three RFC 4757 7.1 adds for Windows (MS-KILE 3.2.5.2). Named as the RFCs spell them.
/// </summary>
[Flags]
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "the names RFC 4121 and RFC 2744 give")]
public enum GssContextFlags : uint
{
    None = 0,

    /// <summary>Delegate the credentials: the Deleg field holds a KRB-CRED.</summary>
    GSS_C_DELEG_FLAG = 1,

    /// <summary>Mutual authentication: the acceptor answers with an AP-REP.</summary>
    GSS_C_MUTUAL_FLAG = 2,

    /// <summary>Replay detection for per-message tokens.</summary>
    GSS_C_REPLAY_FLAG = 4,

    /// <summary>Out-of-sequence detection for per-message tokens.</summary>
    GSS_C_SEQUENCE_FLAG = 8,

    /// <summary>Confidentiality (wrap with encryption) available.</summary>
    GSS_C_CONF_FLAG = 16,

    /// <summary>Integrity (MIC, wrap) available.</summary>
    GSS_C_INTEG_FLAG = 32,

    /// <summary>Anonymous initiator (RFC 2744).</summary>
    GSS_C_ANON_FLAG = 64,

    /// <summary>Protection ready before the context is complete (RFC 2744).</summary>
    GSS_C_PROT_READY_FLAG = 128,

    /// <summary>The context may be exported (RFC 2744); MIT sets it in the checksum.</summary>
    GSS_C_TRANS_FLAG = 256,

    /// <summary>DCE-style three-leg exchange (RFC 4757 7.1).</summary>
    GSS_C_DCE_STYLE = 0x1000,

    /// <summary>Identify-level impersonation only (RFC 4757 7.1).</summary>
    GSS_C_IDENTIFY_FLAG = 0x2000,

    /// <summary>The initiator wants extended errors, KERB-ERROR-DATA (RFC 4757 7.1, MS-KILE 3.2.5.2).</summary>
    GSS_C_EXTENDED_ERROR_FLAG = 0x4000,
}

/// <summary>
/// RFC 4121 4.1.1 authenticator checksum, the value of a <see cref="Checksum"/> of type 0x8003
/// (<see cref="ChecksumType.Gssapi"/>): Lgth (4 bytes LE, 16), Bnd (16 bytes of channel binding hash, zero for none,
/// 4.1.1.2), Flags (4 bytes LE), then, if and only if GSS_C_DELEG_FLAG is set, DlgOpt (2 bytes LE, 1), Dlgth (2 bytes
/// LE) and Deleg (a KRB-CRED of Dlgth bytes), then Exts (whatever follows).
/// </summary>
/// <param name="Bnd">The 16-byte channel binding hash.</param>
/// <param name="Flags">The context flags requested.</param>
/// <param name="Deleg">The KRB-CRED; present exactly when <paramref name="Flags"/> has GSS_C_DELEG_FLAG.</param>
/// <param name="Exts">Extension bytes after the fixed part (and after Deleg); empty when none.</param>
public sealed record GssChecksum(ByteString Bnd, GssContextFlags Flags, ByteString? Deleg = null, ByteString Exts = default) : IPdu<GssChecksum>
{
    /// <summary>The value of Lgth: Bnd is 16 bytes.</summary>
    public const int BindingLength = 16;

    public const int FixedPartSize = 4 /* Lgth */ + BindingLength /* Bnd */ + 4 /* Flags */;

    private const int DelegationHeaderSize = 2 /* DlgOpt */ + 2 /* Dlgth */;

    /// <summary>The only delegation option RFC 4121 4.1.1 defines: Deleg is a KRB-CRED.</summary>
    public const ushort DlgOptKrbCred = 1;

    public static string PduName => "GSS-API Kerberos checksum (0x8003)";

    /// <summary>No channel bindings: Bnd all zero (RFC 4121 4.1.1.2).</summary>
    public static ByteString NoChannelBindings { get; } = new(new byte[BindingLength]);

    /// <summary>This checksum as the cksum of an <see cref="Authenticator"/>.</summary>
    public Checksum ToChecksum() => new(ChecksumType.Gssapi, new ByteString(Pdu.Encode(this)));

    public int Size => FixedPartSize + (Deleg is { } deleg ? DelegationHeaderSize + deleg.Length : 0) + Exts.Length;

    public void Encode(ref PduWriter writer)
    {
        bool delegating = (Flags & GssContextFlags.GSS_C_DELEG_FLAG) != 0;
        if (Bnd.Length != BindingLength || delegating != Deleg.HasValue || Deleg is { Length: > ushort.MaxValue })
        {
            ThrowHelper.ThrowInvalidState("encoding a GSS-API checksum", "Bnd is not 16 bytes, or Deleg disagrees with GSS_C_DELEG_FLAG, or is over 65535 bytes");
        }

        writer.WriteUInt32Le(BindingLength);
        writer.WriteBytes(Bnd.Span);
        writer.WriteUInt32Le((uint)Flags);
        if (Deleg is { } deleg)
        {
            writer.WriteUInt16Le(DlgOptKrbCred);
            writer.WriteUInt16Le((ushort)deleg.Length);
            writer.WriteBytes(deleg.Span);
        }

        writer.WriteBytes(Exts.Span);
    }

    /// <summary>Decodes the checksum value; it fills the rest of the input (Exts take whatever follows).</summary>
    public static DecodeResult<GssChecksum> Decode(ref PduReader reader)
    {
        int start = reader.Position;
        if (reader.Remaining > KerberosLimits.MaxMessageSize)
        {
            return DecodeError.LengthLimit(PduName, "length", start, KerberosLimits.MaxMessageSize, reader.Remaining);
        }

        if (reader.Ensure(FixedPartSize, PduName) is { } missing)
        {
            return missing;
        }

        uint length = reader.ReadUInt32Le();
        if (length != BindingLength)
        {
            return DecodeError.InvalidField(PduName, "Lgth", $"expected {BindingLength}, got {length}", start, BindingLength, length);
        }

        var bnd = new ByteString(reader.ReadBytes(BindingLength));
        var flags = (GssContextFlags)reader.ReadUInt32Le();
        ByteString? deleg = null;
        if ((flags & GssContextFlags.GSS_C_DELEG_FLAG) != 0)
        {
            if (reader.Ensure(DelegationHeaderSize, PduName) is { } noOption)
            {
                return noOption;
            }

            int optionOffset = reader.Position;
            ushort option = reader.ReadUInt16Le();
            if (option != DlgOptKrbCred)
            {
                return DecodeError.InvalidField(PduName, "DlgOpt", $"expected {DlgOptKrbCred}, got {option}", optionOffset, DlgOptKrbCred, option);
            }

            ushort delegLength = reader.ReadUInt16Le();
            if (reader.Ensure(delegLength, PduName) is { } shortDeleg)
            {
                return shortDeleg;
            }

            deleg = new ByteString(reader.ReadBytes(delegLength));
        }

        var exts = new ByteString(reader.ReadBytes(reader.Remaining));
        return new GssChecksum(bnd, flags, deleg, exts);
    }
}
