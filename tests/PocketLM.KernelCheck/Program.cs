// Every SIMD kernel this CPU runs (AVX2 on x86-64, NEON on ARM64) against its scalar reference, bit for bit, as ggml's
// test-quantize-fns does: dot kernels of all weight types, the half→float conversion, and whole matrix products through
// the worker pool. Prints one line per check and exits 1 on any mismatch, 2 when the CPU has no SIMD kernels to check.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using PocketLM.Tensors;
using PocketLM.Tests.Tensors;

unsafe
{
    string isa = VecDotAvx2.IsSupported ? (AvxVnni.IsSupported ? "AVX2+AVX-VNNI" : "AVX2")
        : VecDotNeon.IsSupported ? (Dp.IsSupported ? "NEON+dotprod" : "NEON") : null!;
    Console.WriteLine($"kernel check on {RuntimeInformation.ProcessArchitecture}: {isa ?? "no SIMD kernels"}");
    if (isa == null) return 2;
    int failures = 0;

    GgmlType[] types =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    static byte[] Weights(GgmlType type, int n, int seed)
    {
        var rng = new Random(seed);
        var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
        if (seed % 2 == 1 && GgmlTypeInfo.BlockSize(type) > 1) RandomBlocks.FuzzBlocks(type, rng, w); // every quant bit pattern
        else Quantizer.QuantizeRow(type, RandomBlocks.Floats(rng, n, 0.05f), w);
        return w;
    }

    static byte[] Activations(GgmlType type, float[] x)
    {
        GgmlType at = ActivationQuantizer.VecDotType(type);
        var a = new byte[GgmlTypeInfo.RowBytes(at, x.Length) + x.Length / 32 * Q8_0Extras.BytesPerBlock];
        ActivationQuantizer.Row(at, x, a);
        return a;
    }

    foreach (GgmlType type in types)
    {
        var simd = MatMul.Kernel(type, simd: true);
        var scalar = VecDotScalar.For(type);
        var expected = VecDotAvx2.IsSupported ? VecDotAvx2.For(type) : VecDotNeon.For(type);
        if ((nint)simd != (nint)expected || (nint)simd == (nint)scalar)
        {
            Console.WriteLine($"FAIL {type}: the matmul does not dispatch to the {isa} kernel");
            failures++;
            continue;
        }
        int checks = 0, bad = 0;
        int[] sizes = GgmlTypeInfo.BlockSize(type) == 1 ? [32, 4096, 4099, 77] : [256, 4096, 4352];
        foreach (int n in sizes)
            for (int seed = 0; seed < 6; seed++)
            {
                byte[] w = Weights(type, n, 1000 * n + seed);
                byte[] a = Activations(type, RandomBlocks.Floats(new Random(seed + 17), n));
                fixed (byte* pw = w)
                fixed (byte* pa = a)
                {
                    if (type == GgmlType.Q5_0 && VecDotAvx2.IsSupported) Q8_0Extras.Write(pa, n); // its AVX2 kernel reads them
                    float s = scalar(pw, pa, n), v = simd(pw, pa, n);
                    checks++;
                    if (BitConverter.SingleToInt32Bits(s) != BitConverter.SingleToInt32Bits(v))
                    {
                        if (bad++ < 3) Console.WriteLine($"FAIL {type} n={n} seed={seed}: scalar {s:R} simd {v:R}");
                    }
                }
            }
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} {type,-5} dot: {checks - bad}/{checks} bit-exact");
    }

    if (VecDotNeon.IsSupported)
    {
        int bad = 0;
        ushort* h = stackalloc ushort[4];
        for (int i = 0; i < 65536; i += 4)
        {
            for (int k = 0; k < 4; k++) h[k] = (ushort)(i + k);
            var f = VecDotNeon.HalfToSingle4(h);
            for (int k = 0; k < 4; k++)
            {
                float want = Fp16.ToSingle(h[k]), got = f.GetElement(k);
                if (!(float.IsNaN(want) && float.IsNaN(got)) && BitConverter.SingleToInt32Bits(want) != BitConverter.SingleToInt32Bits(got))
                    if (bad++ < 3) Console.WriteLine($"FAIL half 0x{h[k]:x4}: {got:R}, expected {want:R}");
            }
        }
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} half→float: all 65536 halves {(bad == 0 ? "exact" : $"{bad} wrong")}");
    }

    // Whole products through the pool (row chunks, grouped activations, batches) against the single-threaded reference.
    using (var ctx = new ComputeContext(threads: 2, maxCols: 1024, maxBatch: 5))
        foreach (GgmlType type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16 })
            foreach (int batch in new[] { 1, 5 })
            {
                const int cols = 1024, rows = 40;
                byte[] w = new byte[GgmlTypeInfo.RowBytes(type, cols) * rows];
                for (int r = 0; r < rows; r++) Weights(type, cols, r).CopyTo(w, r * GgmlTypeInfo.RowBytes(type, cols));
                float[] x = RandomBlocks.Floats(new Random(batch), cols * batch);
                float[] y = new float[rows * batch], reference = new float[rows * batch];
                fixed (byte* pw = w)
                fixed (float* px = x, py = y, pr = reference)
                {
                    var m = new WeightMatrix(pw, type, cols, rows);
                    MatMul.Multiply(ctx, m, px, py, batch);
                    MatMul.MultiplyReference(m, px, pr, batch);
                }
                int bad = 0;
                for (int i = 0; i < y.Length; i++)
                    if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(reference[i])) bad++;
                failures += bad;
                Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} {type,-5} matmul {rows}×{cols}, batch {batch}: {y.Length - bad}/{y.Length} bit-exact");
            }

    Console.WriteLine(failures == 0 ? "kernel check passed" : $"kernel check FAILED: {failures} mismatches");
    return failures == 0 ? 0 : 1;
}
