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

    /// <summary>-d fills the context before each test (llama-bench's depth) and -ctk/-ctv pick the cache types: the test
    /// names carry the depth, the memory line the types, and a Q8_0/Q4_0 cache is smaller than the F16 default.</summary>
    [Fact]
    public void DepthAndCacheTypes()
    {
        string dir = Fixtures.TempDir();
        try
        {
            string model = Fixtures.QuantizedSyntheticModel(dir, "qwen2-gqa-untied", "Q8_0", 3);
            var quantized = PocketProcess.Run("bench", model, "-p", "8", "-n", "4", "-d", "40", "-r", "1", "-t", "2", "-ctk", "q8_0", "-ctv", "q4_0");
            Assert.True(quantized.ExitCode == 0, quantized.Stderr);
            Assert.Contains(" pp8 @ d40 |", quantized.Stdout);
            Assert.Contains(" tg4 @ d40 |", quantized.Stdout);
            Assert.Contains("(K q8_0, V q4_0)", quantized.Stdout);
            long Bytes(params string[] cache)
            {
                var r = PocketProcess.Run(["bench", model, "-p", "8", "-n", "0", "-d", "40", "-r", "1", "-t", "2", "--json", .. cache]);
                Assert.True(r.ExitCode == 0, r.Stderr);
                return JsonDocument.Parse(r.Stdout.Split('\n')[0]).RootElement.GetProperty("kv_cache_bytes").GetInt64();
            }
            // a head row of 32 values: Q8_0 34 bytes and Q4_0 18, against 64 and 64 in F16
            Assert.Equal(Bytes() * (34 + 18) / 128, Bytes("-ctk", "q8_0", "-ctv", "q4_0"));
        }
        finally { Directory.Delete(dir, recursive: true); }
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
