using System.Diagnostics;
using System.Runtime.InteropServices;
using PocketLM.Tensors;

// Quick matvec throughput: weight bytes streamed per second for 4096×4096 matrices, after warm-up (tiered JIT/OSR). The
// benchmark cycles through enough copies (~256 MB) that weights come from DRAM, not L3, as they do in a real forward pass.
// Usage: PocketLM.Bench kernels [types...]   e.g. PocketLM.Bench kernels Q8_0 Q4_0 Q4_K
namespace PocketLM.Bench;

internal static unsafe class Kernels
{
    public static int Run(string[] args)
    {
        Micro.InitializeTensorClasses();
        const int rows = 4096, cols = 4096;
        SmallPages = args.Contains("--4k");
        args = args.Where(a => a != "--4k").ToArray();
        Console.WriteLine(SmallPages ? "weights on 4 KiB pages (--4k)" : "weights on 2 MiB pages, as a loaded model's (HugePages)");
        var types = args.Length > 0 ? args.Select(Enum.Parse<GgmlType>).ToArray() : [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16];
        var rng = new Random(1);
        float* x = (float*)NativeMemory.AlignedAlloc(cols * 4 * 8, 64);
        float* y = (float*)NativeMemory.AlignedAlloc(rows * 4 * 8, 64);
        FillRandom(x, cols * 8, rng);
        foreach (var type in types)
        {
            long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
            long matrixBytes = rowBytes * rows;
            int copies = (int)Math.Max(2, (256L << 20) / matrixBytes);
            var ms = new WeightMatrix[copies];
            for (int c = 0; c < copies; c++) ms[c] = Packed(RandomMatrix(type, cols, rows, rng)); // as a loaded model has them
            foreach (int threads in new[] { 1, 2 })
            {
                using var ctx = new ComputeContext(threads, cols, 8);
                foreach (int batch in new[] { 1, 8 })
                {
                    var sw = Stopwatch.StartNew();
                    int iters = 0;
                    while (sw.ElapsedMilliseconds < 1500) MatMul.Multiply(ctx, ms[iters++ % copies], x, y, batch); // warm-up
                    iters = 0;
                    sw.Restart();
                    while (sw.ElapsedMilliseconds < 2000) { MatMul.Multiply(ctx, ms[iters % copies], x, y, batch); iters++; }
                    double s = sw.Elapsed.TotalSeconds;
                    Console.WriteLine($"{type,-5} threads={threads} batch={batch}: {rowBytes * rows * (double)iters / s / 1e9,6:F2} GB/s of weights, {s / iters * 1e3,7:F3} ms per call");
                }
            }
            foreach (var m in ms) NativeMemory.AlignedFree(m.Data);
        }
    
        return 0;
    }

    /// <summary>
    /// A <paramref name="cols"/>×<paramref name="rows"/> matrix of random weights in 64-byte-aligned native memory (free its
    /// Data with NativeMemory.AlignedFree). Random bits with small finite scales are as costly to multiply as real weights.
    /// </summary>
    /// <summary>The matrix repacked as <c>LanguageModel.Load</c> would (Q4_0, Q4_K on AVX2), or itself.</summary>
    /// <summary>Weights on 4 KiB pages instead of huge pages (<c>kernels --4k</c>), to see what the pages cost.</summary>
    internal static bool SmallPages;

    /// <summary>Memory for weights: huge pages as <see cref="HugePages"/> gives a loaded model's repacked matrices (and the
    /// page cache its mapped file, where it has large folios).</summary>
    private static byte* Alloc(long bytes) => SmallPages ? (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64) : HugePages.Alloc(bytes);

    internal static WeightMatrix Packed(WeightMatrix m)
    {
        if (!VecDotAvx2.IsSupported || !PackedWeights.CanPack(m)) return m;
        byte* p = Alloc(PackedWeights.Bytes(m));
        PackedWeights.Pack(m, p);
        return m with { Packed = p };
    }

    internal static WeightMatrix RandomMatrix(GgmlType type, int cols, int rows, Random rng)
    {
        long bytes = GgmlTypeInfo.RowBytes(type, cols) * rows;
        byte* w = Alloc(bytes);
        rng.NextBytes(new Span<byte>(w, checked((int)bytes)));
        FixScales(type, w, bytes);
        return new WeightMatrix(w, type, cols, rows);
    }

    /// <summary>Fills <paramref name="n"/> floats at <paramref name="x"/> with uniform values in [-0.5, 0.5).</summary>
    internal static void FillRandom(float* x, int n, Random rng)
    {
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() - 0.5);
    }

    internal static void FixScales(GgmlType type, byte* w, long bytes)
    {
        int bb = GgmlTypeInfo.BlockBytes(type);
        int[] halves = type == GgmlType.F16 ? [0] : BlockLayout.HalfScaleOffsets(type);
        ushort h = BitConverter.HalfToUInt16Bits((Half)0.01f);
        for (long b = 0; b < bytes; b += bb)
            foreach (int o in halves) *(ushort*)(w + b + o) = h;
        if (type == GgmlType.IQ1_M) // its half scale is spread over the top nibbles of the four uint16 scale words at 48
            for (long b = 0; b < bytes; b += bb)
                for (int k = 0; k < 4; k++)
                {
                    ushort* sc = (ushort*)(w + b + 48) + k;
                    *sc = (ushort)((*sc & 0x0FFF) | ((h >> (4 * k)) & 0xF) << 12);
                }
        // Random F32/BF16 bit patterns include NaNs, infinities and denormals, which can slow float arithmetic: use
        // ordinary small values (the speed of a dot product does not depend on them otherwise).
        if (type == GgmlType.F32)
            for (long i = 0; i < bytes / 4; i++) ((float*)w)[i] = (i % 17 - 8) * 0.001f;
        else if (type == GgmlType.BF16)
            for (long i = 0; i < bytes / 2; i++) ((ushort*)w)[i] = (ushort)(BitConverter.SingleToUInt32Bits((i % 17 - 8) * 0.001f) >> 16);
    }
}
