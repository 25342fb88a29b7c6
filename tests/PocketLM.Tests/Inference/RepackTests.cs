using PocketLM.Gguf;
using PocketLM.Inference;
using PocketLM.Models;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Inference;

/// <summary>Load-time repacking of Q4_0 matrices: same model, same answers, whichever way the rows were read.</summary>
public sealed class RepackTests : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private static float[] Logits(LanguageModel model, int[] prompt)
    {
        using var s = model.CreateSession(new SessionOptions { ContextSize = 64, Threads = 2 });
        var all = s.Prefill(prompt).ToArray();
        // one decode step as well (the one-token kernel), appended
        return [.. all, .. s.Decode(7).ToArray()];
    }

    [Fact]
    public void FileReadMemoryAndUnpackedLoadsAgree()
    {
        string path = Fixtures.QuantizedSyntheticModel(_dir, "qwen2-gqa-untied", "Q4_0", 3);
        int[] prompt = [1, 5, 9, 200, 31, 77, 4, 12, 150];
        using var fromFile = LanguageModel.Load(path);
        using var fromMemory = LanguageModel.FromFile(GgufFile.FromBytes(File.ReadAllBytes(path), "in-memory"));
        using var plain = LanguageModel.Load(path, new ModelLoadOptions { Repack = false });
        Assert.Equal(0, plain.Weights.RepackedBytes);
        if (!VecDotAvx2.IsSupported)
        {
            Assert.Equal(0, fromFile.Weights.RepackedBytes); // only the AVX2 kernels read the packed layout
            return;
        }
        Assert.True(fromFile.Weights.RepackedBytes > 0);
        Assert.Equal(fromFile.Weights.RepackedBytes, fromMemory.Weights.RepackedBytes);
        Assert.NotEqual(0L, (long)(nint)fromFile.Weights.Layers[0].Wq.PackedAddress());

        float[] a = Logits(fromFile, prompt), b = Logits(fromMemory, prompt), c = Logits(plain, prompt);
        Assert.Equal(a, b); // packed from pread'd rows or from the image: the same bytes
        // Per-block vs per-lane float order: rounding-level differences only.
        double max = 0, scale = 0;
        for (int i = 0; i < a.Length; i++) { max = Math.Max(max, Math.Abs(a[i] - c[i])); scale = Math.Max(scale, Math.Abs(c[i])); }
        Assert.True(max <= 1e-3 * scale, $"repacked vs file layout: max|Δ| {max} (logit scale {scale})");
    }

    [Fact]
    public unsafe void RepackedMatricesShareOneHugePageArena()
    {
        if (!VecDotAvx2.IsSupported) return; // nothing is repacked
        string path = Fixtures.QuantizedSyntheticModel(_dir, "llama-mha-untied-ropefreqs", "Q4_0", 5);
        using var model = LanguageModel.Load(path);
        var packed = model.Weights.Layers.SelectMany(l => new[] { l.Wq, l.Wk, l.Wv, l.Wo, l.Gate, l.Up, l.Down })
            .Append(model.Weights.Output).Where(m => m.PackedAddress() != 0).DistinctBy(m => m.PackedAddress())
            .OrderBy(m => m.PackedAddress()).ToArray();
        Assert.NotEmpty(packed);
        Assert.Equal(0, packed[0].PackedAddress() % HugePages.PageBytes);
        long next = packed[0].PackedAddress(), total = 0;
        foreach (var m in packed)
        {
            Assert.Equal(next, m.PackedAddress()); // one after another, 64-byte aligned, no gaps, no overlap
            long bytes = PackedWeights.Bytes(m);
            total += bytes;
            next += (bytes + 63) & ~63L;
        }
        Assert.Equal(model.Weights.RepackedBytes, total);
    }

    [Fact]
    public unsafe void HugePagesAreAlignedAndAdvisedOnLinux()
    {
        byte* p = HugePages.Alloc(3 * HugePages.PageBytes + 100);
        try
        {
            Assert.Equal(0, (long)p % HugePages.PageBytes);
            p[3 * HugePages.PageBytes + 99] = 1; // the whole size is usable
            if (OperatingSystem.IsLinux() && File.Exists("/sys/kernel/mm/transparent_hugepage/enabled"))
                Assert.True(HugePages.Advise(p, 3 * HugePages.PageBytes), "madvise(MADV_HUGEPAGE) refused");
            Assert.False(HugePages.Advise(p + 1, HugePages.PageBytes)); // no whole huge page inside: nothing to advise
        }
        finally { System.Runtime.InteropServices.NativeMemory.AlignedFree(p); }
    }
}

internal static unsafe class WeightMatrixTestExtensions
{
    public static nint PackedAddress(this WeightMatrix m) => (nint)m.Packed;
}
