using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// ggml's vectorised exp (<c>ggml_v_expf</c>, adapted from Arm's optimized routines: ≤ 1.5 ulp) and the SwiGLU built on
/// it, reproduced lane for lane so activations match llama.cpp's bit for bit. llama.cpp ships one CPU build per
/// instruction set and the AVX-512 build finishes the exp differently (scale by 2ⁿ of (1 + p)) from the AVX2/NEON one
/// (k + k·p), so the variant follows the CPU just as llama.cpp's build selection does.
/// </summary>
public static unsafe class GgmlExp
{
    /// <summary>The variant llama.cpp's CPU backend runs on this machine (its AVX-512 build needs AVX512F and AVX512DQ).</summary>
    public static bool Avx512Variant { get; } = Avx512F.IsSupported && Avx512DQ.IsSupported;

    private static readonly float Shift = BitConverter.Int32BitsToSingle(0x4b400000);    // 0x1.8p23
    private static readonly float Log2E = BitConverter.Int32BitsToSingle(0x3fb8aa3b);    // 0x1.715476p+0
    private static readonly float Ln2Lo = BitConverter.Int32BitsToSingle(0x35bfbe8e);    // 0x1.7f7d1cp-20
    private static readonly float Ln2Hi = BitConverter.Int32BitsToSingle(0x3f317200);    // 0x1.62e4p-1
    private static readonly float C4 = BitConverter.Int32BitsToSingle(0x3c072010);       // 0x1.0e4020p-7
    private static readonly float C3 = BitConverter.Int32BitsToSingle(0x3d2b9f17);       // 0x1.573e2ep-5
    private static readonly float C2 = BitConverter.Int32BitsToSingle(0x3e2aaf33);       // 0x1.555e66p-3
    private static readonly float C1 = BitConverter.Int32BitsToSingle(0x3efffedb);       // 0x1.fffdb6p-2
    private static readonly float C0 = BitConverter.Int32BitsToSingle(0x3f7ffff6);       // 0x1.ffffecp-1

    /// <summary>One lane of ggml_v_expf: the scalar reference of <see cref="Exp8"/>.</summary>
    public static float Exp(float x, bool avx512Variant)
    {
        float z = MathF.FusedMultiplyAdd(x, Log2E, Shift);
        float n = z - Shift;
        float b = MathF.FusedMultiplyAdd(-n, Ln2Lo, MathF.FusedMultiplyAdd(-n, Ln2Hi, x));
        float u = b * b;
        float poly = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C4, b, C3), u, MathF.FusedMultiplyAdd(C2, b, C1));
        if (avx512Variant)
        {
            float j = MathF.FusedMultiplyAdd(poly, u, MathF.FusedMultiplyAdd(C0, b, 1.0f));
            if (MathF.Abs(n) > 192) return n <= 0 ? 0f : float.PositiveInfinity;
            return (float)Math.ScaleB(j, (int)n); // vscalefps: exact scaling, one rounding at the end
        }
        else
        {
            float j = MathF.FusedMultiplyAdd(poly, u, C0 * b);
            int e = BitConverter.SingleToInt32Bits(z) << 23;
            float k = BitConverter.Int32BitsToSingle(e + BitConverter.SingleToInt32Bits(1.0f));
            if (!(MathF.Abs(n) > 126)) return MathF.FusedMultiplyAdd(j, k, k);
            int g = n <= 0 ? unchecked((int)0x82000000) : 0;
            float s1 = BitConverter.Int32BitsToSingle(g + 0x7f000000);
            float s2 = BitConverter.Int32BitsToSingle(e - g);
            if (MathF.Abs(n) > 192) return s1 * s1;
            return MathF.FusedMultiplyAdd(s2, j, s2) * s1;
        }
    }

    /// <summary>Eight lanes of ggml_v_expf (needs AVX2 + FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp8(Vector256<float> x, bool avx512Variant)
    {
        var shift = Vector256.Create(Shift);
        Vector256<float> z = Fma.MultiplyAdd(x, Vector256.Create(Log2E), shift);
        Vector256<float> n = z - shift;
        Vector256<float> b = Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Lo), Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Hi), x));
        Vector256<float> u = b * b;
        Vector256<float> poly = Fma.MultiplyAdd(Fma.MultiplyAdd(Vector256.Create(C4), b, Vector256.Create(C3)), u,
                                                Fma.MultiplyAdd(Vector256.Create(C2), b, Vector256.Create(C1)));
        Vector256<float> absN = Vector256.Abs(n);
        if (avx512Variant)
        {
            Vector256<float> j = Fma.MultiplyAdd(poly, u, Fma.MultiplyAdd(Vector256.Create(C0), b, Vector256<float>.One));
            // 2^n built from bits is exact while |n| <= 126; wider lanes take the scalar path (rare: |x| > 87).
            if (Vector256.GreaterThanAny(absN, Vector256.Create(126f)))
            {
                var r = Vector256<float>.Zero;
                for (int i = 0; i < 8; i++) r = r.WithElement(i, Exp(x.GetElement(i), true));
                return r;
            }
            Vector256<int> pow2 = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
            return j * pow2.AsSingle();
        }
        else
        {
            Vector256<float> j = Fma.MultiplyAdd(poly, u, Vector256.Create(C0) * b);
            Vector256<int> e = z.AsInt32() << 23;
            Vector256<float> k = (e + Vector256.Create(1.0f).AsInt32()).AsSingle();
            Vector256<float> c = Vector256.GreaterThan(absN, Vector256.Create(126f));
            if (c == Vector256<float>.Zero) return Fma.MultiplyAdd(j, k, k);
            Vector256<int> g = Vector256.LessThanOrEqual(n, Vector256<float>.Zero).AsInt32() & Vector256.Create(unchecked((int)0x82000000));
            Vector256<float> s1 = (g + Vector256.Create(0x7f000000)).AsSingle();
            Vector256<float> s2 = (e - g).AsSingle();
            Vector256<float> d = Vector256.GreaterThan(absN, Vector256.Create(192f));
            Vector256<float> inner = Vector256.ConditionalSelect(c, Fma.MultiplyAdd(s2, j, s2) * s1, Fma.MultiplyAdd(k, j, k));
            return Vector256.ConditionalSelect(d, s1 * s1, inner);
        }
    }

    /// <summary>Four lanes of ggml_v_expf, AVX2/NEON variant, with the portable Vector128 API (NEON on ARM64; also
    /// where AVX2 is missing on x86-64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp4(Vector128<float> x)
    {
        var shift = Vector128.Create(Shift);
        Vector128<float> z = Vector128.FusedMultiplyAdd(x, Vector128.Create(Log2E), shift);
        Vector128<float> n = z - shift;
        Vector128<float> b = Vector128.FusedMultiplyAdd(-n, Vector128.Create(Ln2Lo), Vector128.FusedMultiplyAdd(-n, Vector128.Create(Ln2Hi), x));
        Vector128<float> u = b * b;
        Vector128<float> poly = Vector128.FusedMultiplyAdd(Vector128.FusedMultiplyAdd(Vector128.Create(C4), b, Vector128.Create(C3)), u,
                                                           Vector128.FusedMultiplyAdd(Vector128.Create(C2), b, Vector128.Create(C1)));
        Vector128<float> absN = Vector128.Abs(n);
        Vector128<float> j = Vector128.FusedMultiplyAdd(poly, u, Vector128.Create(C0) * b);
        Vector128<int> e = z.AsInt32() << 23;
        Vector128<float> k = (e + Vector128.Create(1.0f).AsInt32()).AsSingle();
        Vector128<float> c = Vector128.GreaterThan(absN, Vector128.Create(126f));
        if (c == Vector128<float>.Zero) return Vector128.FusedMultiplyAdd(j, k, k);
        Vector128<int> g = Vector128.LessThanOrEqual(n, Vector128<float>.Zero).AsInt32() & Vector128.Create(unchecked((int)0x82000000));
        Vector128<float> s1 = (g + Vector128.Create(0x7f000000)).AsSingle();
        Vector128<float> s2 = (e - g).AsSingle();
        Vector128<float> d = Vector128.GreaterThan(absN, Vector128.Create(192f));
        Vector128<float> inner = Vector128.ConditionalSelect(c, Vector128.FusedMultiplyAdd(s2, j, s2) * s1, Vector128.FusedMultiplyAdd(k, j, k));
        return Vector128.ConditionalSelect(d, s1 * s1, inner);
    }

    /// <summary>Whether the 128-bit form runs where AVX2 does not (it is the AVX2/NEON variant, never the AVX-512 one).</summary>
    private static bool Use128(bool simd, bool v512) => simd && !v512 && Vector128.IsHardwareAccelerated;

    /// <summary>ggml_silu_f32 on one value: x / (1 + expf(−x)) with the C library's expf (llama.cpp's leftover lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SiluScalar(float x) => x / (1.0f + MathF.Exp(-x));

    /// <summary>
    /// y = silu(x) · g, as ggml_vec_swiglu_f32: whole SIMD groups (16 lanes in the AVX-512 build, 8 otherwise) use
    /// ggml_v_silu, the remainder uses the scalar silu. <paramref name="simd"/> = false runs the lane reference.
    /// </summary>
    public static void SwiGlu(float* x, float* g, float* y, int n, bool simd = true) => SwiGlu(x, g, y, n, simd, Avx512Variant);

    /// <summary><see cref="SwiGlu(float*, float*, float*, int, bool)"/> as the given build computes it (tests compare both builds).</summary>
    public static void SwiGlu(float* x, float* g, float* y, int n, bool simd, bool v512)
    {
        int group = v512 ? 16 : 8;
        int vectorized = n / group * group;
        int i = 0;
        if (simd && Avx2.IsSupported && Fma.IsSupported)
        {
            for (; i < vectorized; i += 8)
            {
                Vector256<float> xv = Vector256.Load(x + i);
                Vector256<float> silu = xv / (Vector256<float>.One + Exp8(Vector256<float>.Zero - xv, v512));
                Vector256.Store(silu * Vector256.Load(g + i), y + i);
            }
        }
        else if (Use128(simd, v512))
        {
            for (; i < vectorized; i += 4)
            {
                Vector128<float> xv = Vector128.Load(x + i);
                Vector128<float> silu = xv / (Vector128<float>.One + Exp4(Vector128<float>.Zero - xv));
                Vector128.Store(silu * Vector128.Load(g + i), y + i);
            }
        }
        else
        {
            for (; i < vectorized; i++) y[i] = x[i] / (1.0f + Exp(0f - x[i], v512)) * g[i];
        }
        for (; i < n; i++) y[i] = SiluScalar(x[i]) * g[i];
    }

    /// <summary>
    /// y = exp(x − max) over n values, returning Σy in double, as ggml_vec_soft_max_f32: whole SIMD groups use
    /// ggml_v_expf and add their lanes as the build's horizontal sum does, the remainder uses expf.
    /// </summary>
    public static double SoftMaxExp(float* x, float* y, int n, float max, bool simd = true) => SoftMaxExp(x, y, n, max, simd, Avx512Variant);

    /// <summary><see cref="SoftMaxExp(float*, float*, int, float, bool)"/> as the given build computes it.</summary>
    public static double SoftMaxExp(float* x, float* y, int n, float max, bool simd, bool v512)
    {
        int group = v512 ? 16 : 8;
        int i = 0;
        double sum = 0;
        float* lanes = stackalloc float[16];
        for (; i + group <= n; i += group)
        {
            if (simd && Avx2.IsSupported && Fma.IsSupported)
                for (int h = 0; h < group; h += 8) Vector256.Store(Exp8(Vector256.Load(x + i + h) - Vector256.Create(max), v512), y + i + h);
            else if (Use128(simd, v512))
                for (int h = 0; h < group; h += 4) Vector128.Store(Exp4(Vector128.Load(x + i + h) - Vector128.Create(max)), y + i + h);
            else
                for (int l = 0; l < group; l++) y[i + l] = Exp(x[i + l] - max, v512);
            for (int l = 0; l < group; l++) lanes[l] = y[i + l];
            sum += v512 ? ReduceAdd16(lanes) : ReduceAdd8(lanes);
        }
        for (; i < n; i++)
        {
            float v = MathF.Exp(x[i] - max);
            sum += v;
            y[i] = v;
        }
        return sum;
    }

    // _mm512_reduce_add_ps: halves, then quarters, then pairs.
    private static float ReduceAdd16(float* v)
    {
        float* t = stackalloc float[8];
        for (int k = 0; k < 8; k++) t[k] = v[k] + v[k + 8];
        float a0 = t[0] + t[4], a1 = t[1] + t[5], a2 = t[2] + t[6], a3 = t[3] + t[7];
        return (a0 + a2) + (a1 + a3);
    }

    // ggml's AVX2 horizontal sum in soft_max: (lo + hi), movehl, movehdup.
    private static float ReduceAdd8(float* v)
    {
        float a0 = v[0] + v[4], a1 = v[1] + v[5], a2 = v[2] + v[6], a3 = v[3] + v[7];
        return (a0 + a2) + (a1 + a3);
    }
}
