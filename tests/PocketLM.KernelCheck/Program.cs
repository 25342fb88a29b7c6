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
    string isa = VecDotAvx2.IsSupported
        ? "AVX2" + (Vnni.Enabled ? (Vnni.Emulated ? "+AVX-VNNI(emulated)" : "+AVX-VNNI") : "")
                 + (Avx512.Enabled ? (Avx512.Emulated ? "+AVX-512(emulated)" : "+AVX-512") : "")
        : VecDotNeon.IsSupported ? (Dp.IsSupported ? "NEON+dotprod" : "NEON") : null!;
    Console.WriteLine($"kernel check on {RuntimeInformation.ProcessArchitecture}: {isa ?? "no SIMD kernels"}");
    if (isa == null) return 2;
    int failures = 0;

    GgmlType[] types =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
        GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.IQ1_S, GgmlType.IQ1_M,
        GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S,
    ];

    static byte[] Weights(GgmlType type, int n, int seed)
    {
        var rng = new Random(seed);
        var w = new byte[GgmlTypeInfo.RowBytes(type, n)];
        // every quant bit pattern; always for the i-quants, which only llama.cpp's quantizer writes
        if ((seed % 2 == 1 || !Quantizer.CanQuantize(type)) && GgmlTypeInfo.BlockSize(type) > 1) RandomBlocks.FuzzBlocks(type, rng, w);
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
        // 32-element types also with an odd number of blocks (IQ4_NL sums the last one apart from the pairs)
        int[] sizes = GgmlTypeInfo.BlockSize(type) switch { 1 => [32, 4096, 4099, 77], 32 => [256, 4096, 4352, 4128], _ => [256, 4096, 4352] };
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
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} {type,-7} dot: {checks - bad}/{checks} bit-exact");
    }

    // Half conversions in 128 bits (what ARM64's attention and F16 kernels use): every half to float, and floats
    // (specials, random bit patterns, rounding ties) to half.
    {
        int bad = 0;
        ushort* h = stackalloc ushort[4];
        for (int i = 0; i < 65536; i += 4)
        {
            for (int k = 0; k < 4; k++) h[k] = (ushort)(i + k);
            var f = Fp16.ToSingle4(h);
            for (int k = 0; k < 4; k++)
            {
                float want = Fp16.ToSingle(h[k]), got = f.GetElement(k);
                if (!(float.IsNaN(want) && float.IsNaN(got)) && BitConverter.SingleToInt32Bits(want) != BitConverter.SingleToInt32Bits(got))
                    if (bad++ < 3) Console.WriteLine($"FAIL half 0x{h[k]:x4}: {got:R}, expected {want:R}");
            }
        }
        var rng = new Random(3);
        float* x = stackalloc float[4];
        float[] specials = [0f, -0f, 65504f, 65520f, 1e6f, float.PositiveInfinity, float.NegativeInfinity, 6.1e-5f, 5.96e-8f, 2.98e-8f, 1.00048828125f, 1.00146484375f];
        for (int i = 0; i < 400000; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                float v = i < specials.Length ? specials[i] : BitConverter.Int32BitsToSingle(rng.Next() | (rng.Next(2) << 31));
                x[k] = float.IsNaN(v) ? 1.5f : k == 1 ? (float)(rng.NextDouble() * 8 - 4) : v;
            }
            Fp16.FromSingle4(Vector128.Load(x), h);
            for (int k = 0; k < 4; k++)
                if (h[k] != Fp16.FromSingle(x[k]) && bad++ < 6) Console.WriteLine($"FAIL float {x[k]:R} → half 0x{h[k]:x4}, expected 0x{Fp16.FromSingle(x[k]):x4}");
        }
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} half conversions: all 65536 halves, 1.6M floats {(bad == 0 ? "exact" : $"{bad} wrong")}");
    }

    // Activation quantizers (what every matrix product starts with) against the scalar ones, specials included.
    foreach (GgmlType at in new[] { GgmlType.Q8_0, GgmlType.Q8_1, GgmlType.Q8_K, GgmlType.F16 })
    {
        int bad = 0, rows = 0;
        const int n = 2048;
        var rng = new Random((int)at);
        for (int round = 0; round < 6; round++)
        {
            float[] x = RandomBlocks.Floats(rng, n, MathF.Pow(10, rng.Next(-3, 3)));
            if (round == 1) Array.Clear(x, 256, 256);
            if (round == 2) for (int i = 0; i < n; i++) x[i] = MathF.Round(x[i] * 4) / 4; // ties, repeated maxima
            if (round == 3) { x[5] = float.NaN; x[300] = float.PositiveInfinity; x[700] = float.NegativeInfinity; x[1500] = -0f; }
            byte[] simd = new byte[GgmlTypeInfo.RowBytes(at, n)], scalar = new byte[simd.Length];
            fixed (float* px = x)
            fixed (byte* a = simd, b = scalar)
            {
                ActivationQuantizer.Row(at, px, a, n);
                ActivationQuantizer.RowScalar(at, px, b, n);
            }
            if (round == 3 && VecDotAvx2.IsSupported) continue; // AVX2 treats NaN as llama.cpp's AVX2 code does
            rows++;
            if (!simd.AsSpan().SequenceEqual(scalar)) bad++;
        }
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} {at,-5} activation quantizer: {rows - bad}/{rows} rows identical");
    }

    // SwiGLU and the softmax exponentials (ggml_v_expf, AVX2/NEON variant) against their lane reference.
    foreach (int n in new[] { 8, 77, 1536, 8960 })
    {
        var rng = new Random(n);
        float[] x = RandomBlocks.Floats(rng, n, 6f), g = RandomBlocks.Floats(rng, n);
        for (int i = 0; i < n; i += 13) x[i] = (float)(rng.NextDouble() * 200 - 100); // overflow and underflow lanes
        float[] y1 = new float[n], y2 = new float[n], e1 = new float[n], e2 = new float[n];
        double s1, s2;
        fixed (float* px = x, pg = g, a = y1, b = y2, c = e1, d = e2)
        {
            GgmlExp.SwiGlu(px, pg, a, n, simd: true, v512: false);
            GgmlExp.SwiGlu(px, pg, b, n, simd: false, v512: false);
            float max = x.Max();
            s1 = GgmlExp.SoftMaxExp(px, c, n, max, simd: true, v512: false);
            s2 = GgmlExp.SoftMaxExp(px, d, n, max, simd: false, v512: false);
        }
        int bad = 0;
        for (int i = 0; i < n; i++)
        {
            if (BitConverter.SingleToInt32Bits(y1[i]) != BitConverter.SingleToInt32Bits(y2[i])) bad++;
            if (BitConverter.SingleToInt32Bits(e1[i]) != BitConverter.SingleToInt32Bits(e2[i])) bad++;
        }
        if (s1 != s2) bad++;
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} swiglu and softmax exp, n={n}: {(bad == 0 ? "bit-exact" : $"{bad} differ")}");
    }

    // Attention over an F32 cache: the score dot and the weighted sum, against their scalar forms.
    {
        int bad = 0, checks = 0;
        var rng = new Random(9);
        foreach (int n in new[] { 7, 8, 64, 77, 128 })
            for (int round = 0; round < 10; round++)
            {
                float[] a = RandomBlocks.Floats(rng, n), b = RandomBlocks.Floats(rng, n), y = RandomBlocks.Floats(rng, n);
                float[] want = y.Select((v, i) => MathF.FusedMultiplyAdd(a[i], 0.37f, v)).ToArray();
                fixed (float* pa = a, pb = b, py = y)
                {
                    checks += 2;
                    if (BitConverter.SingleToInt32Bits(Ops.Dot(pa, pb, n)) != BitConverter.SingleToInt32Bits(Ops.DotReference(pa, pb, n))) bad++;
                    Ops.AddScaled(py, pa, 0.37f, n);
                }
                if (!y.AsSpan().SequenceEqual(want)) bad++;
            }
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} attention F32 dot and axpy: {checks - bad}/{checks} bit-exact");
    }

    // Attention over an F16 cache (F16 dots, the F16 accumulator's scale and multiply-add) against its scalar path.
    foreach (var (hd, len) in new[] { (64, 40), (128, 300), (40, 17) })
    {
        var rng = new Random(hd + len);
        ushort[] q = new ushort[hd], k = new ushort[hd * len], v = new ushort[hd * len];
        foreach (var a in new[] { q, k, v })
            for (int i = 0; i < a.Length; i++) a[i] = Fp16.FromSingle((float)(rng.NextDouble() * 2 - 1));
        float[] outSimd = new float[hd], outScalar = new float[hd];
        float[] acc1 = new float[hd], acc2 = new float[hd];
        fixed (ushort* pq = q, pk = k, pv = v)
        fixed (float* o1 = outSimd, o2 = outScalar, a1 = acc1, a2 = acc2)
        {
            Attention.F16Online(pq, pk, pv, len, hd, hd, 0.3f, o1, a1, simd: true);
            Attention.F16Online(pq, pk, pv, len, hd, hd, 0.3f, o2, a2, simd: false);
        }
        int bad = 0;
        for (int i = 0; i < hd; i++)
            if (BitConverter.SingleToInt32Bits(outSimd[i]) != BitConverter.SingleToInt32Bits(outScalar[i])) bad++;
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} attention F16 head {hd}, {len} keys: {hd - bad}/{hd} bit-exact");
    }

    // The tiled prefill attention (llama.cpp's kernel for 64+ rows) and the split-KV decode against their plain forms.
    foreach (var (hd, len, first) in new[] { (64, 150, 50), (128, 200, 130), (48, 129, 60) })
    {
        var rng = new Random(hd * 3 + len);
        int rows = len - first;
        ushort[] k = new ushort[hd * len], v = new ushort[hd * len];
        foreach (var a in new[] { k, v })
            for (int i = 0; i < a.Length; i++) a[i] = Fp16.FromSingle((float)(rng.NextDouble() * 4 - 2));
        float[] q = RandomBlocks.Floats(rng, rows * hd, 1f), tiled = new float[rows * hd], plain = new float[rows * hd];
        float[] scratch = new float[TiledAttention.ScratchFloats(rows, hd, hd)];
        nint[] qp = new nint[rows], op = new nint[rows];
        int[] pos = Enumerable.Range(first, rows).ToArray();
        fixed (ushort* pk = k, pv = v) fixed (float* pq = q, pt = tiled, pp = plain, ps = scratch) fixed (nint* qq = qp, oo = op) fixed (int* ppos = pos)
        {
            for (int r = 0; r < rows; r++) { qq[r] = (nint)(pq + r * hd); oo[r] = (nint)(pt + r * hd); }
            TiledAttention.Run((float**)qq, ppos, (float**)oo, rows, pk, pv, hd, hd, 0.125f, ps);
            for (int r = 0; r < rows; r++) TiledAttention.Reference(pq + r * hd, first + r, pk, pv, hd, hd, 0.125f, pp + r * hd);
        }
        int bad = 0;
        for (int i = 0; i < tiled.Length; i++)
            if (BitConverter.SingleToInt32Bits(tiled[i]) != BitConverter.SingleToInt32Bits(plain[i])) bad++;
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} tiled attention head {hd}, {rows} rows to {len} keys: {tiled.Length - bad}/{tiled.Length} bit-exact");
    }
    foreach (int chunks in new[] { 2, 3 })
    {
        const int hd = 64, len = 600, cells = 768;
        var rng = new Random(chunks);
        ushort[] q = new ushort[hd], k = new ushort[hd * len], v = new ushort[hd * len];
        float[] acc = new float[hd];
        foreach (var a in new[] { q, k, v })
            for (int i = 0; i < a.Length; i++) a[i] = Fp16.FromSingle((float)(rng.NextDouble() * 2 - 1));
        float[] o1 = new float[hd], o2 = new float[hd], scratch = new float[2 * hd];
        fixed (ushort* pq = q, pk = k, pv = v) fixed (float* a1 = o1, a2 = o2, ps = scratch, pa = acc)
        {
            Attention.F16Split(pq, pk, pv, len, cells, chunks, hd, hd, 0.125f, a1, pa, ps, simd: true);
            Attention.F16Split(pq, pk, pv, len, cells, chunks, hd, hd, 0.125f, a2, pa, ps, simd: false);
        }
        int bad = 0;
        for (int i = 0; i < hd; i++)
            if (BitConverter.SingleToInt32Bits(o1[i]) != BitConverter.SingleToInt32Bits(o2[i])) bad++;
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} split-KV decode, {chunks} chunks: {hd - bad}/{hd} bit-exact");
    }

    // Quantized KV caches: the vector dequantization of their value rows, and the one-row attention kernel over them
    // (query heads of a group scored against each key, values dequantized once per cell) against its scalar path.
    foreach (GgmlType type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.BF16 })
    {
        int bad = 0;
        const int n = 256;
        for (int seed = 0; seed < 4; seed++)
        {
            byte[] w = Weights(type, n, seed);
            float[] scalar = new float[n], vector = new float[n];
            fixed (byte* pw = w) fixed (float* ps = scalar, pv = vector)
            {
                Dequantize.Row(type, pw, ps, n);
                Dequantize.RowVector(type, pw, pv, n);
            }
            for (int i = 0; i < n; i++)
                if (BitConverter.SingleToInt32Bits(scalar[i]) != BitConverter.SingleToInt32Bits(vector[i])) bad++;
        }
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} cache row dequantization {type}: {(bad == 0 ? "bit-exact" : $"{bad} differ")}");
    }
    foreach (var (kt, vt, hd, heads) in new[] { (GgmlType.Q8_0, GgmlType.Q8_0, 64, 7), (GgmlType.Q4_0, GgmlType.F16, 128, 4), (GgmlType.Q5_1, GgmlType.Q4_1, 64, 5) })
    {
        const int len = 300;
        var rng = new Random(hd + heads);
        long kr = GgmlTypeInfo.RowBytes(kt, hd), vr = GgmlTypeInfo.RowBytes(vt, hd);
        byte[] k = new byte[kr * len], v = new byte[vr * len];
        float[] q = RandomBlocks.Floats(rng, heads * hd, 1f), o1 = new float[heads * hd], o2 = new float[heads * hd];
        float[] scratch = new float[Attention.OneChunkScratchFloats(kt, heads, hd, hd)];
        fixed (byte* pk = k, pv = v) fixed (float* pq = q, a1 = o1, a2 = o2, ps = scratch)
        {
            for (int j = 0; j < len; j++)
            {
                fixed (float* x = RandomBlocks.Floats(rng, hd, 2f)) PocketLM.Inference.KvCache.Store(kt, x, pk + j * kr, hd);
                fixed (float* x = RandomBlocks.Floats(rng, hd, 1f)) PocketLM.Inference.KvCache.Store(vt, x, pv + j * vr, hd);
            }
            Attention.OneChunk(kt, vt, pq, heads, pk, kr, pv, vr, len, hd, hd, 0.125f, a1, ps, simd: true);
            Attention.OneChunk(kt, vt, pq, heads, pk, kr, pv, vr, len, hd, hd, 0.125f, a2, ps, simd: false);
        }
        int bad = 0;
        for (int i = 0; i < o1.Length; i++)
            if (BitConverter.SingleToInt32Bits(o1[i]) != BitConverter.SingleToInt32Bits(o2[i])) bad++;
        failures += bad;
        Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} attention over a {kt.ToString().ToLowerInvariant()}/{vt.ToString().ToLowerInvariant()} cache, {heads} heads of {hd}: {o1.Length - bad}/{o1.Length} bit-exact");
    }

    // Whole products through the pool (row chunks, grouped activations, batches) against the single-threaded reference.
    // 41 rows: chunks of 16 end in an odd row the two-row tiles leave to the one-row kernel (repacking takes groups of
    // eight: 40 rows); batches of 5 and 9 leave tokens after whole four-token tiles.
    using (var ctx = new ComputeContext(threads: 2, maxCols: 1024, maxBatch: 9))
        foreach (GgmlType type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_1, GgmlType.Q5_1,
                                             GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.F16,
                                             GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.IQ1_S, GgmlType.IQ1_M,
                                             GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S })
            foreach (int batch in new[] { 1, 5, 9 })
            foreach (bool repack in new[] { false, true })
            foreach (int cols in type == GgmlType.IQ4_NL && !repack ? new[] { 1024, 992 } : new[] { 1024 }) // 31 blocks: IQ4_NL's lone last one
            {
                int rows = repack ? 40 : 41;
                if (!repack && batch == 9 && type != GgmlType.F16 && MatMul.Tile(type, simd: true, out _, out _) == null)
                {
                    Console.WriteLine($"FAIL {type}: no {isa} prefill tile");
                    failures++;
                }
                byte[] w = new byte[GgmlTypeInfo.RowBytes(type, cols) * rows];
                for (int r = 0; r < rows; r++) Weights(type, cols, r).CopyTo(w, r * GgmlTypeInfo.RowBytes(type, cols));
                float[] x = RandomBlocks.Floats(new Random(batch), cols * batch);
                float[] y = new float[rows * batch], reference = new float[rows * batch];
                fixed (byte* pw = w)
                fixed (float* px = x, py = y, pr = reference)
                {
                    var m = new WeightMatrix(pw, type, cols, rows);
                    // Repacked as a loaded model has it (AVX2 only): the eight-row kernels against their per-block reference.
                    bool packed = repack && VecDotAvx2.IsSupported && PackedWeights.CanPack(m);
                    if (repack && !packed) continue;
                    byte* pp = packed ? (byte*)NativeMemory.AlignedAlloc((nuint)PackedWeights.Bytes(m), 64) : null;
                    if (packed) { PackedWeights.Pack(m, pp); m = m with { Packed = pp }; }
                    MatMul.Multiply(ctx, m, px, py, batch);
                    MatMul.MultiplyReference(m, px, pr, batch);
                    if (packed) NativeMemory.AlignedFree(pp);
                    int bad = 0;
                    for (int i = 0; i < y.Length; i++)
                        if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(reference[i])) bad++;
                    failures += bad;
                    Console.WriteLine($"{(bad == 0 ? "ok  " : "FAIL")} {type,-7} matmul {rows}×{cols}, batch {batch}{(packed ? ", repacked" : "")}: {y.Length - bad}/{y.Length} bit-exact");
                }
            }

    Console.WriteLine(failures == 0 ? "kernel check passed" : $"kernel check FAILED: {failures} mismatches");
    return failures == 0 ? 0 : 1;
}
