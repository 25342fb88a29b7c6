using System.Diagnostics;
using System.Runtime.InteropServices;
using PocketLM.Tensors;

// Prefill matmul throughput: a cache-resident matrix (default 4864×896, Qwen2.5-0.5B's gate/up) times a 64-token batch,
// in multiply-adds per second and CPU cycles per 32 multiply-adds at an assumed clock (-ghz, default 3.0).
// Usage: PocketLM.Bench prefill [-rows 4864] [-cols 896] [-b 64] [-ghz 3.0] [TYPES...]
namespace PocketLM.Bench;

internal static unsafe class PrefillKernels
{
    public static int Run(string[] args)
    {
        int rows = int.Parse(Compare.Opt(args, "-rows") ?? "4864"), cols = int.Parse(Compare.Opt(args, "-cols") ?? "896");
        int batch = int.Parse(Compare.Opt(args, "-b") ?? "64");
        double ghz = double.Parse(Compare.Opt(args, "-ghz") ?? "3.0", System.Globalization.CultureInfo.InvariantCulture);
        var types = args.Where(a => a.Length > 0 && char.IsLetter(a[0]) && Enum.TryParse<GgmlType>(a, out _)).Select(Enum.Parse<GgmlType>).ToArray();
        if (types.Length == 0) types = [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K];
        var rng = new Random(1);
        float* x = (float*)NativeMemory.AlignedAlloc((nuint)(cols * 4 * batch), 64);
        float* y = (float*)NativeMemory.AlignedAlloc((nuint)(rows * 4 * batch), 64);
        Kernels.FillRandom(x, cols * batch, rng);
        Console.WriteLine($"{rows}x{cols} × {batch} tokens; load average {Compare.LoadAverage()}");
        foreach (var type in types)
        {
            if (cols % GgmlTypeInfo.BlockSize(type) != 0) continue;
            var m = Kernels.Packed(Kernels.RandomMatrix(type, cols, rows, rng));
            foreach (int threads in new[] { 1, 2 })
            {
                using var ctx = new ComputeContext(threads, cols, batch);
                var sw = Stopwatch.StartNew();
                while (sw.ElapsedMilliseconds < 1000) MatMul.Multiply(ctx, m, x, y, batch);
                int iters = 0;
                sw.Restart();
                while (sw.ElapsedMilliseconds < 2000) { MatMul.Multiply(ctx, m, x, y, batch); iters++; }
                double macs = (double)rows * cols * batch * iters / sw.Elapsed.TotalSeconds;
                Console.WriteLine($"{type,-5}{(m.Packed != null ? " packed" : ""),-7} threads={threads}: {macs / 1e9,6:F2} GMAC/s, {ghz * 1e9 * threads / (macs / 32),5:F2} cycles per 32 MACs per core");
            }
            if (m.Packed != null) NativeMemory.AlignedFree(m.Packed);
            NativeMemory.AlignedFree(m.Data);
        }
        return 0;
    }
}
