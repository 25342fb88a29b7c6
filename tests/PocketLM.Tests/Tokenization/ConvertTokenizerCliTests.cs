using PocketLM.Gguf;
using PocketLM.Tests.Cli;
using PocketLM.Tokenization;
using Xunit;

namespace PocketLM.Tests.Tokenization;

/// <summary><c>pocket convert-tokenizer</c> and <c>pocket tokenize</c> through the real process: output, files and one-line errors.</summary>
public class ConvertTokenizerCliTests
{
    private static void AssertOneLineError(PocketProcess.Result r, int code, string contains)
    {
        Assert.Equal(code, r.ExitCode);
        string err = r.Stderr.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("pocket: error: ", err);
        Assert.Contains(contains, err);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("internal error", r.Stderr);
    }

    private static string Write(string name, string content)
    {
        string dir = Path.Combine(Fixtures.TempDir(), Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void ConvertsQwen3DirectoryAndTokenizeReadsIt()
    {
        var files = NpmTokenizerFixtures.Get("qwen3");
        if (files == null) return;
        string outPath = Path.Combine(Fixtures.TempDir(), $"qwen3-cli-{Guid.NewGuid():N}.gguf");
        var r = PocketProcess.Run("convert-tokenizer", Path.GetDirectoryName(files.TokenizerJson)!, "-o", outPath);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pre-tokenizer 'qwen2'", r.Stdout);
        Assert.Contains("confirmed by llama.cpp's check-text hash", r.Stdout);
        using (var f = GgufFile.Open(outPath))
        {
            Assert.Equal("gpt2", f.GetString("tokenizer.ggml.model"));
            Assert.Equal("qwen2", f.GetString("tokenizer.ggml.pre"));
            Assert.NotNull(f.GetString("general.architecture"));
            Assert.Contains("im_start", f.GetString("tokenizer.chat_template"));
            Tokenizer tok = Tokenizer.FromGguf(f);
            Assert.Equal(tok.FindToken("<|im_end|>"), tok.EosId);
            Assert.Equal(tok.FindToken("<|endoftext|>"), tok.PadId);
            Assert.False(tok.AddBos);
        }
        var t = PocketProcess.Run("tokenize", outPath, "<|im_start|>Hello world", "--parse-special");
        Assert.True(t.ExitCode == 0, t.Stderr);
        Assert.Equal("151644 9707 1879", t.Stdout.Trim());
    }

    [Fact]
    public void PreOverrideAndTokenizerJsonPath()
    {
        var files = NpmTokenizerFixtures.Get("qwen3");
        if (files == null) return;
        string outPath = Path.Combine(Fixtures.TempDir(), $"qwen3-r1-{Guid.NewGuid():N}.gguf");
        var r = PocketProcess.Run("convert-tokenizer", files.TokenizerJson, "--output", outPath, "--pre", "deepseek-r1-qwen");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("from --pre", r.Stdout);
        using var f = GgufFile.Open(outPath);
        Assert.Equal("deepseek-r1-qwen", f.GetString("tokenizer.ggml.pre"));
    }

    [Fact]
    public void MissingInput()
    {
        AssertOneLineError(PocketProcess.Run("convert-tokenizer", "/nonexistent/tokenizer.json"), 1, "no such file");
        AssertOneLineError(PocketProcess.Run("convert-tokenizer", Fixtures.TempDir()), 1, "no tokenizer.json");
        AssertOneLineError(PocketProcess.Run("convert-tokenizer"), 2, "missing DIR");
    }

    [Fact]
    public void MalformedJson() =>
        AssertOneLineError(PocketProcess.Run("convert-tokenizer", Write("tokenizer.json", "{\"model\": {\"type\": \"BPE\", ")), 1, "malformed JSON");

    [Fact]
    public void NotATokenizerJson() =>
        AssertOneLineError(PocketProcess.Run("convert-tokenizer", Write("tokenizer.json", "[1, 2, 3]")), 1, "not a Hugging Face tokenizer.json");

    [Theory]
    [InlineData("WordPiece", "{\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}", "unsupported tokenizer model 'WordPiece'")]
    [InlineData("Unigram", "{\"type\": \"Unigram\", \"vocab\": [[\"a\", -1.0]]}", "unsupported tokenizer model 'Unigram'")]
    [InlineData("SentencePiece BPE", "{\"type\": \"BPE\", \"byte_fallback\": true, \"vocab\": {\"a\": 0}, \"merges\": []}", "unsupported BPE variant")]
    public void UnsupportedModels(string what, string model, string message)
    {
        _ = what;
        string json = "{\"model\": " + model + ", \"decoder\": {\"type\": \"Sequence\"}}";
        AssertOneLineError(PocketProcess.Run("convert-tokenizer", Write("tokenizer.json", json)), 1, message);
    }

    [Fact]
    public void UnknownPreOption()
    {
        string json = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\"]}, \"decoder\": {\"type\": \"ByteLevel\"}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}";
        string path = Write("tokenizer.json", json);
        AssertOneLineError(PocketProcess.Run("convert-tokenizer", path, "--pre", "bogus-pre", "-o", path + ".gguf"), 1, "unknown pre-tokenizer type 'bogus-pre'");
        // and without --pre a tiny ByteLevel tokenizer converts as gpt-2
        var r = PocketProcess.Run("convert-tokenizer", path, "-o", path + ".gguf");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pre-tokenizer 'gpt-2'", r.Stdout);
        Assert.Equal("2", PocketProcess.Run("tokenize", path + ".gguf", "ab", "--no-bos").Stdout.Trim());
    }

    [Fact]
    public void UndetectablePreAsksForOption()
    {
        string json = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"decoder\": {\"type\": \"ByteLevel\"}, " +
                      "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \"x+\"}}]}}";
        AssertOneLineError(PocketProcess.Run("convert-tokenizer", Write("tokenizer.json", json)), 1, "pass it with --pre NAME");
    }

    [Fact]
    public void TokenizeWithUnknownPreInGguf()
    {
        string path = Path.Combine(Fixtures.TempDir(), $"bogus-pre-{Guid.NewGuid():N}.gguf");
        using (var src = GgufFile.Open(Fixtures.Vocab("ggml-vocab-gpt-2.gguf")))
            new GgufWriter().CopyMetadataFrom(src).Set("tokenizer.ggml.pre", "no-such-pre").Write(path);
        AssertOneLineError(PocketProcess.Run("tokenize", path, "hello"), 1, "unknown pre-tokenizer type 'no-such-pre'");
    }

    [Fact]
    public void TokenizeBenchReportsMegabytesPerSecond()
    {
        string text = Write("bench.txt", TokenizerSpeedTests.EnglishText(100_000));
        var r = PocketProcess.Run("tokenize", Fixtures.Vocab("ggml-vocab-gpt-2.gguf"), "--file", text, "--bench", "--runs", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("text: 0.10 MB", r.Stdout);
        Assert.Matches(@"encode \(new tokenizer, empty word cache\): +[0-9.]+ MB/s", r.Stdout);
        Assert.Matches(@"encode \(warm word cache\): +[0-9.]+ MB/s", r.Stdout);
        Assert.Matches(@"decode: +[0-9.]+ MB/s", r.Stdout);
        AssertOneLineError(PocketProcess.Run("tokenize", Fixtures.Vocab("ggml-vocab-gpt-2.gguf"), "x", "--runs", "2"), 2, "--runs needs --bench");
    }
}
