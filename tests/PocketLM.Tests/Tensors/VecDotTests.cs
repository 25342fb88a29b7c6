using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Tensors;

public unsafe class VecDotTests(ITestOutputHelper output)
{
    private static (byte[] w, byte[] a, float[] x) Inputs(GgmlType type, int n, int seed)
    {
        var rng = new Random(seed);
        byte[] w = TestData.WeightRow(type, rng, n);
        float[] x = TestData.Floats(rng, n);
        GgmlType at = ActivationQuantizer.VecDotType(type);
        var a = new byte[GgmlTypeInfo.RowBytes(at, n)];
        ActivationQuantizer.Row(at, x, a);
        return (w, a, x);
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void ScalarMatchesLlamaCpp(GgmlType type)
    {
        if (!GgmlNative.Available) return;
        const int n = 4096;
        int exact = 0;
        double worst = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var (w, a, _) = Inputs(type, n, seed * 31 + (int)type);
            float ours, theirs;
            fixed (byte* pw = w)
            fixed (byte* pa = a)
            {
                ours = VecDotScalar.Dot(type, pw, pa, n);
                theirs = GgmlNative.VecDot(type, pw, pa, n);
            }
            if (BitConverter.SingleToInt32Bits(ours) == BitConverter.SingleToInt32Bits(theirs)) exact++;
            worst = Math.Max(worst, Math.Abs(ours - theirs) / Math.Max(1e-6, Math.Abs(theirs)));
            // Against the AVX2 build our kernels reproduce llama.cpp's float order, so demand identical bits there.
            if (GgmlNative.Variant == "avx2") Assert.True(BitConverter.SingleToInt32Bits(ours) == BitConverter.SingleToInt32Bits(theirs), $"{type}: {ours} vs llama.cpp {theirs}");
            else Assert.True(Math.Abs(ours - theirs) <= 1e-4 * Math.Max(1, Math.Abs(theirs)), $"{type}: {ours} vs llama.cpp {theirs}");
        }
        output.WriteLine($"{type}: {exact}/8 bit-exact with ggml_vec_dot ({GgmlNative.Variant}), worst relative difference {worst:g3}");
    }

    /// <summary>IQ4_NL with an odd number of blocks: ggml's AVX2 kernel pairs blocks and adds the last one separately.</summary>
    [Theory]
    [InlineData(32)]
    [InlineData(96)]
    [InlineData(4096 + 32)]
    public void IQ4NLOddBlockCountMatchesLlamaCpp(int n)
    {
        for (int seed = 0; seed < 4; seed++)
        {
            var (w, a, _) = Inputs(GgmlType.IQ4_NL, n, seed);
            fixed (byte* pw = w)
            fixed (byte* pa = a)
            {
                float scalar = VecDotScalar.Dot(GgmlType.IQ4_NL, pw, pa, n);
                if (VecDotAvx2.IsSupported)
                    Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(VecDotAvx2.IQ4NL(pw, pa, n)));
                if (GgmlNative.Available && GgmlNative.Variant == "avx2")
                    Assert.Equal(BitConverter.SingleToInt32Bits(GgmlNative.VecDot(GgmlType.IQ4_NL, pw, pa, n)), BitConverter.SingleToInt32Bits(scalar));
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void SimdMatchesScalarBitForBit(GgmlType type)
    {
        if (!VecDotAvx2.IsSupported) return;
        var simd = VecDotAvx2.For(type);
        Assert.True(simd != null, $"{type} has no AVX2 kernel");
        foreach (int n in new[] { 256, 4096, 4096 + 256 })
            for (int seed = 0; seed < 4; seed++)
            {
                var (w, a, _) = Inputs(type, n, 7 * seed + n + (int)type);
                if (seed == 3 && GgmlTypeInfo.BlockSize(type) > 1) TestData.FuzzBlocks(type, new Random(seed), w);
                fixed (byte* pw = w)
                fixed (byte* pa = a)
                {
                    float s = VecDotScalar.Dot(type, pw, pa, n), v = simd(pw, pa, n);
                    Assert.True(BitConverter.SingleToInt32Bits(s) == BitConverter.SingleToInt32Bits(v), $"{type} n={n} seed={seed}: scalar {s} vs simd {v}");
                }
            }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    public void FourRowKernelsMatchSingleRow(GgmlType type)
    {
        if (!VecDotAvx2.IsSupported) return;
        const int n = 1024;
        var rng = new Random(5);
        long rb = GgmlTypeInfo.RowBytes(type, n);
        var w = new byte[rb * 4];
        for (int r = 0; r < 4; r++) TestData.WeightRow(type, rng, n).CopyTo(w, r * rb);
        var (_, a, _) = Inputs(type, n, 9);
        var four = new float[8];
        fixed (byte* pw = w)
        fixed (byte* pa = a)
        fixed (float* pf = four)
        {
            MatMul.Kernel4(type, true)(pw, rb, pa, n, pf, 2);
            for (int r = 0; r < 4; r++)
                Assert.Equal(BitConverter.SingleToInt32Bits(VecDotScalar.Dot(type, pw + r * rb, pa, n)), BitConverter.SingleToInt32Bits(four[2 * r]));
        }
    }

    /// <summary>One key row against a group of query rows (quantized-cache attention) = the one-row kernel per query,
    /// bit for bit, for every group size (the four-at-a-time part and the tail) and head size.</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_1)]
    public void KeyAgainstQueryGroupMatchesOneRowKernel(GgmlType type)
    {
        if (!VecDotAvx2.IsSupported) return;
        var rng = new Random(17 + (int)type);
        GgmlType at = ActivationQuantizer.VecDotType(type);
        foreach (int n in new[] { 32, 64, 96, 128, 256 })
            for (int count = 1; count <= 9; count++)
            {
                byte[] key = TestData.WeightRow(type, rng, n);
                if (count % 3 == 0) TestData.FuzzBlocks(type, rng, key);
                int qBytes = (int)GgmlTypeInfo.RowBytes(at, n);
                long qRow = qBytes + 60; // rows at a padded stride, as the attention keeps them
                var q = new byte[qRow * count];
                for (int g = 0; g < count; g++)
                    ActivationQuantizer.Row(at, TestData.Floats(rng, n, g + 1), q.AsSpan((int)(g * qRow), qBytes));
                var got = new float[count * 3];
                fixed (byte* pk = key, pq = q)
                fixed (float* pg = got)
                {
                    switch (type)
                    {
                        case GgmlType.Q8_0: VecDotTiles.Q0Rows<Q8_0Format>(pk, pq, qRow, count, n, pg, 3); break;
                        case GgmlType.Q4_0: VecDotTiles.Q0Rows<Q4_0Format>(pk, pq, qRow, count, n, pg, 3); break;
                        case GgmlType.Q5_0: VecDotTiles.Q0Rows<Q5_0Format>(pk, pq, qRow, count, n, pg, 3); break;
                        case GgmlType.Q4_1: VecDotTiles.Q1Rows<Q4_1Format>(pk, pq, qRow, count, n, pg, 3); break;
                        default: VecDotTiles.Q1Rows<Q5_1Format>(pk, pq, qRow, count, n, pg, 3); break;
                    }
                    for (int g = 0; g < count; g++)
                    {
                        float one = VecDotAvx2.For(type)(pk, pq + g * qRow, n), scalar = VecDotScalar.Dot(type, pk, pq + g * qRow, n);
                        Assert.True(BitConverter.SingleToInt32Bits(one) == BitConverter.SingleToInt32Bits(got[3 * g]), $"{type} n={n} count={count} g={g}: {got[3 * g]} vs {one}");
                        Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(one));
                    }
                }
            }
    }
}
