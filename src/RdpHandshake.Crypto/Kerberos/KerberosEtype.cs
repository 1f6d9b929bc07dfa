namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// The Kerberos encryption types this library implements, numbered as RFC 3961 8 and the IANA "Kerberos Encryption
/// Type Numbers" registry assign them. <see cref="KerberosEtypeNames.RfcName"/> gives each its name as the defining RFC
/// spells it.
/// </summary>
public enum KerberosEtype
{
    /// <summary>aes128-cts-hmac-sha1-96 (RFC 3962 7).</summary>
    Aes128CtsHmacSha196 = 17,

    /// <summary>aes256-cts-hmac-sha1-96 (RFC 3962 7).</summary>
    Aes256CtsHmacSha196 = 18,

    /// <summary>aes128-cts-hmac-sha256-128 (RFC 8009 5).</summary>
    Aes128CtsHmacSha256128 = 19,

    /// <summary>aes256-cts-hmac-sha384-192 (RFC 8009 5).</summary>
    Aes256CtsHmacSha384192 = 20,

    /// <summary>rc4-hmac (RFC 4757 5).</summary>
    Rc4Hmac = 23,
}

/// <summary>The names of <see cref="KerberosEtype"/> members as RFC 3962, RFC 8009 and RFC 4757 write them.</summary>
public static class KerberosEtypeNames
{
    /// <summary>
    /// The etype's name as its RFC spells it. RFC 8009 4 puts this exact string (without a terminating zero) into the
    /// string-to-key salt, so it is protocol data, not only a label.
    /// </summary>
    public static string RfcName(this KerberosEtype etype) => etype switch
    {
        KerberosEtype.Aes128CtsHmacSha196 => "aes128-cts-hmac-sha1-96",
        KerberosEtype.Aes256CtsHmacSha196 => "aes256-cts-hmac-sha1-96",
        KerberosEtype.Aes128CtsHmacSha256128 => "aes128-cts-hmac-sha256-128",
        KerberosEtype.Aes256CtsHmacSha384192 => "aes256-cts-hmac-sha384-192",
        KerberosEtype.Rc4Hmac => "rc4-hmac",
    };
}
