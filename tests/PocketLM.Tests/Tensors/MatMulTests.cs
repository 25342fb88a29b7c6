using System.Runtime.InteropServices;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

public unsafe class MatMulTests
{
    private sealed class Problem : IDisposable
    {
        public readonly byte* W;
        public readonly float* X, Y;
        public readonly WeightMatrix Matrix;
        public readonly float[] Weights; // dequantized, row-major
        public readonly float[] Input;

        public Problem(GgmlType type, int rows, int cols, int batch, int seed)
        {
            var rng = new Random(seed);
            long rb = GgmlTypeInfo.RowBytes(type, cols);
            W = (byte*)NativeMemory.AlignedAlloc((nuint)(rb * rows), 64);
            Weights = new float[(long)rows * cols];
            for (int r = 0; r < rows; r++)
            {
                byte[] row = TestData.WeightRow(type, rng, cols);
                row.CopyTo(new Span<byte>(W + r * rb, (int)rb));
                Dequantize.Row(type, row, Weights.AsSpan(r * cols, cols));
            }
            Input = TestData.Floats(rng, cols * batch);
            X = (float*)NativeMemory.AlignedAlloc((nuint)(Input.Length * 4), 64);
            Input.CopyTo(new Span<float>(X, Input.Length));
            Y = (float*)NativeMemory.AlignedAlloc((nuint)((long)rows * batch * 4), 64);
            Matrix = new WeightMatrix(W, type, cols, rows);
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(W);
            NativeMemory.AlignedFree(X);
            NativeMemory.AlignedFree(Y);
        }
    }

    /// <summary>x as the kernels see it: quantized to the vec_dot type and expanded back to floats.</summary>
    private static float[] AsQuantized(GgmlType weight, float[] x, int cols)
    {
        GgmlType at = ActivationQuantizer.VecDotType(weight);
        var result = new float[x.Length];
        var buf = new byte[GgmlTypeInfo.RowBytes(at, cols)];
        for (int b = 0; b < x.Length / cols; b++)
        {
            ActivationQuantizer.Row(at, x.AsSpan(b * cols, cols), buf);
            Dequantize.Row(at, buf, result.AsSpan(b * cols, cols));
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void MatchesFloatReferenceAndScalarPath(GgmlType type)
    {
        const int rows = 37, cols = 512, batch = 7; // rows not a multiple of the chunk or of 4; tokens: a 4-token tile, then 3 by the others
        using var p = new Problem(type, rows, cols, batch, 17 + (int)type);
        using var ctx = new ComputeContext(2, cols, batch);
        MatMul.Multiply(ctx, p.Matrix, p.X, p.Y, batch);
        var fast = new Span<float>(p.Y, rows * batch).ToArray();
        MatMul.MultiplyReference(p.Matrix, p.X, p.Y, batch);
        var reference = new Span<float>(p.Y, rows * batch).ToArray();
        float[] xq = AsQuantized(type, p.Input, cols);
        for (int b = 0; b < batch; b++)
            for (int r = 0; r < rows; r++)
            {
                double exact = 0, magnitude = 0, unquantized = 0;
                for (int k = 0; k < cols; k++)
                {
                    double t = (double)p.Weights[r * cols + k] * xq[b * cols + k];
                    exact += t;
                    magnitude += Math.Abs(t);
                    unquantized += (double)p.Weights[r * cols + k] * p.Input[b * cols + k];
                }
                int i = b * rows + r;
                Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(reference[i]),
                    $"{type} [{b},{r}]: pooled/SIMD {fast[i]} vs scalar reference {reference[i]}");
                // Against dequantized weights times dequantized activations in double: only float rounding may differ —
                // plus, for Q8_1, the block sum s that ggml stores as a half (≈2⁻¹¹ relative) to apply the weight minimum.
                double tol = ActivationQuantizer.VecDotType(type) == GgmlType.Q8_1 ? 5e-3 : 1e-5; // m·s can be much larger than the row sum it cancels into
                Assert.True(Math.Abs(fast[i] - exact) <= tol * magnitude + 1e-6,
                    $"{type} [{b},{r}]: {fast[i]} vs float reference {exact} (Σ|w·x| = {magnitude})");
                // And the activation quantization itself stays within what 8-bit (or half) activations allow.
                Assert.True(Math.Abs(fast[i] - unquantized) <= 0.1 * magnitude + 1e-6,
                    $"{type} [{b},{r}]: {fast[i]} vs unquantized {unquantized}");
            }
    }

    /// <summary>The IQ4_NL tile with an odd number of blocks per row (its last block is added after the paired ones).</summary>
    [Theory]
    [InlineData(544)]
    [InlineData(32)]
    public void IQ4NLTileWithOddBlockCountMatchesScalarPath(int cols)
    {
        const int rows = 67, batch = 6;
        using var p = new Problem(GgmlType.IQ4_NL, rows, cols, batch, cols);
        using var ctx = new ComputeContext(2, cols, batch);
        MatMul.Multiply(ctx, p.Matrix, p.X, p.Y, batch);
        var fast = new Span<float>(p.Y, rows * batch).ToArray();
        MatMul.MultiplyReference(p.Matrix, p.X, p.Y, batch);
        for (int i = 0; i < fast.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(p.Y[i]), $"[{i}]: {fast[i]} vs scalar {p.Y[i]}");
    }

    /// <summary>The one-row × four-token i-quant tiles (the grid types and IQ4_XS), for every batch 1–9 (tiles, then the one-row tail) and one or
    /// three super-blocks per row: every output has the scalar reference's bits.</summary>
    [Theory]
    [InlineData(GgmlType.IQ3_XXS)]
    [InlineData(GgmlType.IQ3_S)]
    [InlineData(GgmlType.IQ2_XXS)]
    [InlineData(GgmlType.IQ2_XS)]
    [InlineData(GgmlType.IQ2_S)]
    [InlineData(GgmlType.IQ1_S)]
    [InlineData(GgmlType.IQ1_M)]
    [InlineData(GgmlType.IQ4_XS)]
    public void IQGridTilesMatchScalarPath(GgmlType type)
    {
        if (VecDotAvx2.IsSupported)
        {
            Assert.True(MatMul.Tile(type, true, out int tileRows, out int tokens) != null);
            Assert.Equal((1, 4), (tileRows, tokens));
        }
        foreach (int cols in new[] { 256, 768 })
            for (int batch = 1; batch <= 9; batch++)
            {
                const int rows = 19;
                using var p = new Problem(type, rows, cols, batch, 31 * batch + cols);
                using var ctx = new ComputeContext(2, cols, batch);
                MatMul.Multiply(ctx, p.Matrix, p.X, p.Y, batch);
                var fast = new Span<float>(p.Y, rows * batch).ToArray();
                MatMul.MultiplyReference(p.Matrix, p.X, p.Y, batch);
                for (int i = 0; i < fast.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(p.Y[i]),
                        $"{type} cols {cols} batch {batch} [{i}]: {fast[i]} vs scalar {p.Y[i]}");
            }
    }

    /// <summary>A context built for F16/BF16 weights keeps their activations widened (F16 always, BF16 in batches) and, for
    /// batches, widens each chunk's rows once: every output still has the scalar reference's bits (tails past the last 32
    /// and 8 included), also in a grouped multiply that shares the activation buffers with a quantized matrix.</summary>
    [Theory]
    [InlineData(GgmlType.F16, 1)]
    [InlineData(GgmlType.F16, 7)]
    [InlineData(GgmlType.BF16, 1)]
    [InlineData(GgmlType.BF16, 7)]
    public void HalfWeightsWithWidenedOperandsMatchScalarPath(GgmlType type, int batch)
    {
        foreach (int cols in new[] { 512, 520, 77 })
        {
            using var f16 = new Problem(type, 37, cols, batch, 5 + cols);
            using var q8 = new Problem(GgmlType.Q8_0, 20, 512, batch, 6);
            using var ctx = new ComputeContext(2, Math.Max(cols, 512), batch, halfWeights: true);
            MatMul.Multiply(ctx, f16.Matrix, f16.X, f16.Y, batch);
            var fast = new Span<float>(f16.Y, 37 * batch).ToArray();
            MatMul.MultiplyReference(f16.Matrix, f16.X, f16.Y, batch);
            var reference = new Span<float>(f16.Y, 37 * batch).ToArray();
            for (int i = 0; i < fast.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(reference[i]),
                    $"cols {cols} batch {batch} [{i}]: widened {fast[i]} vs scalar reference {reference[i]}");
            if (cols != 512) continue;
            MatMul.Multiply(ctx, q8.Matrix, f16.X, q8.Y, batch);
            var q8Alone = new Span<float>(q8.Y, 20 * batch).ToArray();
            MatMul.Multiply(ctx, f16.X, batch, q8.Matrix, q8.Y, f16.Matrix, f16.Y);
            Assert.Equal(q8Alone, new Span<float>(q8.Y, 20 * batch).ToArray());
            Assert.Equal(reference, new Span<float>(f16.Y, 37 * batch).ToArray());
        }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.F16)]
    public void RunsWithSimdSwitchedOff(GgmlType type)
    {
        const int rows = 20, cols = 256, batch = 2;
        using var p = new Problem(type, rows, cols, batch, 3);
        using var scalarCtx = new ComputeContext(2, cols, batch) { Simd = false };
        using var ctx = new ComputeContext(2, cols, batch);
        MatMul.Multiply(scalarCtx, p.Matrix, p.X, p.Y, batch);
        var scalar = new Span<float>(p.Y, rows * batch).ToArray();
        MatMul.Multiply(ctx, p.Matrix, p.X, p.Y, batch);
        Assert.Equal(scalar, new Span<float>(p.Y, rows * batch).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void GroupedMultiplyMatchesSeparateOnes(int batch)
    {
        const int cols = 512;
        using var a = new Problem(GgmlType.Q5_0, 37, cols, batch, 3);
        using var b = new Problem(GgmlType.Q6_K, 20, cols, batch, 4);
        using var c = new Problem(GgmlType.Q8_0, 52, cols, batch, 5);
        using var ctx = new ComputeContext(2, cols, batch);
        float* x = a.X;
        var expected = new List<float[]>();
        foreach (var p in new[] { a, b, c })
        {
            MatMul.Multiply(ctx, p.Matrix, x, p.Y, batch);
            expected.Add(new Span<float>(p.Y, p.Matrix.Rows * batch).ToArray());
            new Span<float>(p.Y, p.Matrix.Rows * batch).Clear();
        }
        MatMul.Multiply(ctx, x, batch, a.Matrix, a.Y, b.Matrix, b.Y, c.Matrix, c.Y);
        Assert.Equal(expected[0], new Span<float>(a.Y, 37 * batch).ToArray());
        Assert.Equal(expected[1], new Span<float>(b.Y, 20 * batch).ToArray());
        Assert.Equal(expected[2], new Span<float>(c.Y, 52 * batch).ToArray());
        MatMul.Multiply(ctx, x, batch, c.Matrix, c.Y, a.Matrix, a.Y);
        Assert.Equal(expected[0], new Span<float>(a.Y, 37 * batch).ToArray());
        Assert.Equal(expected[2], new Span<float>(c.Y, 52 * batch).ToArray());
    }

    [Fact]
    public void MultiplyAllocatesNothing()
    {
        const int rows = 64, cols = 1024;
        using var p = new Problem(GgmlType.Q4_K, rows, cols, 4, 8);
        using var ctx = new ComputeContext(2, cols, 4);
        for (int i = 0; i < 3; i++) // warm up: JIT, statics, first wake of the workers
        {
            MatMul.Multiply(ctx, p.Matrix, p.X, p.Y, 1);
            MatMul.Multiply(ctx, p.Matrix, p.X, p.Y, 4);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            MatMul.Multiply(ctx, p.Matrix, p.X, p.Y, 1);
            MatMul.Multiply(ctx, p.Matrix, p.X, p.Y, 4);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void PoolCoversEveryItemOnce()
    {
        using var pool = new WorkerPool(3);
        var work = new CountingWork(1000);
        for (int round = 0; round < 200; round++)
        {
            Array.Clear(work.Hits);
            pool.Run(work, round % 7 == 0 ? 1 : 1000);
            int expected = round % 7 == 0 ? 1 : 1000;
            for (int i = 0; i < 1000; i++) Assert.Equal(i < expected ? 1 : 0, work.Hits[i]);
        }
    }

    private sealed class CountingWork(int n) : IParallelWork
    {
        public readonly int[] Hits = new int[n];
        public void Execute(int start, int end, int thread)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }
}
