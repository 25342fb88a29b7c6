using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// Converts float activations to the format a weight type's dot product consumes (ggml's <c>vec_dot_type</c>), exactly as
/// llama.cpp's x86 CPU backend does before a matrix multiplication.
/// </summary>
/// <remarks>
/// Rounding choice: llama.cpp does not use its reference quantizers for activations on x86. Its AVX2 <c>quantize_row_q8_0</c>
/// / <c>q8_1</c> compute d = amax/127 but multiply by 127/amax (not 1/d) and round with <c>_mm256_round_ps(_MM_ROUND_NEAREST)</c>,
/// i.e. ties to even, while <c>quantize_row_q8_0_ref</c> multiplies by 1/d and uses <c>roundf</c> (ties away from zero). We
/// follow the AVX2 code because that is what runs on the machines we compare against; the two differ in rare ties and in
/// 1-ulp differences of the multiplier. Q8_K on x86 is the reference code (<c>quantize_row_q8_K_ref</c>): scale −127/max of
/// the signed extreme, round with the 1.5·2²³ trick (ties to even), clamp at 127, and 16-element sums.
/// </remarks>
public static unsafe class ActivationQuantizer
{
    /// <summary>The activation format the dot product of a weight type consumes (ggml's <c>vec_dot_type</c>).</summary>
    public static GgmlType VecDotType(GgmlType weight) => weight switch
    {
        GgmlType.F32 => GgmlType.F32,
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.IQ4_NL => GgmlType.Q8_0,
        GgmlType.Q4_1 or GgmlType.Q5_1 => GgmlType.Q8_1,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.IQ4_XS
            or GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ1_S or GgmlType.IQ1_M => GgmlType.Q8_K,
        _ => throw new NotSupportedException($"No dot product for {weight} weights."),
    };

    /// <summary>Quantizes <paramref name="n"/> floats into <paramref name="type"/> (one of the vec_dot types).</summary>
    public static void Row(GgmlType type, float* x, byte* y, int n)
    {
        if (Simd)
        {
            switch (type)
            {
                case GgmlType.Q8_0: Q8_0Avx2(x, (Q8_0Block*)y, n, null); return;
                case GgmlType.Q8_1: Q8_0Avx2(x, (Q8_0Block*)y, n, (Q8_1Block*)y); return;
                case GgmlType.Q8_K: Q8KAvx2(x, (Q8KBlock*)y, n); return;
                case GgmlType.F16:
                    int i = 0;
                    for (; i + 8 <= n; i += 8) Fp16.FromSingle8(Avx.LoadVector256(x + i), (ushort*)y + i);
                    for (; i < n; i++) ((ushort*)y)[i] = Fp16.FromSingle(x[i]);
                    return;
            }
        }
        else if (Simd128 && Row128(type, x, y, n)) return;
        RowScalar(type, x, y, n);
    }

    /// <summary>Whether <see cref="Row(GgmlType, float*, byte*, int)"/> uses the AVX2 quantizers (bit-identical to the scalar ones).</summary>
    internal static bool Simd { get; } = Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The 128-bit quantizers (false for a format they do not cover); any CPU runs them, accelerated or not.</summary>
    internal static bool Row128(GgmlType type, float* x, byte* y, int n)
    {
        switch (type)
        {
            case GgmlType.Q8_0: Q8_0V128(x, (Q8_0Block*)y, n, null); return true;
            case GgmlType.Q8_1: Q8_0V128(x, (Q8_0Block*)y, n, (Q8_1Block*)y); return true;
            case GgmlType.Q8_K: Q8KV128(x, (Q8KBlock*)y, n); return true;
            case GgmlType.F16:
                int i = 0;
                for (; i + 4 <= n; i += 4) Fp16.FromSingle4(Vector128.Load(x + i), (ushort*)y + i);
                for (; i < n; i++) ((ushort*)y)[i] = Fp16.FromSingle(x[i]);
                return true;
            default: return false;
        }
    }

    /// <summary>Where there is no AVX2 (ARM64 NEON, or x86-64 without it): the 128-bit quantizers, also bit-identical.</summary>
    internal static bool Simd128 { get; } = Vector128.IsHardwareAccelerated && (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported || Sse41.IsSupported);

    /// <summary>The scalar reference quantizers.</summary>
    internal static void RowScalar(GgmlType type, float* x, byte* y, int n)
    {
        switch (type)
        {
            case GgmlType.F32: Buffer.MemoryCopy(x, y, (long)n * 4, (long)n * 4); break;
            case GgmlType.F16: for (int i = 0; i < n; i++) ((ushort*)y)[i] = Fp16.FromSingle(x[i]); break;
            case GgmlType.BF16: for (int i = 0; i < n; i++) ((ushort*)y)[i] = Fp16.SingleToBf16(x[i]); break;
            case GgmlType.Q8_0: Q8_0(x, (Q8_0Block*)y, n); break;
            case GgmlType.Q8_1: Q8_1(x, (Q8_1Block*)y, n); break;
            case GgmlType.Q8_K: Q8K(x, (Q8KBlock*)y, n); break;
            default: throw new NotSupportedException($"{type} is not an activation format.");
        }
    }

    /// <summary>Span form for tests and callers outside the hot path.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<float> x, Span<byte> y)
    {
        if (y.Length < GgmlTypeInfo.RowBytes(type, x.Length)) throw new ArgumentException("Destination too short.", nameof(y));
        if (x.Length % GgmlTypeInfo.BlockSize(type) != 0) throw new ArgumentException("Not a whole number of blocks.", nameof(x));
        fixed (float* px = x)
        fixed (byte* py = y)
            Row(type, px, py, x.Length);
    }

    // cvtps2dq of an already rounded value, then packssdw/packsswb saturation: the AVX2 path never sees values past ±127.5
    // except through NaN/inf, but saturating keeps us identical there too.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static sbyte RoundEvenSaturate(float v)
    {
        float r = MathF.Round(v, MidpointRounding.ToEven);
        int i = float.IsNaN(r) || r >= 2147483648f || r < -2147483648f ? int.MinValue : (int)r; // cvtps2dq's "integer indefinite"
        return (sbyte)Math.Clamp(i, -128, 127);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float AbsMax32(float* x)
    {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
        return amax;
    }

    private static void Q8_0(float* x, Q8_0Block* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            float amax = AbsMax32(x);
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            y[i].D = Fp16.FromSingle(d);
            for (int j = 0; j < 32; j++) y[i].Qs[j] = RoundEvenSaturate(x[j] * id);
        }
    }

    private static void Q8_1(float* x, Q8_1Block* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            float amax = AbsMax32(x);
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            y[i].D = Fp16.FromSingle(d);
            int sum = 0;
            for (int j = 0; j < 32; j++)
            {
                float r = MathF.Round(x[j] * id, MidpointRounding.ToEven);
                sum += (int)r;   // ggml sums the 32-bit integers before packing to bytes
                y[i].Qs[j] = RoundEvenSaturate(x[j] * id);
            }
            y[i].S = Fp16.FromSingle(d * sum);
        }
    }

    // ---- AVX2 (ggml's quantize_row_q8_0/q8_1 AVX2 code; Q8_K vectorised with the reference's exact steps) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HMax(Vector256<float> v)
    {
        Vector128<float> m = Sse.Max(v.GetUpper(), v.GetLower());
        m = Sse.Max(m, Sse.MoveHighToLow(m, m));
        m = Sse.MaxScalar(m, Sse3.MoveHighAndDuplicate(m));
        return m.ToScalar();
    }

    /// <summary>Q8_0 blocks (and Q8_1's sum when <paramref name="q81"/> is given: then y is written as Q8_1 blocks).</summary>
    private static void Q8_0Avx2(float* x, Q8_0Block* y, int n, Q8_1Block* q81)
    {
        var absMask = Vector256.Create(0x7fffffff).AsSingle();
        var perm = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            Vector256<float> v0 = Avx.LoadVector256(x), v1 = Avx.LoadVector256(x + 8), v2 = Avx.LoadVector256(x + 16), v3 = Avx.LoadVector256(x + 24);
            Vector256<float> m = Avx.Max(Avx.Max(v0 & absMask, v1 & absMask), Avx.Max(v2 & absMask, v3 & absMask));
            float amax = HMax(m);
            if (float.IsNaN(amax)) { QuantizeOneScalar(x, y, i, q81); continue; }
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            var mul = Vector256.Create(id);
            Vector256<int> i0 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(v0, mul)));
            Vector256<int> i1 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(v1, mul)));
            Vector256<int> i2 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(v2, mul)));
            Vector256<int> i3 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(v3, mul)));
            Vector256<sbyte> packed = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(i0, i1), Avx2.PackSignedSaturate(i2, i3));
            packed = Avx2.PermuteVar8x32(packed.AsInt32(), perm).AsSByte();
            if (q81 == null)
            {
                y[i].D = Fp16.FromSingle(d);
                Avx.Store(y[i].Qs, packed);
            }
            else
            {
                Vector256<int> s = (i0 + i1) + (i2 + i3);
                Vector128<int> s4 = Sse2.Add(s.GetLower(), s.GetUpper());
                int sum = s4.GetElement(0) + s4.GetElement(1) + s4.GetElement(2) + s4.GetElement(3);
                q81[i].D = Fp16.FromSingle(d);
                q81[i].S = Fp16.FromSingle(d * sum);
                Avx.Store(q81[i].Qs, packed);
            }
        }
    }

    private static void QuantizeOneScalar(float* x, Q8_0Block* y, int i, Q8_1Block* q81)
    {
        if (q81 == null) Q8_0(x, y + i, 32);
        else Q8_1(x, q81 + i, 32);
    }

    private static void Q8KAvx2(float* x, Q8KBlock* y, int n)
    {
        var absMask = Vector256.Create(0x7fffffff).AsSingle();
        var magic = Vector256.Create(12582912f);
        var ones8 = Vector256.Create((byte)1);
        var ones16 = Vector256.Create((short)1);
        var perm = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        for (int i = 0; i < n / QK.K; i++, x += QK.K)
        {
            Vector256<float> m = Vector256<float>.Zero, nan = Vector256<float>.Zero;
            for (int j = 0; j < QK.K; j += 8)
            {
                Vector256<float> v = Avx.LoadVector256(x + j);
                m = Avx.Max(m, v & absMask);
                nan |= Avx.CompareUnordered(v, v);
            }
            float amax = HMax(m);
            if (amax == 0 || !Avx.TestZ(nan, nan))
            {
                Q8K(x, y + i, QK.K); // all zero, or NaNs: the reference's own handling
                continue;
            }
            int at = 0;
            while (MathF.Abs(x[at]) != amax) at++; // the first element of the largest magnitude, as the reference picks
            float iscale = -127f / x[at];
            var vs = Vector256.Create(iscale);
            for (int j = 0; j < QK.K; j += 32)
            {
                Vector256<int> q0 = Quant(Avx.LoadVector256(x + j), vs, magic);
                Vector256<int> q1 = Quant(Avx.LoadVector256(x + j + 8), vs, magic);
                Vector256<int> q2 = Quant(Avx.LoadVector256(x + j + 16), vs, magic);
                Vector256<int> q3 = Quant(Avx.LoadVector256(x + j + 24), vs, magic);
                Vector256<sbyte> packed = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(q0, q1), Avx2.PackSignedSaturate(q2, q3));
                packed = Avx2.PermuteVar8x32(packed.AsInt32(), perm).AsSByte();
                Avx.Store(y[i].Qs + j, packed);
                // sums of 16: bytes → pairs → quads (lanes 0–3 are elements j..j+15, lanes 4–7 the next 16)
                Vector256<int> quads = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(ones8, packed), ones16);
                Vector128<int> h = Ssse3.HorizontalAdd(quads.GetLower(), quads.GetUpper());
                h = Ssse3.HorizontalAdd(h, h);
                y[i].BSums[j / 16] = (short)h.GetElement(0);
                y[i].BSums[j / 16 + 1] = (short)h.GetElement(1);
            }
            y[i].D = 1 / iscale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quant(Vector256<float> x, Vector256<float> iscale, Vector256<float> magic)
    {
        Vector256<int> bits = Avx.Add(Avx.Multiply(iscale, x), magic).AsInt32();
        return Avx2.Min((bits & Vector256.Create(0x007fffff)) - Vector256.Create(0x00400000), Vector256.Create(127));
    }

    /// <summary>ggml's nearest_int: adding 1.5·2²³ puts the integer in the low mantissa bits, rounding ties to even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int NearestInt(float f)
    {
        float v = f + 12582912f;
        return (BitConverter.SingleToInt32Bits(v) & 0x007fffff) - 0x00400000;
    }

    private static void Q8K(float* x, Q8KBlock* y, int n)
    {
        for (int i = 0; i < n / QK.K; i++, x += QK.K)
        {
            float max = 0, amax = 0;
            for (int j = 0; j < QK.K; j++)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax) { amax = ax; max = x[j]; }
            }
            if (amax == 0)
            {
                // ggml leaves bsums untouched here; with d = 0 they never matter, so zero them for determinism.
                y[i].D = 0;
                for (int j = 0; j < QK.K; j++) y[i].Qs[j] = 0;
                for (int j = 0; j < 16; j++) y[i].BSums[j] = 0;
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < QK.K; j++) y[i].Qs[j] = (sbyte)Math.Min(127, NearestInt(iscale * x[j]));
            for (int j = 0; j < 16; j++)
            {
                int sum = 0;
                for (int k = 0; k < 16; k++) sum += y[i].Qs[j * 16 + k];
                y[i].BSums[j] = (short)sum;
            }
            y[i].D = 1 / iscale;
        }
    }

    // ---- 128-bit, portable Vector128 (NEON on ARM64): the scalar quantizers' exact steps; blocks holding a NaN or an
    // infinity take the scalar code, whose handling of them the portable conversions would not reproduce ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AllFinite(float* x, int n, out float amax)
    {
        Vector128<float> m = Vector128<float>.Zero;
        Vector128<int> bad = Vector128<int>.Zero;
        for (int j = 0; j < n; j += 4)
        {
            Vector128<float> v = Vector128.Abs(Vector128.Load(x + j));
            m = Vector128.Max(m, v);
            bad |= Vector128.GreaterThan(v.AsInt32(), Vector128.Create(0x7f7fffff)); // inf or NaN: exponent all ones
        }
        amax = MathF.Max(MathF.Max(m.GetElement(0), m.GetElement(1)), MathF.Max(m.GetElement(2), m.GetElement(3)));
        return bad == Vector128<int>.Zero;
    }

    /// <summary>Q8_0 blocks, or Q8_1 blocks when <paramref name="q81"/> is given.</summary>
    internal static void Q8_0V128(float* x, Q8_0Block* y, int n, Q8_1Block* q81)
    {
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            if (!AllFinite(x, 32, out float amax)) { QuantizeOneScalar(x, y, i, q81); continue; }
            float d = amax / 127f;
            var mul = Vector128.Create(amax != 0f ? 127f / amax : 0f);
            sbyte* qs = q81 == null ? y[i].Qs : q81[i].Qs;
            Vector128<int> sum = Vector128<int>.Zero;
            for (int j = 0; j < 32; j += 16)
            {
                // |x·127/amax| ≤ 127 after rounding, so the narrowing conversions are exact
                Vector128<int> a0 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + j) * mul));
                Vector128<int> a1 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + j + 4) * mul));
                Vector128<int> a2 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + j + 8) * mul));
                Vector128<int> a3 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + j + 12) * mul));
                Vector128.Narrow(Vector128.Narrow(a0, a1), Vector128.Narrow(a2, a3)).Store(qs + j);
                sum += (a0 + a1) + (a2 + a3);
            }
            if (q81 == null) y[i].D = Fp16.FromSingle(d);
            else
            {
                q81[i].D = Fp16.FromSingle(d);
                q81[i].S = Fp16.FromSingle(d * Vector128.Sum(sum));
            }
        }
    }

    internal static void Q8KV128(float* x, Q8KBlock* y, int n)
    {
        var magic = Vector128.Create(12582912f);
        for (int i = 0; i < n / QK.K; i++, x += QK.K)
        {
            if (!AllFinite(x, QK.K, out float amax) || amax == 0)
            {
                Q8K(x, y + i, QK.K);
                continue;
            }
            int at = 0;
            while (MathF.Abs(x[at]) != amax) at++; // the first element of the largest magnitude, as the reference picks
            float iscale = -127f / x[at];
            var vs = Vector128.Create(iscale);
            for (int j = 0; j < QK.K; j += 16)
            {
                Vector128<int> q0 = Quant(Vector128.Load(x + j), vs, magic), q1 = Quant(Vector128.Load(x + j + 4), vs, magic);
                Vector128<int> q2 = Quant(Vector128.Load(x + j + 8), vs, magic), q3 = Quant(Vector128.Load(x + j + 12), vs, magic);
                Vector128<short> s01 = Vector128.Narrow(q0, q1), s23 = Vector128.Narrow(q2, q3);
                Vector128.Narrow(s01, s23).Store(y[i].Qs + j);
                y[i].BSums[j / 16] = (short)Vector128.Sum(s01 + s23);
            }
            y[i].D = 1 / iscale;
        }
    }

    /// <summary><see cref="NearestInt"/> of iscale·x, at most 127 (the product and the sum are two roundings, as in C#).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Quant(Vector128<float> x, Vector128<float> iscale, Vector128<float> magic)
    {
        Vector128<float> product = iscale * x;
        Vector128<int> bits = (product + magic).AsInt32();
        return Vector128.Min((bits & Vector128.Create(0x007fffff)) - Vector128.Create(0x00400000), Vector128.Create(127));
    }
}
