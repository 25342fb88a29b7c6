using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PocketLM.Tensors;

/// <summary>
/// Plain scalar dot products of one weight row with one quantized activation row. They follow the lane structure of
/// llama.cpp's AVX2 kernels (eight float accumulators, one per group of four consecutive products, updated with a fused
/// multiply-add, then ggml's horizontal-sum order), so the scalar path and the SIMD path give the same bits, and both give
/// llama.cpp's bits. Integer partial sums are exact, so only the float steps need care.
/// </summary>
[SkipLocalsInit]
internal static unsafe partial class VecDotScalar
{
    /// <summary>The scalar kernel for a weight type, as a function pointer (weights, activations, n).</summary>
    public static delegate*<byte*, byte*, int, float> For(GgmlType weight) => weight switch
    {
        GgmlType.F32 => &F32, GgmlType.F16 => &F16, GgmlType.BF16 => &BF16,
        GgmlType.Q8_0 => &Q8_0, GgmlType.Q4_0 => &Q4_0, GgmlType.Q4_1 => &Q4_1, GgmlType.Q5_0 => &Q5_0, GgmlType.Q5_1 => &Q5_1,
        GgmlType.Q2_K => &Q2K, GgmlType.Q3_K => &Q3K, GgmlType.Q4_K => &Q4K, GgmlType.Q5_K => &Q5K, GgmlType.Q6_K => &Q6K,
        GgmlType.IQ4_NL => &IQ4NL, GgmlType.IQ4_XS => &IQ4XS,
        GgmlType.IQ2_XXS => &IQ2XXS, GgmlType.IQ2_XS => &IQ2XS, GgmlType.IQ2_S => &IQ2S,
        GgmlType.IQ3_XXS => &IQ3XXS, GgmlType.IQ3_S => &IQ3S, GgmlType.IQ1_S => &IQ1S, GgmlType.IQ1_M => &IQ1M,
        _ => throw new NotSupportedException($"No dot product for {weight} weights."),
    };

    public static float Dot(GgmlType weight, byte* w, byte* act, int n) => For(weight)(w, act, n);

    /// <summary>ggml's hsum_float_8: (lane i + lane i+4), then (0+2) + (1+3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Hsum8(float* a)
    {
        float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
        return (r0 + r2) + (r1 + r3);
    }

    /// <summary>The same order over lanes 0–3 (<paramref name="lo"/>) and 4–7 (<paramref name="hi"/>) of two 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Hsum8(Vector128<float> lo, Vector128<float> hi)
    {
        Vector128<float> r = hi + lo;
        return (r.GetElement(0) + r.GetElement(2)) + (r.GetElement(1) + r.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear(float* a, int n) { for (int i = 0; i < n; i++) a[i] = 0; }

    /// <summary>The float structure of llama.cpp's AVX2 kernels for the grid i-quants (IQ2_*, IQ3_*): per 256-element
    /// super-block, eight integer lanes filled by <paramref name="lanes"/>, one fused step with d·d′ (the block's leading
    /// half scale times the activations' scale), and at the end <paramref name="factor"/> × ggml's horizontal sum.</summary>
    private static float GridLanes(byte* vx, int blockBytes, byte* vy, int n, float factor, delegate*<byte*, Q8KBlock*, int*, void> lanes)
    {
        var y = (Q8KBlock*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        int* lane = stackalloc int[8];
        for (int i = 0; i < n / QK.K; i++, vx += blockBytes)
        {
            Clear(lane, 8);
            lanes(vx, y + i, lane);
            float d = Fp16.ToSingle(*(ushort*)vx) * y[i].D;
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lane[k], acc[k]);
        }
        return factor * Hsum8(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear(int* a, int n) { for (int i = 0; i < n; i++) a[i] = 0; }

    // ---- 32-element formats against Q8_0 / Q8_1 ----

    public static float Q8_0(byte* vx, byte* vy, int n)
    {
        var x = (Q8_0Block*)vx; var y = (Q8_0Block*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        for (int ib = 0; ib < n / 32; ib++)
        {
            float d = Fp16.ToSingle(x[ib].D) * Fp16.ToSingle(y[ib].D);
            for (int k = 0; k < 8; k++)
            {
                int s = 0;
                for (int t = 4 * k; t < 4 * k + 4; t++) s += x[ib].Qs[t] * y[ib].Qs[t];
                acc[k] = MathF.FusedMultiplyAdd(d, s, acc[k]);
            }
        }
        return Hsum8(acc);
    }

    /// <summary>
    /// Q4_0 with one float step per block: the block's integer dot, converted, fused with dx·dy into a single accumulator —
    /// the numerics of llama.cpp's repacked Q4_0 (ggml_gemv_q4_0_8x8_q8_0) and of <see cref="PackedQ4_0"/>.
    /// </summary>
    public static float Q4_0PerBlock(byte* vx, byte* vy, int n)
    {
        var x = (Q4_0Block*)vx; var y = (Q8_0Block*)vy;
        float acc = 0;
        for (int ib = 0; ib < n / 32; ib++)
        {
            int s = 0;
            for (int t = 0; t < 16; t++)
                s += ((x[ib].Qs[t] & 0xF) - 8) * y[ib].Qs[t] + ((x[ib].Qs[t] >> 4) - 8) * y[ib].Qs[t + 16];
            acc = MathF.FusedMultiplyAdd(s, Fp16.ToSingle(x[ib].D) * Fp16.ToSingle(y[ib].D), acc);
        }
        return acc;
    }

    public static float Q4_0(byte* vx, byte* vy, int n)
    {
        var x = (Q4_0Block*)vx; var y = (Q8_0Block*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        for (int ib = 0; ib < n / 32; ib++)
        {
            float d = Fp16.ToSingle(x[ib].D) * Fp16.ToSingle(y[ib].D);
            for (int k = 0; k < 8; k++)
            {
                int s = 0;
                for (int t = 4 * k; t < 4 * k + 4; t++)
                {
                    int q = t < 16 ? x[ib].Qs[t] & 0xF : x[ib].Qs[t - 16] >> 4;
                    s += (q - 8) * y[ib].Qs[t];
                }
                acc[k] = MathF.FusedMultiplyAdd(d, s, acc[k]);
            }
        }
        return Hsum8(acc);
    }

    public static float Q5_0(byte* vx, byte* vy, int n)
    {
        var x = (Q5_0Block*)vx; var y = (Q8_0Block*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        for (int ib = 0; ib < n / 32; ib++)
        {
            float d = Fp16.ToSingle(x[ib].D) * Fp16.ToSingle(y[ib].D);
            uint qh = Unsafe.ReadUnaligned<uint>(x[ib].Qh);
            for (int k = 0; k < 8; k++)
            {
                int s = 0;
                for (int t = 4 * k; t < 4 * k + 4; t++)
                {
                    int q = (t < 16 ? x[ib].Qs[t] & 0xF : x[ib].Qs[t - 16] >> 4) | (int)((qh >> t) & 1) << 4;
                    s += (q - 16) * y[ib].Qs[t];
                }
                acc[k] = MathF.FusedMultiplyAdd(d, s, acc[k]);
            }
        }
        return Hsum8(acc);
    }

    public static float Q4_1(byte* vx, byte* vy, int n)
    {
        var x = (Q4_1Block*)vx; var y = (Q8_1Block*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        float summs = 0;
        for (int ib = 0; ib < n / 32; ib++)
        {
            float d = Fp16.ToSingle(x[ib].D) * Fp16.ToSingle(y[ib].D);
            summs = MathF.FusedMultiplyAdd(Fp16.ToSingle(x[ib].M), Fp16.ToSingle(y[ib].S), summs);
            for (int k = 0; k < 8; k++)
            {
                int s = 0;
                for (int t = 4 * k; t < 4 * k + 4; t++)
                    s += (t < 16 ? x[ib].Qs[t] & 0xF : x[ib].Qs[t - 16] >> 4) * y[ib].Qs[t];
                acc[k] = MathF.FusedMultiplyAdd(d, s, acc[k]);
            }
        }
        return Hsum8(acc) + summs;
    }

    public static float Q5_1(byte* vx, byte* vy, int n)
    {
        var x = (Q5_1Block*)vx; var y = (Q8_1Block*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        float summs = 0;
        for (int ib = 0; ib < n / 32; ib++)
        {
            float d = Fp16.ToSingle(x[ib].D) * Fp16.ToSingle(y[ib].D);
            summs = MathF.FusedMultiplyAdd(Fp16.ToSingle(x[ib].M), Fp16.ToSingle(y[ib].S), summs);
            uint qh = Unsafe.ReadUnaligned<uint>(x[ib].Qh);
            for (int k = 0; k < 8; k++)
            {
                int s = 0;
                for (int t = 4 * k; t < 4 * k + 4; t++)
                {
                    int q = (t < 16 ? x[ib].Qs[t] & 0xF : x[ib].Qs[t - 16] >> 4) | (int)((qh >> t) & 1) << 4;
                    s += q * y[ib].Qs[t];
                }
                acc[k] = MathF.FusedMultiplyAdd(d, s, acc[k]);
            }
        }
        return Hsum8(acc) + summs;
    }

    // ---- k-quants against Q8_K ----
    // In every k-quant kernel integer lane k of a 32-element group holds the products of elements 4k..4k+3 times that
    // group's 16-element sub-block scale.

    public static float Q2K(byte* vx, byte* vy, int n)
    {
        var x = (Q2KBlock*)vx; var y = (Q8KBlock*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        int* lane = stackalloc int[8];
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            float dmin = -y[i].D * Fp16.ToSingle(x[i].DMin);
            byte* sc = x[i].Scales;
            for (int k = 0; k < 8; k++)
            {
                int prod = (sc[2 * k] >> 4) * y[i].BSums[2 * k] + (sc[2 * k + 1] >> 4) * y[i].BSums[2 * k + 1];
                acc[k] = MathF.FusedMultiplyAdd(dmin, prod, acc[k]);
            }
            Clear(lane, 8);
            for (int c = 0; c < 2; c++)
                for (int sh = 0; sh < 4; sh++)
                {
                    sbyte* q8 = y[i].Qs + 128 * c + 32 * sh;
                    byte* q2 = x[i].Qs + 32 * c;
                    for (int k = 0; k < 8; k++)
                    {
                        int s = 0;
                        for (int t = 4 * k; t < 4 * k + 4; t++) s += ((q2[t] >> (2 * sh)) & 3) * q8[t];
                        lane[k] += (sc[8 * c + 2 * sh + (k >> 2)] & 0xF) * s;
                    }
                }
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lane[k], acc[k]);
        }
        return Hsum8(acc);
    }

    public static float Q3K(byte* vx, byte* vy, int n)
    {
        var x = (Q3KBlock*)vx; var y = (Q8KBlock*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        int* lane = stackalloc int[8];
        sbyte* scales = stackalloc sbyte[16];
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            Dequantize.UnpackQ3KScales(x[i].Scales, scales);
            Clear(lane, 8);
            for (int c = 0; c < 2; c++)
                for (int sh = 0; sh < 4; sh++)
                {
                    sbyte* q8 = y[i].Qs + 128 * c + 32 * sh;
                    byte* q3 = x[i].Qs + 32 * c;
                    int bit = 4 * c + sh;
                    for (int k = 0; k < 8; k++)
                    {
                        int s = 0;
                        for (int t = 4 * k; t < 4 * k + 4; t++)
                            s += (((q3[t] >> (2 * sh)) & 3) - (((x[i].HMask[t] >> bit) & 1) != 0 ? 0 : 4)) * q8[t];
                        lane[k] += scales[8 * c + 2 * sh + (k >> 2)] * s;
                    }
                }
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lane[k], acc[k]);
        }
        return Hsum8(acc);
    }

    /// <summary>Scales (0–7) and mins (8–15) of a Q4_K/Q5_K block, as ggml's utmp shuffle lays them out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScalesAndMins(byte* packed, int* sm)
    {
        for (int j = 0; j < 8; j++)
        {
            Dequantize.ScaleMinK4(j, packed, out int s, out int m);
            sm[j] = s; sm[8 + j] = m;
        }
    }

    /// <summary>Σ min·bsum of a Q4_K/Q5_K block, in the four lanes of ggml's hadd/madd (lane k: sub-blocks 2k, 2k+1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int MinLane(int* sm, short* bsums, int k) =>
        sm[8 + 2 * k] * (bsums[4 * k] + bsums[4 * k + 1]) + sm[8 + 2 * k + 1] * (bsums[4 * k + 2] + bsums[4 * k + 3]);

    /// <summary>
    /// Q4_K with one float step per super-block: Σ scale·dot and Σ min·bsum of its eight sub-blocks as integers, each fused
    /// with its own scale product into one of two accumulators, subtracted at the end — the numerics of llama.cpp's
    /// repacked Q4_K (ggml_gemv_q4_K_8x8_q8_K) and of <see cref="PackedQ4K"/>.
    /// </summary>
    public static float Q4KPerBlock(byte* vx, byte* vy, int n)
    {
        var x = (Q4KBlock*)vx; var y = (Q8KBlock*)vy;
        int* sm = stackalloc int[16];
        float acc = 0, accm = 0;
        for (int i = 0; i < n / QK.K; i++)
        {
            ScalesAndMins(x[i].Scales, sm);
            int isum = 0, imin = 0;
            for (int j = 0; j < 8; j++)
            {
                byte* q4 = x[i].Qs + 32 * (j / 2);
                sbyte* q8 = y[i].Qs + 32 * j;
                int dot = 0;
                for (int t = 0; t < 32; t++) dot += (j % 2 == 0 ? q4[t] & 0xF : q4[t] >> 4) * q8[t];
                isum += sm[j] * dot;
                imin += sm[8 + j] * (y[i].BSums[2 * j] + y[i].BSums[2 * j + 1]);
            }
            acc = MathF.FusedMultiplyAdd(isum, Fp16.ToSingle(x[i].D) * y[i].D, acc);
            accm = MathF.FusedMultiplyAdd(imin, Fp16.ToSingle(x[i].DMin) * y[i].D, accm);
        }
        return acc - accm;
    }

    public static float Q4K(byte* vx, byte* vy, int n)
    {
        var x = (Q4KBlock*)vx; var y = (Q8KBlock*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        float* accm = stackalloc float[4]; Clear(accm, 4);
        int* lane = stackalloc int[8];
        int* sm = stackalloc int[16];
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            float dmin = -y[i].D * Fp16.ToSingle(x[i].DMin);
            ScalesAndMins(x[i].Scales, sm);
            for (int k = 0; k < 4; k++) accm[k] = MathF.FusedMultiplyAdd(dmin, MinLane(sm, y[i].BSums, k), accm[k]);
            Clear(lane, 8);
            for (int j = 0; j < 4; j++)
            {
                byte* q4 = x[i].Qs + 32 * j;
                sbyte* q8 = y[i].Qs + 64 * j;
                for (int k = 0; k < 8; k++)
                {
                    int lo = 0, hi = 0;
                    for (int t = 4 * k; t < 4 * k + 4; t++)
                    {
                        lo += (q4[t] & 0xF) * q8[t];
                        hi += (q4[t] >> 4) * q8[t + 32];
                    }
                    lane[k] += sm[2 * j] * lo + sm[2 * j + 1] * hi;
                }
            }
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lane[k], acc[k]);
        }
        return Hsum8(acc) + ((accm[0] + accm[2]) + (accm[1] + accm[3]));
    }

    public static float Q5K(byte* vx, byte* vy, int n)
    {
        var x = (Q5KBlock*)vx; var y = (Q8KBlock*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        int* lane = stackalloc int[8];
        int* sm = stackalloc int[16];
        float summs = 0;
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            float dmin = -y[i].D * Fp16.ToSingle(x[i].DMin);
            ScalesAndMins(x[i].Scales, sm);
            int mins = 0;
            for (int k = 0; k < 4; k++) mins += MinLane(sm, y[i].BSums, k);
            summs = MathF.FusedMultiplyAdd(dmin, mins, summs);
            Clear(lane, 8);
            for (int j = 0; j < 4; j++)
            {
                byte* q5 = x[i].Qs + 32 * j;
                sbyte* q8 = y[i].Qs + 64 * j;
                for (int k = 0; k < 8; k++)
                {
                    int lo = 0, hi = 0;
                    for (int t = 4 * k; t < 4 * k + 4; t++)
                    {
                        int h = x[i].Qh[t];
                        lo += ((q5[t] & 0xF) | ((h >> (2 * j)) & 1) << 4) * q8[t];
                        hi += ((q5[t] >> 4) | ((h >> (2 * j + 1)) & 1) << 4) * q8[t + 32];
                    }
                    lane[k] += sm[2 * j] * lo + sm[2 * j + 1] * hi;
                }
            }
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lane[k], acc[k]);
        }
        return Hsum8(acc) + summs;
    }

    /// <remarks>llama.cpp's AVX2 kernel multiplies the unsigned 6-bit values and removes the −32 offset afterwards through
    /// bsums (lane k: 32·(bsum[2k]·sc[2k] + bsum[2k+1]·sc[2k+1])), which moves the correction to other lanes than the
    /// products it belongs to; we do the same so the float accumulation matches.</remarks>
    public static float Q6K(byte* vx, byte* vy, int n)
    {
        var x = (Q6KBlock*)vx; var y = (Q8KBlock*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        int* lane = stackalloc int[8];
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            for (int k = 0; k < 8; k++)
                lane[k] = -32 * (y[i].BSums[2 * k] * x[i].Scales[2 * k] + y[i].BSums[2 * k + 1] * x[i].Scales[2 * k + 1]);
            for (int c = 0; c < 2; c++)
            {
                byte* ql = x[i].Ql + 64 * c;
                byte* qh = x[i].Qh + 32 * c;
                sbyte* sc = x[i].Scales + 8 * c;
                for (int p = 0; p < 4; p++)
                {
                    byte* lowSrc = ql + ((p & 1) != 0 ? 32 : 0);
                    int lowShift = p >= 2 ? 4 : 0;
                    sbyte* q8 = y[i].Qs + 128 * c + 32 * p;
                    for (int k = 0; k < 8; k++)
                    {
                        int s = 0;
                        for (int t = 4 * k; t < 4 * k + 4; t++)
                            s += (((lowSrc[t] >> lowShift) & 0xF) | ((qh[t] >> (2 * p)) & 3) << 4) * q8[t];
                        lane[k] += sc[2 * p + (k >> 2)] * s;
                    }
                }
            }
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lane[k], acc[k]);
        }
        return Hsum8(acc);
    }

    // ---- IQ4 (non-linear 4-bit table) ----

    /// <summary>Quant e (0–31) of an IQ4 group of 16 bytes: low nibbles are elements 0–15, high nibbles 16–31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IQ4Value(byte* qs, int e) => IQ4Table.Values[e < 16 ? qs[e] & 0xF : qs[e - 16] >> 4];

    /// <summary>
    /// ggml_vec_dot_iq4_nl_q8_0 as its AVX2 build computes it: blocks in pairs, even blocks into one 8-lane accumulator and
    /// odd ones into another (lane k: the block's products 4k..4k+3, fused with dx·dy), the two added lane-wise and summed;
    /// an odd last block is added afterwards, fused.
    /// </summary>
    public static float IQ4NL(byte* vx, byte* vy, int n)
    {
        var x = (IQ4NLBlock*)vx; var y = (Q8_0Block*)vy;
        float* acc = stackalloc float[16]; Clear(acc, 16); // lanes of the even-block and the odd-block accumulator
        int nb = n / 32, ib = 0;
        for (; ib + 1 < nb; ib += 2)
            for (int h = 0; h < 2; h++)
            {
                IQ4NLBlock* xb = x + ib + h;
                Q8_0Block* yb = y + ib + h;
                float d = Fp16.ToSingle(yb->D) * Fp16.ToSingle(xb->D);
                for (int k = 0; k < 8; k++)
                {
                    int s = 0;
                    for (int t = 4 * k; t < 4 * k + 4; t++) s += IQ4Value(xb->Qs, t) * yb->Qs[t];
                    acc[8 * h + k] = MathF.FusedMultiplyAdd(d, s, acc[8 * h + k]);
                }
            }
        for (int k = 0; k < 8; k++) acc[k] += acc[8 + k];
        float sum = Hsum8(acc);
        for (; ib < nb; ib++) sum = MathF.FusedMultiplyAdd(Fp16.ToSingle(y[ib].D) * Fp16.ToSingle(x[ib].D), IQ4Sum(x[ib].Qs, y[ib].Qs), sum);
        return sum;
    }

    /// <summary>
    /// IQ4_NL with one float step per block: the block's integer dot, converted, fused with dx·dy into a single accumulator —
    /// the numerics of llama.cpp's repacked IQ4_NL and of <see cref="PackedIQ4NL"/> (as <see cref="Q4_0PerBlock"/> for Q4_0).
    /// </summary>
    public static float IQ4NLPerBlock(byte* vx, byte* vy, int n)
    {
        var x = (IQ4NLBlock*)vx; var y = (Q8_0Block*)vy;
        float acc = 0;
        for (int ib = 0; ib < n / 32; ib++)
            acc = MathF.FusedMultiplyAdd(IQ4Sum(x[ib].Qs, y[ib].Qs), Fp16.ToSingle(x[ib].D) * Fp16.ToSingle(y[ib].D), acc);
        return acc;
    }

    /// <summary>The integer dot of one 32-element IQ4 group with 32 activations.</summary>
    internal static int IQ4Sum(byte* qs, sbyte* q8)
    {
        int s = 0;
        for (int t = 0; t < 32; t++) s += IQ4Value(qs, t) * q8[t];
        return s;
    }

    /// <summary>ggml_vec_dot_iq4_xs_q8_K's AVX2 lanes: per super-block, lane k sums sub-block scale × products 4k..4k+3
    /// of every 32-element sub-block (integers), then one fused step with d·d′.</summary>
    public static float IQ4XS(byte* vx, byte* vy, int n)
    {
        var x = (IQ4XSBlock*)vx; var y = (Q8KBlock*)vy;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        int* lane = stackalloc int[8];
        for (int i = 0; i < n / QK.K; i++)
        {
            Clear(lane, 8);
            for (int ib = 0; ib < 8; ib++)
            {
                int ls = IQ4Table.Scale(x + i, ib);
                byte* qs = x[i].Qs + 16 * ib;
                sbyte* q8 = y[i].Qs + 32 * ib;
                for (int k = 0; k < 8; k++)
                {
                    int s = 0;
                    for (int t = 4 * k; t < 4 * k + 4; t++) s += IQ4Value(qs, t) * q8[t];
                    lane[k] += ls * s;
                }
            }
            float d = Fp16.ToSingle(x[i].D) * y[i].D;
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lane[k], acc[k]);
        }
        return Hsum8(acc);
    }

    // ---- float formats ----
    // ggml_vec_dot_f32/f16 on AVX: four 8-lane accumulators over steps of 32, reduced pairwise (0+2, 1+3, then 0+1), then
    // (lane i + lane i+4) and two horizontal adds; the tail (n not a multiple of 32) is added in double.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Reduce32(float* s)
    {
        float* v = stackalloc float[8];
        for (int l = 0; l < 8; l++) v[l] = (s[l] + s[16 + l]) + (s[8 + l] + s[24 + l]);
        float t0 = v[0] + v[4], t1 = v[1] + v[5], t2 = v[2] + v[6], t3 = v[3] + v[7];
        return (t0 + t1) + (t2 + t3);
    }

    public static float F32(byte* vx, byte* vy, int n)
    {
        float* x = (float*)vx, y = (float*)vy;
        float* s = stackalloc float[32]; Clear(s, 32);
        int np = n & ~31;
        for (int i = 0; i < np; i += 32)
            for (int j = 0; j < 32; j++) s[j] = MathF.FusedMultiplyAdd(x[i + j], y[i + j], s[j]);
        double sum = Reduce32(s);
        for (int i = np; i < n; i++) sum += x[i] * y[i];
        return (float)sum;
    }

    public static float F16(byte* vx, byte* vy, int n)
    {
        ushort* x = (ushort*)vx, y = (ushort*)vy;
        float* s = stackalloc float[32]; Clear(s, 32);
        int np = n & ~31;
        for (int i = 0; i < np; i += 32)
            for (int j = 0; j < 32; j++) s[j] = MathF.FusedMultiplyAdd(Fp16.ToSingle(x[i + j]), Fp16.ToSingle(y[i + j]), s[j]);
        double sum = Reduce32(s);
        for (int i = np; i < n; i++) sum += Fp16.ToSingle(x[i]) * Fp16.ToSingle(y[i]);
        return (float)sum;
    }

    /// <summary>ggml_vec_dot_bf16 on AVX2: four 8-lane accumulators, reduced (c0+c2)+(c1+c3), then hsum_float_8's order.</summary>
    public static float BF16(byte* vx, byte* vy, int n)
    {
        ushort* x = (ushort*)vx, y = (ushort*)vy;
        float* s = stackalloc float[32]; Clear(s, 32);
        int np = n & ~31;
        for (int i = 0; i < np; i += 32)
            for (int j = 0; j < 32; j++) s[j] = MathF.FusedMultiplyAdd(Fp16.Bf16ToSingle(x[i + j]), Fp16.Bf16ToSingle(y[i + j]), s[j]);
        float* v = stackalloc float[8];
        for (int l = 0; l < 8; l++) v[l] = (s[l] + s[16 + l]) + (s[8 + l] + s[24 + l]);
        double sum = Hsum8(v);
        for (int i = np; i < n; i++) sum += Fp16.Bf16ToSingle(x[i]) * Fp16.Bf16ToSingle(y[i]);
        return (float)sum;
    }
}
