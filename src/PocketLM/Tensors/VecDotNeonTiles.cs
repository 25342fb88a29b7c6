using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace PocketLM.Tensors;

/// <summary>
/// ARM64 prefill tiles: several tokens (and rows) per pass over the weights, for <see cref="MatMul"/>'s batches. Every
/// (row, token) pair keeps the one-row NEON kernel's own accumulators, block order and fused steps, so each output is
/// bit-identical to that kernel (and to <see cref="VecDotScalar"/>); what the tile shares is the unpacking of weight
/// blocks across tokens and the loading of activation blocks across rows. On x86 the same job is done by
/// <see cref="VecDotTiles"/>; a tile saves the most where unpacking costs the most (Q5_0/Q5_1 fifth bits, k-quant scales).
/// </summary>
internal static unsafe partial class VecDotNeon
{
    /// <summary>Two consecutive rows × four activation rows of a 32-element format: y[t·yStride + r] for row r, token t.</summary>
    public static void Block32Tile24<T>(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride) where T : IBlock32
    {
        int xb = T.BlockBytes, ab = ActivationBlockBytes<T>(), aq = ActivationQuantsOffset<T>();
        byte* x0 = w, x1 = w + rowBytes;
        byte* y0 = act, y1 = act + actRow, y2 = act + 2 * actRow, y3 = act + 3 * actRow;
        Vector128<float> l00 = default, h00 = default, l01 = default, h01 = default, l02 = default, h02 = default, l03 = default, h03 = default;
        Vector128<float> l10 = default, h10 = default, l11 = default, h11 = default, l12 = default, h12 = default, l13 = default, h13 = default;
        Vector128<float> ms0 = default, ms1 = default; // row r's running m·s, token t in lane t
        for (int ib = 0; ib < n / 32; ib++, x0 += xb, x1 += xb, y0 += ab, y1 += ab, y2 += ab, y3 += ab)
        {
            T.Quants(x0, out Vector128<sbyte> p0, out Vector128<sbyte> q0);
            T.Quants(x1, out Vector128<sbyte> p1, out Vector128<sbyte> q1);
            // d·d′ per (row, token): the one-row kernel's single rounded product
            Vector128<float> dy = Vector128.Create(Half(y0), Half(y1), Half(y2), Half(y3));
            Vector128<float> d0 = dy * Half(x0), d1 = dy * Half(x1);
            if (T.HasMin)
            {
                Vector128<float> s = Vector128.Create(Half(y0 + 2), Half(y1 + 2), Half(y2 + 2), Half(y3 + 2));
                ms0 = AdvSimd.FusedMultiplyAdd(ms0, Vector128.Create(Half(x0 + 2)), s);
                ms1 = AdvSimd.FusedMultiplyAdd(ms1, Vector128.Create(Half(x1 + 2)), s);
            }
            Step2(p0, q0, p1, q1, y0 + aq, d0, d1, 0, ref l00, ref h00, ref l10, ref h10);
            Step2(p0, q0, p1, q1, y1 + aq, d0, d1, 1, ref l01, ref h01, ref l11, ref h11);
            Step2(p0, q0, p1, q1, y2 + aq, d0, d1, 2, ref l02, ref h02, ref l12, ref h12);
            Step2(p0, q0, p1, q1, y3 + aq, d0, d1, 3, ref l03, ref h03, ref l13, ref h13);
        }
        Store2<T>(y, Sum(l00, h00), Sum(l10, h10), ms0, ms1, 0); y += yStride;
        Store2<T>(y, Sum(l01, h01), Sum(l11, h11), ms0, ms1, 1); y += yStride;
        Store2<T>(y, Sum(l02, h02), Sum(l12, h12), ms0, ms1, 2); y += yStride;
        Store2<T>(y, Sum(l03, h03), Sum(l13, h13), ms0, ms1, 3);
    }

    /// <summary>Token <paramref name="t"/>'s activation block against two rows' unpacked quants, each with the one-row
    /// kernel's two fused steps; d·d′ is lane t of <paramref name="d0"/>/<paramref name="d1"/> (FMLA by element, the same
    /// fused operation as with the scale broadcast; t is a constant once inlined).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step2(Vector128<sbyte> p0, Vector128<sbyte> q0, Vector128<sbyte> p1, Vector128<sbyte> q1, byte* yq,
                              Vector128<float> d0, Vector128<float> d1, [ConstantExpected(Max = 3)] byte t,
                              ref Vector128<float> lo0, ref Vector128<float> hi0, ref Vector128<float> lo1, ref Vector128<float> hi1)
    {
        Vector128<sbyte> a = Load((sbyte*)yq), b = Load((sbyte*)(yq + 16));
        lo0 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo0, AdvSimd.ConvertToSingle(Dot4(p0, a)), d0, t);
        hi0 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi0, AdvSimd.ConvertToSingle(Dot4(q0, b)), d0, t);
        lo1 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo1, AdvSimd.ConvertToSingle(Dot4(p1, a)), d1, t);
        hi1 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi1, AdvSimd.ConvertToSingle(Dot4(q1, b)), d1, t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector128<float> lo, Vector128<float> hi) => VecDotScalar.Hsum8(lo, hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2<T>(float* y, float r0, float r1, Vector128<float> ms0, Vector128<float> ms1, int t) where T : IBlock32
    {
        y[0] = T.HasMin ? r0 + ms0.GetElement(t) : r0;
        y[1] = T.HasMin ? r1 + ms1.GetElement(t) : r1;
    }

    /// <summary>Tokens per k-quant tile: a super-block's unpacked quants and scales serve this many activation rows.</summary>
    internal const int KTileTokens = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Q8KBlock* Q8K(byte* act, long actRow, int t, int i) => (Q8KBlock*)(act + t * actRow) + i;

    /// <summary>Each token's super-block lanes fused into its accumulators with y.D·x.D, as the one-row kernels do.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FuseLanes(Vector128<float>* lo, Vector128<float>* hi, Vector128<int>* laneLo, Vector128<int>* laneHi,
                                  byte* act, long actRow, int i, float xd)
    {
        for (int t = 0; t < KTileTokens; t++)
        {
            float d = Q8K(act, actRow, t, i)->D * xd;
            lo[t] = Fma(lo[t], laneLo[t], d);
            hi[t] = Fma(hi[t], laneHi[t], d);
        }
    }

    /// <summary>One token's super-block lanes fused into its accumulators with d·d′, as the one-row kernels do.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FuseToken(ref Vector128<float> lo, ref Vector128<float> hi, Vector128<int> laneLo, Vector128<int> laneHi, float d)
    {
        lo = Fma(lo, laneLo, d);
        hi = Fma(hi, laneHi, d);
    }

    /// <summary>One Q4_K row × four Q8_K activation rows, each token in <see cref="Q4K"/>'s order. The four tokens' lanes
    /// and accumulators are named locals, so they stay in registers (a loop over tokens kept them in memory).</summary>
    public static void Q4KTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var x = (Q4KBlock*)w;
        Vector128<float>* accm = stackalloc Vector128<float>[KTileTokens];
        for (int t = 0; t < KTileTokens; t++) accm[t] = default;
        Vector128<float> lo0 = default, hi0 = default, lo1 = default, hi1 = default, lo2 = default, hi2 = default, lo3 = default, hi3 = default;
        int* sm = stackalloc int[16];
        int* mins = stackalloc int[4];
        long a2 = 2 * actRow, a3 = 3 * actRow;
        for (int i = 0; i < n / QK.K; i++)
        {
            VecDotScalar.ScalesAndMins(x[i].Scales, sm);
            float xd = Fp16.ToSingle(x[i].D), xmin = Fp16.ToSingle(x[i].DMin);
            for (int t = 0; t < KTileTokens; t++)
            {
                var yt = Q8K(act, actRow, t, i);
                for (int k = 0; k < 4; k++) mins[k] = VecDotScalar.MinLane(sm, yt->BSums, k);
                accm[t] = Fma(accm[t], Vector128.Load(mins), -yt->D * xmin);
            }
            Vector128<int> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
            sbyte* q8 = Q8K(act, actRow, 0, i)->Qs;
            for (int j = 0; j < 4; j++, q8 += 64)
            {
                Q4KQuants(x[i].Qs + 32 * j, out var a0, out var b0, out var a1, out var b1);
                int s0 = sm[2 * j], s1 = sm[2 * j + 1];
                Q4KLanes(a0, b0, a1, b1, s0, s1, q8, ref l0, ref h0);
                Q4KLanes(a0, b0, a1, b1, s0, s1, q8 + actRow, ref l1, ref h1);
                Q4KLanes(a0, b0, a1, b1, s0, s1, q8 + a2, ref l2, ref h2);
                Q4KLanes(a0, b0, a1, b1, s0, s1, q8 + a3, ref l3, ref h3);
            }
            FuseToken(ref lo0, ref hi0, l0, h0, Q8K(act, actRow, 0, i)->D * xd);
            FuseToken(ref lo1, ref hi1, l1, h1, Q8K(act, actRow, 1, i)->D * xd);
            FuseToken(ref lo2, ref hi2, l2, h2, Q8K(act, actRow, 2, i)->D * xd);
            FuseToken(ref lo3, ref hi3, l3, h3, Q8K(act, actRow, 3, i)->D * xd);
        }
        y[0] = Sum(lo0, hi0) + MinSum(accm[0]);
        y[yStride] = Sum(lo1, hi1) + MinSum(accm[1]);
        y[2 * yStride] = Sum(lo2, hi2) + MinSum(accm[2]);
        y[3 * yStride] = Sum(lo3, hi3) + MinSum(accm[3]);
    }

    /// <summary>One Q6_K row × four Q8_K activation rows, each token in <see cref="Q6K"/>'s order; lanes and accumulators
    /// in registers as in <see cref="Q4KTile14"/>.</summary>
    public static void Q6KTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var x = (Q6KBlock*)w;
        Vector128<float> lo0 = default, hi0 = default, lo1 = default, hi1 = default, lo2 = default, hi2 = default, lo3 = default, hi3 = default;
        int* offset = stackalloc int[8 * KTileTokens];
        long a2 = 2 * actRow, a3 = 3 * actRow;
        for (int i = 0; i < n / QK.K; i++)
        {
            float xd = Fp16.ToSingle(x[i].D);
            sbyte* scl = x[i].Scales;
            for (int t = 0; t < KTileTokens; t++) Q6KOffsets(Q8K(act, actRow, t, i)->BSums, scl, offset + 8 * t);
            Vector128<int> l0 = Vector128.Load(offset), h0 = Vector128.Load(offset + 4);
            Vector128<int> l1 = Vector128.Load(offset + 8), h1 = Vector128.Load(offset + 12);
            Vector128<int> l2 = Vector128.Load(offset + 16), h2 = Vector128.Load(offset + 20);
            Vector128<int> l3 = Vector128.Load(offset + 24), h3 = Vector128.Load(offset + 28);
            sbyte* q8 = Q8K(act, actRow, 0, i)->Qs;
            for (int c = 0; c < 2; c++)
            {
                byte* ql = x[i].Ql + 64 * c;
                byte* qh = x[i].Qh + 32 * c;
                sbyte* sc = scl + 8 * c;
                Vector128<byte> hb0 = Load(qh), hb1 = Load(qh + 16);
                for (int p = 0; p < 4; p++, q8 += 32)
                {
                    Q6KQuants(ql, hb0, hb1, p, out Vector128<sbyte> v0, out Vector128<sbyte> v1);
                    int s0 = sc[2 * p], s1 = sc[2 * p + 1];
                    Q6KLanes(v0, v1, s0, s1, q8, ref l0, ref h0);
                    Q6KLanes(v0, v1, s0, s1, q8 + actRow, ref l1, ref h1);
                    Q6KLanes(v0, v1, s0, s1, q8 + a2, ref l2, ref h2);
                    Q6KLanes(v0, v1, s0, s1, q8 + a3, ref l3, ref h3);
                }
            }
            FuseToken(ref lo0, ref hi0, l0, h0, Q8K(act, actRow, 0, i)->D * xd);
            FuseToken(ref lo1, ref hi1, l1, h1, Q8K(act, actRow, 1, i)->D * xd);
            FuseToken(ref lo2, ref hi2, l2, h2, Q8K(act, actRow, 2, i)->D * xd);
            FuseToken(ref lo3, ref hi3, l3, h3, Q8K(act, actRow, 3, i)->D * xd);
        }
        y[0] = Sum(lo0, hi0);
        y[yStride] = Sum(lo1, hi1);
        y[2 * yStride] = Sum(lo2, hi2);
        y[3 * yStride] = Sum(lo3, hi3);
    }

    /// <summary>One Q5_K row × four Q8_K activation rows, each token in <see cref="Q5K"/>'s order.</summary>
    public static void Q5KTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var x = (Q5KBlock*)w;
        const int T = KTileTokens;
        Vector128<float>* lo = stackalloc Vector128<float>[T], hi = stackalloc Vector128<float>[T];
        Vector128<int>* laneLo = stackalloc Vector128<int>[T], laneHi = stackalloc Vector128<int>[T];
        float* summs = stackalloc float[T];
        for (int t = 0; t < T; t++) { lo[t] = hi[t] = default; summs[t] = 0; }
        int* sm = stackalloc int[16];
        for (int i = 0; i < n / QK.K; i++)
        {
            VecDotScalar.ScalesAndMins(x[i].Scales, sm);
            float xd = Fp16.ToSingle(x[i].D), xmin = Fp16.ToSingle(x[i].DMin);
            for (int t = 0; t < T; t++)
            {
                var yt = Q8K(act, actRow, t, i);
                int mins = 0;
                for (int k = 0; k < 4; k++) mins += VecDotScalar.MinLane(sm, yt->BSums, k);
                summs[t] = MathF.FusedMultiplyAdd(-yt->D * xmin, mins, summs[t]);
                laneLo[t] = laneHi[t] = default;
            }
            Vector128<byte> h0 = Load(x[i].Qh), h1 = Load(x[i].Qh + 16);
            for (int j = 0; j < 4; j++)
            {
                Q5KQuants(x[i].Qs + 32 * j, h0, h1, j, out var l0, out var u0, out var l1, out var u1);
                int s0 = sm[2 * j], s1 = sm[2 * j + 1];
                for (int t = 0; t < T; t++)
                {
                    sbyte* q8 = Q8K(act, actRow, t, i)->Qs + 64 * j;
                    laneLo[t] += Dot4(l0, Load(q8)) * s0 + Dot4(u0, Load(q8 + 32)) * s1;
                    laneHi[t] += Dot4(l1, Load(q8 + 16)) * s0 + Dot4(u1, Load(q8 + 48)) * s1;
                }
            }
            FuseLanes(lo, hi, laneLo, laneHi, act, actRow, i, xd);
        }
        for (int t = 0; t < T; t++) y[t * yStride] = Sum(lo[t], hi[t]) + summs[t];
    }

    /// <summary>One Q3_K row × four Q8_K activation rows, each token in <see cref="Q3K"/>'s order.</summary>
    public static void Q3KTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var x = (Q3KBlock*)w;
        const int T = KTileTokens;
        Vector128<float>* lo = stackalloc Vector128<float>[T], hi = stackalloc Vector128<float>[T];
        Vector128<int>* laneLo = stackalloc Vector128<int>[T], laneHi = stackalloc Vector128<int>[T];
        for (int t = 0; t < T; t++) lo[t] = hi[t] = default;
        sbyte* scales = stackalloc sbyte[16];
        for (int i = 0; i < n / QK.K; i++)
        {
            Dequantize.UnpackQ3KScales(x[i].Scales, scales);
            for (int t = 0; t < T; t++) laneLo[t] = laneHi[t] = default;
            Vector128<byte> m0 = Load(x[i].HMask), m1 = Load(x[i].HMask + 16);
            for (int c = 0; c < 2; c++)
            {
                Vector128<byte> q0 = Load(x[i].Qs + 32 * c), q1 = Load(x[i].Qs + 32 * c + 16);
                for (int sh = 0; sh < 4; sh++)
                {
                    int bit = 4 * c + sh, s = 8 * c + 2 * sh;
                    Q3KQuants(q0, q1, m0, m1, sh, bit, out Vector128<sbyte> v0, out Vector128<sbyte> v1);
                    int s0 = scales[s], s1 = scales[s + 1];
                    for (int t = 0; t < T; t++)
                    {
                        sbyte* q8 = Q8K(act, actRow, t, i)->Qs + 128 * c + 32 * sh;
                        laneLo[t] += Dot4(v0, Load(q8)) * s0;
                        laneHi[t] += Dot4(v1, Load(q8 + 16)) * s1;
                    }
                }
            }
            FuseLanes(lo, hi, laneLo, laneHi, act, actRow, i, Fp16.ToSingle(x[i].D));
        }
        for (int t = 0; t < T; t++) y[t * yStride] = Sum(lo[t], hi[t]);
    }

    /// <summary>One Q2_K row × four Q8_K activation rows, each token in <see cref="Q2K"/>'s order (its minimum step first).</summary>
    public static void Q2KTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var x = (Q2KBlock*)w;
        const int T = KTileTokens;
        Vector128<float>* lo = stackalloc Vector128<float>[T], hi = stackalloc Vector128<float>[T];
        Vector128<int>* laneLo = stackalloc Vector128<int>[T], laneHi = stackalloc Vector128<int>[T];
        for (int t = 0; t < T; t++) lo[t] = hi[t] = default;
        int* prod = stackalloc int[8];
        for (int i = 0; i < n / QK.K; i++)
        {
            float xd = Fp16.ToSingle(x[i].D), xmin = Fp16.ToSingle(x[i].DMin);
            byte* sc = x[i].Scales;
            for (int t = 0; t < T; t++)
            {
                var yt = Q8K(act, actRow, t, i);
                short* bsums = yt->BSums;
                for (int k = 0; k < 8; k++) prod[k] = (sc[2 * k] >> 4) * bsums[2 * k] + (sc[2 * k + 1] >> 4) * bsums[2 * k + 1];
                float dmin = -yt->D * xmin;
                lo[t] = Fma(lo[t], Vector128.Load(prod), dmin);
                hi[t] = Fma(hi[t], Vector128.Load(prod + 4), dmin);
                laneLo[t] = laneHi[t] = default;
            }
            for (int c = 0; c < 2; c++)
            {
                Vector128<byte> q0 = Load(x[i].Qs + 32 * c), q1 = Load(x[i].Qs + 32 * c + 16);
                for (int sh = 0; sh < 4; sh++)
                {
                    int s = 8 * c + 2 * sh;
                    Q2KQuants(q0, q1, sh, out Vector128<sbyte> v0, out Vector128<sbyte> v1);
                    int s0 = sc[s] & 0xF, s1 = sc[s + 1] & 0xF;
                    for (int t = 0; t < T; t++)
                    {
                        sbyte* q8 = Q8K(act, actRow, t, i)->Qs + 128 * c + 32 * sh;
                        laneLo[t] += Dot4(v0, Load(q8)) * s0;
                        laneHi[t] += Dot4(v1, Load(q8 + 16)) * s1;
                    }
                }
            }
            FuseLanes(lo, hi, laneLo, laneHi, act, actRow, i, xd);
        }
        for (int t = 0; t < T; t++) y[t * yStride] = Sum(lo[t], hi[t]);
    }
}
