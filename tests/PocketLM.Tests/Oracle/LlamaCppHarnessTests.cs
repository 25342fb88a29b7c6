using System.Diagnostics;
using System.Text.Json;
using LLama.Native;
using PocketLM.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Oracle;

/// <summary>Proves the llama.cpp harness against fixtures computed earlier with llama.cpp itself.</summary>
[Collection(LlamaCppCollection.Name)]
public sealed class LlamaCppHarnessTests(ITestOutputHelper output)
{
    private static string Fixture(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    public sealed record GreedyCase(string Model, string Prompt, int MaxTokens, int[] PromptIds, int[] GreedyIds, string GreedyText);

    public static IEnumerable<object[]> GreedyCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("expected", "greedy.json")));
        int i = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            yield return [i++, c.GetProperty("model").GetString()!, c.GetProperty("prompt").GetString()!];
    }

    private static GreedyCase LoadCase(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("expected", "greedy.json")));
        var c = doc.RootElement.GetProperty("cases")[index];
        return new GreedyCase(
            c.GetProperty("model").GetString()!,
            c.GetProperty("prompt").GetString()!,
            c.GetProperty("max_tokens").GetInt32(),
            c.GetProperty("prompt_ids_with_bos").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("greedy_text").GetString()!);
    }

    /// <summary>The fixture was computed with llama.cpp's defaults (F16 KV cache, flash attention on): reproduce it exactly.</summary>
    [Theory]
    [MemberData(nameof(GreedyCases))]
    public void ReproducesGreedyFixture(int index, string model, string prompt)
    {
        var c = LoadCase(index);
        Assert.Equal(model, c.Model);
        Assert.Equal(prompt, c.Prompt);

        using var m = LlamaCppModel.Load(Fixture("models", c.Model), LlamaCppSettings.Defaults);
        var ids = m.Tokenize(c.Prompt, addSpecial: true, parseSpecial: false);
        Assert.Equal(c.PromptIds, ids);

        var sw = Stopwatch.StartNew();
        var greedy = m.Greedy(ids, c.MaxTokens);
        output.WriteLine($"{c.Model} '{c.Prompt}': {greedy.Length} tokens in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(c.GreedyIds, greedy);
        Assert.Equal(c.GreedyText, m.PiecesText(greedy));
    }

    /// <summary>With the exact settings (F32 KV, no flash attention) every fixture case but one agrees. The
    /// TinyStories-656K "Once upon a time" case has a close call at its 6th token (logits 17.607 for 267 vs 17.571 for
    /// 178 exact; 17.652 for 178 vs 17.637 for 267 with flash attention): the AVX2 and AVX512 builds pick 267 without
    /// flash attention, the no-AVX build picks 178 like the fixture. Only its first 5 tokens are asserted.</summary>
    [Theory]
    [MemberData(nameof(GreedyCases))]
    public void GreedyFixtureUnderExactSettings(int index, string model, string prompt)
    {
        var c = LoadCase(index);
        using var m = LlamaCppModel.Load(Fixture("models", model));
        var ids = m.Tokenize(prompt, addSpecial: true, parseSpecial: false);
        Assert.Equal(c.PromptIds, ids);
        var greedy = m.Greedy(ids, c.MaxTokens);
        int firstDiff = Enumerable.Range(0, Math.Min(greedy.Length, c.GreedyIds.Length))
            .FirstOrDefault(i => greedy[i] != c.GreedyIds[i], -1);
        output.WriteLine(firstDiff < 0 && greedy.Length == c.GreedyIds.Length
            ? $"{model} '{prompt}': identical"
            : $"{model} '{prompt}': diverges at generated token {firstDiff}: \"{m.PiecesText(greedy)}\"");
        if (model == "TinyStories-656K-Q8_0.gguf" && prompt == "Once upon a time")
            Assert.Equal(c.GreedyIds[..5], greedy[..5]);
        else
            Assert.Equal(c.GreedyIds, greedy);
    }

    [Fact]
    public void ModelFacts()
    {
        using var m = LlamaCppModel.Load(Fixture("models", "stories260K.gguf"));
        output.WriteLine($"{m.Description} ftype={m.FileType} vocab={m.VocabSize} bos={m.Bos} eos={m.Eos} addsBos={m.AddsBos} addsEos={m.AddsEos} ctx={m.ContextSize}");
        Assert.Equal(512, m.VocabSize);
        Assert.Equal(1, m.Bos);
        Assert.Equal(2, m.Eos);
        Assert.True(m.AddsBos);
        Assert.False(m.AddsEos);
        Assert.True(m.IsEndOfGeneration(2));
        Assert.False(m.IsEndOfGeneration(1));

        var ids = m.Tokenize("Once upon a time", addSpecial: true, parseSpecial: false);
        Assert.Equal(" upon", m.TokenToPiece(ids[2]));
        Assert.Equal("<s>", m.TokenToPiece(1, special: true));
        Assert.Equal("", m.TokenToPiece(1, special: false));
        // llama_detokenize drops the leading space that SentencePiece's add_space_prefix put there, but only when
        // the ids start with a text token: after a BOS (even one removeSpecial drops) the space stays.
        Assert.Equal("Once upon a time", m.Detokenize(ids[1..]));
        Assert.Equal(" Once upon a time", m.Detokenize(ids));
        Assert.Equal(" Once upon a time", m.Detokenize(ids, removeSpecial: true));
        Assert.Equal("<s> Once upon a time", m.Detokenize(ids, unparseSpecial: true));

        // PromptLogits is deterministic and starts from a clean KV cache each time; Greedy's first token is its argmax.
        var last = m.PromptLogits(ids);
        Assert.Equal(last, m.PromptLogits(ids));
        Assert.Equal(LlamaCppModel.ArgMax(last), m.Greedy(ids, 1)[0]);
        // AllLogits' last row is the same up to rounding only: asking for every position's output changes the shape
        // of the final norm and output matmul (n rows instead of 1), and ggml's kernels sum differently.
        var all = m.AllLogits(ids);
        Assert.Equal(ids.Length, all.Length);
        float maxDiff = last.Zip(all[^1], (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"max |PromptLogits - AllLogits[^1]| = {maxDiff:E2}");
        Assert.True(maxDiff < 1e-4f);
        Assert.Equal(LlamaCppModel.ArgMax(last), LlamaCppModel.ArgMax(all[^1]));
    }

    [Fact]
    public void ArgMaxTiesGoToLowestId()
    {
        Assert.Equal(1, LlamaCppModel.ArgMax([0f, 2f, 2f, 1f]));
        Assert.Equal(0, LlamaCppModel.ArgMax([float.NegativeInfinity, float.NegativeInfinity]));
    }

    public static IEnumerable<object[]> VocabFiles() =>
        Directory.GetFiles(Fixture("vocab"), "*.gguf.inp").Order(StringComparer.Ordinal)
            .Select(p => new object[] { Path.GetFileName(p)[..^".inp".Length] });

    [Theory]
    [MemberData(nameof(VocabFiles))]
    public void TokenizesVocabTestVectors(string gguf)
    {
        var inp = File.ReadAllText(Fixture("vocab", gguf + ".inp"));
        var strings = inp.Split("\n__ggml_vocab_test__\n");
        Assert.Equal("", strings[^1]);
        strings = strings[..^1];
        var expected = File.ReadAllLines(Fixture("vocab", gguf + ".out"))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToArray();
        Assert.Equal(strings.Length, expected.Length);

        var path = Fixture("vocab", gguf);
        if (!File.Exists(path))
        {
            output.WriteLine($"{gguf}: no GGUF here, {strings.Length} vectors only (skipped)");
            return;
        }

        using var m = LlamaCppModel.Load(path, vocabOnly: true);
        int pass = 0;
        var failures = new List<string>();
        for (int i = 0; i < strings.Length; i++)
        {
            var got = m.Tokenize(strings[i], addSpecial: false, parseSpecial: false);
            if (got.AsSpan().SequenceEqual(expected[i])) pass++;
            else failures.Add($"#{i} {JsonSerializer.Serialize(strings[i])}: expected [{string.Join(' ', expected[i])}] got [{string.Join(' ', got)}]");
        }
        output.WriteLine($"{gguf}: {pass}/{strings.Length} pass (vocab {m.VocabSize}, bos {m.Bos}, addsBos {m.AddsBos})");
        foreach (var f in failures) output.WriteLine(f);
        Assert.Empty(failures);
    }

    [Fact]
    public void TwoModelsAtOnce()
    {
        using var a = LlamaCppModel.Load(Fixture("models", "stories260K.gguf"));
        using var b = LlamaCppModel.Load(Fixture("models", "TinyStories-656K-Q8_0.gguf"));
        var pa = a.Tokenize("Once upon a time", true, false);
        var pb = b.Tokenize("Once upon a time", true, false);
        var ga = a.Greedy(pa, 8);
        var gb = b.Greedy(pb, 8);
        // Interleaved use, and from two threads at once (LLamaSharp serializes llama_decode globally).
        Assert.Equal(ga, a.Greedy(pa, 8));
        Assert.Equal(gb, b.Greedy(pb, 8));
        int[]? ra = null, rb = null;
        var ta = new Thread(() => { for (int i = 0; i < 5; i++) ra = a.Greedy(pa, 8); });
        var tb = new Thread(() => { for (int i = 0; i < 5; i++) rb = b.Greedy(pb, 8); });
        ta.Start(); tb.Start(); ta.Join(); tb.Join();
        Assert.Equal(ga, ra);
        Assert.Equal(gb, rb);
    }

    [Fact]
    public void LogIsCaptured()
    {
        LlamaCppLog.Clear();
        using (LlamaCppModel.Load(Fixture("models", "stories260K.gguf"))) { }
        var log = LlamaCppLog.Text;
        output.WriteLine($"{log.Length} chars of llama.cpp log captured; first lines:\n{string.Join('\n', log.Split('\n').Take(5))}");
        Assert.Contains("llama_model_loader", log);
    }

    [Fact]
    public void Timing()
    {
        var sw = Stopwatch.StartNew();
        using var m = LlamaCppModel.Load(Fixture("models", "stories260K.gguf"));
        var load = sw.Elapsed;
        var prompt = m.Tokenize("Once upon a time", true, false);
        Assert.Equal(5, prompt.Length);
        sw.Restart();
        m.PromptLogits(prompt);
        var pp = sw.Elapsed;
        sw.Restart();
        var g = m.Greedy(prompt, 32);
        var gen = sw.Elapsed;
        output.WriteLine($"stories260K: load {load.TotalMilliseconds:F1} ms, 5-token prompt {pp.TotalMilliseconds:F2} ms, prompt + 32 greedy {gen.TotalMilliseconds:F1} ms ({g.Length} tokens)");
    }

    /// <summary>stories260K's feed-forward width is 172 and llama-2-tiny-random's width is 8: not multiples of 32, so
    /// llama.cpp refuses the legacy types outright ("no tensor type fallback is defined"); for llama-2-tiny-random
    /// even Q4_K_M fails (its fallback chain ends in Q8_0 for output.weight).</summary>
    [Theory]
    [InlineData("stories260K.gguf", LLamaFtype.MOSTLY_Q8_0, false)]
    [InlineData("stories260K.gguf", LLamaFtype.MOSTLY_Q4_0, false)]
    [InlineData("stories260K.gguf", LLamaFtype.MOSTLY_Q4_0, true)]
    [InlineData("llama-2-tiny-random.gguf", LLamaFtype.MOSTLY_Q8_0, true)]
    [InlineData("llama-2-tiny-random.gguf", LLamaFtype.MOSTLY_Q4_K_M, false)]
    public void QuantizeFailsOnIncompatibleRows(string model, LLamaFtype type, bool pure)
    {
        var dst = TempGguf(type, pure);
        try
        {
            var ex = Assert.Throws<InvalidOperationException>(() => LlamaCppQuantizer.Quantize(Fixture("models", model), dst, type, pure));
            output.WriteLine(ex.Message);
            Assert.Contains("not divisible", ex.Message);
        }
        finally
        {
            File.Delete(dst);
        }
    }

    [Theory]
    [InlineData("stories260K.gguf", LLamaFtype.MOSTLY_Q4_K_M, false)]
    [InlineData("stories260K.gguf", LLamaFtype.MOSTLY_Q6_K, true)]   // -> Q8_0 everywhere but ffn_down (F16)
    [InlineData("TinyStories-656K-Q8_0.gguf", LLamaFtype.MOSTLY_Q4_0, false)] // requantize Q8_0 -> Q4_0
    [InlineData("TinyStories-656K-Q8_0.gguf", LLamaFtype.MOSTLY_Q4_0, true)]
    [InlineData("TinyStories-656K-Q8_0.gguf", LLamaFtype.MOSTLY_Q4_K_M, false)]
    public void Quantizes(string model, LLamaFtype type, bool pure)
    {
        var dst = TempGguf(type, pure);
        try
        {
            var sw = Stopwatch.StartNew();
            var r = LlamaCppQuantizer.Quantize(Fixture("models", model), dst, type, pure);
            output.WriteLine($"{model} -> {r} (pure={pure}) in {sw.ElapsedMilliseconds} ms, {new FileInfo(dst).Length} bytes");
            foreach (var f in r.Fallbacks) output.WriteLine("  " + f);
            foreach (var t in r.Tensors) output.WriteLine("  " + t);

            // 1-D tensors stay F32 and the 2-D ones are quantized to something.
            Assert.All(r.Tensors.Where(t => t.Shape.Length == 1), t => Assert.Equal(GgmlType.F32, t.Type));
            Assert.Contains(r.Tensors, t => t.Type is not (GgmlType.F32 or GgmlType.F16));

            using var m = LlamaCppModel.Load(dst);
            var prompt = m.Tokenize("Once upon a time", true, false);
            var g = m.Greedy(prompt, 16);
            output.WriteLine($"  loaded as '{m.Description}' ftype={m.FileType}; greedy: [{string.Join(' ', g)}] \"{m.PiecesText(g)}\"");
            Assert.Equal(16, g.Length);
        }
        finally
        {
            File.Delete(dst);
        }
    }

    private static string TempGguf(LLamaFtype type, bool pure) =>
        Path.Combine(Path.GetTempPath(), $"pocketlm-oracle-{Environment.ProcessId}-{Guid.NewGuid():N}-{type}-{(pure ? "pure" : "mix")}.gguf");
}
