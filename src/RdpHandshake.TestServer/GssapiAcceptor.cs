using System.Formats.Asn1;
using System.Runtime.InteropServices;
using System.Text;

namespace RdpHandshake.TestServer;

/// <summary>How one call of the GSS-API acceptor ended (RFC 2743 2.2.2 GSS_Accept_sec_context).</summary>
internal enum GssAcceptStatus
{
    /// <summary>GSS_S_COMPLETE: the context is established; the output token, if any, is the last one.</summary>
    Complete,

    /// <summary>GSS_S_CONTINUE_NEEDED: send the output token and feed the peer's next token.</summary>
    ContinueNeeded,

    /// <summary>An error: the output token, if any, tells the peer why (a SPNEGO reject with a KRB-ERROR inside).</summary>
    Failed,
}

/// <summary>One call of the acceptor.</summary>
/// <param name="Status">How the call ended.</param>
/// <param name="Output">The token to send the peer (may be empty).</param>
/// <param name="Major">The GSS-API major status (RFC 2744 3.9.1).</param>
/// <param name="Minor">The mechanism's minor status (behind SPNEGO, SPNEGO's own).</param>
/// <param name="Message">gss_display_status of the major and minor status, empty unless the call failed.</param>
internal sealed record GssAcceptResult(GssAcceptStatus Status, byte[] Output, uint Major, uint Minor, string Message);

/// <summary>
/// The accepting side of a GSS-API security context through the system's MIT Kerberos (libgssapi_krb5.so.2), for
/// Kerberos inside SPNEGO (RFC 4178, RFC 4121). This is deliberately not <c>System.Net.Security.NegotiateAuthentication</c>:
/// on Linux that reads its keytab only from KRB5_KTNAME, which libgssapi takes from the process's C environment
/// (<c>Environment.SetEnvironmentVariable</c> does not reach it), maps every Kerberos failure to GenericFailure, and
/// drops the error token GSS-API produces. Here the acceptor credential comes from one keytab through
/// <c>gss_acquire_cred_from</c> (the "keytab" credential store, MIT 1.11 and later), so servers in one process can use
/// different keytabs, and a failure keeps its status and its token: MIT's SPNEGO answers a refused AP-REQ with a
/// NegTokenResp reject whose responseToken is the KRB-ERROR (RFC 4121 4.1, TOK_ID 03 00). Each instance is one
/// context; it is not thread-safe.
/// </summary>
internal sealed class GssapiAcceptor : IDisposable
{
    private const string Library = "libgssapi_krb5.so.2";

    /// <summary>GSS_C_ACCEPT (RFC 2744 3.12).</summary>
    private const int AcceptOnly = 2;

    /// <summary>gss_display_status status types (RFC 2744 5.11).</summary>
    private const int GssCode = 1;
    private const int MechCode = 2;

    private IntPtr _credential;
    private IntPtr _context;

    private GssapiAcceptor(IntPtr credential) => _credential = credential;

    /// <summary>The client's principal (e.g. <c>alice@RDPHS.TEST</c>), once the context completed.</summary>
    public string? ClientName { get; private set; }

    /// <summary>The mechanism the context uses (1.2.840.113554.1.2.2 for Kerberos behind SPNEGO), once it completed.</summary>
    public string? Mechanism { get; private set; }

    public bool IsComplete { get; private set; }

    /// <summary>An acceptor whose credential holds the keys of <paramref name="keytab"/>; null with the reason when it cannot.</summary>
    public static GssapiAcceptor? TryCreate(string keytab, out string? error)
    {
        IntPtr key = Marshal.StringToCoTaskMemUTF8("keytab");
        IntPtr value = Marshal.StringToCoTaskMemUTF8(keytab);
        IntPtr element = Marshal.AllocCoTaskMem(Marshal.SizeOf<KeyValue>());
        try
        {
            Marshal.StructureToPtr(new KeyValue { Key = key, Value = value }, element, fDeleteOld: false);
            var store = new KeyValueSet { Count = 1, Elements = element };
            uint major = gss_acquire_cred_from(out uint minor, IntPtr.Zero, 0, IntPtr.Zero, AcceptOnly, ref store, out IntPtr credential, IntPtr.Zero, IntPtr.Zero);
            if (major != 0)
            {
                error = $"no acceptor credential from keytab '{keytab}': {Describe(major, minor)}";
                return null;
            }

            error = null;
            return new GssapiAcceptor(credential);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            error = $"the system GSS-API ({Library}, MIT Kerberos 1.11 or later; Debian: libgssapi-krb5-2) is not available: {ex.Message}";
            return null;
        }
        finally
        {
            Marshal.FreeCoTaskMem(element);
            Marshal.FreeCoTaskMem(value);
            Marshal.FreeCoTaskMem(key);
        }
    }

    /// <summary>Null when an acceptor credential can be made from <paramref name="keytab"/>, else why not.</summary>
    public static string? Check(string keytab)
    {
        using GssapiAcceptor? acceptor = TryCreate(keytab, out string? error);
        return error;
    }

    /// <summary>Feeds the peer's token (a SPNEGO NegTokenInit or NegTokenResp, or a raw Kerberos token).</summary>
    public GssAcceptResult Accept(ReadOnlySpan<byte> token)
    {
        byte[] input = token.ToArray();
        GCHandle pin = GCHandle.Alloc(input, GCHandleType.Pinned);
        var output = default(GssBuffer);
        try
        {
            var buffer = new GssBuffer { Length = (nuint)input.Length, Value = pin.AddrOfPinnedObject() };
            uint major = gss_accept_sec_context(out uint minor, ref _context, _credential, ref buffer, IntPtr.Zero, out IntPtr name, out IntPtr mech, ref output, out _, IntPtr.Zero, IntPtr.Zero);
            byte[] answer = Take(ref output);
            if (name != IntPtr.Zero)
            {
                ClientName = DisplayName(name);
                gss_release_name(out _, ref name);
            }

            if (major == 0)
            {
                IsComplete = true;
                Mechanism = mech == IntPtr.Zero ? null : OidText(Marshal.PtrToStructure<GssOid>(mech));
                return new GssAcceptResult(GssAcceptStatus.Complete, answer, major, minor, string.Empty);
            }

            GssAcceptStatus status = major == ContinueNeeded ? GssAcceptStatus.ContinueNeeded : GssAcceptStatus.Failed;
            return new GssAcceptResult(status, answer, major, minor, status == GssAcceptStatus.Failed ? Describe(major, minor) : string.Empty);
        }
        finally
        {
            pin.Free();
        }
    }

    /// <summary>gss_wrap with confidentiality (RFC 4121 4.2.6.2 Wrap token); null with the reason when it fails.</summary>
    public byte[]? Wrap(ReadOnlySpan<byte> data, out string? error)
    {
        byte[] input = data.ToArray();
        GCHandle pin = GCHandle.Alloc(input, GCHandleType.Pinned);
        var output = default(GssBuffer);
        try
        {
            var buffer = new GssBuffer { Length = (nuint)input.Length, Value = pin.AddrOfPinnedObject() };
            uint major = gss_wrap(out uint minor, _context, 1, 0, ref buffer, out _, ref output);
            byte[] wrapped = Take(ref output);
            error = major == 0 ? null : Describe(major, minor);
            return major == 0 ? wrapped : null;
        }
        finally
        {
            pin.Free();
        }
    }

    /// <summary>gss_unwrap; null with the reason when the token does not verify or was not encrypted.</summary>
    public byte[]? Unwrap(ReadOnlySpan<byte> data, out string? error)
    {
        byte[] input = data.ToArray();
        GCHandle pin = GCHandle.Alloc(input, GCHandleType.Pinned);
        var output = default(GssBuffer);
        try
        {
            var buffer = new GssBuffer { Length = (nuint)input.Length, Value = pin.AddrOfPinnedObject() };
            uint major = gss_unwrap(out uint minor, _context, ref buffer, ref output, out int encrypted, out _);
            byte[] plain = Take(ref output);
            if (major != 0)
            {
                error = Describe(major, minor);
                return null;
            }

            if (encrypted == 0)
            {
                // MS-CSSP 3.1.5: pubKeyAuth and authInfo are encrypted (EncryptMessage), not only signed.
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
                error = "the wrap token is signed but not encrypted";
                return null;
            }

            error = null;
            return plain;
        }
        finally
        {
            pin.Free();
        }
    }

    public void Dispose()
    {
        if (_context != IntPtr.Zero)
        {
            gss_delete_sec_context(out _, ref _context, IntPtr.Zero);
        }

        if (_credential != IntPtr.Zero)
        {
            gss_release_cred(out _, ref _credential);
        }
    }

    /// <summary>
    /// The error-code of the KRB-ERROR (RFC 4120 5.9.1) inside a GSS-API error token (RFC 4121 4.1: [APPLICATION 0]
    /// { mech OID, TOK_ID 03 00, KRB-ERROR }), e.g. 31 KRB_AP_ERR_BAD_INTEGRITY; null when the token is not one.
    /// </summary>
    public static int? KerberosErrorCode(ReadOnlySpan<byte> gssToken)
    {
        try
        {
            Asn1Tag outer = new(TagClass.Application, 0, isConstructed: true);
            if (!AsnDecoder.TryReadEncodedValue(gssToken, AsnEncodingRules.DER, out Asn1Tag tag, out int contentOffset, out int contentLength, out _)
                || !tag.HasSameClassAndValue(outer))
            {
                return null;
            }

            ReadOnlySpan<byte> content = gssToken.Slice(contentOffset, contentLength);
            AsnDecoder.ReadObjectIdentifier(content, AsnEncodingRules.DER, out int oidLength);
            ReadOnlySpan<byte> inner = content[oidLength..];
            if (inner.Length < 2 || inner[0] != 0x03 || inner[1] != 0x00)
            {
                return null;
            }

            var krbError = new AsnReader(inner[2..].ToArray(), AsnEncodingRules.DER).ReadSequence(new Asn1Tag(TagClass.Application, 30, isConstructed: true)).ReadSequence();
            while (krbError.HasData)
            {
                Asn1Tag field = krbError.PeekTag();
                if (field.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 6)))
                {
                    return krbError.ReadSequence(field).TryReadInt32(out int code) ? code : null;
                }

                krbError.ReadEncodedValue();
            }

            return null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private const uint ContinueNeeded = 1; // GSS_S_CONTINUE_NEEDED, a supplementary status bit (RFC 2744 3.9.1)

    private static string DisplayName(IntPtr name)
    {
        var text = default(GssBuffer);
        return gss_display_name(out _, name, ref text, IntPtr.Zero) == 0 ? Encoding.UTF8.GetString(Take(ref text)) : "(no name)";
    }

    private static string OidText(GssOid oid)
    {
        // A mechanism OID is a few bytes: one length byte (X.690 8.1.3.4, short form) frames it.
        byte[] der = new byte[2 + oid.Length];
        der[0] = 0x06;
        der[1] = checked((byte)oid.Length);
        Marshal.Copy(oid.Elements, der, 2, (int)oid.Length);
        return AsnDecoder.ReadObjectIdentifier(der, AsnEncodingRules.DER, out _);
    }

    /// <summary>The GSS-API messages of both statuses (gss_display_status), as MIT words them.</summary>
    private static string Describe(uint major, uint minor)
    {
        var parts = new List<string>();
        foreach ((uint code, int type) in new[] { (major, GssCode), (minor, MechCode) })
        {
            uint messageContext = 0;
            while (code != 0)
            {
                var text = default(GssBuffer);
                if (gss_display_status(out _, code, type, IntPtr.Zero, ref messageContext, ref text) != 0)
                {
                    break;
                }

                string message = Encoding.UTF8.GetString(Take(ref text)).Trim();
                if (message.Length > 0)
                {
                    parts.Add(message);
                }

                if (messageContext == 0)
                {
                    break;
                }
            }
        }

        return parts.Count == 0 ? $"GSS-API major 0x{major:x8}, minor {minor}" : string.Join("; ", parts);
    }

    /// <summary>Copies a buffer GSS-API allocated and releases it.</summary>
    private static byte[] Take(ref GssBuffer buffer)
    {
        byte[] bytes = new byte[checked((int)buffer.Length)];
        if (bytes.Length > 0)
        {
            Marshal.Copy(buffer.Value, bytes, 0, bytes.Length);
        }

        if (buffer.Value != IntPtr.Zero)
        {
            gss_release_buffer(out _, ref buffer);
        }

        return bytes;
    }

    // RFC 2744 3 data types, as MIT lays them out (gssapi.h): gss_buffer_desc { size_t length; void *value; },
    // gss_OID_desc { OM_uint32 length; void *elements; }, and MIT's gss_key_value_set (gssapi_ext.h).
    [StructLayout(LayoutKind.Sequential)]
    private struct GssBuffer
    {
        public nuint Length;
        public IntPtr Value;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct GssOid
    {
        public uint Length;
        public IntPtr Elements;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct KeyValue
    {
        public IntPtr Key;
        public IntPtr Value;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct KeyValueSet
    {
        public uint Count;
        public IntPtr Elements;
    }

    [DllImport(Library)]
    private static extern uint gss_acquire_cred_from(out uint minor, IntPtr desiredName, uint timeRequest, IntPtr desiredMechs, int usage, ref KeyValueSet store, out IntPtr credential, IntPtr actualMechs, IntPtr timeReceived);

    [DllImport(Library)]
    private static extern uint gss_accept_sec_context(out uint minor, ref IntPtr context, IntPtr credential, ref GssBuffer input, IntPtr channelBindings, out IntPtr sourceName, out IntPtr mechanism, ref GssBuffer output, out uint flags, IntPtr timeReceived, IntPtr delegated);

    [DllImport(Library)]
    private static extern uint gss_display_name(out uint minor, IntPtr name, ref GssBuffer output, IntPtr nameType);

    [DllImport(Library)]
    private static extern uint gss_display_status(out uint minor, uint status, int statusType, IntPtr mechanism, ref uint messageContext, ref GssBuffer output);

    [DllImport(Library)]
    private static extern uint gss_wrap(out uint minor, IntPtr context, int confidential, uint qop, ref GssBuffer input, out int encrypted, ref GssBuffer output);

    [DllImport(Library)]
    private static extern uint gss_unwrap(out uint minor, IntPtr context, ref GssBuffer input, ref GssBuffer output, out int encrypted, out uint qop);

    [DllImport(Library)]
    private static extern uint gss_release_buffer(out uint minor, ref GssBuffer buffer);

    [DllImport(Library)]
    private static extern uint gss_release_name(out uint minor, ref IntPtr name);

    [DllImport(Library)]
    private static extern uint gss_release_cred(out uint minor, ref IntPtr credential);

    [DllImport(Library)]
    private static extern uint gss_delete_sec_context(out uint minor, ref IntPtr context, IntPtr output);
}
