namespace RdpHandshake.TestServer;

/// <summary>How the servers' <c>WaitFor…</c> methods wait: a condition looked at every 10 ms until it holds or time runs out.</summary>
internal static class Polling
{
    /// <summary>Returns when <paramref name="done"/> holds or <paramref name="timeout"/> has passed, whichever comes first.</summary>
    public static async Task UntilAsync(Func<bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!done() && !cts.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(10, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
