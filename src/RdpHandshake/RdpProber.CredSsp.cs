using RdpHandshake.CredSsp;
using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.CredSsp;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Ntlm;
using RdpHandshake.Protocol.Sequence;
using RdpHandshake.Protocol.Tls;
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

        /// <summary>
        /// The first CredSSP round trip inside TLS: a TSRequest carrying SPNEGO with an NTLM NEGOTIATE (no user
        /// name, no secret), and the server's TSRequest with the NTLM CHALLENGE, which names the server.
        /// </summary>
        private async Task<Diagnosis?> RunCredSspChallengeAsync(IRdpTransport transport, TlsClientSession session, CancellationToken cancellationToken)
        {
            StepRecord step = Begin(NegotiateStep, ConnectionPhase.CredSsp);
            var negotiate = new NtlmNegotiateMessage(NtlmNegotiateMessage.CredSspClientFlags, new NtlmVersion(10, 0, 20348));
            byte[] ntlmNegotiate = Pdu.Encode(negotiate);
            byte[] token = options.NtlmInSpnego ? Spnego.EncodeNegTokenInit([Spnego.NtlmOid], ntlmNegotiate) : ntlmNegotiate;
            byte[] request = new TsRequest(options.CredSspVersion, [new ByteString(token)]).Encode();
            var fields = new List<StepField>
            {
                new("tsRequest.version", options.CredSspVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("negoToken", options.NtlmInSpnego ? "SPNEGO NegTokenInit, mechTypes NTLM (1.3.6.1.4.1.311.2.2.10)" : "bare NTLM"),
                new("ntlm.flags", $"0x{(uint)negotiate.Flags:x8}"),
                new("plaintext", Convert.ToHexStringLower(request)),
            };
            if (await SendAsync(transport, step, session.Encrypt(request), TsRequest.PduName, "TSRequest with SPNEGO NegTokenInit (NTLM NEGOTIATE)", fields, cancellationToken).ConfigureAwait(false) is { } sendFailure)
            {
                return sendFailure;
            }

            step = Begin(ChallengeStep, ConnectionPhase.CredSsp);
            (byte[]? plaintext, byte[] wire, Diagnosis? readFailure) = await ReadTsRequestAsync(transport, session, step, cancellationToken).ConfigureAwait(false);
            if (readFailure is not null)
            {
                return readFailure;
            }

            DecodeResult<TsRequest> decoded = TsRequest.Decode(plaintext);
            if (!decoded.IsSuccess)
            {
                return FailCredSsp(step, wire, Causes.MalformedResponse, $"the server's answer is not a TSRequest: {decoded.Error}", decoded.Error);
            }

            TsRequest answer = decoded.Value;
            var answerFields = new List<StepField>
            {
                new("tsRequest.version", answer.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("plaintext", Convert.ToHexStringLower(plaintext!)),
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
                var resp = Spnego.DecodeNegTokenResp(answerToken.Span);
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

            _credssp = new CredSspResult(answer.Version, challenge.Value, mech);
            foreach ((string key, string value) in _credssp.Info)
            {
                answerFields.Add(new StepField($"ntlm.{key}", value));
            }

            End(step, StepOutcome.Ok, $"NTLM CHALLENGE from {challenge.Value.TargetName}{(challenge.Value.Version is { } v ? $", Windows {v.Major}.{v.Minor}.{v.Build}" : string.Empty)}, CredSSP version {answer.Version}", answerFields, received: wire, pdu: NtlmChallengeMessage.PduName);
            return null;
        }

        /// <summary>Reads TLS records until their application data holds one whole DER TSRequest.</summary>
        private async Task<(byte[]? Plaintext, byte[] Wire, Diagnosis? Failure)> ReadTsRequestAsync(IRdpTransport transport, TlsClientSession session, StepRecord step, CancellationToken cancellationToken)
        {
            var plaintext = new List<byte>();
            var wire = new List<byte>();
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

                var hint = new TlsRecordFrameHint(step.Name, TsRequest.PduName);
                FrameReadResult read = await FrameReader.ReadFrameAsync(transport, hint, options.ReadTimeout, cancellationToken).ConfigureAwait(false);
                Received(read.Bytes);
                wire.AddRange(read.Bytes);
                if (read.Status != FrameReadStatus.Frame)
                {
                    step.Received = [.. wire];
                    return (null, [.. wire], read.Status == FrameReadStatus.Invalid
                        ? FailCredSsp(step, [.. wire], DiagnosisCatalog.TlsCauses.MalformedRecord, $"the server sent bytes that are not a TLS record: {read.Error}", read.Error)
                        : FailRead(ConnectionPhase.CredSsp, step, TsRequest.PduName, read, EndCause(read)));
                }

                (byte[] output, TlsFailure? failure) = session.Receive(read.Bytes);
                if (output.Length > 0)
                {
                    await transport.Output.WriteAsync(output, cancellationToken).ConfigureAwait(false);
                    Sent(output);
                }

                if (failure is not null)
                {
                    string summary = $"TLS failed while waiting for the TSRequest: {failure.Alert?.Name ?? failure.Message}";
                    End(step, StepOutcome.Failed, summary, received: [.. wire]);
                    return (null, [.. wire], Diagnose(ConnectionPhase.CredSsp, C.ClosedByPeer, summary, step, null));
                }

                plaintext.AddRange(session.ReadApplicationData());
                if (plaintext.Count > TsRequest.MaxSize)
                {
                    return (null, [.. wire], FailCredSsp(step, [.. wire], Causes.MalformedResponse, $"the server sent more than {TsRequest.MaxSize} bytes without completing a TSRequest", null));
                }
            }
        }

        private Diagnosis FailCredSsp(StepRecord step, byte[] wire, string cause, string summary, DecodeError? error, IReadOnlyList<StepField>? fields = null)
        {
            List<StepField> all = [.. fields ?? [], .. error is { } e ? new[] { new StepField("error", e.ToString()) } : []];
            End(step, StepOutcome.Failed, summary, all, received: wire, pdu: TsRequest.PduName);
            return Diagnose(ConnectionPhase.CredSsp, cause, summary, step, null);
        }
    }
}
