using PocketLM.Gguf;
using PocketLM.Tokenization;
using Xunit;

namespace PocketLM.Tests.Tokenization;

/// <summary>llama.cpp's vectors for vocabularies that come as Hugging Face tokenizer.json files (fetched from npm).</summary>
public class HuggingFaceVectorTests
{
    private static readonly Dictionary<string, Tokenizer?> s_cache = new();

    private static Tokenizer? Load(string package)
    {
        lock (s_cache)
        {
            if (!s_cache.TryGetValue(package, out Tokenizer? tok))
            {
                var files = NpmTokenizerFixtures.Get(package);
                tok = files == null ? null : HuggingFaceTokenizer.Load(files.TokenizerJson, files.TokenizerConfig);
                s_cache[package] = tok;
            }
            return tok;
        }
    }

    [Theory]
    [InlineData("qwen2", "qwen3", "qwen2")]
    [InlineData("deepseek-r1-qwen", "qwen3", "qwen2")]   // same Qwen2 BPE; the R1 distill only changes added tokens
    [InlineData("llama-bpe", "llama3", "llama-bpe")]
    public void VectorsMatch(string vectors, string package, string expectedPre)
    {
        Tokenizer? tok = Load(package);
        if (tok == null) return;   // offline: see NpmTokenizerFixtures
        Assert.Equal(expectedPre, tok.Pre);
        var (inputs, expected) = VocabVectors.Load(vectors);
        var failures = new List<string>();
        for (int i = 0; i < inputs.Length; i++)
        {
            int[] actual = tok.Encode(inputs[i], addSpecial: false);
            if (!expected[i].AsSpan().SequenceEqual(actual)) failures.Add($"#{i}: " + VocabVectors.Describe(tok, inputs[i], expected[i], actual));
        }
        Assert.True(failures.Count == 0, $"{vectors}: {failures.Count}/{inputs.Length} strings differ\n" + string.Join("\n", failures));
    }

    [Fact]
    public void ConvertedVocabularyRoundTripsThroughGguf()
    {
        var files = NpmTokenizerFixtures.Get("llama3");
        if (files == null) return;
        string path = Path.Combine(Fixtures.TempDir(), "llama3-vocab.gguf");
        HuggingFaceTokenizer.WriteGguf(files.TokenizerJson, files.TokenizerConfig, path);
        using var f = GgufFile.Open(path);
        Assert.Equal("gpt2", f.GetString("tokenizer.ggml.model"));
        Assert.Equal("llama-bpe", f.GetString("tokenizer.ggml.pre"));
        Assert.NotNull(f.GetString("tokenizer.chat_template"));
        Tokenizer fromGguf = Tokenizer.FromGguf(f);
        Tokenizer direct = Load("llama3")!;
        Assert.Equal(direct.VocabSize, fromGguf.VocabSize);
        Assert.True(fromGguf.AddBos);   // llama-bpe adds BOS
        Assert.Equal(fromGguf.FindToken("<|begin_of_text|>"), fromGguf.BosId);
        Assert.True(fromGguf.IsEndOfGeneration(fromGguf.FindToken("<|eot_id|>")!.Value));
        if (fromGguf.FindToken("<|eom_id|>") is int eom) Assert.True(fromGguf.IsEndOfGeneration(eom));   // Llama 3.1+
        Assert.Equal(fromGguf.FindToken("<|eot_id|>"), fromGguf.EotId);
        string text = "<|start_header_id|>user<|end_header_id|>\n\nHello, y'all! 🦙 1234567<|eot_id|>";
        int[] ids = fromGguf.Encode(text, addSpecial: true, parseSpecial: true);
        Assert.Equal(direct.Encode(text, addSpecial: true, parseSpecial: true), ids);
        Assert.Equal(fromGguf.BosId, ids[0]);
        Assert.Equal("<|begin_of_text|>" + text, fromGguf.Decode(ids, renderSpecial: true));
    }

    [Fact]
    public void QwenChatMarkupAndEndOfGeneration()
    {
        Tokenizer? tok = Load("qwen3");
        if (tok == null) return;
        int imStart = tok.FindToken("<|im_start|>")!.Value, imEnd = tok.FindToken("<|im_end|>")!.Value;
        Assert.False(tok.AddBos);
        Assert.True(tok.IsEndOfGeneration(imEnd));
        Assert.True(tok.IsEndOfGeneration(tok.FindToken("<|endoftext|>")!.Value));
        int[] ids = tok.Encode("<|im_start|>user\nhi<|im_end|>", parseSpecial: true);
        Assert.Equal(imStart, ids[0]);
        Assert.Equal(imEnd, ids[^1]);
        Assert.DoesNotContain(imStart, tok.Encode("<|im_start|>user", parseSpecial: false));
    }

    [Fact]
    public void DeepSeekV3Loads()
    {
        Tokenizer? tok = Load("deepseek_v3");
        if (tok == null) return;
        Assert.Equal("deepseek-v3", tok.Pre);
        Assert.True(tok.AddBos);
        foreach (string s in new[] { "Hello world", "你好，世界！こんにちは", "x = 1234567;\n\tprint(x)", "naïve 🦙" })
            Assert.Equal(s, tok.Decode(tok.Encode(s, addSpecial: false)));
    }
}
