using System.Runtime.InteropServices;
using System.Text;

namespace RdpHandshake.IntegrationTests;

/// <summary>
/// The initiating side of a Kerberos GSS-API context (RFC 4121) through the system's MIT Kerberos
/// (libgssapi_krb5.so.2): an independent Kerberos client for testing the test server's acceptor. Its credential is a
/// credential cache that already holds the service ticket (<see cref="KdcFixture.GetServiceTicketAsync"/> runs kinit
/// and kvno as child processes with the realm's KRB5_CONFIG), taken through <c>gss_acquire_cred_from</c>'s "ccache"
/// store: nothing here reads the process environment (libgssapi reads KRB5_CONFIG and KRB5CCNAME from the C
/// environment, which <c>Environment.SetEnvironmentVariable</c> does not change), so tests with different caches and
/// realms run side by side. The tokens are raw Kerberos tokens (RFC 4121 4.1); the caller wraps them in SPNEGO.
/// </summary>
internal sealed class GssInitiator : IDisposable
{
    private const string Library = "libgssapi_krb5.so.2";

    /// <summary>gss_req_flags (RFC 2744 5.19): MUTUAL, REPLAY, SEQUENCE, CONF, INTEG, as CredSSP asks for them.</summary>
    private const uint MutualFlag = 2;
    private const uint OtherFlags = 4 | 8 | 16 | 32;

    /// <summary>The Kerberos V5 mechanism, 1.2.840.113554.1.2.2, and its principal name type, ...2.1 (RFC 1964 2.1.1).</summary>
    private static readonly IntPtr KerberosMech = AllocOid([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02]);
    private static readonly IntPtr PrincipalNameType = AllocOid([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02, 0x01]);

    private readonly uint _flags;
    private IntPtr _credential;
    private IntPtr _target;
    private IntPtr _context;

    private GssInitiator(IntPtr credential, IntPtr target, bool mutual)
    {
        _credential = credential;
        _target = target;
        _flags = OtherFlags | (mutual ? MutualFlag : 0);
    }

    public bool IsComplete { get; private set; }

    /// <summary>An initiator for <paramref name="servicePrincipal"/> (e.g. TERMSRV/localhost@RDPHS.TEST) from the cache <paramref name="ccache"/>.</summary>
    public static GssInitiator Create(string ccache, string servicePrincipal, bool mutual = true)
    {
        IntPtr key = Marshal.StringToCoTaskMemUTF8("ccache");
        IntPtr value = Marshal.StringToCoTaskMemUTF8("FILE:" + ccache);
        IntPtr element = Marshal.AllocCoTaskMem(2 * IntPtr.Size);
        byte[] name = Encoding.UTF8.GetBytes(servicePrincipal);
        GCHandle pin = GCHandle.Alloc(name, GCHandleType.Pinned);
        try
        {
            Marshal.WriteIntPtr(element, 0, key);
            Marshal.WriteIntPtr(element, IntPtr.Size, value);
            var store = new KeyValueSet { Count = 1, Elements = element };
            Check(gss_acquire_cred_from(out uint minor, IntPtr.Zero, 0, IntPtr.Zero, 1 /* GSS_C_INITIATE */, ref store, out IntPtr credential, IntPtr.Zero, IntPtr.Zero), minor, "gss_acquire_cred_from");
            var buffer = new GssBuffer { Length = (nuint)name.Length, Value = pin.AddrOfPinnedObject() };
            Check(gss_import_name(out minor, ref buffer, PrincipalNameType, out IntPtr target), minor, "gss_import_name");
            return new GssInitiator(credential, target, mutual);
        }
        finally
        {
            pin.Free();
            Marshal.FreeCoTaskMem(element);
            Marshal.FreeCoTaskMem(value);
            Marshal.FreeCoTaskMem(key);
        }
    }

    /// <summary>One gss_init_sec_context call: the first with no input (the AP-REQ), the next with the AP-REP.</summary>
    public byte[] Step(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        GCHandle pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        var output = default(GssBuffer);
        try
        {
            var buffer = new GssBuffer { Length = (nuint)bytes.Length, Value = bytes.Length == 0 ? IntPtr.Zero : pin.AddrOfPinnedObject() };
            uint major = gss_init_sec_context(out uint minor, _credential, ref _context, _target, KerberosMech, _flags, 0, IntPtr.Zero, ref buffer, IntPtr.Zero, ref output, out _, IntPtr.Zero);
            byte[] token = Take(ref output);
            if (major is not (0 or 1))
            {
                throw new GssException($"gss_init_sec_context: {Describe(major, minor)}", token, minor);
            }

            IsComplete = major == 0;
            return token;
        }
        finally
        {
            pin.Free();
        }
    }

    /// <summary>gss_wrap with confidentiality.</summary>
    public byte[] Wrap(ReadOnlySpan<byte> data) => Transform(data, wrap: true);

    /// <summary>gss_unwrap; throws when the token does not verify.</summary>
    public byte[] Unwrap(ReadOnlySpan<byte> data) => Transform(data, wrap: false);

    public void Dispose()
    {
        if (_context != IntPtr.Zero)
        {
            gss_delete_sec_context(out _, ref _context, IntPtr.Zero);
        }

        if (_target != IntPtr.Zero)
        {
            gss_release_name(out _, ref _target);
        }

        if (_credential != IntPtr.Zero)
        {
            gss_release_cred(out _, ref _credential);
        }
    }

    private byte[] Transform(ReadOnlySpan<byte> data, bool wrap)
    {
        byte[] bytes = data.ToArray();
        GCHandle pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        var output = default(GssBuffer);
        try
        {
            var buffer = new GssBuffer { Length = (nuint)bytes.Length, Value = pin.AddrOfPinnedObject() };
            uint major = wrap
                ? gss_wrap(out uint minor, _context, 1, 0, ref buffer, out _, ref output)
                : gss_unwrap(out minor, _context, ref buffer, ref output, out _, out _);
            byte[] result = Take(ref output);
            return major == 0 ? result : throw new GssException($"{(wrap ? "gss_wrap" : "gss_unwrap")}: {Describe(major, minor)}", [], minor);
        }
        finally
        {
            pin.Free();
        }
    }

    private static void Check(uint major, uint minor, string call)
    {
        if (major != 0)
        {
            throw new GssException($"{call}: {Describe(major, minor)}", [], minor);
        }
    }

    private static string Describe(uint major, uint minor)
    {
        var parts = new List<string>();
        foreach ((uint code, int type) in new[] { (major, 1), (minor, 2) })
        {
            uint messageContext = 0;
            do
            {
                var text = default(GssBuffer);
                if (code == 0 || gss_display_status(out _, code, type, IntPtr.Zero, ref messageContext, ref text) != 0)
                {
                    break;
                }

                parts.Add(Encoding.UTF8.GetString(Take(ref text)).Trim());
            }
            while (messageContext != 0);
        }

        return string.Join("; ", parts.Where(p => p.Length > 0));
    }

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

    /// <summary>A gss_OID_desc { OM_uint32 length; void *elements; } for the process's lifetime.</summary>
    private static IntPtr AllocOid(byte[] der)
    {
        IntPtr elements = Marshal.AllocHGlobal(der.Length);
        Marshal.Copy(der, 0, elements, der.Length);
        IntPtr oid = Marshal.AllocHGlobal(Marshal.SizeOf<GssOid>());
        Marshal.StructureToPtr(new GssOid { Length = (uint)der.Length, Elements = elements }, oid, fDeleteOld: false);
        return oid;
    }

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
    private struct KeyValueSet
    {
        public uint Count;
        public IntPtr Elements;
    }

    [DllImport(Library)]
    private static extern uint gss_acquire_cred_from(out uint minor, IntPtr desiredName, uint timeRequest, IntPtr desiredMechs, int usage, ref KeyValueSet store, out IntPtr credential, IntPtr actualMechs, IntPtr timeReceived);

    [DllImport(Library)]
    private static extern uint gss_import_name(out uint minor, ref GssBuffer name, IntPtr nameType, out IntPtr output);

    [DllImport(Library)]
    private static extern uint gss_init_sec_context(out uint minor, IntPtr credential, ref IntPtr context, IntPtr target, IntPtr mechanism, uint flags, uint timeRequest, IntPtr channelBindings, ref GssBuffer input, IntPtr actualMechanism, ref GssBuffer output, out uint returnedFlags, IntPtr timeReceived);

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

/// <summary>
/// A GSS-API call failed; <see cref="Token"/> is the error token it produced, if any, and <see cref="Minor"/> its minor
/// status (for Kerberos, MIT's com_err code: -1765328384 + the RFC 4120 error-code). The message's text for a minor
/// code is the last one MIT saved for that code on the calling thread, which may be another context's (an acceptor's
/// in the same process): compare codes, not words.
/// </summary>
internal sealed class GssException(string message, byte[] token, uint minor) : Exception(message)
{
    public byte[] Token { get; } = token;

    public uint Minor { get; } = minor;

    /// <summary>The RFC 4120 error-code the minor status stands for, when it stands for one.</summary>
    public int? KerberosError => (int)Minor - -1765328384 is >= 0 and < 128 and int code ? code : null;
}
