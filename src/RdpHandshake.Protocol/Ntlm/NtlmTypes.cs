namespace RdpHandshake.Protocol.Ntlm;

/// <summary>MS-NLMP 2.2.2.5 NEGOTIATE flags.</summary>
[Flags]
public enum NtlmNegotiateFlags : uint
{
    None = 0,
    Unicode = 0x0000_0001,
    Oem = 0x0000_0002,
    RequestTarget = 0x0000_0004,
    Sign = 0x0000_0010,
    Seal = 0x0000_0020,
    Datagram = 0x0000_0040,
    LmKey = 0x0000_0080,
    Ntlm = 0x0000_0200,
    Anonymous = 0x0000_0800,
    OemDomainSupplied = 0x0000_1000,
    OemWorkstationSupplied = 0x0000_2000,
    AlwaysSign = 0x0000_8000,
    TargetTypeDomain = 0x0001_0000,
    TargetTypeServer = 0x0002_0000,
    ExtendedSessionSecurity = 0x0008_0000,
    Identify = 0x0010_0000,
    RequestNonNtSessionKey = 0x0040_0000,
    TargetInfo = 0x0080_0000,
    Version = 0x0200_0000,
    Negotiate128 = 0x2000_0000,
    KeyExchange = 0x4000_0000,
    Negotiate56 = 0x8000_0000,
}

/// <summary>MS-NLMP 2.2.2.1 AV_PAIR identifiers.</summary>
public enum NtlmAvId : ushort
{
    Eol = 0x0000,
    NbComputerName = 0x0001,
    NbDomainName = 0x0002,
    DnsComputerName = 0x0003,
    DnsDomainName = 0x0004,
    DnsTreeName = 0x0005,
    Flags = 0x0006,
    Timestamp = 0x0007,
    SingleHost = 0x0008,
    TargetName = 0x0009,
    ChannelBindings = 0x000A,
}
