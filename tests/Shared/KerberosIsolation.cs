using System.Runtime.CompilerServices;

namespace RdpHandshake.TestSupport;

/// <summary>
/// Points KRB5_CONFIG at tests/data/krb5-isolated.conf before any test runs (unless the environment already names
/// one), for this process and the rdphs processes the tests start: Kerberos lookups stay off DNS, so no test asks a
/// name server beyond loopback for a realm's KDC.
/// </summary>
internal static class KerberosIsolation
{
    [ModuleInitializer]
    internal static void Isolate()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KRB5_CONFIG")))
        {
            Environment.SetEnvironmentVariable("KRB5_CONFIG", Path.Combine(AppContext.BaseDirectory, "data", "krb5-isolated.conf"));
        }
    }
}
