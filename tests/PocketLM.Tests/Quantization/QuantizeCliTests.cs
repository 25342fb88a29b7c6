using PocketLM.Gguf;
using PocketLM.Models;
using PocketLM.Tensors;
using PocketLM.Tests.Cli;
using Xunit;

namespace PocketLM.Tests.Quantization;

/// <summary><c>pocket synth</c> and <c>pocket quantize</c> through the real executable: happy paths and one-line errors.</summary>
public sealed class QuantizeCliTests
{
    private static void AssertOneLineError(PocketProcess.Result r, int code, string contains)
    {
        Assert.Equal(code, r.ExitCode);
        string err = r.Stderr.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("pocket: error: ", err);
        Assert.Contains(contains, err);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void SynthListsPresets()
    {
        var r = PocketProcess.Run("synth", "--list");
        Assert.Equal(0, r.ExitCode);
        foreach (var s in SyntheticShape.Presets) Assert.Contains(s.Name, r.Stdout);
    }

    [Fact]
    public void SynthQuantizedThenRequantize()
    {
        string dir = Fixtures.TempDir();
        string q4 = Path.Combine(dir, "q4km.gguf");
        var r = PocketProcess.Run("synth", "--shape", "qwen2-gqa-untied", "-o", q4, "--type", "Q4_K_M", "--seed", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("output.weight", r.Stdout);
        Assert.Contains("-> Q6_K", r.Stdout);
        Assert.Contains("model size:", r.Stdout);
        using (var f = GgufFile.Open(q4))
        {
            Assert.Equal(15L, f.GetInteger("general.file_type"));
            Assert.Equal(2L, f.GetInteger("general.quantization_version"));
            Assert.Equal(GgmlType.Q6_K, f.GetTensor("output.weight").Type);
            Assert.Equal(GgmlType.Q4_K, f.GetTensor("blk.0.attn_q.weight").Type);
            Assert.Equal(GgmlType.F32, f.GetTensor("blk.0.attn_norm.weight").Type);
        }
        Assert.Empty(Directory.GetFiles(dir, ".*")); // no temporary file left behind

        string q8 = Path.Combine(dir, "q8.gguf");
        r = PocketProcess.Run("quantize", q4, q8, "q8_0", "--threads", "2");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("(requantized)", r.Stdout);
        Assert.Contains("pocket: warning:", r.Stderr);
        using var g = GgufFile.Open(q8);
        Assert.Equal(7L, g.GetInteger("general.file_type"));
        Assert.All(g.Tensors.Where(t => t.Dimensions.Count == 2), t => Assert.Equal(GgmlType.Q8_0, t.Type));
    }

    [Fact]
    public void SynthF16IsDeterministic()
    {
        string dir = Fixtures.TempDir();
        string a = Path.Combine(dir, "a.gguf"), b = Path.Combine(dir, "b.gguf");
        Assert.Equal(0, PocketProcess.Run("synth", "--shape", "LLAMA-MQA-TIED", "-o", a, "--type", "f16").ExitCode);
        Assert.Equal(0, PocketProcess.Run("synth", "--shape", "llama-mqa-tied", "-o", b, "--type", "F16", "--seed", "1").ExitCode);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        using var f = GgufFile.Open(a);
        Assert.Equal(GgmlType.F16, f.GetTensor("token_embd.weight").Type);
    }

    [Fact]
    public void QuantizeErrors()
    {
        string dir = Fixtures.TempDir();
        string src = Path.Combine(dir, "src.gguf");
        SyntheticModel.Write(SyntheticShape.TestLlamaMqa, src);
        AssertOneLineError(PocketProcess.Run("quantize", src, Path.Combine(dir, "o.gguf"), "Q9_K"), 2, "unknown type 'Q9_K'");
        AssertOneLineError(PocketProcess.Run("quantize", "/nonexistent/m.gguf", Path.Combine(dir, "o.gguf"), "Q8_0"), 1, "no such file");
        AssertOneLineError(PocketProcess.Run("quantize", src, "Q8_0"), 2, "usage");
        AssertOneLineError(PocketProcess.Run("quantize", src, src, "Q8_0"), 1, "must differ");
        string text = Path.Combine(dir, "text.gguf");
        File.WriteAllText(text, "not a model at all");
        AssertOneLineError(PocketProcess.Run("quantize", text, Path.Combine(dir, "o.gguf"), "Q8_0"), 1, "wrong magic");

        // Rows of 48: Q4_0 has no fallback type (llama.cpp refuses too); nothing is written.
        var odd = new SyntheticShape
        {
            Name = "rows-48", Architecture = "llama", EmbeddingLength = 48, BlockCount = 1, HeadCount = 3, KvHeadCount = 3,
            FeedForwardLength = 64, VocabSize = 320, ContextLength = 64,
        };
        string oddPath = Path.Combine(dir, "odd.gguf");
        SyntheticModel.Write(odd, oddPath);
        string outPath = Path.Combine(dir, "odd-q4.gguf");
        AssertOneLineError(PocketProcess.Run("quantize", oddPath, outPath, "Q4_0"), 1, "no fallback");
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void SynthErrors()
    {
        string dir = Fixtures.TempDir();
        AssertOneLineError(PocketProcess.Run("synth", "--shape", "GPT-5", "-o", Path.Combine(dir, "x.gguf")), 2, "unknown shape 'GPT-5'");
        AssertOneLineError(PocketProcess.Run("synth", "--shape", "llama-mqa-tied"), 2, "missing -o");
        AssertOneLineError(PocketProcess.Run("synth", "-o", Path.Combine(dir, "x.gguf")), 2, "missing --shape");
        AssertOneLineError(PocketProcess.Run("synth", "--shape", "llama-mqa-tied", "-o", Path.Combine(dir, "x.gguf"), "--type", "Q7"), 2, "unknown type 'Q7'");
        AssertOneLineError(PocketProcess.Run("synth", "--shape", "llama-mqa-tied", "-o", Path.Combine(dir, "x.gguf"), "--seed", "-1"), 2, "--seed");
    }
}
