using System.Runtime.InteropServices;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

/// <summary>The repacked Q4_0 kernels (eight-row groups) against their scalar reference on the original rows.</summary>
public unsafe class PackedQ4_0Tests
{
    private sealed class Packed : IDisposable
    {
        public readonly byte* W, P;
        public readonly WeightMatrix Plain, Matrix;
        public readonly bool Ok;

        public Packed(int rows, int cols, int seed, ushort? poisonScale = null)
        {
            var rng = new Random(seed);
            long rb = GgmlTypeInfo.RowBytes(GgmlType.Q4_0, cols);
            W = (byte*)NativeMemory.AlignedAlloc((nuint)(rb * rows), 64);
            P = (byte*)NativeMemory.AlignedAlloc((nuint)(rb * rows), 64);
            for (int r = 0; r < rows; r++)
                TestData.WeightRow(GgmlType.Q4_0, rng, cols).CopyTo(new Span<byte>(W + r * rb, (int)rb));
            // Scales the vector half-to-float conversion must get exactly: zero, negative, subnormal, the largest half.
            ushort[] special = [0x0000, 0x8000, 0x0001, 0x03FF, 0x83FF, 0x0400, 0x7BFF, 0xFBFF, 0xB5A0];
            for (int i = 0; i < special.Length; i++)
                *(ushort*)(W + (long)(i * 5 % rows) * rb + (i % (cols / 32)) * 18) = special[i];
            if (poisonScale is { } bad) *(ushort*)(W + rb * (rows - 1)) = bad;
            Plain = new WeightMatrix(W, GgmlType.Q4_0, cols, rows);
            Ok = PackedQ4_0.Pack(Plain, P);
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
    [InlineData(40, 512, 1)]
    [InlineData(40, 512, 4)]
    [InlineData(40, 512, 7)]
    [InlineData(8, 96, 9)]
    [InlineData(24, 2048, 3)]
    public void MatchesTheScalarPerBlockReferenceBitForBit(int rows, int cols, int batch)
    {
        using var p = new Packed(rows, cols, rows * 31 + cols + batch);
        Assert.True(p.Ok);
        float[] x = TestData.Floats(new Random(batch), cols * batch, 3f);
        using var ctx = new ComputeContext(2, cols, batch);
        float[] simd = Run(ctx, p.Matrix, x, batch);
        var reference = new float[rows * batch];
        fixed (float* px = x, py = reference) MatMul.MultiplyReference(p.Matrix, px, py, batch);
        using var scalarCtx = new ComputeContext(2, cols, batch) { Simd = false };
        float[] scalar = Run(scalarCtx, p.Matrix, x, batch);
        // the layout keeps every row's own numbers: per-lane (ggml vec_dot) order on the plain rows differs only in rounding
        float[] plain = Run(ctx, p.Plain, x, batch);
        for (int i = 0; i < simd.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(simd[i]) == BitConverter.SingleToInt32Bits(reference[i]),
                $"[{i / rows},{i % rows}] packed SIMD {simd[i]} vs scalar per-block reference {reference[i]}");
            Assert.Equal(BitConverter.SingleToInt32Bits(reference[i]), BitConverter.SingleToInt32Bits(scalar[i]));
            Assert.True(Math.Abs(simd[i] - plain[i]) <= 1e-4f * (1 + Math.Abs(plain[i])), $"[{i}] {simd[i]} vs plain rows {plain[i]}");
        }
        Assert.Contains(simd, v => v != 0);
    }

    [Fact]
    public void PerBlockReferenceIsTheDequantizedDot()
    {
        const int cols = 256;
        var rng = new Random(5);
        byte[] w = TestData.WeightRow(GgmlType.Q4_0, rng, cols);
        float[] x = TestData.Floats(rng, cols);
        var act = new byte[GgmlTypeInfo.RowBytes(GgmlType.Q8_0, cols)];
        ActivationQuantizer.Row(GgmlType.Q8_0, x, act);
        float[] wf = new float[cols], xf = new float[cols];
        Dequantize.Row(GgmlType.Q4_0, w, wf);
        Dequantize.Row(GgmlType.Q8_0, act, xf);
        double exact = 0, magnitude = 0;
        for (int k = 0; k < cols; k++) { exact += (double)wf[k] * xf[k]; magnitude += Math.Abs((double)wf[k] * xf[k]); }
        fixed (byte* pw = w, pa = act)
            Assert.InRange(VecDotScalar.Q4_0PerBlock(pw, pa, cols), exact - 1e-5 * magnitude, exact + 1e-5 * magnitude);
    }

    [Theory]
    [InlineData((ushort)0x7C00)] // +inf
    [InlineData((ushort)0xFE00)] // NaN
    public void RefusesScalesItCannotConvert(ushort scale)
    {
        using var p = new Packed(16, 64, 1, scale);
        Assert.False(p.Ok);
    }

    [Fact]
    public void RefusesOtherTypesAndRowCounts()
    {
        var data = new byte[18 * 12];
        fixed (byte* d = data)
        {
            Assert.False(PackedQ4_0.CanPack(new WeightMatrix(d, GgmlType.Q4_0, 32, 12)));
            Assert.False(PackedQ4_0.CanPack(new WeightMatrix(d, GgmlType.Q8_0, 32, 8)));
            Assert.True(PackedQ4_0.CanPack(new WeightMatrix(d, GgmlType.Q4_0, 32, 8)));
        }
    }

    [Fact]
    public void BlockSumsAreTheSumsOfTheQuants()
    {
        const int cols = 320;
        float[] x = TestData.Floats(new Random(9), cols, 5f);
        var act = new byte[GgmlTypeInfo.RowBytes(GgmlType.Q8_0, cols) + cols / 32 * 4];
        ActivationQuantizer.Row(GgmlType.Q8_0, x, act);
        fixed (byte* a = act)
        {
            PackedQ4_0.WriteSums(a, cols);
            int* sums = PackedQ4_0.Sums(a, cols);
            for (int b = 0; b < cols / 32; b++)
            {
                int s = 0;
                for (int i = 0; i < 32; i++) s += (sbyte)a[b * 34 + 2 + i];
                Assert.Equal(s, sums[b]);
            }
        }
    }
}
