using System.Runtime.InteropServices;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

/// <summary>The repacked kernels (eight-row groups) against their scalar references on the original rows.</summary>
public unsafe class PackedWeightsTests
{
    private sealed class Packed : IDisposable
    {
        public readonly byte* W, P;
        public readonly WeightMatrix Plain, Matrix;

        public Packed(GgmlType type, int rows, int cols, int seed, ushort? poisonScale = null)
        {
            var rng = new Random(seed);
            long rb = GgmlTypeInfo.RowBytes(type, cols);
            int blockBytes = (int)GgmlTypeInfo.RowBytes(type, GgmlTypeInfo.BlockSize(type)), blocks = cols / GgmlTypeInfo.BlockSize(type);
            W = (byte*)NativeMemory.AlignedAlloc((nuint)(rb * rows), 64);
            for (int r = 0; r < rows; r++)
                TestData.WeightRow(type, rng, cols).CopyTo(new Span<byte>(W + r * rb, (int)rb));
            // Scales the vector half-to-float conversion must get exactly: zero, negative, subnormal, the largest half
            // (d of Q4_0; d and dmin of Q4_K).
            ushort[] special = [0x0000, 0x8000, 0x0001, 0x03FF, 0x83FF, 0x0400, 0x7BFF, 0xFBFF, 0xB5A0];
            int halves = type == GgmlType.Q4_K ? 2 : 1;
            for (int i = 0; i < special.Length; i++)
                *(ushort*)(W + (long)(i * 5 % rows) * rb + (i % blocks) * blockBytes + 2 * (i % halves)) = special[i];
            if (poisonScale is { } bad) *(ushort*)(W + rb * (rows - 1)) = bad;
            Plain = new WeightMatrix(W, type, cols, rows);
            P = (byte*)NativeMemory.AlignedAlloc((nuint)PackedWeights.Bytes(Plain), 64);
            PackedWeights.Pack(Plain, P);
            Matrix = Plain with { Packed = P };
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(W);
            NativeMemory.AlignedFree(P);
        }
    }

    private static float[] Run(ComputeContext ctx, in WeightMatrix m, float[] x, int batch)
    {
        var y = new float[m.Rows * batch];
        fixed (float* px = x, py = y) MatMul.Multiply(ctx, m, px, py, batch);
        return y;
    }

    [Theory]
    [InlineData(GgmlType.Q4_0, 40, 512, 1)]
    [InlineData(GgmlType.Q4_0, 40, 512, 4)]
    [InlineData(GgmlType.Q4_0, 40, 512, 7)]
    [InlineData(GgmlType.Q4_0, 8, 96, 9)]
    [InlineData(GgmlType.Q4_0, 24, 2048, 3)]
    [InlineData(GgmlType.Q4_K, 40, 512, 1)]
    [InlineData(GgmlType.Q4_K, 40, 512, 4)]
    [InlineData(GgmlType.Q4_K, 40, 512, 7)]
    [InlineData(GgmlType.Q4_K, 8, 256, 9)]
    [InlineData(GgmlType.Q4_K, 24, 2048, 3)]
    [InlineData(GgmlType.IQ4_NL, 40, 512, 1)]
    [InlineData(GgmlType.IQ4_NL, 40, 512, 7)]
    [InlineData(GgmlType.IQ4_NL, 8, 96, 9)]
    [InlineData(GgmlType.IQ4_NL, 24, 2048, 3)]
    public void MatchesTheScalarPerBlockReferenceBitForBit(GgmlType type, int rows, int cols, int batch)
    {
        using var p = new Packed(type, rows, cols, rows * 31 + cols + batch);
        float[] x = TestData.Floats(new Random(batch), cols * batch, 3f);
        using var ctx = new ComputeContext(2, cols, batch);
        float[] simd = Run(ctx, p.Matrix, x, batch);
        var reference = new float[rows * batch];
        fixed (float* px = x, py = reference) MatMul.MultiplyReference(p.Matrix, px, py, batch);
        using var scalarCtx = new ComputeContext(2, cols, batch) { Simd = false };
        float[] scalar = Run(scalarCtx, p.Matrix, x, batch);
        // per-block order vs the per-lane (ggml vec_dot) order of the plain rows: rounding-level differences only
        float[] plain = Run(ctx, p.Plain, x, batch);
        for (int i = 0; i < simd.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(simd[i]) == BitConverter.SingleToInt32Bits(reference[i]),
                $"{type} [{i / rows},{i % rows}] packed SIMD {simd[i]} vs scalar per-block reference {reference[i]}");
            Assert.Equal(BitConverter.SingleToInt32Bits(reference[i]), BitConverter.SingleToInt32Bits(scalar[i]));
            Assert.True(Math.Abs(simd[i] - plain[i]) <= 1e-4f * (1 + Math.Abs(plain[i])), $"{type} [{i}] {simd[i]} vs plain rows {plain[i]}");
        }
        Assert.Contains(simd, v => v != 0);
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.IQ4_NL)]
    public void PerBlockReferenceIsTheDequantizedDot(GgmlType type)
    {
        const int cols = 512;
        var rng = new Random(5);
        byte[] w = TestData.WeightRow(type, rng, cols);
        float[] x = TestData.Floats(rng, cols);
        GgmlType at = ActivationQuantizer.VecDotType(type);
        var act = new byte[GgmlTypeInfo.RowBytes(at, cols)];
        ActivationQuantizer.Row(at, x, act);
        float[] wf = new float[cols], xf = new float[cols];
        Dequantize.Row(type, w, wf);
        Dequantize.Row(at, act, xf);
        double exact = 0, magnitude = 0;
        for (int k = 0; k < cols; k++) { exact += (double)wf[k] * xf[k]; magnitude += Math.Abs((double)wf[k] * xf[k]); }
        fixed (byte* pw = w, pa = act)
            Assert.InRange(PackedWeights.Reference(type)(pw, pa, cols), exact - 1e-5 * magnitude, exact + 1e-5 * magnitude);
    }

    [Theory]
    [InlineData(GgmlType.Q4_0, (ushort)0x7C00)] // +inf
    [InlineData(GgmlType.Q4_0, (ushort)0xFE00)] // NaN
    [InlineData(GgmlType.Q4_K, (ushort)0xFC00)] // -inf
    public void NonFiniteScalesGiveWhatTheScalarReferenceGives(GgmlType type, ushort scale)
    {
        const int rows = 16, cols = 256, batch = 5;
        using var p = new Packed(type, rows, cols, 1, scale);
        float[] x = TestData.Floats(new Random(2), cols * batch);
        using var ctx = new ComputeContext(2, cols, batch);
        float[] simd = Run(ctx, p.Matrix, x, batch);
        var reference = new float[rows * batch];
        fixed (float* px = x, py = reference) MatMul.MultiplyReference(p.Matrix, px, py, batch);
        for (int i = 0; i < simd.Length; i++)
            Assert.True(float.IsNaN(simd[i]) ? float.IsNaN(reference[i]) : BitConverter.SingleToInt32Bits(simd[i]) == BitConverter.SingleToInt32Bits(reference[i]),
                $"{type} [{i / rows},{i % rows}]: packed {simd[i]} vs scalar {reference[i]}");
        Assert.Contains(simd, v => !float.IsFinite(v)); // the poisoned row really is non-finite
    }

    [Fact]
    public void RefusesOtherTypesAndRowCounts()
    {
        var data = new byte[144 * 12];
        fixed (byte* d = data)
        {
            Assert.False(PackedWeights.CanPack(new WeightMatrix(d, GgmlType.Q4_0, 32, 12)));
            Assert.False(PackedWeights.CanPack(new WeightMatrix(d, GgmlType.Q4_K, 256, 4)));
            Assert.False(PackedWeights.CanPack(new WeightMatrix(d, GgmlType.Q8_0, 32, 8)));
            Assert.False(PackedWeights.CanPack(new WeightMatrix(d, GgmlType.Q6_K, 256, 8)));
            Assert.True(PackedWeights.CanPack(new WeightMatrix(d, GgmlType.Q4_0, 32, 8)));
            Assert.True(PackedWeights.CanPack(new WeightMatrix(d, GgmlType.Q4_K, 256, 8)));
            Assert.True(PackedWeights.CanPack(new WeightMatrix(d, GgmlType.IQ4_NL, 32, 8)));
            Assert.False(PackedWeights.CanPack(new WeightMatrix(d, GgmlType.IQ4_NL, 32, 12)));
        }
    }

    [Fact]
    public void ActivationExtrasAreTheSumsAndScaleOfEachBlock()
    {
        const int cols = 320;
        float[] x = TestData.Floats(new Random(9), cols, 5f);
        var act = new byte[cols / 32 * Q8_0Extras.BytesPerBlock];
        ActivationQuantizer.Row(GgmlType.Q8_0, x, act);
        fixed (byte* a = act)
        {
            Q8_0Extras.Write(a, cols);
            int* sums = Q8_0Extras.BlockSums(a, cols), lanes = Q8_0Extras.LaneSums16(a, cols);
            float* scales = Q8_0Extras.Scales(a, cols);
            for (int b = 0; b < cols / 32; b++)
            {
                int s = 0;
                for (int k = 0; k < 8; k++)
                {
                    int lane = 0;
                    for (int i = 4 * k; i < 4 * k + 4; i++) lane += (sbyte)a[b * 34 + 2 + i];
                    Assert.Equal(16 * lane, lanes[8 * b + k]);
                    s += lane;
                }
                Assert.Equal(s, sums[b]);
                Assert.Equal(Fp16.ToSingle(*(ushort*)(a + b * 34)), scales[b]);
                Assert.NotEqual(0f, scales[b]);
            }
        }
    }
}
