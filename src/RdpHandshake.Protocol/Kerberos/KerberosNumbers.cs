namespace RdpHandshake.Protocol.Kerberos;

/// <summary>
/// RFC 4120 7.5.7 message types: the msg-type field and, for the messages, the APPLICATION tag number too
/// (RFC 4120 5.4.1, 5.5, 5.9.1). <see cref="KerberosNames.MessageType"/> gives the RFC's names.
/// </summary>
public enum KerberosMessageType
{
    /// <summary>KRB_AS_REQ, AS-REQ [APPLICATION 10].</summary>
    AsReq = 10,

    /// <summary>KRB_AS_REP, AS-REP [APPLICATION 11].</summary>
    AsRep = 11,

    /// <summary>KRB_TGS_REQ, TGS-REQ [APPLICATION 12].</summary>
    TgsReq = 12,

    /// <summary>KRB_TGS_REP, TGS-REP [APPLICATION 13].</summary>
    TgsRep = 13,

    /// <summary>KRB_AP_REQ, AP-REQ [APPLICATION 14].</summary>
    ApReq = 14,

    /// <summary>KRB_AP_REP, AP-REP [APPLICATION 15].</summary>
    ApRep = 15,

    /// <summary>KRB_SAFE [APPLICATION 20].</summary>
    KrbSafe = 20,

    /// <summary>KRB_PRIV [APPLICATION 21].</summary>
    KrbPriv = 21,

    /// <summary>KRB_CRED [APPLICATION 22].</summary>
    KrbCred = 22,

    /// <summary>KRB_ERROR [APPLICATION 30].</summary>
    KrbError = 30,
}

/// <summary>RFC 4120 6.2 name types (name-type of a PrincipalName), with NT-ENTERPRISE of RFC 6806 5 and NT-WELLKNOWN of RFC 8062 3.</summary>
public enum PrincipalNameType
{
    /// <summary>NT-UNKNOWN: name type not known.</summary>
    Unknown = 0,

    /// <summary>NT-PRINCIPAL: just the name of the principal, as in DCE or for users.</summary>
    Principal = 1,

    /// <summary>NT-SRV-INST: service and other unique instance (krbtgt/REALM, TERMSRV/host as Windows sends it).</summary>
    SrvInst = 2,

    /// <summary>NT-SRV-HST: service with host name as instance (telnet, rcommands).</summary>
    SrvHst = 3,

    /// <summary>NT-SRV-XHST: service with host as remaining components.</summary>
    SrvXhst = 4,

    /// <summary>NT-UID: unique ID.</summary>
    Uid = 5,

    /// <summary>NT-X500-PRINCIPAL: encoded X.509 Distinguished name (RFC 2253).</summary>
    X500Principal = 6,

    /// <summary>NT-SMTP-NAME: name in form of SMTP email name.</summary>
    SmtpName = 7,

    /// <summary>NT-ENTERPRISE: enterprise name, a user@domain UPN in one component (RFC 6806 5).</summary>
    Enterprise = 10,

    /// <summary>NT-WELLKNOWN: a well-known name such as WELLKNOWN/ANONYMOUS (RFC 8062 3).</summary>
    WellKnown = 11,
}

/// <summary>
/// Encryption type numbers (etype, keytype) of RFC 3961 8, RFC 3962 7, RFC 8009 and RFC 4757; the wire carries any
/// Int32, so values outside this list stay as numbers. <see cref="KerberosNames.EncryptionType(int)"/> gives the names.
/// </summary>
public enum EncryptionType
{
    /// <summary>des-cbc-crc (RFC 3961 6.2.3; removed by RFC 6649).</summary>
    DesCbcCrc = 1,

    /// <summary>des-cbc-md4 (RFC 3961 6.2.2; removed by RFC 6649).</summary>
    DesCbcMd4 = 2,

    /// <summary>des-cbc-md5 (RFC 3961 6.2.1; removed by RFC 6649).</summary>
    DesCbcMd5 = 3,

    /// <summary>des3-cbc-sha1-kd (RFC 3961 6.3; deprecated by RFC 8429).</summary>
    Des3CbcSha1Kd = 16,

    /// <summary>aes128-cts-hmac-sha1-96 (RFC 3962).</summary>
    Aes128CtsHmacSha196 = 17,

    /// <summary>aes256-cts-hmac-sha1-96 (RFC 3962).</summary>
    Aes256CtsHmacSha196 = 18,

    /// <summary>aes128-cts-hmac-sha256-128 (RFC 8009).</summary>
    Aes128CtsHmacSha256128 = 19,

    /// <summary>aes256-cts-hmac-sha384-192 (RFC 8009).</summary>
    Aes256CtsHmacSha384192 = 20,

    /// <summary>rc4-hmac, "arcfour-hmac-md5" (RFC 4757; deprecated by RFC 8429).</summary>
    Rc4Hmac = 23,

    /// <summary>rc4-hmac-exp (RFC 4757, export strength).</summary>
    Rc4HmacExp = 24,
}

/// <summary>Checksum type numbers (cksumtype) of RFC 3961 8, RFC 3962, RFC 8009 and RFC 4757, and the GSS-API checksum of RFC 4121 4.1.1.</summary>
public enum ChecksumType
{
    /// <summary>rsa-md5 (RFC 3961 6.1.3).</summary>
    RsaMd5 = 7,

    /// <summary>hmac-sha1-des3-kd (RFC 3961 6.3).</summary>
    HmacSha1Des3Kd = 12,

    /// <summary>hmac-sha1-96-aes128 (RFC 3962).</summary>
    HmacSha196Aes128 = 15,

    /// <summary>hmac-sha1-96-aes256 (RFC 3962).</summary>
    HmacSha196Aes256 = 16,

    /// <summary>hmac-sha256-128-aes128 (RFC 8009).</summary>
    HmacSha256128Aes128 = 19,

    /// <summary>hmac-sha384-192-aes256 (RFC 8009).</summary>
    HmacSha384192Aes256 = 20,

    /// <summary>The GSS-API authenticator checksum 0x8003 (RFC 4121 4.1.1), carried as <see cref="GssChecksum"/>.</summary>
    Gssapi = 0x8003,

    /// <summary>hmac-md5 of RFC 4757 4, number -138.</summary>
    HmacMd5 = -138,
}

/// <summary>
/// Pre-authentication data types (padata-type) of RFC 4120 7.5.2, RFC 6113 7.1, RFC 6806 and MS-KILE 3.1.5.1.
/// <see cref="KerberosNames.PaDataType"/> gives the names.
/// </summary>
public enum PaDataType
{
    /// <summary>PA-TGS-REQ: the AP-REQ of a TGS-REQ.</summary>
    TgsReq = 1,

    /// <summary>PA-ENC-TIMESTAMP: an encrypted <see cref="PaEncTsEnc"/>.</summary>
    EncTimestamp = 2,

    /// <summary>PA-PW-SALT: a salt; in a Windows KDC's KRB-ERROR e-data, a KERB-EXT-ERROR (MS-KILE 2.2.1) instead.</summary>
    PwSalt = 3,

    /// <summary>PA-ETYPE-INFO (RFC 4120 5.2.7.4).</summary>
    EtypeInfo = 11,

    /// <summary>PA-PK-AS-REQ_OLD (MS-PKCA).</summary>
    PkAsReqOld = 14,

    /// <summary>PA-PK-AS-REP_OLD (MS-PKCA).</summary>
    PkAsRepOld = 15,

    /// <summary>PA-PK-AS-REQ (RFC 4556).</summary>
    PkAsReq = 16,

    /// <summary>PA-PK-AS-REP (RFC 4556).</summary>
    PkAsRep = 17,

    /// <summary>PA-ETYPE-INFO2 (RFC 4120 5.2.7.5): <see cref="EtypeInfo2Entry"/> values.</summary>
    EtypeInfo2 = 19,

    /// <summary>PA-SVR-REFERRAL-INFO (MS-KILE 3.1.5.1, referrals).</summary>
    SvrReferralInfo = 20,

    /// <summary>PA-PAC-REQUEST (MS-KILE 2.2.3): a <see cref="PaPacRequest"/>.</summary>
    PacRequest = 128,

    /// <summary>PA-FOR-USER (MS-SFU 2.2.1).</summary>
    ForUser = 129,

    /// <summary>PA-FX-COOKIE (RFC 6113 5.2).</summary>
    FxCookie = 133,

    /// <summary>PA-FX-FAST (RFC 6113 5.4.1).</summary>
    FxFast = 136,

    /// <summary>PA-FX-ERROR (RFC 6113 5.4.4).</summary>
    FxError = 137,

    /// <summary>PA-ENCRYPTED-CHALLENGE (RFC 6113 6.5).</summary>
    EncryptedChallenge = 138,

    /// <summary>PA-REQ-ENC-PA-REP (RFC 6806 11).</summary>
    ReqEncPaRep = 149,

    /// <summary>PA-AS-FRESHNESS (RFC 8070 4): a freshness token for PKINIT; MIT clients send it empty.</summary>
    AsFreshness = 150,

    /// <summary>PA-SPAKE (draft-ietf-kitten-krb-spake-preauth; MIT KDCs offer it).</summary>
    Spake = 151,

    /// <summary>KERB-KEY-LIST-REQ (MS-KILE 2.2.11).</summary>
    KeyListReq = 161,

    /// <summary>KERB-KEY-LIST-REP (MS-KILE 2.2.12).</summary>
    KeyListRep = 162,

    /// <summary>PA-SUPPORTED-ENCTYPES (MS-KILE 2.2.8).</summary>
    SupportedEnctypes = 165,

    /// <summary>PA-PAC-OPTIONS (MS-KILE 2.2.10).</summary>
    PacOptions = 167,
}
