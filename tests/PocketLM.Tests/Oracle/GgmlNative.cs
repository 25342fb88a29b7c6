using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using PocketLM.Tensors;

namespace PocketLM.Tests.Oracle;

/// <summary>
/// ggml's own C functions from the libggml-base/libggml-cpu that LLamaSharp.Backend.Cpu ships: the oracle our kernels must
/// match. Loaded by path from the test output's runtimes folder (the AVX2 build when the CPU has AVX2, which is the build
/// llama.cpp would pick here).
/// </summary>
internal static unsafe class GgmlNative
{
    private static readonly nint Base, Cpu;

    /// <summary>False where the native build cannot be loaded (not linux-x64): the oracle tests then have nothing to compare.</summary>
    public static readonly bool Available;

    public static readonly string Variant = Avx2.IsSupported && Fma.IsSupported ? "avx2" : "noavx";

    static GgmlNative()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        string dir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", Variant);
        if (!File.Exists(Path.Combine(dir, "libggml-cpu.so"))) return;
        Base = NativeLibrary.Load(Path.Combine(dir, "libggml-base.so"));
        Cpu = NativeLibrary.Load(Path.Combine(dir, "libggml-cpu.so"));
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(Cpu, "ggml_cpu_init"))();
        Available = true;
    }

    private static string Name(GgmlType t) => t switch
    {
        GgmlType.Q2_K => "q2_K", GgmlType.Q3_K => "q3_K", GgmlType.Q4_K => "q4_K", GgmlType.Q5_K => "q5_K",
        GgmlType.Q6_K => "q6_K", GgmlType.Q8_K => "q8_K",
        _ => t.ToString().ToLowerInvariant(),
    };

    /// <summary>ggml's reference dequantization (dequantize_row_*, ggml_fp16_to_fp32_row, ggml_bf16_to_fp32_row).</summary>
    public static void Dequantize(GgmlType t, byte* src, float* dst, long n)
    {
        string sym = t switch
        {
            GgmlType.F16 => "ggml_fp16_to_fp32_row",
            GgmlType.BF16 => "ggml_bf16_to_fp32_row",
            _ => "dequantize_row_" + Name(t),
        };
        ((delegate* unmanaged<byte*, float*, long, void>)NativeLibrary.GetExport(Base, sym))(src, dst, n);
    }

    /// <summary>The reference quantizer used to make model files (quantize_row_*_ref): gives us valid weight blocks.</summary>
    public static void QuantizeReference(GgmlType t, float* src, byte* dst, long n)
    {
        if (!NeedsChunkQuantizer(t))
        {
            ((delegate* unmanaged<float*, byte*, long, void>)NativeLibrary.GetExport(Base, "quantize_row_" + Name(t) + "_ref"))(src, dst, n);
            return;
        }
        float[] importance = Importance((int)n);
        fixed (float* w = importance) QuantizeChunk(t, src, dst, 1, n, w);
    }

    /// <summary>The 1–3-bit i-quants have no quantize_row_*_ref (or one that needs the grids set up first), and some need
    /// an importance matrix: they go through ggml_quantize_chunk, which sets the grids up.</summary>
    public static bool NeedsChunkQuantizer(GgmlType t) => t is GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S
        or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ1_S or GgmlType.IQ1_M;

    /// <summary>llama.cpp's quantizer for whole rows (<c>ggml_quantize_chunk</c>), with an importance matrix (one weight
    /// per column) where given.</summary>
    public static void QuantizeChunk(GgmlType t, float* src, byte* dst, long rows, long perRow, float* importance) =>
        ((delegate* unmanaged<int, float*, byte*, long, long, long, float*, nuint>)NativeLibrary.GetExport(Base, "ggml_quantize_chunk"))(
            (int)t, src, dst, 0, rows, perRow, importance);

    /// <summary>A stand-in importance matrix (what llama-imatrix would measure: mean squared activations per column),
    /// deterministic and uneven so that the quantizer's weighting is exercised.</summary>
    public static float[] Importance(int columns)
    {
        var w = new float[columns];
        for (int i = 0; i < columns; i++) w[i] = 0.25f + (i * 7919 % 101) / 25f;
        return w;
    }

    /// <summary>The CPU backend's from_float for an activation type (what runs before a matmul).</summary>
    public static void QuantizeActivations(GgmlType t, float* src, byte* dst, long n)
    {
        string sym = t switch
        {
            GgmlType.F16 => "ggml_cpu_fp32_to_fp16",
            GgmlType.BF16 => "ggml_cpu_fp32_to_bf16",
            _ => "quantize_row_" + Name(t),
        };
        ((delegate* unmanaged<float*, byte*, long, void>)NativeLibrary.GetExport(Cpu, sym))(src, dst, n);
    }

    /// <summary>The CPU backend's vec_dot for a weight type, on its vec_dot_type activations.</summary>
    public static float VecDot(GgmlType weight, byte* w, byte* act, int n)
    {
        string sym = weight switch
        {
            GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => "ggml_vec_dot_" + Name(weight),
            _ => $"ggml_vec_dot_{Name(weight)}_{Name(ActivationQuantizer.VecDotType(weight))}",
        };
        float s;
        ((delegate* unmanaged<int, float*, nuint, byte*, nuint, byte*, nuint, int, void>)NativeLibrary.GetExport(Cpu, sym))(n, &s, 0, w, 0, act, 0, 1);
        return s;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct InitParams { public nuint MemSize; public nint MemBuffer; public byte NoAlloc; }

    // The few graph-building calls the operator oracles below need (ggml.h), resolved on first use.
    private static delegate* unmanaged<InitParams, nint> GgmlInit => (delegate* unmanaged<InitParams, nint>)NativeLibrary.GetExport(Base, "ggml_init");
    private static delegate* unmanaged<nint, int, long, long, long, long, nint> NewTensor =>
        (delegate* unmanaged<nint, int, long, long, long, long, nint>)NativeLibrary.GetExport(Base, "ggml_new_tensor_4d");
    private static delegate* unmanaged<nint, void*> Data => (delegate* unmanaged<nint, void*>)NativeLibrary.GetExport(Base, "ggml_get_data");
    private static delegate* unmanaged<nint, void> GgmlFree => (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(Base, "ggml_free");

    /// <summary>Builds the graph that ends in <paramref name="result"/>, computes it on the CPU backend and copies out n floats.</summary>
    private static float[] Compute(nint ctx, nint result, int threads, int n)
    {
        var newGraph = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(Base, "ggml_new_graph");
        var expand = (delegate* unmanaged<nint, nint, void>)NativeLibrary.GetExport(Base, "ggml_build_forward_expand");
        var compute = (delegate* unmanaged<nint, nint, int, int>)NativeLibrary.GetExport(Cpu, "ggml_graph_compute_with_ctx");
        nint graph = newGraph(ctx);
        expand(graph, result);
        int status = compute(ctx, graph, threads);
        if (status != 0) throw new InvalidOperationException($"ggml_graph_compute_with_ctx returned {status}");
        var output = new float[n];
        new ReadOnlySpan<float>(Data(result), n).CopyTo(output);
        return output;
    }

    private static void Fill<T>(nint tensor, T[] values) where T : unmanaged => values.AsSpan().CopyTo(new Span<T>(Data(tensor), values.Length));

    /// <summary>
    /// ggml's flash attention itself (GGML_OP_FLASH_ATTN_EXT computed by the CPU backend with <paramref name="threads"/>
    /// threads), which picks its kernel by shape exactly as inside llama.cpp. q: [heads][queries][dk] F32, k: [kvHeads][cells][dk]
    /// F16, v: [kvHeads][cells][dv] F16, mask: [queries][cells] F16 (0 or −∞). Returns [queries][heads][dv].
    /// </summary>
    public static float[] FlashAttention(float[] q, ushort[] k, ushort[] v, ushort[] mask, int dk, int dv, int queries, int cells,
                                         int heads, int kvHeads, float scale, int threads) =>
        FlashAttention(q, GgmlType.F16, MemoryMarshal.AsBytes(k.AsSpan()).ToArray(), GgmlType.F16, MemoryMarshal.AsBytes(v.AsSpan()).ToArray(),
                       mask, dk, dv, queries, cells, heads, kvHeads, scale, threads);

    /// <summary>The same with K and V of any cache type: rows of dk (dv) elements in that type's blocks.</summary>
    public static float[] FlashAttention(float[] q, GgmlType kType, byte[] k, GgmlType vType, byte[] v, ushort[] mask, int dk, int dv,
                                         int queries, int cells, int heads, int kvHeads, float scale, int threads)
    {
        const int F32 = 0, F16 = 1;
        int maskRows = (queries + 63) / 64 * 64;
        long bytes = q.Length * 4L + k.Length + v.Length + (long)maskRows * cells * 2 + (long)queries * heads * dv * 4;
        var fa = (delegate* unmanaged<nint, nint, nint, nint, nint, float, float, float, nint>)NativeLibrary.GetExport(Base, "ggml_flash_attn_ext");
        nint ctx = GgmlInit(new InitParams { MemSize = (nuint)(bytes * 2 + (256L << 20)) });
        try
        {
            nint tq = NewTensor(ctx, F32, dk, queries, heads, 1);
            nint tk = NewTensor(ctx, (int)kType, dk, cells, kvHeads, 1);
            nint tv = NewTensor(ctx, (int)vType, dv, cells, kvHeads, 1);
            nint tm = NewTensor(ctx, F16, cells, maskRows, 1, 1);
            Fill(tq, q); Fill(tk, k); Fill(tv, v);
            new Span<ushort>(Data(tm), maskRows * cells).Fill(0xFC00); // −∞ in the padding rows
            Fill(tm, mask);
            return Compute(ctx, fa(ctx, tq, tk, tv, tm, scale, 0f, 0f), threads, queries * heads * dv);
        }
        finally { GgmlFree(ctx); }
    }

    /// <summary>
    /// ggml_mul_mat(a, b) computed by the CPU backend: a is rows × k, b is cols × k (both F32, row-major), the result
    /// cols × rows (result[c·rows + r] = a_r · b_c). <paramref name="hint"/>, when not 0, is passed to
    /// ggml_mul_mat_set_hint (llama.cpp marks its Hadamard rotations of Q, K and V so).
    /// </summary>
    public static float[] MulMat(float[] a, float[] b, int k, int rows, int cols, int hint, int threads)
    {
        const int F32 = 0;
        var mulMat = (delegate* unmanaged<nint, nint, nint, nint>)NativeLibrary.GetExport(Base, "ggml_mul_mat");
        nint ctx = GgmlInit(new InitParams { MemSize = (nuint)((a.Length + b.Length + (long)rows * cols) * 8L + (64L << 20)) });
        try
        {
            nint ta = NewTensor(ctx, F32, k, rows, 1, 1);
            nint tb = NewTensor(ctx, F32, k, cols, 1, 1);
            Fill(ta, a); Fill(tb, b);
            nint r = mulMat(ctx, ta, tb);
            if (hint != 0) ((delegate* unmanaged<nint, int, void>)NativeLibrary.GetExport(Base, "ggml_mul_mat_set_hint"))(r, hint);
            return Compute(ctx, r, threads, rows * cols);
        }
        finally { GgmlFree(ctx); }
    }

    /// <summary>
    /// ggml's RoPE (GGML_OP_ROPE, no YaRN: ext_factor 0, attn_factor 1) on x: [tokens][heads][dim] F32 at the given
    /// positions, computed by the CPU backend. mode 0 = adjacent pairs (llama), 2 = NeoX halves (qwen).
    /// </summary>
    public static float[] Rope(float[] x, int[] positions, int dim, int heads, int ropeDims, int mode, float freqBase, float freqScale)
    {
        const int F32 = 0, I32 = 26;
        int tokens = positions.Length;
        var rope = (delegate* unmanaged<nint, nint, nint, nint, int, int, int, float, float, float, float, float, float, nint>)
            NativeLibrary.GetExport(Base, "ggml_rope_ext");
        nint ctx = GgmlInit(new InitParams { MemSize = (nuint)(x.Length * 12L + (64L << 20)) });
        try
        {
            nint tx = NewTensor(ctx, F32, dim, heads, tokens, 1);
            nint tp = NewTensor(ctx, I32, tokens, 1, 1, 1);
            Fill(tx, x); Fill(tp, positions);
            return Compute(ctx, rope(ctx, tx, tp, 0, ropeDims, mode, 0, freqBase, freqScale, 0f, 1f, 32f, 1f), 1, x.Length);
        }
        finally { GgmlFree(ctx); }
    }
}
