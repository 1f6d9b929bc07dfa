using System.Globalization;
using System.Net;
using RdpHandshake.TestServer;

// Hosts COUNT test servers on free loopback ports in this one process and writes their HOST:PORT targets to
// FILE (one per line). Every 25th server closes the socket after the Connection Request and every 50th
// (offset by one) resets it, so that a scan meets failures as well as healthy servers. CERTIFICATE is a test
// server certificate profile (default: the RSA 2048 one; ecdsa-p256 signs each handshake in a fraction of the
// time, so that the servers are not what limits a scan). Runs until stdin closes or Ctrl-C.
//
//   dotnet run -c Release --project bench/ScanListeners -- COUNT FILE [CERTIFICATE]
CertificateProfile profile = CertificateProfile.Default;
if (args.Length is < 2 or > 3 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count is < 1 or > 20_000
    || (args.Length == 3 && !TestCertificates.TryParse(args[2], out profile)))
{
    Console.Error.WriteLine($"usage: ScanListeners COUNT FILE [CERTIFICATE]   (COUNT from 1 to 20000; CERTIFICATE one of {string.Join(", ", TestCertificates.AllProfiles.Select(TestCertificates.Name))})");
    return 2;
}

Fault Parse(string text) => Fault.TryParse(text, out Fault? fault, out string? error) ? fault! : throw new ArgumentException(error);
Fault close = Parse("x224.confirm:close");
Fault reset = Parse("x224.confirm:reset");

// One key generation up front; every server then shares the cached certificate.
_ = TestCertificates.For(profile);
var servers = new List<RdpTestServer>(count);
var lines = new List<string>(count);
for (int i = 0; i < count; i++)
{
    Fault[] faults = i % 25 == 0 ? [close] : i % 50 == 1 ? [reset] : [];
    // Records are not kept past the run's needs: the bench only counts what the scanner sees.
    var server = new RdpTestServer(new TestServerOptions { Faults = faults, Certificate = profile });
    IPEndPoint endpoint = server.Start(new IPEndPoint(IPAddress.Loopback, 0));
    servers.Add(server);
    lines.Add($"127.0.0.1:{endpoint.Port}{(faults.Length > 0 ? $"   # {faults[0]}" : string.Empty)}");
}

File.WriteAllLines(args[1], lines);
Console.Error.WriteLine($"{count} test servers listening; targets in {args[1]}. Close stdin or press Ctrl-C to stop.");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
_ = Task.Run(() =>
{
    while (Console.In.ReadLine() is not null)
    {
    }

    stop.Cancel();
});
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

foreach (RdpTestServer server in servers)
{
    await server.DisposeAsync();
}

return 0;
