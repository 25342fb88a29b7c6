using System.Diagnostics;
using System.Runtime.InteropServices;
using PocketLM.Tensors;

namespace PocketLM.Bench;

/// <summary>In-process A/B of the prefill tiles (on vs off), interleaved so machine load hits both alike.</summary>
internal static unsafe class AB
{
    public static int Run(string[] args)
    {
        Micro.InitializeTensorClasses();
        int threads = int.Parse(Compare.Opt(args, "-t") ?? "2"), batch = int.Parse(Compare.Opt(args, "-b") ?? "16");
        const int rows = 4864, cols = 896 * 2; // a 1792-wide matrix: multiple of 256 for the k-quants
        var rng = new Random(1);
        float* x = (float*)NativeMemory.AlignedAlloc((nuint)(cols * 4 * batch), 64);
        float* y = (float*)NativeMemory.AlignedAlloc((nuint)(rows * 4 * batch), 64);
        for (int i = 0; i < cols * batch; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        Console.WriteLine($"{rows}x{cols}, batch {batch}, {threads} threads; load average {Compare.LoadAverage()}");
        using var ctx = new ComputeContext(threads, cols, batch);
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K })
        {
            long bytes = GgmlTypeInfo.RowBytes(type, cols) * rows;
            byte* w = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
            rng.NextBytes(new Span<byte>(w, (int)bytes));
            Kernels.FixScales(type, w, bytes);
            var m = new WeightMatrix(w, type, cols, rows);
            var on = new List<double>(); var off = new List<double>();
            for (int rep = 0; rep < 12; rep++)
                foreach (bool tiles in new[] { true, false })
                {
                    MatMul.UseTiles = tiles;
                    MatMul.Multiply(ctx, m, x, y, batch);
                    long t0 = Stopwatch.GetTimestamp();
                    for (int k = 0; k < 5; k++) MatMul.Multiply(ctx, m, x, y, batch);
                    (tiles ? on : off).Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / 5);
                }
            MatMul.UseTiles = true;
            on.Sort(); off.Sort();
            double a = on[on.Count / 2], b = off[off.Count / 2];
            Console.WriteLine($"{type,-5}: tiles {a,8:F3} ms, no tiles {b,8:F3} ms  → {b / a:F2}×  ({batch * (double)rows * cols / a / 1e6:F1} GMAC/s)");
            NativeMemory.AlignedFree(w);
        }
        return 0;
    }
}
