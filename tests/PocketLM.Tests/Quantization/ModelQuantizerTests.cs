using LLama.Native;
using PocketLM.Gguf;
using PocketLM.Inference;
using PocketLM.Models;
using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Quantization;

/// <summary>Synthetic source models shared by the quantization tests (F32, seed 1), in a temporary directory.</summary>
public sealed class QuantizationSources : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();
    private readonly Dictionary<string, string> _paths = new();
    private readonly object _gate = new();

    /// <summary>16 layers (use_more_bits picks a non-trivial subset), GQA 8 over 2 (n_gqa 4), tied embeddings.</summary>
    public static SyntheticShape Deep { get; } = new()
    {
        Name = "deep-16-gqa4-tied", Architecture = "llama", EmbeddingLength = 256, BlockCount = 16, HeadCount = 8, KvHeadCount = 2,
        FeedForwardLength = 512, VocabSize = 320, ContextLength = 256, TiedEmbeddings = true,
    };

    /// <summary>Rows of 384 and 640 (multiples of 32, not of 256): every k-quant falls back; untied output.</summary>
    public static SyntheticShape OddRows { get; } = new()
    {
        Name = "odd-rows-384", Architecture = "qwen2", EmbeddingLength = 384, BlockCount = 3, HeadCount = 6, KvHeadCount = 2,
        FeedForwardLength = 640, VocabSize = 320, ContextLength = 256, RmsEpsilon = 1e-6f, TiedEmbeddings = false,
    };

    public static SyntheticShape Shape(string name) => name == Deep.Name ? Deep : name == OddRows.Name ? OddRows
        : SyntheticShape.Find(name) ?? throw new ArgumentException($"no shape '{name}'");

    public string Dir => _dir;

    public string Get(string shapeName)
    {
        lock (_gate)
        {
            if (_paths.TryGetValue(shapeName, out var p)) return p;
            p = Path.Combine(_dir, shapeName + "-F32.gguf");
            SyntheticModel.Write(Shape(shapeName), p, new SyntheticOptions { WeightType = GgmlType.F32, Seed = 1 });
            _paths[shapeName] = p;
            return p;
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// <see cref="ModelQuantizer"/> against llama.cpp's own quantizer (llama_model_quantize through LLamaSharp) on the same
/// input: the same tensors in the same order, the same type for every tensor (the _S/_M/_L mixtures, output and tied
/// embeddings, use_more_bits over 16 layers, fallbacks for rows that are not a multiple of 256), the same bytes, and
/// general.file_type / general.quantization_version as llama.cpp writes them.
/// </summary>
[Collection(LlamaCppCollection.Name)]
public sealed class ModelQuantizerRecipeTests(ITestOutputHelper output, QuantizationSources sources) : IClassFixture<QuantizationSources>
{
    public static IEnumerable<object[]> Cases()
    {
        // Every mixture on 16 layers; the legacy types mostly on the odd rows below (BF16 is left out: LLamaSharp refuses
        // MOSTLY_BF16 as a quantization target).
        foreach (var t in new[] { "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "Q8_0", "Q4_1", "F16" })
            yield return [QuantizationSources.Deep.Name, t, false];
        foreach (var t in new[] { "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_S", "Q6_K", "Q4_0", "Q5_0", "Q5_1", "Q8_0" })
            yield return [QuantizationSources.OddRows.Name, t, false];
        foreach (var s in new[] { SyntheticShape.TestLlamaMqa, SyntheticShape.TestQwen3WideHeads }) yield return [s.Name, "Q4_K_M", false];
        yield return [SyntheticShape.TestLlamaMha.Name, "Q5_K_M", true];
        yield return [SyntheticShape.TestQwen3WideHeads.Name, "Q3_K_M", true];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameTypesAndBytesAsLlamaCpp(string shapeName, string typeName, bool pure)
    {
        var ft = QuantFileType.Find(typeName)!;
        string src = sources.Get(shapeName);
        string tag = $"{shapeName}-{typeName}{(pure ? "-pure" : "")}";
        string theirs = Path.Combine(sources.Dir, tag + "-llamacpp.gguf");
        string mine = Path.Combine(sources.Dir, tag + "-pocket.gguf");
        var result = LlamaCppQuantizer.Quantize(src, theirs, (LLamaFtype)ft.LlamaFtype, pure, threads: 2);
        var plans = ModelQuantizer.Quantize(src, mine, ft, new QuantizeOptions { Pure = pure, Threads = 2 });

        using var a = GgufFile.Open(mine);
        using var b = GgufFile.Open(theirs);
        output.WriteLine($"{tag}: llama.cpp {result}");
        foreach (var p in plans) output.WriteLine($"  {p.Name,-28} {p.From} -> {p.To}{(p.Fallback ? " (fallback)" : "")}");
        Assert.Equal(b.Tensors.Select(t => t.Name), a.Tensors.Select(t => t.Name));
        foreach (var (x, y) in a.Tensors.Zip(b.Tensors))
        {
            Assert.True(x.Type == y.Type, $"{tag}: {x.Name} is {x.Type} here, {y.Type} in llama.cpp's file");
            Assert.Equal(y.Dimensions, x.Dimensions);
            Assert.True(a.GetTensorBytes(x).SequenceEqual(b.GetTensorBytes(y)), $"{tag}: {x.Name} ({x.Type}) bytes differ from llama.cpp's");
        }
        Assert.Equal(b.GetInteger("general.file_type"), a.GetInteger("general.file_type"));
        Assert.Equal(ft.LlamaFtype, (uint)a.GetInteger("general.file_type")!.Value);
        Assert.Equal(2L, a.GetInteger("general.quantization_version"));
        Assert.Equal(b.GetInteger("general.quantization_version"), a.GetInteger("general.quantization_version"));
    }

    [Fact]
    public void LegacyTypeWithoutFallbackFailsLikeLlamaCpp()
    {
        // Rows of 48 (d_model 48 = 3 heads of 16) are not a multiple of 32: Q4_0 has no fallback type in llama.cpp either.
        var shape = new SyntheticShape
        {
            Name = "rows-48", Architecture = "llama", EmbeddingLength = 48, BlockCount = 1, HeadCount = 3, KvHeadCount = 3,
            FeedForwardLength = 64, VocabSize = 320, ContextLength = 64,
        };
        string src = Path.Combine(sources.Dir, "rows-48.gguf");
        SyntheticModel.Write(shape, src);
        Assert.Throws<InvalidOperationException>(() => LlamaCppQuantizer.Quantize(src, src + ".llamacpp", LLamaFtype.MOSTLY_Q4_0));
        var e = Assert.Throws<NotSupportedException>(() => ModelQuantizer.Quantize(src, src + ".q4_0", QuantFileType.Q4_0));
        Assert.Contains("no fallback", e.Message);
        Assert.False(File.Exists(src + ".q4_0"));
        // The mixtures put the output in Q8_0 when its rows are not a multiple of 256, which fails here too.
        Assert.Throws<InvalidOperationException>(() => LlamaCppQuantizer.Quantize(src, src + ".llamacpp", LLamaFtype.MOSTLY_Q4_K_M));
        Assert.Throws<NotSupportedException>(() => ModelQuantizer.Quantize(src, src + ".q4km", QuantFileType.Q4_K_M));
        // Pure Q4_K falls back Q4_K → Q5_0 → F16 for rows of 48, as llama.cpp does.
        var r = LlamaCppQuantizer.Quantize(src, src + ".llamacpp", LLamaFtype.MOSTLY_Q4_K_M, pure: true);
        var plans = ModelQuantizer.Quantize(src, src + ".q4km", QuantFileType.Q4_K_M, new QuantizeOptions { Pure = true });
        Assert.Contains(plans, p => p.To == GgmlType.F16 && p.Fallback);
        Assert.Equal(r.Tensors.Select(t => (t.Name, t.Type)), plans.Select(p => (p.Name, p.To)));
    }

    [Fact]
    public void RequantizesThroughFloatsLikeLlamaCpp()
    {
        // Input already quantized (Q6_K everywhere): requantized to Q4_0 through dequantization; same bytes as llama.cpp.
        string src = sources.Get(SyntheticShape.TestLlamaMqa.Name);
        string q6 = Path.Combine(sources.Dir, "mqa-q6k-pure.gguf");
        ModelQuantizer.Quantize(src, q6, QuantFileType.Q6_K, new QuantizeOptions { Pure = true });
        string mine = q6 + ".q4_0", theirs = q6 + ".llamacpp";
        LlamaCppQuantizer.Quantize(q6, theirs, LLamaFtype.MOSTLY_Q4_0);
        var plans = ModelQuantizer.Quantize(q6, mine, QuantFileType.Q4_0);
        Assert.Contains(plans, p => p.Requantizes);
        using var a = GgufFile.Open(mine);
        using var b = GgufFile.Open(theirs);
        foreach (var (x, y) in a.Tensors.Zip(b.Tensors))
        {
            Assert.Equal((y.Name, y.Type), (x.Name, x.Type));
            Assert.True(a.GetTensorBytes(x).SequenceEqual(b.GetTensorBytes(y)), $"{x.Name} differs");
        }
    }
}

/// <summary>
/// Files written by <see cref="ModelQuantizer"/> run in llama.cpp and in PocketLM with the same logits, per file type
/// (the mixtures as written, so each file mixes several types), with the rules of <see cref="LogitAgreement"/>: position
/// 0 within 1e-4, every position within the type's bound, and the same greedy tokens until a step where llama.cpp's
/// top-1 margin is at most twice the measured error.
/// </summary>
[Collection(LlamaCppCollection.Name)]
public sealed class QuantizedModelLogitTests(ITestOutputHelper output, QuantizationSources sources) : IClassFixture<QuantizationSources>
{
    private static readonly int[] Prompt = [SyntheticModel.BosId, 300, 261, 17, 42, 305, 280, 99, 263, 318, 3 + 'a', 270];
    private const int GreedyTokens = 16;

    private static readonly string[] Types = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"];

    public static IEnumerable<object[]> Cases()
    {
        var shapes = SyntheticShape.TestShapes;
        for (int i = 0; i < Types.Length; i++) yield return [shapes[i % shapes.Count].Name, Types[i]];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LoadsInLlamaCppWithTheSameLogits(string shapeName, string typeName)
    {
        var shape = QuantizationSources.Shape(shapeName);
        var ft = QuantFileType.Find(typeName)!;
        string path = Path.Combine(sources.Dir, $"{shapeName}-{typeName}-logits.gguf");
        ModelQuantizer.Quantize(sources.Get(shapeName), path, ft, new QuantizeOptions { Threads = 2 });

        float[] refLast;
        int[] refGreedy;
        float[][] refAll;
        using (var lm = LlamaCppModel.Load(path, LlamaCppSettings.Exact, 64, 2))
        {
            Assert.Equal(shape.VocabSize, lm.VocabSize);
            refLast = lm.PromptLogits(Prompt);
            refGreedy = lm.Greedy(Prompt, GreedyTokens);
            refAll = lm.AllLogits([.. Prompt, .. refGreedy]);
        }
        float[] last, all;
        var greedy = new List<int>();
        using (var model = LanguageModel.Load(path))
        {
            using var session = model.CreateSession(new SessionOptions { ContextSize = 64, Threads = 2, KvCacheType = GgmlType.F32 });
            last = session.Prefill(Prompt).ToArray();
            greedy.AddRange(DifferentialTests.Greedy(session, last, GreedyTokens));
            using var fresh = model.CreateSession(new SessionOptions { ContextSize = 64, Threads = 2, KvCacheType = GgmlType.F32 });
            all = fresh.PrefillAllLogits([.. Prompt, .. refGreedy]).ToArray();
        }

        var r = LogitAgreement.Measure(last, refLast, all, refAll, greedy, refGreedy, Prompt.Length);
        var type = ft == QuantFileType.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q4_0; // the mixtures hold low-bit types: the loose bound
        output.WriteLine($"{shapeName} {typeName}: max|Δ| logits last position {r.ErrLast:E2}, position 0 {r.ErrAt[0]:E2}, all positions {r.ErrAll:E2} " +
                         $"(bound {LogitAgreement.Bound(type):G2}); greedy {r.Greedy(greedy.Count, refGreedy.Length)}");
        output.WriteLine($"llama.cpp: {string.Join(" ", refGreedy)}");
        output.WriteLine($"PocketLM:  {string.Join(" ", greedy)}");
        LogitAgreement.Assert($"{shapeName} {typeName}", type, activationsQuantized: true, r);
    }
}
