using System.Diagnostics;
using System.Runtime.InteropServices;
using PocketLM.Tensors;

namespace PocketLM.Bench;

/// <summary>Single-thread kernel speed on a cache-resident 64×4096 block (compute cost, no DRAM), interleaved variants.</summary>
internal static unsafe class Micro
{
    public static int Run(string[] args)
    {
        const int rows = 64, cols = 4096;
        var rng = new Random(3);
        float* x = (float*)NativeMemory.AlignedAlloc(cols * 4, 64);
        for (int i = 0; i < cols; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        byte* act = (byte*)NativeMemory.AlignedAlloc(cols * 4, 64);
        float* y = (float*)NativeMemory.AlignedAlloc(rows * 4, 64);
        Console.WriteLine($"load average {Compare.LoadAverage()}");
        InitializeTensorClasses();
        foreach (var type in args.Length > 0 ? args.Select(Enum.Parse<GgmlType>).ToArray() : new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K })
        {
            long rb = GgmlTypeInfo.RowBytes(type, cols);
            byte* w = (byte*)NativeMemory.AlignedAlloc((nuint)(rb * rows), 64);
            rng.NextBytes(new Span<byte>(w, (int)(rb * rows)));
            Kernels.FixScales(type, w, rb * rows);
            ActivationQuantizer.Row(ActivationQuantizer.VecDotType(type), x, act, cols);
            var one = VecDotAvx2.For(type);
            var four = MatMul.Kernel4(type, true);
            var variants = new List<(string, Action)> { ("1-row", () => { for (int r = 0; r < rows; r++) y[r] = one(w + r * rb, act, cols); }) };
            if (four != null) variants.Add(("4-row", () => { for (int r = 0; r < rows; r += 4) four(w + r * rb, rb, act, cols, y + r, 1); }));
            if (type == GgmlType.Q4_0) variants.Add(("old 4-row", () => { for (int r = 0; r < rows; r += 4) VecDotAvx2.Q4_0x4(w + r * rb, rb, act, cols, y + r, 1); }));
            if (type == GgmlType.Q8_0) variants.Add(("old 4-row", () => { for (int r = 0; r < rows; r += 4) VecDotAvx2.Q8_0x4(w + r * rb, rb, act, cols, y + r, 1); }));
            if (type == GgmlType.Q5_0) { Q8_0Extras.Write(act, cols); variants.Add(("1-row extras (decode)", () => { for (int r = 0; r < rows; r++) y[r] = VecDotAvx2.Q5_0Extras(w + r * rb, act, cols); })); }
            var native = NativeDot(type);
            if (native != null) variants.Add(("ggml 1-row", () => { float s; for (int r = 0; r < rows; r++) { native(cols, &s, 0, w + r * rb, 0, act, 0, 1); y[r] = s; } }));
            foreach (var v in variants) { var sw = Stopwatch.StartNew(); while (sw.ElapsedMilliseconds < 500) v.Item2(); } // tier-up
            var times = variants.Select(_ => new List<double>()).ToArray();
            for (int rep = 0; rep < 15; rep++)
                for (int v = 0; v < variants.Count; v++)
                {
                    for (int k = 0; k < 20; k++) variants[v].Item2();
                    long t0 = Stopwatch.GetTimestamp();
                    for (int k = 0; k < 200; k++) variants[v].Item2();
                    times[v].Add(Stopwatch.GetElapsedTime(t0).TotalSeconds / 200);
                }
            Console.WriteLine($"{type,-5} " + string.Join(", ", variants.Select((v, i) => $"{v.Item1} {rb * rows / times[i].Order().ElementAt(7) / 1e9:F1} GB/s")));
            NativeMemory.AlignedFree(w);
        }
        return 0;
    }

    /// <summary>The tensor classes initialised before any kernel is compiled, as a model's session does
    /// (<see cref="ComputeContext.InitializeKernelClasses"/>): otherwise a kernel that stackallocs can be compiled, once,
    /// with a class-initialisation check in its loop that a real run does not have.</summary>
    internal static void InitializeTensorClasses() => ComputeContext.InitializeKernelClasses();

    private static nint s_cpu;

    /// <summary>The AVX2 build of llama.cpp's CPU backend that LLamaSharp ships, loaded and initialised once (0 if absent).</summary>
    internal static nint GgmlCpu()
    {
        string dir = System.IO.Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "avx2");
        if (!OperatingSystem.IsLinux() || !File.Exists(System.IO.Path.Combine(dir, "libggml-cpu.so"))) return 0;
        if (s_cpu == 0)
        {
            NativeLibrary.Load(System.IO.Path.Combine(dir, "libggml-base.so"));
            s_cpu = NativeLibrary.Load(System.IO.Path.Combine(dir, "libggml-cpu.so"));
            ((delegate* unmanaged<void>)NativeLibrary.GetExport(s_cpu, "ggml_cpu_init"))();
        }
        return s_cpu;
    }

    /// <summary>llama.cpp's own vec_dot from the AVX2 build LLamaSharp ships (same-run comparison of per-core speed).</summary>
    private static delegate* unmanaged<int, float*, nuint, byte*, nuint, byte*, nuint, int, void> NativeDot(GgmlType type)
    {
        if (GgmlCpu() == 0) return null;
        string w = type.ToString().ToLowerInvariant().Replace("_k", "_K");
        string a = ActivationQuantizer.VecDotType(type) == GgmlType.Q8_K ? "q8_K" : ActivationQuantizer.VecDotType(type).ToString().ToLowerInvariant();
        return NativeLibrary.TryGetExport(s_cpu, $"ggml_vec_dot_{w}_{a}", out nint f) ? (delegate* unmanaged<int, float*, nuint, byte*, nuint, byte*, nuint, int, void>)f : null;
    }
}
