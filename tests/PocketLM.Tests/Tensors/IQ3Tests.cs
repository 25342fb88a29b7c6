using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;

namespace PocketLM.Tests.Tensors;

/// <summary>
/// IQ3_XXS and IQ3_S beyond the generic tests (which see only rows that ggml's quantizer produces): blocks that walk
/// every grid entry, every sign pattern and every scale, fuzzed blocks, several row lengths, and activations at ±127.
/// </summary>
public unsafe class IQ3Tests
{
    public static IEnumerable<object[]> Types() => [[GgmlType.IQ3_XXS], [GgmlType.IQ3_S]];

    public static IEnumerable<object[]> TypesAndLengths() =>
        from t in new[] { GgmlType.IQ3_XXS, GgmlType.IQ3_S }
        from n in new[] { 256, 512, 4096 + 256 }
        select new object[] { t, n };

    /// <summary>Eight blocks (2048 weights). IQ3_XXS: blocks 0–3 name the 256 grid entries in order and the 128 sign
    /// groups in order; IQ3_S: blocks 0–7 name the 512 entries (bit 8 in Qh) and the 256 sign bytes in order. Scales run
    /// through all 16 values; the remaining IQ3_XXS blocks get shuffled indices and sign groups so the combinations mix.</summary>
    private static byte[] WalkBlocks(GgmlType type)
    {
        var rng = new Random(11);
        int bb = GgmlTypeInfo.BlockBytes(type);
        var w = new byte[8 * bb];
        byte* p = stackalloc byte[bb]; // every byte is written for each block
        for (int b = 0; b < 8; b++)
        {
            ushort d = Fp16.FromSingle(0.001f * (b + 1) * (b % 2 == 0 ? 1 : -1));
            p[0] = (byte)d;
            p[1] = (byte)(d >> 8);
            if (type == GgmlType.IQ3_XXS)
            {
                for (int t = 0; t < 64; t++) p[2 + t] = (byte)(b < 4 ? 64 * b + t : rng.Next(256));
                for (int ib = 0; ib < 8; ib++)
                {
                    uint aux = (uint)((8 * b + ib) & 15) << 28;
                    for (int g = 0; g < 4; g++) aux |= (uint)(b < 4 ? (32 * b + 4 * ib + g) & 127 : rng.Next(128)) << (7 * g);
                    *(uint*)(p + 2 + 64 + 4 * ib) = aux;
                }
            }
            else
            {
                for (int t = 0; t < 8; t++) p[2 + 64 + t] = 0;
                for (int t = 0; t < 64; t++)
                {
                    int idx = 64 * b + t;
                    p[2 + t] = (byte)idx;
                    p[2 + 64 + t / 8] |= (byte)((idx >> 8) << (t % 8));
                }
                for (int s = 0; s < 32; s++) p[2 + 72 + s] = (byte)(32 * b + s);
                for (int j = 0; j < 4; j++) p[2 + 104 + j] = (byte)(((8 * b + 2 * j) & 15) | (((8 * b + 2 * j + 1) & 15) << 4));
            }
            new Span<byte>(p, bb).CopyTo(w.AsSpan(b * bb));
        }
        return w;
    }

    private static byte[] Activations(float[] x)
    {
        var a = new byte[GgmlTypeInfo.RowBytes(GgmlType.Q8_K, x.Length)];
        ActivationQuantizer.Row(GgmlType.Q8_K, x, a);
        return a;
    }

    /// <summary>Activations that quantize to ±127 almost everywhere: the largest products the kernels' int16 pair sums
    /// see (2·62·127 for IQ3_XXS, 2·15·127 for IQ3_S, far from saturating).</summary>
    private static float[] Extremes(Random rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rng.Next(2) == 0 ? 1f : -1f;
        return x;
    }

    private static void AssertSameBits(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: expected {expected}, got {actual}");

    [Theory]
    [MemberData(nameof(Types))]
    public void DequantizeWalkingEveryGridEntrySignAndScaleMatchesGgml(GgmlType type)
    {
        if (!GgmlNative.Available) return;
        byte[] w = WalkBlocks(type);
        const int n = 8 * QK.K;
        var ours = new float[n];
        var theirs = new float[n];
        Dequantize.Row(type, w, ours);
        fixed (byte* pw = w)
        fixed (float* pt = theirs)
            GgmlNative.Dequantize(type, pw, pt, n);
        for (int i = 0; i < n; i++) AssertSameBits(theirs[i], ours[i], $"{type} weight {i}");
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void DotOfWalkingBlocksMatchesGgmlAndSimd(GgmlType type)
    {
        byte[] w = WalkBlocks(type);
        const int n = 8 * QK.K;
        var rng = new Random(3);
        foreach (float[] x in new[] { TestData.Floats(rng, n), Extremes(rng, n) })
        {
            byte[] a = Activations(x);
            fixed (byte* pw = w, pa = a)
            {
                float scalar = VecDotScalar.Dot(type, pw, pa, n);
                if (GgmlNative.Available && GgmlNative.Variant == "avx2") AssertSameBits(GgmlNative.VecDot(type, pw, pa, n), scalar, $"{type} scalar vs ggml");
                if (VecDotAvx2.IsSupported) AssertSameBits(scalar, VecDotAvx2.For(type)(pw, pa, n), $"{type} AVX2 vs scalar");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndLengths))]
    public void ScalarMatchesGgmlOnFuzzedBlocks(GgmlType type, int n)
    {
        if (!GgmlNative.Available || GgmlNative.Variant != "avx2") return;
        for (int seed = 0; seed < 6; seed++)
        {
            var rng = new Random(100 * seed + n + (int)type);
            var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
            RandomBlocks.FuzzBlocks(type, rng, w);
            byte[] a = Activations(seed % 3 == 2 ? Extremes(rng, n) : TestData.Floats(rng, n, 1 + seed));
            fixed (byte* pw = w, pa = a)
                AssertSameBits(GgmlNative.VecDot(type, pw, pa, n), VecDotScalar.Dot(type, pw, pa, n), $"{type} n={n} seed={seed}");
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndLengths))]
    public void SimdMatchesScalarOnFuzzedBlocks(GgmlType type, int n)
    {
        if (!VecDotAvx2.IsSupported) return;
        for (int seed = 0; seed < 16; seed++)
        {
            var rng = new Random(1000 * seed + n + (int)type);
            var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
            RandomBlocks.FuzzBlocks(type, rng, w);
            byte[] a = Activations(seed % 4 == 3 ? Extremes(rng, n) : TestData.Floats(rng, n));
            fixed (byte* pw = w, pa = a)
                AssertSameBits(VecDotScalar.Dot(type, pw, pa, n), VecDotAvx2.For(type)(pw, pa, n), $"{type} n={n} seed={seed}");
        }
    }

    /// <summary>Fuzzed rows of several lengths dequantize as ggml does (all index, sign and scale bits random).</summary>
    [Theory]
    [MemberData(nameof(TypesAndLengths))]
    public void DequantizeFuzzedBlocksMatchesGgml(GgmlType type, int n)
    {
        if (!GgmlNative.Available) return;
        var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
        RandomBlocks.FuzzBlocks(type, new Random(n + (int)type), w);
        var ours = new float[n];
        var theirs = new float[n];
        Dequantize.Row(type, w, ours);
        fixed (byte* pw = w)
        fixed (float* pt = theirs)
            GgmlNative.Dequantize(type, pw, pt, n);
        for (int i = 0; i < n; i++) AssertSameBits(theirs[i], ours[i], $"{type} n={n} weight {i}");
    }

    /// <summary>A check of the transcribed grids that needs no native library: ggml lists each grid in ascending order
    /// without repeats, and every byte is one of the type's magnitudes.</summary>
    [Fact]
    public void GridsAreSortedDistinctAndUseOnlyTheTypesMagnitudes()
    {
        CheckGrid(IQ3Grids.XXS.ToArray(), 256, [4, 12, 20, 28, 36, 44, 52, 62]);
        CheckGrid(IQ3Grids.S.ToArray(), 512, [1, 3, 5, 7, 9, 11, 13, 15]);

        static void CheckGrid(uint[] grid, int count, int[] magnitudes)
        {
            Assert.Equal(count, grid.Length);
            for (int i = 1; i < grid.Length; i++) Assert.True(grid[i - 1] < grid[i], $"entry {i} out of order");
            foreach (uint g in grid)
                for (int k = 0; k < 4; k++) Assert.Contains((int)((g >> (8 * k)) & 0xFF), magnitudes);
        }
    }
}
