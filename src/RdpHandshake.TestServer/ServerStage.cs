namespace RdpHandshake.TestServer;

/// <summary>How far a connection got through the RDP connection sequence, as the test server saw it.</summary>
public enum ServerStage
{
    /// <summary>Nothing decoded yet.</summary>
    None,

    /// <summary>The X.224 Connection Confirm left.</summary>
    X224Confirmed,

    /// <summary>The TLS handshake completed.</summary>
    TlsEstablished,

    /// <summary>CredSSP completed: the credentials arrived (and, for HYBRID_EX, the authorization result left).</summary>
    CredSspCompleted,

    /// <summary>The MCS Connect Initial arrived and decoded.</summary>
    McsConnectInitialReceived,

    /// <summary>The MCS Connect Response left.</summary>
    McsConnectResponseSent,

    /// <summary>The Attach User Confirm left.</summary>
    UserAttached,

    /// <summary>At least one Channel Join Confirm left.</summary>
    ChannelJoined,

    /// <summary>Standard RDP Security: the Security Exchange PDU decrypted and the session keys are derived.</summary>
    SecurityExchanged,

    /// <summary>The Client Info PDU arrived and decoded.</summary>
    ClientInfoReceived,

    /// <summary>The licensing PDU left.</summary>
    LicensingSent,

    /// <summary>The Demand Active PDU left.</summary>
    DemandActiveSent,

    /// <summary>The Confirm Active PDU arrived and decoded.</summary>
    ConfirmActiveReceived,

    /// <summary>The client's Font List arrived (its finalization PDUs are in).</summary>
    ClientFinalizationReceived,

    /// <summary>The server's finalization PDUs (ending with the Font Map) left: the connection sequence is complete.</summary>
    Finalized,
}
