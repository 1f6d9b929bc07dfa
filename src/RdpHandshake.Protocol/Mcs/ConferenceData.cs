using System.Globalization;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>
/// The client data blocks of the GCC Conference Create Request (MS-RDPBCGR 2.2.1.3), in the order Windows
/// sends them: core, cluster, security, network, then any extra blocks. Each block carries its own
/// TS_UD_HEADER (2.2.1.3.1); the blocks fill their container, so decoding takes every byte left.
/// </summary>
public sealed record ClientConferenceData(
    ClientCoreData Core,
    ClientSecurityData Security,
    ClientNetworkData? Network,
    ClientClusterData? Cluster,
    IReadOnlyList<UserDataBlock> Extra) : IPdu<ClientConferenceData>
{
    public static string PduName => "client data blocks";

    public int Size => Core.Size + (Cluster?.Size ?? 0) + Security.Size + (Network?.Size ?? 0) + Extra.Sum(b => b.Size);

    public void Encode(ref PduWriter writer)
    {
        Core.Encode(ref writer);
        Cluster?.Encode(ref writer);
        Security.Encode(ref writer);
        Network?.Encode(ref writer);
        foreach (UserDataBlock block in Extra)
        {
            block.Encode(ref writer);
        }
    }

    public static DecodeResult<ClientConferenceData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.CheckFraming(reader, PduName) is { } framing)
        {
            return framing;
        }

        ClientCoreData? core = null;
        ClientSecurityData? security = null;
        ClientNetworkData? network = null;
        ClientClusterData? cluster = null;
        var extra = new List<UserDataBlock>();
        while (reader.Remaining > 0)
        {
            DecodeError? error = UserDataBlock.PeekType(reader) switch
            {
                UserDataType.ClientCore when core is null => UserDataBlock.Take(ClientCoreData.Decode(ref reader), out core),
                UserDataType.ClientSecurity when security is null => UserDataBlock.Take(ClientSecurityData.Decode(ref reader), out security),
                UserDataType.ClientNetwork when network is null => UserDataBlock.Take(ClientNetworkData.Decode(ref reader), out network),
                UserDataType.ClientCluster when cluster is null => UserDataBlock.Take(ClientClusterData.Decode(ref reader), out cluster),
                _ => UserDataBlock.Keep(UserDataBlock.Decode(ref reader), extra),
            };
            if (error is { } e)
            {
                return e;
            }
        }

        if (core is null || security is null)
        {
            return DecodeError.InvalidField(PduName, core is null ? "CS_CORE" : "CS_SECURITY", "the block is required and missing", 0);
        }

        return new ClientConferenceData(core, security, network, cluster, extra);
    }

    public bool Equals(ClientConferenceData? other) =>
        other is not null && Core == other.Core && Security == other.Security && Equals(Network, other.Network) && Cluster == other.Cluster && Extra.SequenceEqual(other.Extra);

    public override int GetHashCode() => Core.GetHashCode();
}

/// <summary>
/// The server data blocks of the GCC Conference Create Response (MS-RDPBCGR 2.2.1.4), each with its
/// TS_UD_HEADER; every block is optional here (the session connector says which it needs). The blocks fill
/// their container, so decoding takes every byte left.
/// </summary>
public sealed record ServerConferenceData(
    ServerCoreData? Core,
    ServerSecurityData? Security,
    ServerNetworkData? Network,
    ServerMessageChannelData? MessageChannel,
    ServerMultitransportData? Multitransport,
    IReadOnlyList<UserDataBlock> Unknown) : IPdu<ServerConferenceData>
{
    public static string PduName => "server data blocks";

    public int Size => (Core?.Size ?? 0) + (Network?.Size ?? 0) + (Security?.Size ?? 0) + (MessageChannel?.Size ?? 0)
        + (Multitransport?.Size ?? 0) + Unknown.Sum(b => b.Size);

    /// <summary>Writes the blocks in the order Windows sends them: core, network, security, then the rest.</summary>
    public void Encode(ref PduWriter writer)
    {
        Core?.Encode(ref writer);
        Network?.Encode(ref writer);
        Security?.Encode(ref writer);
        MessageChannel?.Encode(ref writer);
        Multitransport?.Encode(ref writer);
        foreach (UserDataBlock block in Unknown)
        {
            block.Encode(ref writer);
        }
    }

    public static DecodeResult<ServerConferenceData> Decode(ref PduReader reader)
    {
        if (UserDataBlock.CheckFraming(reader, PduName) is { } framing)
        {
            return framing;
        }

        ServerCoreData? core = null;
        ServerSecurityData? security = null;
        ServerNetworkData? network = null;
        ServerMessageChannelData? message = null;
        ServerMultitransportData? multitransport = null;
        var unknown = new List<UserDataBlock>();
        while (reader.Remaining > 0)
        {
            DecodeError? error = UserDataBlock.PeekType(reader) switch
            {
                UserDataType.ServerCore when core is null => UserDataBlock.Take(ServerCoreData.Decode(ref reader), out core),
                UserDataType.ServerSecurity when security is null => UserDataBlock.Take(ServerSecurityData.Decode(ref reader), out security),
                UserDataType.ServerNetwork when network is null => UserDataBlock.Take(ServerNetworkData.Decode(ref reader), out network),
                UserDataType.ServerMessageChannel when message is null => UserDataBlock.Take(ServerMessageChannelData.Decode(ref reader), out message),
                UserDataType.ServerMultitransport when multitransport is null => UserDataBlock.Take(ServerMultitransportData.Decode(ref reader), out multitransport),
                _ => UserDataBlock.Keep(UserDataBlock.Decode(ref reader), unknown),
            };
            if (error is { } e)
            {
                return e;
            }
        }

        return new ServerConferenceData(core, security, network, message, multitransport, unknown);
    }

    /// <summary>The decoded fields for the timeline.</summary>
    public List<StepField> Describe()
    {
        var fields = new List<StepField>();
        if (Core is { } core)
        {
            fields.Add(new StepField("SC_CORE.version", $"{UserDataNames.Version(core.Version)} (0x{core.Version:x8})"));
            if (core.ClientRequestedProtocols is { } requested)
            {
                fields.Add(new StepField("SC_CORE.clientRequestedProtocols", $"{X224.NegotiationNames.SpecNames((X224.SecurityProtocols)requested)} (0x{requested:x8})"));
            }

            if (core.EarlyCapabilityFlags is { } flags)
            {
                fields.Add(new StepField("SC_CORE.earlyCapabilityFlags", $"0x{flags:x8}"));
            }
        }

        if (Security is { } security)
        {
            fields.Add(new StepField("SC_SECURITY.encryptionMethod", $"0x{security.EncryptionMethod:x8}"));
            fields.Add(new StepField("SC_SECURITY.encryptionLevel", security.EncryptionLevel.ToString(CultureInfo.InvariantCulture)));
            if (!security.ServerRandom.IsEmpty)
            {
                fields.Add(new StepField("SC_SECURITY.serverRandom", security.ServerRandom.ToHex()));
                fields.Add(new StepField("SC_SECURITY.serverCertLen", security.ServerCertificate.Length.ToString(CultureInfo.InvariantCulture)));
            }
        }

        if (Network is { } network)
        {
            fields.Add(new StepField("SC_NET.MCSChannelId", network.McsChannelId.ToString(CultureInfo.InvariantCulture)));
            fields.Add(new StepField("SC_NET.channelIdArray", network.ChannelIds.Count == 0 ? "none" : string.Join(", ", network.ChannelIds)));
        }

        if (MessageChannel is { } messageChannel)
        {
            fields.Add(new StepField("SC_MCS_MSGCHANNEL.MCSChannelID", messageChannel.MessageChannelId.ToString(CultureInfo.InvariantCulture)));
        }

        if (Multitransport is { } multitransport)
        {
            fields.Add(new StepField("SC_MULTITRANSPORT.flags", $"0x{multitransport.Flags:x8}"));
        }

        foreach (UserDataBlock block in Unknown)
        {
            fields.Add(new StepField($"block.{UserDataNames.Name(block.Type)}", $"{block.Body.Length} bytes"));
        }

        return fields;
    }

    public bool Equals(ServerConferenceData? other) =>
        other is not null && Core == other.Core && Security == other.Security && Equals(Network, other.Network)
        && MessageChannel == other.MessageChannel && Multitransport == other.Multitransport && Unknown.SequenceEqual(other.Unknown);

    public override int GetHashCode() => HashCode.Combine(Core, Security);
}
