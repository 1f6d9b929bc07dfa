using System.Globalization;
using RdpHandshake.Protocol.Encoding;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Protocol.Mcs;

/// <summary>
/// The client data blocks of the GCC Conference Create Request (MS-RDPBCGR 2.2.1.3), in the order Windows
/// sends them: core, cluster, security, network, then any extra blocks.
/// </summary>
public sealed record ClientConferenceData(
    ClientCoreData Core,
    ClientSecurityData Security,
    ClientNetworkData? Network,
    ClientClusterData? Cluster,
    IReadOnlyList<UserDataBlock> Extra)
{
    public const string Context = "client data blocks";

    /// <summary>The user data blocks, each with its TS_UD_HEADER.</summary>
    public byte[] Encode()
    {
        var blocks = new List<UserDataBlock> { UserDataBlock.Write(UserDataType.ClientCore, Core.Size, (ref PduWriter w) => Core.Encode(ref w)) };
        if (Cluster is { } cluster)
        {
            blocks.Add(UserDataBlock.Write(UserDataType.ClientCluster, ClientClusterData.FixedPartSize, (ref PduWriter w) => cluster.Encode(ref w)));
        }

        blocks.Add(UserDataBlock.Write(UserDataType.ClientSecurity, ClientSecurityData.FixedPartSize, (ref PduWriter w) => Security.Encode(ref w)));
        if (Network is { } network)
        {
            blocks.Add(UserDataBlock.Write(UserDataType.ClientNetwork, network.Size, (ref PduWriter w) => network.Encode(ref w)));
        }

        blocks.AddRange(Extra);
        return UserDataBlock.EncodeAll(blocks);
    }

    public static DecodeResult<ClientConferenceData> Decode(ReadOnlySpan<byte> bytes)
    {
        DecodeResult<List<UserDataBlock>> blocks = UserDataBlock.DecodeAll(bytes, Context);
        if (!blocks.IsSuccess)
        {
            return blocks.Error;
        }

        ClientCoreData? core = null;
        ClientSecurityData? security = null;
        ClientNetworkData? network = null;
        ClientClusterData? cluster = null;
        var extra = new List<UserDataBlock>();
        foreach (UserDataBlock block in blocks.Value)
        {
            DecodeError? error = block.Type switch
            {
                UserDataType.ClientCore when core is null => UserDataBlock.Take(ClientCoreData.Decode(block.Body.Span), out core),
                UserDataType.ClientSecurity when security is null => UserDataBlock.Take(ClientSecurityData.Decode(block.Body.Span), out security),
                UserDataType.ClientNetwork when network is null => UserDataBlock.Take(ClientNetworkData.Decode(block.Body.Span), out network),
                UserDataType.ClientCluster when cluster is null => UserDataBlock.Take(ClientClusterData.Decode(block.Body.Span), out cluster),
                _ => UserDataBlock.Keep(block, extra),
            };
            if (error is { } e)
            {
                return e;
            }
        }

        if (core is null || security is null)
        {
            return DecodeError.InvalidField(Context, core is null ? "CS_CORE" : "CS_SECURITY", "the block is required and missing", 0);
        }

        return new ClientConferenceData(core, security, network, cluster, extra);
    }

    public bool Equals(ClientConferenceData? other) =>
        other is not null && Core == other.Core && Security == other.Security && Equals(Network, other.Network) && Cluster == other.Cluster && Extra.SequenceEqual(other.Extra);

    public override int GetHashCode() => Core.GetHashCode();
}

/// <summary>The server data blocks of the GCC Conference Create Response (MS-RDPBCGR 2.2.1.4).</summary>
public sealed record ServerConferenceData(
    ServerCoreData? Core,
    ServerSecurityData? Security,
    ServerNetworkData? Network,
    ServerMessageChannelData? MessageChannel,
    ServerMultitransportData? Multitransport,
    IReadOnlyList<UserDataBlock> Unknown)
{
    public const string Context = "server data blocks";

    public byte[] Encode()
    {
        var blocks = new List<UserDataBlock>();
        if (Core is { } core)
        {
            blocks.Add(UserDataBlock.Write(UserDataType.ServerCore, core.Size, (ref PduWriter w) => core.Encode(ref w)));
        }

        if (Network is { } network)
        {
            blocks.Add(UserDataBlock.Write(UserDataType.ServerNetwork, network.Size, (ref PduWriter w) => network.Encode(ref w)));
        }

        if (Security is { } security)
        {
            blocks.Add(UserDataBlock.Write(UserDataType.ServerSecurity, security.Size, (ref PduWriter w) => security.Encode(ref w)));
        }

        if (MessageChannel is { } message)
        {
            blocks.Add(UserDataBlock.Write(UserDataType.ServerMessageChannel, 2, (ref PduWriter w) => w.WriteUInt16Le(message.MessageChannelId)));
        }

        if (Multitransport is { } multitransport)
        {
            blocks.Add(UserDataBlock.Write(UserDataType.ServerMultitransport, 4, (ref PduWriter w) => w.WriteUInt32Le(multitransport.Flags)));
        }

        blocks.AddRange(Unknown);
        return UserDataBlock.EncodeAll(blocks);
    }

    public static DecodeResult<ServerConferenceData> Decode(ReadOnlySpan<byte> bytes)
    {
        DecodeResult<List<UserDataBlock>> blocks = UserDataBlock.DecodeAll(bytes, Context);
        if (!blocks.IsSuccess)
        {
            return blocks.Error;
        }

        ServerCoreData? core = null;
        ServerSecurityData? security = null;
        ServerNetworkData? network = null;
        ServerMessageChannelData? message = null;
        ServerMultitransportData? multitransport = null;
        var unknown = new List<UserDataBlock>();
        foreach (UserDataBlock block in blocks.Value)
        {
            DecodeError? error = block.Type switch
            {
                UserDataType.ServerCore when core is null => UserDataBlock.Take(ServerCoreData.Decode(block.Body.Span), out core),
                UserDataType.ServerSecurity when security is null => UserDataBlock.Take(ServerSecurityData.Decode(block.Body.Span), out security),
                UserDataType.ServerNetwork when network is null => UserDataBlock.Take(ServerNetworkData.Decode(block.Body.Span), out network),
                UserDataType.ServerMessageChannel when message is null => UserDataBlock.Take(ServerMessageChannelData.Decode(block.Body.Span), out message),
                UserDataType.ServerMultitransport when multitransport is null => UserDataBlock.Take(ServerMultitransportData.Decode(block.Body.Span), out multitransport),
                _ => UserDataBlock.Keep(block, unknown),
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
