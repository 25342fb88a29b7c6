using Xunit;

namespace PocketLM.Tests.Cli;

/// <summary>Bad input gets one line on stderr starting with "pocket: error:" and a non-zero exit code — never a stack trace.</summary>
public class CliErrorTests
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
    public void MissingModelFile() => AssertOneLineError(PocketProcess.Run("run", "/nonexistent/model.gguf", "-p", "hi"), 1, "no such file");

    [Fact]
    public void CorruptModelFile()
    {
        string path = Path.Combine(Fixtures.TempDir(), "corrupt.gguf");
        File.WriteAllBytes(path, File.ReadAllBytes(Fixtures.Model("stories260K.gguf"))[..5000]);
        AssertOneLineError(PocketProcess.Run("run", path, "-p", "hi"), 1, "invalid GGUF at offset");
        AssertOneLineError(PocketProcess.Run("info", path), 1, "invalid GGUF at offset");
    }

    [Fact]
    public void NotAGgufFile()
    {
        string path = Path.Combine(Fixtures.TempDir(), "text.gguf");
        File.WriteAllText(path, "hello, I am not a model");
        AssertOneLineError(PocketProcess.Run("info", path), 1, "wrong magic");
    }

    [Fact]
    public void DirectoryInsteadOfFile() => AssertOneLineError(PocketProcess.Run("info", Fixtures.TempDir()), 1, "directory");

    [Fact]
    public void UnknownCommand() => AssertOneLineError(PocketProcess.Run("fly"), 2, "unknown command 'fly'");

    [Fact]
    public void UnknownOption() => AssertOneLineError(PocketProcess.Run("run", "-p", "x", "--bogus"), 2, "unknown option '--bogus'");

    [Fact]
    public void BadNumber() => AssertOneLineError(PocketProcess.Run("run", "-p", "x", "--temp", "hot"), 2, "--temp expects a number");

    [Fact]
    public void OutOfRangeNumber() => AssertOneLineError(PocketProcess.Run("run", "-p", "x", "--top-p", "1.5"), 2, "--top-p must be between");

    [Fact]
    public void LlamaThreadsMustBePositive() => AssertOneLineError(PocketProcess.Run("run", "-p", "x", "--llama-threads", "0"), 2, "--llama-threads must be between");

    [Fact]
    public void MissingValue() => AssertOneLineError(PocketProcess.Run("run", "-p"), 2, "needs a value");

    [Fact]
    public void MissingPrompt() => AssertOneLineError(PocketProcess.Run("run"), 2, "missing -p");

    [Fact]
    public void UnknownCacheType() => AssertOneLineError(PocketProcess.Run("run", "-p", "x", "-ctk", "q9"), 2, "--cache-type-k must be one of f16, f32, bf16, q8_0");

    [Fact]
    public void F32CacheMustBeF32ForBoth() => AssertOneLineError(PocketProcess.Run("run", "-p", "x", "-ctk", "f32"), 1, "must be F32 for both keys and values");

    [Fact]
    public void QuantizedCacheNeedsWholeBlocksPerHead() => // the built-in model's heads are 8 wide
        AssertOneLineError(PocketProcess.Run("chat", "-ctv", "q4_0"), 1, "V cache type q4_0 needs a head size that is a multiple of 32");

    [Fact]
    public void UnsupportedArchitecture()
    {
        string path = Path.Combine(Fixtures.TempDir(), "gpt.gguf");
        new PocketLM.Gguf.GgufWriter().Set("general.architecture", "gpt-j").Write(path);
        AssertOneLineError(PocketProcess.Run("run", path, "-p", "hi"), 1, "unsupported architecture 'gpt-j'; supported: llama, qwen2, qwen3");
    }

    [Fact]
    public void InfoPrintsTensorTableAndMemory()
    {
        var r = PocketProcess.Run("info", Fixtures.Model("TinyStories-656K-Q8_0.gguf"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("blk.0.attn_q.weight", r.Stdout);
        Assert.Contains("Q8_0", r.Stdout);
        Assert.Contains("general.architecture", r.Stdout);
        Assert.Contains("memory to run with a", r.Stdout);
    }

    [Fact]
    public void HelpExitsZero()
    {
        var r = PocketProcess.Run("run", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--temp", r.Stdout);
    }
}
