using RdpHandshake.Protocol.Kerberos;

namespace RdpHandshake.Crypto.Kerberos;

/// <summary>
/// The initiator's per-message protection once the Kerberos context is established: RFC 4121 tokens for the AES
/// types, with the rotation Windows SSPI uses so that a Windows acceptor reads them as its own, and RFC 4757 tokens
/// for rc4-hmac.
/// </summary>
internal abstract class MessageProtection : IDisposable
{
    public static MessageProtection Create(EncryptionKey contextKey, bool acceptorSubkey, uint sendSequence, uint receiveSequence) =>
        (KerberosEtype)contextKey.KeyType == KerberosEtype.Rc4Hmac
            ? new Rc4(new Rfc4757MessageProtection(contextKey.KeyValue.Span, isInitiator: true, sendSequence, receiveSequence))
            : new Aes(new Rfc4121MessageProtection((KerberosEtype)contextKey.KeyType, contextKey.KeyValue.Span, isInitiator: true, acceptorSubkey, sendSequence, receiveSequence));

    public abstract byte[] Wrap(ReadOnlySpan<byte> message);

    public abstract byte[]? Unwrap(ReadOnlySpan<byte> token);

    public abstract byte[] GetMic(ReadOnlySpan<byte> message);

    public abstract bool VerifyMic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> token);

    public abstract void Dispose();

    private sealed class Aes(Rfc4121MessageProtection protection) : MessageProtection
    {
        public override byte[] Wrap(ReadOnlySpan<byte> message) => protection.Wrap(message, protection.SspiRightRotationCount);

        public override byte[]? Unwrap(ReadOnlySpan<byte> token) => protection.Unwrap(token);

        public override byte[] GetMic(ReadOnlySpan<byte> message) => protection.GetMic(message);

        public override bool VerifyMic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> token) => protection.VerifyMic(message, token);

        public override void Dispose() => protection.Dispose();
    }

    private sealed class Rc4(Rfc4757MessageProtection protection) : MessageProtection
    {
        public override byte[] Wrap(ReadOnlySpan<byte> message) => protection.Wrap(message);

        public override byte[]? Unwrap(ReadOnlySpan<byte> token) => protection.Unwrap(token);

        public override byte[] GetMic(ReadOnlySpan<byte> message) => protection.GetMic(message);

        public override bool VerifyMic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> token) => protection.VerifyMic(message, token);

        public override void Dispose() => protection.Dispose();
    }
}
