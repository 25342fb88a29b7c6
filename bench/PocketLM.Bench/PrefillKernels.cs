using System.Diagnostics;
using System.Runtime.InteropServices;
using PocketLM.Tensors;

// Prefill matmul throughput: a cache-resident matrix (default 4864×896, Qwen2.5-0.5B's gate/up) times a 64-token batch,
// in multiply-adds per second and CPU cycles per 32 multiply-adds at an assumed clock (-ghz, default 3.0).
// Types with a tile kernel also get a one-thread line with the one-row kernels ("1-row").
// Usage: PocketLM.Bench prefill [-rows 4864] [-cols 896] [-b 64] [-ghz 3.0] [TYPES...]
namespace PocketLM.Bench;

internal static unsafe class PrefillKernels
{
    public static int Run(string[] args)
    {
        Micro.InitializeTensorClasses();
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
        var prm = stackalloc long[4]; prm[0] = 1L << 32; // ggml_compute_params: ith = 0, nth = 1, no work buffer, no threadpool
        foreach (var type in types)
        {
            if (cols % GgmlTypeInfo.BlockSize(type) != 0) continue;
            var m = Kernels.Packed(Kernels.RandomMatrix(type, cols, rows, rng));
            // threads 1 and 2; then, where the type has a tile kernel, one thread with the one-row kernels for comparison
            bool tiled = m.Packed == null && MatMul.Tile(type, true, out _, out _) != null;
            foreach (int threads in tiled ? new[] { 1, 2, -1 } : new[] { 1, 2 })
            {
                MatMul.UseTiles = threads > 0;
                using var ctx = new ComputeContext(Math.Abs(threads), cols, batch);
                var sw = Stopwatch.StartNew();
                while (sw.ElapsedMilliseconds < 1000) MatMul.Multiply(ctx, m, x, y, batch);
                int iters = 0;
                sw.Restart();
                while (sw.ElapsedMilliseconds < 2000) { MatMul.Multiply(ctx, m, x, y, batch); iters++; }
                double macs = (double)rows * cols * batch * iters / sw.Elapsed.TotalSeconds;
                Console.WriteLine($"{type,-5}{(m.Packed != null ? " packed" : threads < 0 ? " 1-row" : ""),-7} threads={Math.Abs(threads)}: {macs / 1e9,6:F2} GMAC/s, {ghz * 1e9 * Math.Abs(threads) / (macs / 32),5:F2} cycles per 32 MACs per core");
            }
            MatMul.UseTiles = true;
            if (type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 && Sgemm() is var sg && sg != null)
            {
                // llama.cpp's llamafile_sgemm (tinyBLAS) on the same matrix and activations, one thread.
                long arow = GgmlTypeInfo.RowBytes(GgmlType.Q8_0, cols);
                byte* a = (byte*)NativeMemory.AlignedAlloc((nuint)(arow * batch), 64);
                for (int b = 0; b < batch; b++) ActivationQuantizer.Row(GgmlType.Q8_0, x + (long)b * cols, a + b * arow, cols);
                bool ok = sg(prm, rows, batch, cols / 32, m.Data, cols / 32, a, cols / 32, y, rows, (int)type, (int)GgmlType.Q8_0, 0);
                var sw = Stopwatch.StartNew();
                while (sw.ElapsedMilliseconds < 1000) sg(prm, rows, batch, cols / 32, m.Data, cols / 32, a, cols / 32, y, rows, (int)type, (int)GgmlType.Q8_0, 0);
                int iters = 0;
                sw.Restart();
                while (sw.ElapsedMilliseconds < 2000) { sg(prm, rows, batch, cols / 32, m.Data, cols / 32, a, cols / 32, y, rows, (int)type, (int)GgmlType.Q8_0, 0); iters++; }
                double macs = (double)rows * cols * batch * iters / sw.Elapsed.TotalSeconds;
                Console.WriteLine($"{type,-5} ggml   threads=1: {macs / 1e9,6:F2} GMAC/s, {ghz * 1e9 / (macs / 32),5:F2} cycles per 32 MACs per core (llamafile_sgemm{(ok ? "" : " declined")})");
                NativeMemory.AlignedFree(a);
            }
            if (m.Packed != null) NativeMemory.AlignedFree(m.Packed);
            NativeMemory.AlignedFree(m.Data);
        }
        return 0;
    }

    private static delegate* unmanaged<long*, long, long, long, void*, long, void*, long, void*, long, int, int, int, bool> Sgemm()
    {
        nint cpu = Micro.GgmlCpu();
        return cpu != 0 && NativeLibrary.TryGetExport(cpu, "llamafile_sgemm", out nint f)
            ? (delegate* unmanaged<long*, long, long, long, void*, long, void*, long, void*, long, int, int, int, bool>)f : null;
    }
}
