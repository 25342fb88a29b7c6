using LLama.Native;
using PocketLM.Inference;
using PocketLM.Models;
using PocketLM.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Oracle;

/// <summary>
/// llama.cpp's CPU flash attention has three kernels with different numerics, chosen by shape: the one-row kernel, the
/// tiled kernel for micro-batches of 64 rows or more, and the split-KV kernel for one-token decodes over 512 or more
/// padded cells (its bits depend on llama.cpp's thread count). PocketLM makes the same choice. These tests run
/// llama.cpp with its defaults (F16 cache, flash attention auto) on a Q8_0 fixture model and compare logits.
/// Every position's logits must be identical: with the wrong kernel almost none are (1 of 64 positions of a 64-token
/// prompt; 0 of 16 long decode steps), and a last-bit difference anywhere upstream (as RoPE without ggml's fused
/// multiply-adds gave) shows up as isolated positions that differ by 0.03–0.2.
/// </summary>
[Collection(LlamaCppCollection.Name)]
public sealed class AttentionKernelChoiceTests(ITestOutputHelper output)
{
    private static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "TinyStories-656K-Q8_0.gguf");

    /// <summary>
    /// Identical logits are asserted where llama.cpp runs its AVX2 build (no AVX-512 here), the build whose numerics
    /// PocketLM's kernels reproduce and that these results were measured with; on an AVX-512 CPU LLamaSharp loads its
    /// AVX-512 build, not checked bit for bit, so there the logits need only be close.
    /// </summary>
    private static void AssertAgreement(double[] diffs, string what)
    {
        int exact = diffs.Count(d => d == 0);
        if (!PocketLM.Tensors.GgmlExp.Avx512Variant)
            Assert.True(exact == diffs.Length, $"{what}: only {exact} of {diffs.Length} identical to llama.cpp (max|Δ| {diffs.Max():G3})");
        else
            Assert.True(diffs.Max() < 0.5, $"{what}: max|Δ| {diffs.Max():G3} (AVX-512 build of llama.cpp)");
    }

    private static double MaxDiff(ReadOnlySpan<float> a, float[] b) => DifferentialTests.MaxAbsDiff(a, b);

    [Theory]
    [InlineData(64)]
    [InlineData(200)]
    public void PromptOf64TokensOrMoreTakesTheTiledKernel(int n)
    {
        var rng = new Random(n);
        float[][] batch;
        float[] shorter;
        int vocab;
        int[] tokens;
        using (var lm = LlamaCppModel.Load(ModelPath, LlamaCppSettings.Defaults, 256, 2))
        {
            vocab = lm.VocabSize;
            tokens = Enumerable.Range(0, n).Select(_ => rng.Next(3, vocab)).ToArray();
            batch = lm.AllLogits(tokens);
            shorter = lm.PromptLogits(tokens[..63]); // 63 rows: the one-row kernel
        }
        // llama.cpp itself: the same position computed in a 63-row and an n-row micro-batch differs
        Assert.True(MaxDiff(shorter, batch[62]) > 1e-3, "llama.cpp gave the same logits for a 63- and a 64+-row batch: the kernel switch this test is about is gone");

        using var model = LanguageModel.Load(ModelPath);
        using var session = model.CreateSession(new SessionOptions { ContextSize = 256, Threads = 2 });
        var all = session.PrefillAllLogits(tokens).ToArray();
        var diffs = Enumerable.Range(0, n).Select(p => MaxDiff(all.AsSpan(p * vocab, vocab), batch[p])).ToArray();
        int exact = diffs.Count(d => d == 0);
        output.WriteLine($"{exact}/{n} positions identical; max|Δ| {diffs.Max():G3}; by position: {string.Join(" ", diffs.Select(d => d.ToString("G2")))}");
        AssertAgreement(diffs, $"{n}-token prompt, positions");
    }

    [Theory]
    [InlineData(300, 2)]
    [InlineData(600, 2)]
    [InlineData(300, 1)]
    public void LongDecodeTakesTheSplitKernelWithLlamaCppsThreadCount(int promptLength, int threads)
    {
        var rng = new Random(promptLength + threads);
        float[][] expected;
        int[] prompt, next;
        int vocab;
        using (var lm = LlamaCppModel.Load(ModelPath, LlamaCppSettings.Defaults, 1024, threads))
        {
            vocab = lm.VocabSize;
            prompt = Enumerable.Range(0, promptLength).Select(_ => rng.Next(3, vocab)).ToArray();
            next = Enumerable.Range(0, 16).Select(_ => rng.Next(3, vocab)).ToArray();
            expected = lm.DecodeLogits(prompt, next);
        }
        using var model = LanguageModel.Load(ModelPath);
        using var session = model.CreateSession(new SessionOptions { ContextSize = 1024, Threads = threads, BatchSize = 1024 });
        session.Prefill(prompt);
        var diffs = next.Select((t, i) => MaxDiff(session.Decode(t), expected[i])).ToArray();
        int exact = diffs.Count(d => d == 0);
        output.WriteLine($"{exact}/{next.Length} decode steps identical; by step: {string.Join(" ", diffs.Select(d => d.ToString("G2")))}");
        AssertAgreement(diffs, $"decode steps after {promptLength} tokens, {threads} threads");
    }

    /// <summary>
    /// Without a thread count on either side: LLamaSharp's default (half the cores) and PocketLM's default
    /// <see cref="SessionOptions.LlamaCppThreads"/> pick the same split, though PocketLM computes with every core.
    /// </summary>
    [Fact]
    public void DefaultOptionsAgreeWithLLamaSharpDefaultsOnLongDecodes()
    {
        int llamaSharpDefault = Math.Max(Environment.ProcessorCount / 2, 1);
        Assert.Equal(llamaSharpDefault, new SessionOptions().EffectiveLlamaCppThreads);
        Assert.Equal(3, new SessionOptions { Threads = 3 }.EffectiveLlamaCppThreads);
        Assert.Equal(4, new SessionOptions { Threads = 3, LlamaCppThreads = 4 }.EffectiveLlamaCppThreads);

        var rng = new Random(5);
        float[][] expected;
        int[] prompt, next;
        using (var lm = LlamaCppModel.Load(ModelPath, LlamaCppSettings.Defaults, 1024, llamaSharpDefault))
        {
            prompt = Enumerable.Range(0, 400).Select(_ => rng.Next(3, lm.VocabSize)).ToArray();
            next = Enumerable.Range(0, 8).Select(_ => rng.Next(3, lm.VocabSize)).ToArray();
            expected = lm.DecodeLogits(prompt, next);
        }
        using var model = LanguageModel.Load(ModelPath);
        using var session = model.CreateSession(new SessionOptions { ContextSize = 1024 });
        session.Prefill(prompt);
        var diffs = next.Select((t, i) => MaxDiff(session.Decode(t), expected[i])).ToArray();
        output.WriteLine($"{session.Threads} compute threads, split as {llamaSharpDefault}: {string.Join(" ", diffs.Select(d => d.ToString("G2")))}");
        AssertAgreement(diffs, "decode steps with default options");
    }

    /// <summary>
    /// Quantized and mixed KV caches (llama.cpp's --cache-type-k / --cache-type-v) end to end: llama.cpp then runs its
    /// one-row attention kernel for a 300-token prompt and for decodes over 512 or more cells alike, and rotates Q, K
    /// and V by a Hadamard matrix around a quantized cache when the head size is a multiple of 64; PocketLM must do
    /// both. Every prompt position's logits and 8 decode steps must be identical.
    /// </summary>
    [Theory]
    [InlineData("qwen2-gqa-untied", GgmlType.Q8_0, GgmlType.Q8_0)]          // head size 32: no rotation
    [InlineData("llama-mqa-tied", GgmlType.Q8_0, GgmlType.Q8_0)]
    [InlineData("qwen3-gqa-hd128-tied", GgmlType.Q8_0, GgmlType.Q8_0)]      // rotations of 128 (K) and 64 (V)
    [InlineData("qwen3-gqa-hd128-tied", GgmlType.Q4_0, GgmlType.Q4_0)]
    [InlineData("llama-mha-untied-ropefreqs", GgmlType.Q5_1, GgmlType.F16)] // K rotated only
    [InlineData("llama-mha-untied-ropefreqs", GgmlType.F16, GgmlType.Q8_0)] // V rotated only
    [InlineData("llama-mha-untied-ropefreqs", GgmlType.BF16, GgmlType.Q5_0)]
    [InlineData("qwen2-gqa-untied", GgmlType.Q4_1, GgmlType.Q5_0)]
    public void QuantizedCachesMatchLlamaCpp(string shapeName, GgmlType keyType, GgmlType valueType)
    {
        var shape = SyntheticShape.Find(shapeName)!;
        string dir = Fixtures.TempDir();
        try
        {
            string f32 = Path.Combine(dir, "f32.gguf"), q8 = Path.Combine(dir, "q8_0.gguf");
            SyntheticModel.Write(shape, f32, new SyntheticOptions { WeightType = GgmlType.F32, Seed = 5 });
            LlamaCppQuantizer.Quantize(f32, q8, LLamaFtype.MOSTLY_Q8_0, pure: true, threads: 2);
            var rng = new Random(13);
            int[] prompt = [SyntheticModel.BosId, .. Enumerable.Range(0, 299).Select(_ => rng.Next(3, shape.VocabSize))];
            int[] next = Enumerable.Range(0, 8).Select(_ => rng.Next(3, shape.VocabSize)).ToArray();
            float[][] all, decodes;
            using (var lm = LlamaCppModel.Load(q8, LlamaCppSettings.Caches((GGMLType)keyType, (GGMLType)valueType), 1024, 2))
            {
                all = lm.AllLogits(prompt);
                decodes = lm.DecodeLogits(prompt, next);
            }
            using var model = LanguageModel.Load(q8);
            int vocab = shape.VocabSize;
            var options = new SessionOptions { ContextSize = 1024, Threads = 2, KeyCacheType = keyType, ValueCacheType = valueType };
            double[] promptDiffs, decodeDiffs, f16Diffs;
            using (var session = model.CreateSession(options))
            {
                var logits = session.PrefillAllLogits(prompt).ToArray();
                promptDiffs = Enumerable.Range(0, prompt.Length).Select(p => MaxDiff(logits.AsSpan(p * vocab, vocab), all[p])).ToArray();
            }
            using (var session = model.CreateSession(options))
            {
                session.Prefill(prompt);
                decodeDiffs = next.Select((t, i) => MaxDiff(session.Decode(t), decodes[i])).ToArray();
            }
            // the cache type must matter at all: the default F16 cache gives other logits
            using (var session = model.CreateSession(new SessionOptions { ContextSize = 1024, Threads = 2 }))
            {
                session.Prefill(prompt);
                f16Diffs = next.Select((t, i) => MaxDiff(session.Decode(t), decodes[i])).ToArray();
            }
            output.WriteLine($"{shapeName} K {keyType} V {valueType}: prompt {promptDiffs.Count(d => d == 0)}/{prompt.Length} positions identical " +
                             $"(max|Δ| {promptDiffs.Max():G3}), decode {decodeDiffs.Count(d => d == 0)}/{next.Length} (max|Δ| {decodeDiffs.Max():G3}); " +
                             $"with an F16 cache instead max|Δ| {f16Diffs.Max():G3}");
            Assert.True(f16Diffs.Max() > 0, "an F16 cache gave the same logits as llama.cpp's quantized cache: the test cannot tell them apart");
            AssertAgreement(promptDiffs, $"{shapeName} K {keyType} V {valueType} prompt positions");
            AssertAgreement(decodeDiffs, $"{shapeName} K {keyType} V {valueType} decode steps");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>
    /// The same on every synthetic test shape (llama MHA with rope_freqs, llama MQA tied, qwen2 GQA with biases, qwen3
    /// GQA with 128-wide heads and Q/K norms), Q8_0 as llama.cpp quantizes it: a 300-token prompt (tiled kernel) with
    /// the logits of every position, then 8 decode steps over 512 padded cells (split kernel, 2 threads).
    /// </summary>
    [Theory]
    [InlineData("llama-mha-untied-ropefreqs")]
    [InlineData("llama-mqa-tied")]
    [InlineData("qwen2-gqa-untied")]
    [InlineData("qwen3-gqa-hd128-tied")]
    public void EveryTestShapeMatchesLlamaCppOnLongPromptsAndDecodes(string shapeName)
    {
        var shape = SyntheticShape.Find(shapeName)!;
        string dir = Fixtures.TempDir();
        try
        {
            string f32 = Path.Combine(dir, "f32.gguf"), q8 = Path.Combine(dir, "q8_0.gguf");
            SyntheticModel.Write(shape, f32, new SyntheticOptions { WeightType = PocketLM.Tensors.GgmlType.F32, Seed = 3 });
            LlamaCppQuantizer.Quantize(f32, q8, LLamaFtype.MOSTLY_Q8_0, pure: true, threads: 2);
            var rng = new Random(11);
            int[] prompt = [SyntheticModel.BosId, .. Enumerable.Range(0, 299).Select(_ => rng.Next(3, shape.VocabSize))];
            int[] next = Enumerable.Range(0, 8).Select(_ => rng.Next(3, shape.VocabSize)).ToArray();
            float[][] all, decodes;
            using (var lm = LlamaCppModel.Load(q8, LlamaCppSettings.Defaults, 1024, 2))
            {
                all = lm.AllLogits(prompt);
                decodes = lm.DecodeLogits(prompt, next);
            }
            using var model = LanguageModel.Load(q8);
            int vocab = shape.VocabSize;
            double[] promptDiffs, decodeDiffs;
            using (var session = model.CreateSession(new SessionOptions { ContextSize = 1024, Threads = 2 }))
            {
                var logits = session.PrefillAllLogits(prompt).ToArray();
                promptDiffs = Enumerable.Range(0, prompt.Length).Select(p => MaxDiff(logits.AsSpan(p * vocab, vocab), all[p])).ToArray();
            }
            using (var session = model.CreateSession(new SessionOptions { ContextSize = 1024, Threads = 2 }))
            {
                session.Prefill(prompt);
                decodeDiffs = next.Select((t, i) => MaxDiff(session.Decode(t), decodes[i])).ToArray();
            }
            int exactPrompt = promptDiffs.Count(d => d == 0), exactDecode = decodeDiffs.Count(d => d == 0);
            output.WriteLine($"{shapeName}: prompt {exactPrompt}/{prompt.Length} positions identical (max|Δ| {promptDiffs.Max():G3}), " +
                             $"decode {exactDecode}/{next.Length} (max|Δ| {decodeDiffs.Max():G3})");
            AssertAgreement(promptDiffs, $"{shapeName} prompt positions");
            AssertAgreement(decodeDiffs, $"{shapeName} decode steps");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
