using Xunit;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using PocketLM.Tests.Cli;

namespace PocketLM.Tests.Server;

/// <summary>`pocket serve` as a user runs it.</summary>
[Collection("Server")]
public sealed class ServeCommandTests
{
    [Fact]
    public void Help_ListsTheOptions()
    {
        var r = PocketProcess.Run("serve", "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (string option in new[] { "--host", "--port", "--slots", "--ctx", "--api-key", "--chat-template", "--threads", "--queue", "-ctk", "-ctv" })
            Assert.Contains(option, r.Stdout);
    }

    [Fact]
    public void BadOptions_AreUsageErrors()
    {
        Assert.Equal(2, PocketProcess.Run("serve", "--port", "http").ExitCode);
        Assert.Equal(2, PocketProcess.Run("serve", "--slots", "0").ExitCode);
        Assert.Equal(2, PocketProcess.Run("serve", "-ctk", "q3_k").ExitCode);
        var cache = PocketProcess.Run("serve", Fixtures.Model("stories260K.gguf"), "-ctk", "q8_0", "--port", "0"); // heads of 8
        Assert.Equal(1, cache.ExitCode);
        Assert.Contains("K cache type q8_0 needs a head size that is a multiple of 32", cache.Stderr);
        var host = PocketProcess.Run("serve", Fixtures.Model("stories260K.gguf"), "--host", "example.com", "--port", "0");
        Assert.Equal(1, host.ExitCode);
        Assert.Contains("host", host.Stderr);
    }

    [Fact]
    public async Task Serve_AnswersOnLoopback_ThenStops()
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pocket.dll"));
        foreach (string a in new[] { "serve", Fixtures.Model("stories260K.gguf"), "--port", "0", "--slots", "2", "-t", "1", "--api-key", "k3y" })
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        try
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var lines = new List<string>();
            Uri? address = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (address == null && await p.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                var m = Regex.Match(line, @"serving \S+ on (http://127\.0\.0\.1:\d+/)");
                if (m.Success) address = new Uri(m.Groups[1].Value);
            }
            Assert.True(address != null, "no 'serving' line: " + string.Join('\n', lines));
            Assert.Contains(lines, l => l.Contains("\"event\":\"start\"") && l.Contains("chatml-fallback"));
            Assert.Contains(lines, l => l.Contains("ChatML"));

            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal(200, (int)(await http.GetAsync("health")).StatusCode);
            Assert.Equal(401, (int)(await http.GetAsync("v1/models")).StatusCode);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k3y");
            var r = await Api.PostAsync(http, "v1/chat/completions", new { messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 3 });
            Assert.Equal(200, r.Status);
        }
        finally
        {
            if (!p.HasExited) p.Kill();
            await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }
    }
}
