using RdpHandshake.Diagnostics;
using RdpHandshake.Protocol.Sequence;

namespace RdpHandshake.Tests;

public sealed class MstscCodesTests
{
    [Theory]
    [InlineData("0x904", 0x904)]
    [InlineData("904", 0x904)]
    [InlineData("2308", 2308)]
    [InlineData("AtClientWinsockFDCLOSE", 0x904)]
    [InlineData("0x204", 0x204)]
    public void Disconnect_reasons_parse_as_mstsc_shows_them_and_as_people_type_them(string text, int code)
    {
        Assert.True(MstscCodes.TryParse(text, MstscCodes.DisconnectReasons, out int parsed));
        Assert.Equal(code, parsed);
    }

    [Theory]
    [InlineData("0x7", 7)]
    [InlineData("7", 7)]
    [InlineData("ERRINFO_SERVER_DENIED_CONNECTION", 7)]
    [InlineData("ServerDeniedConnection", 7)]
    [InlineData("server_denied_connection", 7)]
    [InlineData("0x102", 0x102)]
    public void Extended_reasons_parse_by_number_and_by_name(string text, int code)
    {
        Assert.True(MstscCodes.TryParse(text, MstscCodes.ExtendedReasons, out int parsed));
        Assert.Equal(code, parsed);
    }

    [Fact]
    public void Extended_reasons_are_one_sorted_table_of_spec_names()
    {
        IReadOnlyList<CodeEntry> table = MstscCodes.ExtendedReasons;
        for (int i = 1; i < table.Count; i++)
        {
            Assert.True(table[i - 1].Code < table[i].Code, $"{table[i - 1].Name} (0x{table[i - 1].Code:x}) is not before {table[i].Name} (0x{table[i].Code:x})");
        }

        Assert.Equal(table.Count, table.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count());
        foreach (CodeEntry entry in table)
        {
            Assert.StartsWith("ERRINFO_", entry.Name, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(entry.Meaning), entry.Name);
            Assert.Equal(entry.Meaning.Trim(), entry.Meaning);
            Assert.False(entry.Meaning.EndsWith('.'), $"{entry.Name}: the meaning ends with a period");
            Assert.True(char.IsLower(entry.Meaning[0]), $"{entry.Name}: the meaning does not start in lower case");
        }
    }

    // Name and value as MS-RDPBCGR 2.2.5.1.1 states them.
    [Theory]
    [InlineData("ERRINFO_DISCONNECTED_BY_OTHERCONNECTION", 0x00000005)]
    [InlineData("ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES", 0x00000009)]
    [InlineData("ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED", 0x0000000A)]
    [InlineData("ERRINFO_RPC_INITIATED_DISCONNECT_BYUSER", 0x0000000B)]
    [InlineData("ERRINFO_SERVER_REBOOT", 0x0000001A)]
    [InlineData("ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS", 0x0000010A)]
    [InlineData("ERRINFO_CB_CONNECTION_ERROR_INVALID_SETTINGS", 0x00000410)]
    [InlineData("ERRINFO_UNKNOWNPDUTYPE2", 0x000010C9)]
    [InlineData("ERRINFO_UNKNOWNPDUTYPE", 0x000010CA)]
    [InlineData("ERRINFO_DATAPDUSEQUENCE", 0x000010CB)]
    [InlineData("ERRINFO_CONTROLPDUSEQUENCE", 0x000010CD)]
    [InlineData("ERRINFO_INVALIDCONTROLPDUACTION", 0x000010CE)]
    [InlineData("ERRINFO_INVALIDINPUTPDUTYPE", 0x000010CF)]
    [InlineData("ERRINFO_CONFIRMACTIVEWRONGSHAREID", 0x000010D4)]
    [InlineData("ERRINFO_SECURITYDATATOOSHORT", 0x000010E0)]
    [InlineData("ERRINFO_BADSUPRESSOUTPUTPDU", 0x000010E3)]
    [InlineData("ERRINFO_VCHANNELSTOOMANY", 0x000010F0)]
    [InlineData("ERRINFO_SECURITYDATATOOSHORT2", 0x00001111)]
    [InlineData("ERRINFO_SECURITYDATATOOSHORT23", 0x00001126)]
    [InlineData("ERRINFO_GRAPHICSMODENOTSUPPORTED", 0x0000112D)]
    [InlineData("ERRINFO_GRAPHICSSUBSYSTEMRESETFAILED", 0x0000112E)]
    [InlineData("ERRINFO_UPDATESESSIONKEYFAILED", 0x00001191)]
    [InlineData("ERRINFO_DECRYPTFAILED", 0x00001192)]
    [InlineData("ERRINFO_ENCRYPTFAILED", 0x00001193)]
    [InlineData("ERRINFO_ENCPKGMISMATCH", 0x00001194)]
    [InlineData("ERRINFO_DECRYPTFAILED2", 0x00001195)]
    public void Extended_reasons_carry_the_spec_name_and_value(string name, int code)
    {
        CodeEntry? entry = MstscCodes.ExtendedReason(code);
        Assert.NotNull(entry);
        Assert.Equal(name, entry.Name);
    }

    // FreeRDP spells some names with extra underscores; they still find the spec's entry.
    [Theory]
    [InlineData("ERRINFO_DISCONNECTED_BY_OTHER_CONNECTION", 0x5)]
    [InlineData("ERRINFO_RPC_INITIATED_DISCONNECT_BY_USER", 0xB)]
    [InlineData("UnknownPduType2", 0x10C9)]
    [InlineData("0x10f0", 0x10F0)]
    public void Extended_reasons_parse_by_other_spellings(string text, int code)
    {
        Assert.True(MstscCodes.TryParse(text, MstscCodes.ExtendedReasons, out int parsed));
        Assert.Equal(code, parsed);
    }

    [Fact]
    public void Every_mstsc_code_in_the_catalogue_is_in_the_code_table()
    {
        foreach ((_, _, CatalogEntry entry) in DiagnosisCatalog.All)
        {
            if (entry.Mstsc is { } mstsc)
            {
                CodeEntry? known = MstscCodes.DisconnectReason(mstsc.DisconnectReason);
                Assert.NotNull(known);
                Assert.Equal(known.Name, mstsc.DisconnectReasonName);
            }
        }
    }

    [Fact]
    public void The_protocol_range_is_recognised()
    {
        Assert.True(MstscCodes.IsProtocolRange(0x10C9));
        Assert.False(MstscCodes.IsProtocolRange(0x7));
    }

    // Name and value as the IMsTscAxEvents::OnDisconnected reference states them
    // (https://learn.microsoft.com/windows/win32/termserv/imstscaxevents-ondisconnected).
    [Theory]
    [InlineData("LicensingFailed", 2056)]
    [InlineData("LicensingTimeout", 2312)]
    [InlineData("SSL_ERR_LOGON_FAILURE", 2055)]
    [InlineData("SSL_ERR_NO_SUCH_USER", 2567)]
    [InlineData("SSL_ERR_ACCOUNT_DISABLED", 2823)]
    [InlineData("SSL_ERR_ACCOUNT_RESTRICTION", 3079)]
    [InlineData("SSL_ERR_ACCOUNT_LOCKED_OUT", 3335)]
    [InlineData("SSL_ERR_ACCOUNT_EXPIRED", 3591)]
    [InlineData("SSL_ERR_PASSWORD_EXPIRED", 3847)]
    [InlineData("SSL_ERR_PASSWORD_MUST_CHANGE", 4615)]
    [InlineData("SSL_ERR_DELEGATION_POLICY", 5639)]
    [InlineData("SSL_ERR_POLICY_NTLM_ONLY", 5895)]
    [InlineData("SSL_ERR_NO_AUTHENTICATING_AUTHORITY", 6151)]
    [InlineData("SSL_ERR_CERT_EXPIRED", 6919)]
    [InlineData("SSL_ERR_SMARTCARD_WRONG_PIN", 7175)]
    [InlineData("SSL_ERR_FRESH_CRED_REQUIRED_BY_SERVER", 8455)]
    [InlineData("SSL_ERR_SMARTCARD_CARD_BLOCKED", 8711)]
    public void Disconnect_reasons_carry_the_documented_name_and_value(string name, int code)
    {
        CodeEntry? entry = MstscCodes.DisconnectReason(code);
        Assert.NotNull(entry);
        Assert.Equal(name, entry.Name);
        Assert.True(MstscCodes.TryParse(name, MstscCodes.DisconnectReasons, out int byName));
        Assert.Equal(code, byName);
        Assert.True(MstscCodes.TryParse(code.ToString(System.Globalization.CultureInfo.InvariantCulture), MstscCodes.DisconnectReasons, out int byDecimal));
        Assert.Equal(code, byDecimal);
        Assert.True(MstscCodes.TryParse($"0x{code:x}", MstscCodes.DisconnectReasons, out int byHex));
        Assert.Equal(code, byHex);
    }

    [Fact]
    public void Disconnect_reasons_are_one_sorted_table_with_plain_meanings()
    {
        IReadOnlyList<CodeEntry> table = MstscCodes.DisconnectReasons;
        for (int i = 1; i < table.Count; i++)
        {
            Assert.True(table[i - 1].Code < table[i].Code, $"{table[i - 1].Name} (0x{table[i - 1].Code:x}) is not before {table[i].Name} (0x{table[i].Code:x})");
        }

        Assert.Equal(table.Count, table.Select(e => e.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (CodeEntry entry in table)
        {
            Assert.False(string.IsNullOrWhiteSpace(entry.Meaning), entry.Name);
            Assert.False(entry.Meaning.EndsWith('.'), $"{entry.Name}: the meaning ends with a period");
            Assert.True(char.IsLower(entry.Meaning[0]), $"{entry.Name}: the meaning does not start in lower case");
        }
    }

    // What `rdphs explain CODE` lists: the causes whose catalogue entry carries the code.
    [Theory]
    [InlineData(0x807, "credssp", "auth-failed:STATUS_LOGON_FAILURE")]
    [InlineData(0x808, "licensing", "platform-challenge-failed")]
    [InlineData(0x808, "licensing", "license-request-unanswered")]
    [InlineData(0x908, "licensing", "timeout")]
    [InlineData(0xA07, "credssp", "auth-failed:STATUS_NO_SUCH_USER")]
    [InlineData(0xB07, "credssp", "auth-failed:STATUS_ACCOUNT_DISABLED")]
    [InlineData(0xC06, "security and later", "decrypt-failed")]
    [InlineData(0xC07, "credssp", "auth-failed:STATUS_ACCOUNT_RESTRICTION")]
    [InlineData(0xD07, "credssp", "auth-failed:STATUS_ACCOUNT_LOCKED_OUT")]
    [InlineData(0xE07, "credssp", "auth-failed:STATUS_ACCOUNT_EXPIRED")]
    [InlineData(0xF07, "credssp", "auth-failed:STATUS_PASSWORD_EXPIRED")]
    [InlineData(0x1207, "credssp", "auth-failed:STATUS_PASSWORD_MUST_CHANGE")]
    public void Explain_names_the_causes_that_produce_a_code(int code, string? phase, string cause)
    {
        Assert.NotNull(MstscCodes.DisconnectReason(code));
        var causes = DiagnosisCatalog.WithDisconnectReason(code);
        Assert.Contains(causes, c => c.Where == (phase ?? "any") && c.Cause == cause);
        Assert.All(causes, c => Assert.Equal(code, c.Entry.Mstsc?.DisconnectReason));
    }

    [Fact]
    public void Every_code_the_catalogue_uses_is_explained()
    {
        foreach (int code in DiagnosisCatalog.All.Select(c => c.Entry.Mstsc?.DisconnectReason).OfType<int>().Distinct())
        {
            Assert.NotNull(MstscCodes.DisconnectReason(code));
            Assert.NotEmpty(DiagnosisCatalog.WithDisconnectReason(code));
        }
    }
}
