using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;

namespace PocketLM.Tests.Tensors;

/// <summary>IQ2_XXS, IQ2_XS and IQ2_S beyond the generic tests: rows built to hit every grid point, sign pattern and
/// scale; several row lengths; fuzzed bits and activations holding −128, each against ggml where it is loaded.</summary>
public unsafe class IQ2Tests
{
    public static TheoryData<GgmlType> Types => new() { GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S };

    /// <summary>A row whose groups of 8 walk all grid indices (twice or more), sign groups and 4-bit scales, with random
    /// super-block scales of both signs.</summary>
    private static byte[] WalkingRow(GgmlType type, out int n)
    {
        int blocks = type == GgmlType.IQ2_XXS ? 16 : 32; // 32 groups of 8 per block: 512 or 1024 groups
        n = blocks * QK.K;
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, n)];
        var rng = new Random(11 + (int)type);
        fixed (byte* p = bytes)
            for (int b = 0; b < blocks; b++)
            {
                ushort d = Fp16.FromSingle((float)((rng.NextDouble() - 0.5) * 0.02));
                for (int ib = 0; ib < 8; ib++)
                {
                    int sub = b * 8 + ib; // global sub-block
                    int lo = sub & 15, hi = (sub * 7 + 3) & 15;
                    for (int l = 0; l < 4; l++)
                    {
                        int g = sub * 4 + l; // global group
                        int signs = (g * 5 + b) & 127;
                        switch (type)
                        {
                            case GgmlType.IQ2_XXS:
                            {
                                var x = (IQ2XXSBlock*)p + b;
                                x->D = d;
                                byte* q = (byte*)(x->Qs + 4 * ib);
                                q[l] = (byte)g;
                                uint* sg = (uint*)(q + 4);
                                *sg = (*sg & ~(127u << (7 * l))) | ((uint)signs << (7 * l));
                                *sg = (*sg & 0x0FFFFFFF) | ((uint)lo << 28);
                                break;
                            }
                            case GgmlType.IQ2_XS:
                            {
                                var x = (IQ2XSBlock*)p + b;
                                x->D = d;
                                x->Qs[4 * ib + l] = (ushort)((g & 511) | (signs << 9));
                                x->Scales[ib] = (byte)(lo | hi << 4);
                                break;
                            }
                            default:
                            {
                                var x = (IQ2SBlock*)p + b;
                                x->D = d;
                                int index = g & 1023;
                                x->Qs[4 * ib + l] = (byte)index;
                                x->Qh[ib] = (byte)((x->Qh[ib] & ~(3 << (2 * l))) | ((index >> 8) << (2 * l)));
                                x->Qs[32 + 4 * ib + l] = (byte)(g * 37 + b); // full 8-bit sign byte
                                x->Scales[ib] = (byte)(lo | hi << 4);
                                break;
                            }
                        }
                    }
                }
            }
        return bytes;
    }

    private static byte[] Activations(int n, int seed)
    {
        var a = new byte[GgmlTypeInfo.RowBytes(GgmlType.Q8_K, n)];
        ActivationQuantizer.Row(GgmlType.Q8_K, TestData.Floats(new Random(seed), n), a);
        return a;
    }

    private static void AssertSameBits(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: {expected} vs {actual}");

    /// <summary>The three dot kernels (ggml's AVX2 one where loaded, our scalar reference, our AVX2 one) agree bit for bit.</summary>
    private static void AssertDotsAgree(GgmlType type, byte[] w, byte[] a, int n, string what)
    {
        fixed (byte* pw = w)
        fixed (byte* pa = a)
        {
            float scalar = VecDotScalar.Dot(type, pw, pa, n);
            if (GgmlNative.Available && GgmlNative.Variant == "avx2") AssertSameBits(GgmlNative.VecDot(type, pw, pa, n), scalar, $"{type} {what} ggml vs scalar");
            if (VecDotAvx2.IsSupported) AssertSameBits(scalar, VecDotAvx2.For(type)(pw, pa, n), $"{type} {what} scalar vs AVX2");
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void EveryGridPointSignAndScaleDecodesLikeGgml(GgmlType type)
    {
        if (!GgmlNative.Available) return;
        byte[] w = WalkingRow(type, out int n);
        var ours = new float[n];
        var theirs = new float[n];
        fixed (byte* pw = w)
        fixed (float* po = ours, pt = theirs)
        {
            Dequantize.Row(type, pw, po, n);
            GgmlNative.Dequantize(type, pw, pt, n);
        }
        for (int i = 0; i < n; i++) AssertSameBits(theirs[i], ours[i], $"{type} element {i}");
        Assert.Contains(ours, v => v < 0); // the row does exercise signs
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void EveryGridPointSignAndScaleDotsLikeGgml(GgmlType type)
    {
        byte[] w = WalkingRow(type, out int n);
        for (int seed = 0; seed < 3; seed++) AssertDotsAgree(type, w, Activations(n, seed), n, $"walking row seed {seed}");
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void RowLengthsQuantizedAndFuzzed(GgmlType type)
    {
        foreach (int n in new[] { 256, 512, 4096 + 256 })
            for (int seed = 0; seed < 3; seed++)
            {
                var rng = new Random(seed * 101 + n);
                byte[] w = GgmlNative.Available ? TestData.WeightRow(type, rng, n) : new byte[GgmlTypeInfo.RowBytes(type, n)];
                if (!GgmlNative.Available || seed == 2) RandomBlocks.FuzzBlocks(type, rng, w);
                AssertDotsAgree(type, w, Activations(n, seed + n), n, $"n={n} seed={seed}");
            }
    }

    /// <summary>Q8_K activations of −128 (which our quantizer never emits) negate to −128 in ggml's vpsignb/xor-sub; the
    /// scalar reference wraps the same way, so the kernels still agree on such input.</summary>
    [Theory]
    [MemberData(nameof(Types))]
    public void ActivationsOfMinus128NegateAsGgml(GgmlType type)
    {
        const int n = 1024;
        var rng = new Random(3 + (int)type);
        var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
        RandomBlocks.FuzzBlocks(type, rng, w);
        var a = new byte[GgmlTypeInfo.RowBytes(GgmlType.Q8_K, n)];
        rng.NextBytes(a);
        fixed (byte* pa = a)
            for (int b = 0; b < n / QK.K; b++)
            {
                var y = (Q8KBlock*)pa + b;
                y->D = 0.01f;
                for (int j = 0; j < QK.K; j += 3) y->Qs[j] = -128;
            }
        AssertDotsAgree(type, w, a, n, "activations with -128");
    }
}
