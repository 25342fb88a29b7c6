using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;

namespace PocketLM.Tests.Tensors;

/// <summary>IQ1_S and IQ1_M beyond the generic tests: every grid index, scale and delta sign decoded (and multiplied)
/// as ggml does, several row lengths against llama.cpp, and the AVX2 kernels against the scalar ones on random bits.</summary>
public unsafe class IQ1Tests
{
    public static IEnumerable<object[]> Types() => [[GgmlType.IQ1_S], [GgmlType.IQ1_M]];

    /// <summary>64 super-blocks whose 2048 groups use grid indices 0..2047 in order, with every 3-bit scale and both
    /// delta signs spread over them, and a different half scale per super-block.</summary>
    private static byte[] GridWalk(GgmlType type)
    {
        const int blocks = 2048 / 32;
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, blocks * QK.K)];
        fixed (byte* p = bytes)
        {
            for (int b = 0; b < blocks; b++)
            {
                ushort half = Fp16.FromSingle(0.25f + b / 64f);
                if (type == GgmlType.IQ1_S)
                {
                    var x = (IQ1SBlock*)p + b;
                    x->D = half;
                    for (int ib = 0; ib < 8; ib++)
                    {
                        int qh = ((b + ib) & 7) << 12 | ((b >> 3) + ib & 1) << 15;
                        for (int l = 0; l < 4; l++)
                        {
                            int k = 32 * b + 4 * ib + l;
                            x->Qs[4 * ib + l] = (byte)k;
                            qh |= (k >> 8) << (3 * l);
                        }
                        x->Qh[ib] = (ushort)qh;
                    }
                }
                else
                {
                    var x = (IQ1MBlock*)p + b;
                    ushort* sc = (ushort*)x->Scales;
                    for (int w = 0; w < 4; w++)
                    {
                        int s = 0;
                        for (int m = 0; m < 4; m++) s |= ((b + 4 * w + m) & 7) << (3 * m);
                        sc[w] = (ushort)(s | ((half >> (4 * w)) & 0xF) << 12);
                    }
                    for (int g = 0; g < 32; g++)
                    {
                        int k = 32 * b + g;
                        x->Qs[g] = (byte)k;
                        int nibble = (k >> 8) | (((g >> 1) ^ b ^ g) & 1) << 3; // 3 index bits and the delta sign
                        x->Qh[g / 2] |= (byte)(nibble << (4 * (g & 1)));
                    }
                }
            }
        }
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void EveryGridIndexScaleAndSignDequantizesLikeGgml(GgmlType type)
    {
        if (!GgmlNative.Available) return;
        byte[] w = GridWalk(type);
        int n = 2048 * 8;
        var ours = new float[n];
        var theirs = new float[n];
        Dequantize.Row(type, w, ours);
        fixed (byte* pw = w)
        fixed (float* t = theirs)
            GgmlNative.Dequantize(type, pw, t, n);
        for (int i = 0; i < n; i++)
            Assert.True(BitConverter.SingleToInt32Bits(ours[i]) == BitConverter.SingleToInt32Bits(theirs[i]),
                $"{type} element {i} (grid index {i / 8}): {ours[i]} vs ggml {theirs[i]}");
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void EveryGridIndexDotsLikeLlamaCpp(GgmlType type)
    {
        byte[] w = GridWalk(type);
        int n = 2048 * 8;
        for (int seed = 0; seed < 3; seed++)
        {
            byte[] a = Activations(n, seed);
            fixed (byte* pw = w)
            fixed (byte* pa = a)
            {
                float scalar = VecDotScalar.Dot(type, pw, pa, n);
                if (VecDotAvx2.IsSupported)
                    Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(VecDotAvx2.For(type)(pw, pa, n)));
                if (GgmlNative.Available && GgmlNative.Variant == "avx2")
                    Assert.Equal(BitConverter.SingleToInt32Bits(GgmlNative.VecDot(type, pw, pa, n)), BitConverter.SingleToInt32Bits(scalar));
            }
        }
    }

    /// <summary>Short and odd-length rows (one super-block, two, 17) against llama.cpp, on quantized and on random bits.</summary>
    [Theory]
    [MemberData(nameof(Types))]
    public void RowLengthsMatchLlamaCpp(GgmlType type)
    {
        if (!GgmlNative.Available || GgmlNative.Variant != "avx2") return;
        foreach (int n in new[] { 256, 512, 4096 + 256 })
            for (int seed = 0; seed < 6; seed++)
            {
                var rng = new Random(seed * 101 + n);
                byte[] w = TestData.WeightRow(type, rng, n);
                if (seed >= 3) TestData.FuzzBlocks(type, rng, w);
                byte[] a = Activations(n, seed + 17);
                fixed (byte* pw = w)
                fixed (byte* pa = a)
                {
                    float ours = VecDotScalar.Dot(type, pw, pa, n), theirs = GgmlNative.VecDot(type, pw, pa, n);
                    Assert.True(BitConverter.SingleToInt32Bits(ours) == BitConverter.SingleToInt32Bits(theirs), $"{type} n={n} seed={seed}: {ours} vs llama.cpp {theirs}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void SimdMatchesScalarOnRandomBits(GgmlType type)
    {
        if (!VecDotAvx2.IsSupported) return;
        var simd = VecDotAvx2.For(type);
        foreach (int n in new[] { 256, 512, 4096 + 256 })
            for (int seed = 0; seed < 16; seed++)
            {
                var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
                TestData.FuzzBlocks(type, new Random(seed), w);
                byte[] a = Activations(n, seed);
                fixed (byte* pw = w)
                fixed (byte* pa = a)
                {
                    float s = VecDotScalar.Dot(type, pw, pa, n), v = simd(pw, pa, n);
                    Assert.True(BitConverter.SingleToInt32Bits(s) == BitConverter.SingleToInt32Bits(v), $"{type} n={n} seed={seed}: scalar {s} vs simd {v}");
                }
            }
    }

    /// <summary>All products at their largest (grid +1, scale 15, activation 127), where the int16 sums the AVX2 kernels
    /// keep over a super-block are largest (8·15·254 = 30480).</summary>
    [Theory]
    [MemberData(nameof(Types))]
    public void LargestActivationsStayExact(GgmlType type)
    {
        const int n = 4096;
        var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
        TestData.FuzzBlocks(type, new Random(3), w);
        // every group on grid index 2047 (all +1) and every scale 7, the delta signs left random
        fixed (byte* pw = w)
            for (int b = 0; b < n / QK.K; b++)
            {
                if (type == GgmlType.IQ1_S)
                {
                    var x = (IQ1SBlock*)pw + b;
                    for (int g = 0; g < 32; g++) x->Qs[g] = 0xFF;
                    for (int ib = 0; ib < 8; ib++) x->Qh[ib] = (ushort)(0x7FFF | (x->Qh[ib] & 0x8000));
                }
                else
                {
                    var x = (IQ1MBlock*)pw + b;
                    for (int g = 0; g < 32; g++) x->Qs[g] = 0xFF;
                    for (int h = 0; h < 16; h++) x->Qh[h] = (byte)((x->Qh[h] & 0x88) | 0x77);
                    ushort* sc = (ushort*)x->Scales;
                    for (int k = 0; k < 4; k++) sc[k] |= 0x0FFF;
                }
            }
        var a = new byte[GgmlTypeInfo.RowBytes(GgmlType.Q8_K, n)];
        fixed (byte* pa = a)
        {
            var y = (Q8KBlock*)pa;
            for (int b = 0; b < n / QK.K; b++)
            {
                y[b].D = 0.01f;
                for (int i = 0; i < QK.K; i++) y[b].Qs[i] = 127;
                for (int j = 0; j < 16; j++) y[b].BSums[j] = 16 * 127;
            }
            fixed (byte* pw = w)
            {
                float scalar = VecDotScalar.Dot(type, pw, pa, n);
                if (VecDotAvx2.IsSupported)
                    Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(VecDotAvx2.For(type)(pw, pa, n)));
                if (GgmlNative.Available && GgmlNative.Variant == "avx2")
                    Assert.Equal(BitConverter.SingleToInt32Bits(GgmlNative.VecDot(type, pw, pa, n)), BitConverter.SingleToInt32Bits(scalar));
            }
        }
    }

    private static byte[] Activations(int n, int seed)
    {
        float[] x = TestData.Floats(new Random(seed), n);
        var a = new byte[GgmlTypeInfo.RowBytes(GgmlType.Q8_K, n)];
        ActivationQuantizer.Row(GgmlType.Q8_K, x, a);
        return a;
    }
}
