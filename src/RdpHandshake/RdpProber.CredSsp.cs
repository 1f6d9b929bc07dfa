using RdpHandshake.CredSsp;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
using RdpHandshake.Protocol.X224;
using RdpHandshake.Recording;
using RdpHandshake.Tls;
using RdpHandshake.Transport;
using C = RdpHandshake.Diagnostics.DiagnosisCatalog.EngineCauses;

namespace RdpHandshake;

public sealed partial class RdpProber
{
    private sealed partial class Run
    {
        public const string NegotiateStep = "credssp.negotiate";
        public const string ChallengeStep = "credssp.challenge";

        private CredSspResult? _credssp;
        private byte[] _ntlmNegotiate = [];
        private byte[] _ntlmChallenge = [];
        private byte[] _mechTypes = [];

        /// <summary>
        /// The first CredSSP round trip inside TLS: a TSRequest carrying SPNEGO with an NTLM NEGOTIATE (no user
        /// name, no secret), and the server's TSRequest with the NTLM CHALLENGE, which names the server.
        /// </summary>
        private async Task<Diagnosis?> RunCredSspChallengeAsync(IRdpTransport transport, TlsClientSession session, CancellationToken cancellationToken)
        {
            StepRecord step = Begin(NegotiateStep, ConnectionPhase.CredSsp);
            var negotiate = new NtlmNegotiateMessage(NtlmNegotiateMessage.CredSspClientFlags, new NtlmVersion(10, 0, 20348));
            byte[] ntlmNegotiate = Pdu.Encode(negotiate);
            _ntlmNegotiate = ntlmNegotiate;
            byte[] token = options.NtlmInSpnego ? Pdu.Encode(new SpnegoNegTokenInit([Spnego.NtlmOid], new ByteString(ntlmNegotiate))) : ntlmNegotiate;
            _mechTypes = options.NtlmInSpnego ? Spnego.MechTypesBytes(token).Value.Span.ToArray() : [];
            byte[] request = Pdu.Encode(new TsRequest(options.CredSspVersion, [new ByteString(token)]));
            var fields = new List<StepField>
            {
                new("tsRequest.version", options.CredSspVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("negoToken", options.NtlmInSpnego ? "SPNEGO NegTokenInit, mechTypes NTLM (1.3.6.1.4.1.311.2.2.10)" : "bare NTLM"),
                new("ntlm.flags", $"0x{(uint)negotiate.Flags:x8}"),
                new("plaintext", Convert.ToHexStringLower(request)),
            };
            string summary = options.NtlmInSpnego ? "TSRequest with SPNEGO NegTokenInit (NTLM NEGOTIATE)" : "TSRequest with a bare NTLM NEGOTIATE";
            if (await SendAsync(transport, step, session.Encrypt(request), TsRequest.PduName, summary, fields, cancellationToken).ConfigureAwait(false) is { } sendFailure)
            {
                return sendFailure;
            }

            step = Begin(ChallengeStep, ConnectionPhase.CredSsp);
            (byte[]? plaintext, byte[] wire, Diagnosis? readFailure) = await ReadTsRequestAsync(transport, session, step, cancellationToken).ConfigureAwait(false);
            if (readFailure is not null)
            {
                return readFailure;
            }

            DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(plaintext);
            if (!decoded.IsSuccess)
            {
                return FailCredSsp(step, wire, Causes.MalformedResponse, $"the server's answer is not a TSRequest: {decoded.Error}", decoded.Error);
            }

            TsRequest answer = decoded.Value;
            var answerFields = new List<StepField>
            {
                new("tsRequest.version", answer.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("plaintext", Clip(Convert.ToHexStringLower(plaintext!))),
            };
            if (answer.ErrorCode is { } code)
            {
                answerFields.Add(new StepField("errorCode", $"0x{code:x8}"));
                End(step, StepOutcome.Failed, $"the server answered the NTLM NEGOTIATE with error 0x{code:x8}", answerFields, received: wire, pdu: TsRequest.PduName);
                return Diagnose(ConnectionPhase.CredSsp, $"server-error:0x{code:x8}", $"the server refused the CredSSP negotiation with error 0x{code:x8}", step, null);
            }

            if (answer.NegoTokens.Count == 0)
            {
                return FailCredSsp(step, wire, Causes.MalformedResponse, "the server's TSRequest carries no negoToken", null, answerFields);
            }

            ByteString answerToken = answer.NegoTokens[0];
            string? mech = null;
            ByteString ntlm = answerToken;
            if (!answerToken.Span.StartsWith("NTLMSSP\0"u8))
            {
                var resp = Pdu.Decode<SpnegoNegTokenResp>(answerToken.Span);
                if (!resp.IsSuccess)
                {
                    return FailCredSsp(step, wire, Causes.MalformedResponse, $"the negoToken is neither SPNEGO nor NTLM: {resp.Error}", resp.Error, answerFields);
                }

                (SpnegoNegState? state, mech, ntlm, _) = resp.Value;
                answerFields.Add(new StepField("spnego.negState", state?.ToString() ?? "absent"));
                if (state == SpnegoNegState.Reject)
                {
                    End(step, StepOutcome.Failed, "the server rejected NTLM in SPNEGO", answerFields, received: wire, pdu: "SPNEGO NegTokenResp");
                    return Diagnose(ConnectionPhase.CredSsp, "ntlm-rejected", "the server's SPNEGO answer rejects NTLM (it may accept Kerberos only)", step, null);
                }
            }

            DecodeResult<NtlmChallengeMessage> challenge = Pdu.Decode<NtlmChallengeMessage>(ntlm.Span);
            if (!challenge.IsSuccess)
            {
                return FailCredSsp(step, wire, Causes.MalformedResponse, $"the server's NTLM CHALLENGE does not decode: {challenge.Error}", challenge.Error, answerFields);
            }

            _credssp = new CredSspResult(answer.Version, challenge.Value, mech) { NtlmInSpnego = options.NtlmInSpnego };
            _ntlmChallenge = ntlm.Span.ToArray();
            foreach ((string key, string value) in _credssp.Info)
            {
                answerFields.Add(new StepField($"ntlm.{key}", value));
            }

            End(step, StepOutcome.Ok, $"NTLM CHALLENGE from {challenge.Value.TargetName}{(challenge.Value.Version is { } v ? $", Windows {v.Major}.{v.Minor}.{v.Build}" : string.Empty)}, CredSSP version {answer.Version}", answerFields, received: wire, pdu: NtlmChallengeMessage.PduName);
            return null;
        }

        public const string AuthenticateStep = "credssp.authenticate";
        public const string PubKeyStep = "credssp.pubkey";
        public const string CredentialsStep = "credssp.credentials";
        public const string EarlyAuthStep = "credssp.early-user-auth";

        private static ReadOnlySpan<byte> ClientToServerMagic => "CredSSP Client-To-Server Binding Hash\0"u8;

        private static ReadOnlySpan<byte> ServerToClientMagic => "CredSSP Server-To-Client Binding Hash\0"u8;

        /// <summary>
        /// The rest of CredSSP with credentials (MS-CSSP 3.1.5): the NTLM AUTHENTICATE with pubKeyAuth (the
        /// server's public key, or from version 5 its SHA-256 binding with a client nonce), the check of the
        /// server's answer, the sealed TSCredentials, and for HYBRID_EX the Early User Authorization Result.
        /// </summary>
        private async Task<Diagnosis?> RunCredSspAuthenticationAsync(IRdpTransport transport, TlsClientSession session, Credentials credentials, CancellationToken cancellationToken)
        {
            using var ntlm = new NtlmClient();
            NtlmChallengeMessage challenge = _credssp!.Challenge!;
            int version = Math.Min(options.CredSspVersion, _credssp.ServerVersion);
            byte[] publicKey = ServerPublicKey(session.Seen.CertificateChain[0]);
            byte[] nonce = version >= TsRequest.FirstNonceVersion ? System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) : [];
            byte[] clientBinding = version >= TsRequest.FirstNonceVersion ? System.Security.Cryptography.SHA256.HashData([.. ClientToServerMagic, .. nonce, .. publicKey]) : publicKey;

            string spn = $"TERMSRV/{_hostName ?? "localhost"}";
            byte[] authenticate = ntlm.Authenticate(_ntlmNegotiate, _ntlmChallenge, challenge, credentials, spn,
                System.Security.Cryptography.RandomNumberGenerator.GetBytes(8), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), owner._time.GetUtcNow());
            // MS-SPNG 3.3.5.1: the AUTHENTICATE carries a MIC (MsvAvFlags 0x2), so the SPNEGO answer carries the mechListMIC.
            byte[] mechListMic = options.NtlmInSpnego ? ntlm.MechListMic(_mechTypes) : [];
            byte[] token = options.NtlmInSpnego ? Pdu.Encode(new SpnegoNegTokenResp(null, null, new ByteString(authenticate), new ByteString(mechListMic))) : authenticate;
            byte[] request = Pdu.Encode(new TsRequest(version, [new ByteString(token)], PubKeyAuth: new ByteString(ntlm.Seal(clientBinding)), ClientNonce: new ByteString(nonce)));

            StepRecord step = Begin(AuthenticateStep, ConnectionPhase.CredSsp);
            var fields = new List<StepField>
            {
                new("user", credentials.ToString()),
                new("tsRequest.version", version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("ntlm", "NTLMv2 with MIC, target " + spn),
                new("pubKeyAuth", version >= TsRequest.FirstNonceVersion ? "SHA-256 binding of the server public key with a client nonce (version 5+)" : "the server public key, sealed (versions 2-4)"),
            };
            if (mechListMic.Length > 0)
            {
                fields.Add(new StepField("spnego.mechListMIC", Convert.ToHexStringLower(mechListMic)));
            }

            if (await SendAsync(transport, step, session.Encrypt(request), TsRequest.PduName, "TSRequest with the NTLM AUTHENTICATE and pubKeyAuth", fields, cancellationToken).ConfigureAwait(false) is { } sendFailure)
            {
                return sendFailure;
            }

            step = Begin(PubKeyStep, ConnectionPhase.CredSsp);
            (byte[]? plaintext, byte[] wire, Diagnosis? readFailure) = await ReadTsRequestAsync(transport, session, step, cancellationToken).ConfigureAwait(false);
            if (readFailure is not null)
            {
                return readFailure.Cause is C.ClosedByPeer or C.Reset
                    ? readFailure with
                    {
                        Cause = DiagnosisCatalog.CredSspCauses.ClosedAfterAuthenticate,
                        Explanation = DiagnosisCatalog.Lookup(ConnectionPhase.CredSsp, DiagnosisCatalog.CredSspCauses.ClosedAfterAuthenticate).Explanation,
                        Remedy = DiagnosisCatalog.Lookup(ConnectionPhase.CredSsp, DiagnosisCatalog.CredSspCauses.ClosedAfterAuthenticate).Remedy,
                    }
                    : readFailure;
            }

            DecodeResult<TsRequest> decoded = Pdu.Decode<TsRequest>(plaintext);
            if (!decoded.IsSuccess)
            {
                return FailCredSsp(step, wire, Causes.MalformedResponse, $"the server's answer is not a TSRequest: {decoded.Error}", decoded.Error);
            }

            TsRequest answer = decoded.Value;
            if (answer.ErrorCode is { } code)
            {
                string name = NtStatus.Name(code);
                End(step, StepOutcome.Failed, $"authentication failed: {name}", [new StepField("errorCode", $"{name} (0x{code:x8})"), new StepField("meaning", NtStatus.Meaning(code))], received: wire, pdu: TsRequest.PduName);
                if (version < TsRequest.FirstNonceVersion && code == NtStatus.UnsupportedFunction)
                {
                    // A server updated for CVE-2018-0886 and set to force updated clients refuses the legacy binding
                    // of a version 2-4 client as an unsupported function: mstsc's "CredSSP encryption oracle" error.
                    return Diagnose(ConnectionPhase.CredSsp, DiagnosisCatalog.CredSspCauses.VersionMismatch,
                        $"the server refused CredSSP version {version} ({name}): it requires version {TsRequest.FirstNonceVersion} or later, with the nonce binding", step, null);
                }

                return Diagnose(ConnectionPhase.CredSsp, $"{DiagnosisCatalog.CredSspCauses.AuthFailed}:{name}", $"the server refused the credentials of {credentials}: {name}, {NtStatus.Meaning(code)}", step, null);
            }

            // The server may finish SPNEGO here: a NegTokenResp (accept-completed) with its own mechListMIC.
            string? serverMic = null;
            if (options.NtlmInSpnego && answer.NegoTokens.Count > 0 && Pdu.Decode<SpnegoNegTokenResp>(answer.NegoTokens[0].Span) is { IsSuccess: true } serverResp && !serverResp.Value.MechListMic.IsEmpty)
            {
                if (!ntlm.VerifyPeerMechListMic(_mechTypes, serverResp.Value.MechListMic.Span))
                {
                    End(step, StepOutcome.Failed, "the server's SPNEGO mechListMIC does not verify", [new StepField("spnego.mechListMIC", Convert.ToHexStringLower(serverResp.Value.MechListMic.Span))], received: wire, pdu: TsRequest.PduName);
                    return Diagnose(ConnectionPhase.CredSsp, DiagnosisCatalog.CredSspCauses.MechListMicMismatch, "the server's SPNEGO mechListMIC does not verify: the mechanism list was altered, or the server holds another session key", step, null);
                }

                serverMic = "verified";
            }

            byte[]? serverBinding = answer.PubKeyAuth.IsEmpty ? null : ntlm.Unseal(answer.PubKeyAuth.Span);
            byte[] expected = version >= TsRequest.FirstNonceVersion
                ? System.Security.Cryptography.SHA256.HashData([.. ServerToClientMagic, .. nonce, .. publicKey])
                : [(byte)(publicKey[0] + 1), .. publicKey[1..]];
            if (serverBinding is null || !serverBinding.AsSpan().SequenceEqual(expected))
            {
                string why = serverBinding is null ? "its pubKeyAuth is missing or its signature does not verify" : "its pubKeyAuth does not match the certificate's public key";
                End(step, StepOutcome.Failed, $"the server's public key binding is wrong: {why}", [new StepField("expected", Convert.ToHexStringLower(expected))], received: wire, pdu: TsRequest.PduName);
                return Diagnose(ConnectionPhase.CredSsp, DiagnosisCatalog.CredSspCauses.PubKeyBindingMismatch, $"the server's CredSSP answer does not bind the TLS certificate: {why}", step, null);
            }

            End(step, StepOutcome.Ok, "the server proved it holds the TLS key (pubKeyAuth verified)",
                [new StepField("tsRequest.version", answer.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)), new StepField("binding", "verified"), .. serverMic is null ? Array.Empty<StepField>() : [new StepField("spnego.mechListMIC", serverMic)]],
                received: wire, pdu: TsRequest.PduName);

            step = Begin(CredentialsStep, ConnectionPhase.CredSsp);
            byte[] domain = System.Text.Encoding.Unicode.GetBytes(credentials.Domain);
            byte[] user = System.Text.Encoding.Unicode.GetBytes(credentials.User);
            byte[] password = System.Text.Encoding.Unicode.GetBytes(credentials.Password.Reveal().ToArray());
            byte[] tsCredentials = TsCredentials.EncodePassword(domain, user, password);
            byte[] final = Pdu.Encode(new TsRequest(version, [], AuthInfo: new ByteString(ntlm.Seal(tsCredentials))));
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(tsCredentials);
            if (await SendAsync(transport, step, session.Encrypt(final), TsRequest.PduName, "TSRequest with the sealed TSCredentials", [new StepField("authInfo", "TSPasswordCreds, sealed")], cancellationToken).ConfigureAwait(false) is { } credentialsFailure)
            {
                return credentialsFailure;
            }

            if (_negotiation?.Selected == SecurityProtocols.HybridEx)
            {
                return await ReadEarlyUserAuthorizationAsync(transport, session, cancellationToken).ConfigureAwait(false);
            }

            _reached = ConnectionPhase.CredSsp;
            return null;
        }

        /// <summary>MS-RDPBCGR 2.2.10.2 Early User Authorization Result PDU: four bytes inside TLS, 0 success, 5 access denied.</summary>
        private async Task<Diagnosis?> ReadEarlyUserAuthorizationAsync(IRdpTransport transport, TlsClientSession session, CancellationToken cancellationToken)
        {
            StepRecord step = Begin(EarlyAuthStep, ConnectionPhase.CredSsp);
            var plaintext = new List<byte>();
            var wire = new List<byte>();
            long started = owner._time.GetTimestamp();
            while (plaintext.Count < 4)
            {
                (byte[]? data, Diagnosis? failure) = await ReadTlsRecordAsync(transport, session, step, wire, "Early User Authorization Result", TimeLeft(started), cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    return failure;
                }

                plaintext.AddRange(data!);
            }

            uint result = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(plaintext.ToArray());
            if (result != 0)
            {
                End(step, StepOutcome.Failed, $"access denied (authorizationResult 0x{result:x8})", [new StepField("authorizationResult", result == 5 ? "AUTHZ_ACCESS_DENIED (5)" : $"0x{result:x8}")], received: [.. wire], pdu: "Early User Authorization Result PDU");
                return Diagnose(ConnectionPhase.CredSsp, DiagnosisCatalog.CredSspCauses.AccessDenied, "the credentials are valid, but the user may not log on to this server (Early User Authorization: access denied)", step, null);
            }

            End(step, StepOutcome.Ok, "AUTHZ_SUCCESS", [new StepField("authorizationResult", "AUTHZ_SUCCESS (0)")], received: [.. wire], pdu: "Early User Authorization Result PDU");
            _reached = ConnectionPhase.CredSsp;
            return null;
        }

        /// <summary>Plaintext hex in a field is cut at 1 KiB: some servers pad their answers with kilobytes of zeros.</summary>
        private static string Clip(string hex) => hex.Length <= 2048 ? hex : $"{hex[..2048]}... ({hex.Length / 2} bytes)";

        /// <summary>The subjectPublicKey of the certificate (the DER RSAPublicKey for RSA), which CredSSP binds.</summary>
        private static byte[] ServerPublicKey(byte[] certificateDer) =>
            Org.BouncyCastle.Asn1.X509.X509CertificateStructure.GetInstance(certificateDer).SubjectPublicKeyInfo.PublicKey.GetBytes();

        /// <summary>Reads TLS records until their application data holds one whole DER TSRequest.</summary>
        private async Task<(byte[]? Plaintext, byte[] Wire, Diagnosis? Failure)> ReadTsRequestAsync(IRdpTransport transport, TlsClientSession session, StepRecord step, CancellationToken cancellationToken)
        {
            var plaintext = new List<byte>();
            var wire = new List<byte>();
            long started = owner._time.GetTimestamp();
            while (true)
            {
                if (plaintext.Count > 0)
                {
                    FrameSize size = TsRequest.FindFrameSize(plaintext.ToArray().AsSpan(0, Math.Min(plaintext.Count, 6)));
                    if (size.Status == FrameSizeStatus.Invalid)
                    {
                        return (null, [.. wire], FailCredSsp(step, [.. wire], Causes.MalformedResponse, $"the server's TLS data is not a TSRequest: {size.Error}", size.Error));
                    }

                    if (size.Status == FrameSizeStatus.Complete && plaintext.Count >= size.Length)
                    {
                        return ([.. plaintext.Take(size.Length)], [.. wire], null);
                    }
                }

                (byte[]? data, Diagnosis? failure) = await ReadTlsRecordAsync(transport, session, step, wire, TsRequest.PduName, TimeLeft(started), cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    return (null, [.. wire], failure);
                }

                plaintext.AddRange(data!);
                if (plaintext.Count > TsRequest.MaxSize)
                {
                    return (null, [.. wire], FailCredSsp(step, [.. wire], Causes.MalformedResponse, $"the server sent more than {TsRequest.MaxSize} bytes without completing a TSRequest", null));
                }
            }
        }

        /// <summary>
        /// Reads one TLS record within <paramref name="timeout"/> (what is left of the deadline for the whole answer),
        /// answers whatever TLS itself must send back, and returns the application data it carried (possibly none).
        /// <paramref name="wire"/> collects the raw records for the step's evidence.
        /// </summary>
        private async Task<(byte[]? Plaintext, Diagnosis? Failure)> ReadTlsRecordAsync(IRdpTransport transport, TlsClientSession session, StepRecord step, List<byte> wire, string expected, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var hint = new TlsRecordFrameHint(step.Name, expected);
            FrameReadResult read = await FrameReader.ReadFrameAsync(transport, hint, timeout, cancellationToken).ConfigureAwait(false);
            step.NoteRead(hint, read);
            Received(read.Bytes);
            wire.AddRange(read.Bytes);
            if (read.Status != FrameReadStatus.Frame)
            {
                step.Received = [.. wire];
                return (null, read.Status == FrameReadStatus.Invalid
                    ? FailCredSsp(step, [.. wire], DiagnosisCatalog.TlsCauses.MalformedRecord, $"the server sent bytes that are not a TLS record: {read.Error}", read.Error, pdu: expected)
                    : FailRead(ConnectionPhase.CredSsp, step, expected, read, EndCause(read)));
            }

            (byte[] output, TlsFailure? failure) = session.Receive(read.Bytes);
            if (output.Length > 0)
            {
                await transport.Output.WriteAsync(output, cancellationToken).ConfigureAwait(false);
                Sent(output);
            }

            if (failure is not null)
            {
                string summary = $"TLS failed while waiting for the {expected}: {failure.Alert?.Name ?? failure.Message}";
                End(step, StepOutcome.Failed, summary, received: [.. wire]);
                return (null, Diagnose(ConnectionPhase.CredSsp, C.ClosedByPeer, summary, step, null));
            }

            return (session.ReadApplicationData(), null);
        }

        private Diagnosis FailCredSsp(StepRecord step, byte[] wire, string cause, string summary, DecodeError? error, IReadOnlyList<StepField>? fields = null, string? pdu = null)
        {
            List<StepField> all = [.. fields ?? [], .. error is { } e ? new[] { new StepField("error", e.ToString()) } : []];
            End(step, StepOutcome.Failed, summary, all, received: wire, pdu: pdu ?? TsRequest.PduName);
            return Diagnose(ConnectionPhase.CredSsp, cause, summary, step, null);
        }
    }
}
