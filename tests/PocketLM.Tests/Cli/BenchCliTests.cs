using System.Globalization;
using System.Text.Json;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Cli;

/// <summary><c>pocket bench</c> on the built-in model: llama-bench's table and JSON, the kernels and memory lines, errors.</summary>
public sealed class BenchCliTests
{
    [Fact]
    public void TablePrintsPrefillAndDecodeRowsThenKernelsAndMemory()
    {
        var r = PocketProcess.Run("bench", "-p", "8", "-n", "6", "-r", "2", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("| model", lines[0]);
        foreach (string test in new[] { "pp8", "tg6" })
        {
            string row = Assert.Single(lines, l => l.Contains($" {test} |"));
            string[] cells = row.Split('|', StringSplitOptions.TrimEntries);
            Assert.Equal("1", cells[4]); // threads
            string[] ts = cells[6].Split('±', StringSplitOptions.TrimEntries);
            Assert.True(double.Parse(ts[0], CultureInfo.InvariantCulture) > 0, row);
        }
        Assert.Contains($"kernels: {ComputeContext.KernelSet} on ", r.Stdout);
        Assert.Matches(@"memory: peak RSS \d+\.\d MiB; file 1\.1 MiB", r.Stdout);
    }

    [Fact]
    public void JsonGivesOneObjectPerTestWithEveryRepetition()
    {
        var r = PocketProcess.Run("bench", "-p", "8", "-n", "6", "-r", "3", "-t", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var objects = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["pp8", "tg6"], objects.Select(o => o.GetProperty("test").GetString()));
        foreach (var o in objects)
        {
            Assert.Equal(2, o.GetProperty("threads").GetInt32());
            Assert.Equal(3, o.GetProperty("samples_ts").GetArrayLength());
            Assert.True(o.GetProperty("avg_ts").GetDouble() > 0);
            Assert.True(o.GetProperty("peak_rss_bytes").GetInt64() > o.GetProperty("size_bytes").GetInt64());
            Assert.Equal(ComputeContext.KernelSet, o.GetProperty("kernels").GetString());
        }
    }

    [Theory]
    [InlineData(2, "--repetitions must be between", "-r", "0")]
    [InlineData(2, "--n-prompt", "-p", "x")]
    [InlineData(1, "no such file", "/nonexistent/model.gguf")]
    public void BadArgumentsGiveOneLineError(int exitCode, string message, params string[] args)
    {
        var r = PocketProcess.Run(["bench", .. args]);
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
