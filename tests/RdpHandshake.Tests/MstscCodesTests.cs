using RdpHandshake.Diagnostics;

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
}
