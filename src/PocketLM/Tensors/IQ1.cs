using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

// IQ1 family (IQ1_S, IQ1_M): grid table, dequantization, scalar references and AVX2 and NEON kernels side by side.
//
// Both types pick 8 values at a time from one 2048-entry grid of {−1, 0, +1} and add a shared offset of ±1/8 (the
// "delta") to every value of the group; llama.cpp's AVX2 kernels take the delta out of the grid product and add it to
// a separate float accumulator, which is why the float structure below has two accumulators.

public static unsafe partial class Dequantize
{
    /// <remarks>ggml: dl·(grid + delta), the grid value widened to float before the delta is added.</remarks>
    private static void IQ1S(IQ1SBlock* x, float* y, int n)
    {
        ReadOnlySpan<ulong> grid = IQ1Grid.Values;
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = Fp16.ToSingle(x[i].D);
            byte* qs = x[i].Qs;
            for (int ib = 0; ib < 8; ib++, qs += 4)
            {
                int qh = x[i].Qh[ib];
                float dl = d * (2 * ((qh >> 12) & 7) + 1);
                float delta = (qh & 0x8000) != 0 ? -IQ1Grid.Delta : IQ1Grid.Delta;
                for (int l = 0; l < 4; l++, y += 8)
                {
                    ulong g = grid[qs[l] | ((qh >> (3 * l)) & 7) << 8];
                    for (int j = 0; j < 8; j++) y[j] = dl * ((sbyte)(g >> (8 * j)) + delta);
                }
            }
        }
    }

    private static void IQ1M(IQ1MBlock* x, float* y, int n)
    {
        ReadOnlySpan<ulong> grid = IQ1Grid.Values;
        for (int i = 0; i < n / QK.K; i++)
        {
            ushort* sc = (ushort*)x[i].Scales;
            float d = Fp16.ToSingle(IQ1Grid.HalfScale(sc));
            byte* qs = x[i].Qs;
            byte* qh = x[i].Qh;
            for (int ib = 0; ib < 8; ib++, qs += 4, qh += 2)
            {
                int s = sc[ib / 2] >> (6 * (ib % 2));
                float dl1 = d * (2 * (s & 7) + 1);
                float dl2 = d * (2 * ((s >> 3) & 7) + 1);
                for (int l = 0; l < 4; l++, y += 8)
                {
                    int h = qh[l / 2] >> (4 * (l % 2)); // a nibble per group: 3 index bits, then the delta sign
                    ulong g = grid[qs[l] | (h & 7) << 8];
                    float delta = (h & 8) != 0 ? -IQ1Grid.Delta : IQ1Grid.Delta;
                    float dl = l < 2 ? dl1 : dl2;
                    for (int j = 0; j < 8; j++) y[j] = dl * ((sbyte)(g >> (8 * j)) + delta);
                }
            }
        }
    }
}

internal static unsafe partial class VecDotScalar
{
    /// <summary>
    /// IQ1_S in llama.cpp's AVX2 float order. Grid products go to eight int lanes (lane k: elements 4k..4k+3 of each
    /// 32-element sub-block, times its scale 2s+1), folded per super-block into eight float accumulators with one fused
    /// multiply-add each; the delta part, ±(2s+1)·(sum of the sub-block's activations, from the bsums), is one integer
    /// per super-block, fused into a single scalar accumulator. The result is hsum(lanes) + 1/8·(delta accumulator).
    /// </summary>
    public static float IQ1S(byte* vx, byte* vy, int n)
    {
        var x = (IQ1SBlock*)vx; var y = (Q8KBlock*)vy;
        ReadOnlySpan<ulong> grid = IQ1Grid.Values;
        float* acc = stackalloc float[8]; Clear(acc, 8);
        int* lane = stackalloc int[8];
        float accDelta = 0;
        for (int i = 0; i < n / QK.K; i++)
        {
            Clear(lane, 8);
            int sumDelta = 0;
            for (int ib = 0; ib < 8; ib++)
            {
                int qh = x[i].Qh[ib];
                int ls = 2 * ((qh >> 12) & 7) + 1;
                sbyte* q8 = y[i].Qs + 32 * ib;
                for (int l = 0; l < 4; l++)
                {
                    ulong g = grid[x[i].Qs[4 * ib + l] | ((qh >> (3 * l)) & 7) << 8];
                    lane[2 * l] += ls * GridDot4(g, q8 + 8 * l);
                    lane[2 * l + 1] += ls * GridDot4(g >> 32, q8 + 8 * l + 4);
                }
                int bsum = y[i].BSums[2 * ib] + y[i].BSums[2 * ib + 1];
                sumDelta += ((qh & 0x8000) != 0 ? -bsum : bsum) * ls;
            }
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lane[k], acc[k]);
            accDelta = MathF.FusedMultiplyAdd(d, sumDelta, accDelta);
        }
        return Hsum8(acc) + IQ1Grid.Delta * accDelta;
    }

    /// <summary>
    /// IQ1_M in llama.cpp's AVX2 float order: two sets of eight float lanes, both with lane k holding elements 4k..4k+3
    /// of every 32-element sub-block times the scale of its half (2s+1) — one set for the grid products, one for the
    /// delta signs times the activations — each folded per super-block with a fused multiply-add and reduced with
    /// ggml's hsum; the result is hsum(grid lanes) + 1/8·hsum(delta lanes).
    /// </summary>
    public static float IQ1M(byte* vx, byte* vy, int n)
    {
        var x = (IQ1MBlock*)vx; var y = (Q8KBlock*)vy;
        ReadOnlySpan<ulong> grid = IQ1Grid.Values;
        float* acc1 = stackalloc float[8]; Clear(acc1, 8);
        float* acc2 = stackalloc float[8]; Clear(acc2, 8);
        int* lane1 = stackalloc int[8];
        int* lane2 = stackalloc int[8];
        for (int i = 0; i < n / QK.K; i++)
        {
            Clear(lane1, 8); Clear(lane2, 8);
            ushort* sc = (ushort*)x[i].Scales;
            for (int ib = 0; ib < 8; ib++)
            {
                sbyte* q8 = y[i].Qs + 32 * ib;
                for (int l = 0; l < 4; l++)
                {
                    int h = x[i].Qh[2 * ib + l / 2] >> (4 * (l % 2));
                    ulong g = grid[x[i].Qs[4 * ib + l] | (h & 7) << 8];
                    int ls = 2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3 * (l / 2))) & 7) + 1;
                    int sign = (h & 8) != 0 ? -1 : 1;
                    for (int half = 0; half < 2; half++)
                    {
                        sbyte* q = q8 + 8 * l + 4 * half;
                        lane1[2 * l + half] += ls * GridDot4(g >> (32 * half), q);
                        lane2[2 * l + half] += ls * sign * (q[0] + q[1] + q[2] + q[3]);
                    }
                }
            }
            float d = y[i].D * Fp16.ToSingle(IQ1Grid.HalfScale(sc));
            for (int k = 0; k < 8; k++)
            {
                acc1[k] = MathF.FusedMultiplyAdd(d, lane1[k], acc1[k]);
                acc2[k] = MathF.FusedMultiplyAdd(d, lane2[k], acc2[k]);
            }
        }
        return Hsum8(acc1) + IQ1Grid.Delta * Hsum8(acc2);
    }

    /// <summary>Σ of the low four grid bytes of <paramref name="g"/> (signed) times four activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GridDot4(ulong g, sbyte* q) =>
        (sbyte)g * q[0] + (sbyte)(g >> 8) * q[1] + (sbyte)(g >> 16) * q[2] + (sbyte)(g >> 24) * q[3];
}

internal static unsafe partial class VecDotAvx2
{
    /// <summary>
    /// IQ1_S: the lanes of <see cref="VecDotScalar.IQ1S"/>. The grid values are −1, 0 or +1, so vpsignb of the
    /// activations by the grid is the exact product, and vpmaddubsw with the sub-block scale (≤ 15) as the unsigned
    /// operand gives scale·(pair sum); those stay within int16 over a whole super-block (8·15·254 &lt; 32768), so one
    /// vpmaddwd per super-block finishes the lanes. The delta integer comes from the bsums in one vpmaddwd.
    /// </summary>
    public static float IQ1S(byte* vx, byte* vy, int n)
    {
        int* idx = stackalloc int[32];
        fixed (ulong* grid = IQ1Grid.Values) return IQ1S((IQ1SBlock*)vx, (Q8KBlock*)vy, n / QK.K, grid, idx, Fp16.Table);
    }

    // The tables as arguments stay in registers (as constants the JIT rematerialises the grid address at every load, and
    // a static table read in the loop makes it spill the accumulators).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float IQ1S(IQ1SBlock* x, Q8KBlock* y, int nb, ulong* grid, int* idx, float* half)
    {
        Vector256<float> acc = Vector256<float>.Zero;
        float accDelta = 0;
        var ones = Vector256.Create((short)1);
        var shifts = Vector256.Create(0u, 3, 6, 9, 0, 3, 6, 9); // the 3 high index bits of group l: qh bits 3l..3l+2
        var one = Vector256.Create((byte)1);
        var two = Vector256.Create((byte)2);
        for (IQ1SBlock* end = x + nb; x < end; x++, y++)
        {
            IQ1Indices(x->Qs, x->Qh, shifts, idx);
            Vector128<short> h = Sse2.LoadVector128((short*)x->Qh);
            Vector128<short> ls = Sse2.ShiftLeftLogical(Sse2.ShiftRightLogical(h, 12) & Vector128.Create((short)7), 1) + Vector128.Create((short)1);
            Vector128<byte> lsb = Sse2.PackUnsignedSaturate(ls, ls);
            Vector256<byte> scales = Vector256.Create(lsb, lsb);
            sbyte* q8 = y->Qs;
            int* j = idx;
            Vector256<short> sum1 = Vector256<short>.Zero, sum2 = Vector256<short>.Zero;
            Vector256<byte> pick = Vector256<byte>.Zero;
            for (int ib = 0; ib < 8; ib += 2, q8 += 64, j += 8, pick += two)
            {
                Vector256<sbyte> g1 = Vector256.Create(grid[j[0]], grid[j[1]], grid[j[2]], grid[j[3]]).AsSByte();
                Vector256<sbyte> g2 = Vector256.Create(grid[j[4]], grid[j[5]], grid[j[6]], grid[j[7]]).AsSByte();
                sum1 += Avx2.MultiplyAddAdjacent(Avx2.Shuffle(scales, pick), Avx2.Sign(Load32(q8), g1));
                sum2 += Avx2.MultiplyAddAdjacent(Avx2.Shuffle(scales, pick + one), Avx2.Sign(Load32(q8 + 32), g2));
            }
            Vector256<short> sum = sum1 + sum2;
            float d = y->D * half[x->D];
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(sum, ones)), acc);
            // delta: Σ ±(2s+1)·(bsum pair), the signed scales doubled to cover their two bsums
            Vector128<short> sls = Ssse3.Sign(ls, h | Vector128.Create((short)1)); // negative where the top bit (the delta sign) is set
            Vector256<short> both = Vector256.Create(Sse2.UnpackLow(sls, sls), Sse2.UnpackHigh(sls, sls));
            int sumDelta = Vector256.Sum(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(y->BSums), both));
            accDelta = MathF.FusedMultiplyAdd(d, sumDelta, accDelta);
        }
        return Hsum(acc) + IQ1Grid.Delta * accDelta;
    }

    /// <summary>The 32 grid indices of an IQ1 super-block: the low 8 bits from <paramref name="qs"/>, the high 3 bits from
    /// the sub-block's 16-bit <paramref name="qh"/> word, group l's at bit <paramref name="shifts"/>[l].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void IQ1Indices(byte* qs, ushort* qh, Vector256<uint> shifts, int* idx)
    {
        Vector256<int> h = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(qh), 8);
        var mask = Vector256.Create(0x700);
        for (int p = 0; p < 4; p++) // two sub-blocks at a time
        {
            Vector256<int> hp = Avx2.PermuteVar8x32(h, Vector256.Create(2 * p, 2 * p, 2 * p, 2 * p, 2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1));
            Vector256<int> hi = Avx2.ShiftRightLogicalVariable(hp, shifts) & mask;
            Avx.Store(idx + 8 * p, Avx2.ConvertToVector256Int32(qs + 8 * p) | hi);
        }
    }

    /// <summary>
    /// IQ1_M: the lanes of <see cref="VecDotScalar.IQ1M"/>, with the same int16 accumulation as <see cref="IQ1S"/> for both
    /// the grid products and the delta-signed activations. The 16 scales are spread over int16 lanes by 64-bit shifts
    /// (0, 6, 3, 9): the low 128 bits then hold the scales of the first halves of the sub-blocks, the high 128 bits
    /// those of the second halves, so one in-lane byte shuffle gives a sub-block its two scales.
    /// </summary>
    public static float IQ1M(byte* vx, byte* vy, int n)
    {
        int* idx = stackalloc int[32];
        fixed (ulong* grid = IQ1Grid.Values) return IQ1M((IQ1MBlock*)vx, (Q8KBlock*)vy, n / QK.K, grid, idx, Fp16.Table);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float IQ1M(IQ1MBlock* x, Q8KBlock* y, int nb, ulong* grid, int* idx, float* half)
    {
        Vector256<float> acc1 = Vector256<float>.Zero, acc2 = Vector256<float>.Zero;
        var ones = Vector256.Create((short)1);
        var two = Vector256.Create((byte)2);
        var scaleShifts = Vector256.Create(0UL, 6, 3, 9);
        var shifts = Vector256.Create(0u, 4, 8, 12, 0, 4, 8, 12); // a nibble per group: 3 index bits, then the delta sign
        // the delta sign bit of each 8-element group within the sub-block's 16 qh bits
        var signBit = Vector256.Create(0x0008_0008_0008_0008UL, 0x0080_0080_0080_0080UL, 0x0800_0800_0800_0800UL, 0x8000_8000_8000_8000UL).AsInt16();
        for (IQ1MBlock* end = x + nb; x < end; x++, y++)
        {
            ushort* sc = (ushort*)x->Scales;
            Vector256<byte> scales = IQ1MScales(sc, scaleShifts, ones);
            ushort* qh = (ushort*)x->Qh;
            IQ1Indices(x->Qs, qh, shifts, idx);
            sbyte* q8 = y->Qs;
            int* j = idx;
            Vector256<short> sum1 = Vector256<short>.Zero, sum2 = Vector256<short>.Zero;
            Vector256<byte> pick = Vector256<byte>.Zero;
            for (int ib = 0; ib < 8; ib += 2, q8 += 64, j += 8, pick += two)
            {
                IQ1MPairQuants(grid, j, scales, pick, qh, ib, signBit, out var g1, out var g2, out var ls1, out var ls2, out var sign1, out var sign2);
                IQ1MPair((byte*)q8, ls1, ls2, g1, g2, sign1, sign2, ref sum1, ref sum2);
            }
            IQ1MStep(half[IQ1Grid.HalfScale(sc)], (byte*)y, sum1, sum2, ones, ref acc1, ref acc2);
        }
        return Hsum(acc1) + IQ1Grid.Delta * Hsum(acc2);
    }

    /// <summary>IQ1_M's 16 scales as 2s + 1 bytes in int16 lanes (see <see cref="IQ1M(byte*, byte*, int)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> IQ1MScales(ushort* sc, Vector256<ulong> scaleShifts, Vector256<short> ones)
    {
        Vector256<short> s16 = Avx2.ShiftRightLogicalVariable(Vector256.Create(*(ulong*)sc), scaleShifts).AsInt16();
        return (Avx2.ShiftLeftLogical(s16 & Vector256.Create((short)7), 1) + ones).AsByte();
    }

    /// <summary>IQ1_M sub-blocks ib and ib + 1: their grid bytes, their scales under each product pair (even sub-blocks'
    /// scales are int16 lane ib/2 of each half, odd ones lane 4 + ib/2) and the ±1 delta sign of every byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void IQ1MPairQuants(ulong* grid, int* j, Vector256<byte> scales, Vector256<byte> pick, ushort* qh, int ib, Vector256<short> signBit,
        out Vector256<sbyte> g1, out Vector256<sbyte> g2, out Vector256<byte> ls1, out Vector256<byte> ls2, out Vector256<sbyte> sign1, out Vector256<sbyte> sign2)
    {
        var ones8 = Vector256.Create((sbyte)1);
        g1 = Vector256.Create(grid[j[0]], grid[j[1]], grid[j[2]], grid[j[3]]).AsSByte();
        g2 = Vector256.Create(grid[j[4]], grid[j[5]], grid[j[6]], grid[j[7]]).AsSByte();
        ls1 = Avx2.Shuffle(scales, pick);
        ls2 = Avx2.Shuffle(scales, pick + Vector256.Create((byte)8));
        sign1 = Avx2.CompareEqual(Vector256.Create((short)qh[ib]) & signBit, signBit).AsSByte() | ones8;
        sign2 = Avx2.CompareEqual(Vector256.Create((short)qh[ib + 1]) & signBit, signBit).AsSByte() | ones8;
    }

    /// <summary>One token's products with IQ1_M sub-blocks ib, ib + 1: scale × grid·y into the first int16 sums, scale ×
    /// delta-signed y into the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void IQ1MPair(byte* q8, Vector256<byte> ls1, Vector256<byte> ls2, Vector256<sbyte> g1, Vector256<sbyte> g2,
        Vector256<sbyte> sign1, Vector256<sbyte> sign2, ref Vector256<short> sum1, ref Vector256<short> sum2)
    {
        Vector256<sbyte> q1 = Avx.LoadVector256((sbyte*)q8), q2 = Avx.LoadVector256((sbyte*)(q8 + 32));
        sum1 += Avx2.MultiplyAddAdjacent(ls1, Avx2.Sign(q1, g1)) + Avx2.MultiplyAddAdjacent(ls2, Avx2.Sign(q2, g2));
        sum2 += Avx2.MultiplyAddAdjacent(ls1, Avx2.Sign(q1, sign1)) + Avx2.MultiplyAddAdjacent(ls2, Avx2.Sign(q2, sign2));
    }

    /// <summary>A super-block's fused steps with d·d′ (y's d first, as ggml) for the grid and delta sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void IQ1MStep(float dx, byte* yBlock, Vector256<short> sum1, Vector256<short> sum2, Vector256<short> ones,
        ref Vector256<float> acc1, ref Vector256<float> acc2)
    {
        var d = Vector256.Create(((Q8KBlock*)yBlock)->D * dx);
        acc1 = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(sum1, ones)), acc1);
        acc2 = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(sum2, ones)), acc2);
    }
}

internal static unsafe partial class VecDotNeon
{
    /// <summary>
    /// IQ1_S: the lanes of <see cref="VecDotScalar.IQ1S"/> — groups 0–1 of a sub-block (elements 0–15) in lanes 0–3,
    /// groups 2–3 in lanes 4–7. The grid bytes are −1, 0 or +1, so grid × scale (≤ 15) is still a byte and one
    /// accumulating SDOT per half adds scale·(grid·activations). The delta integer comes from the bsum pairs.
    /// </summary>
    public static float IQ1S(byte* vx, byte* vy, int n)
    {
        ushort* idx = stackalloc ushort[32];
        fixed (ulong* grid = IQ1Grid.Values) return IQ1S((IQ1SBlock*)vx, (Q8KBlock*)vy, n / QK.K, grid, idx);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float IQ1S(IQ1SBlock* x, Q8KBlock* y, int nb, ulong* grid, ushort* idx)
    {
        Vector128<float> lo = default, hi = default;
        float accDelta = 0;
        var one = Vector128.Create((byte)1);
        for (IQ1SBlock* end = x + nb; x < end; x++, y++)
        {
            IQ1SSuperBlock(x, idx, out Vector128<byte> scales, out Vector128<short> deltaScales);
            sbyte* q8 = y->Qs;
            ushort* j = idx;
            Vector128<int> laneLo = default, laneHi = default;
            Vector128<byte> pick = default;
            for (int ib = 0; ib < 8; ib++, q8 += 32, j += 4, pick += one)
            {
                IQ1SQuants(grid, j, scales, pick, out Vector128<sbyte> g0, out Vector128<sbyte> g1);
                laneLo = Dot4(laneLo, g0, Load(q8));
                laneHi = Dot4(laneHi, g1, Load(q8 + 16));
            }
            float d = y->D * Fp16.ToSingle(x->D);
            lo = Fma(lo, laneLo, d);
            hi = Fma(hi, laneHi, d);
            accDelta = MathF.FusedMultiplyAdd(d, IQ1SDelta(deltaScales, y->BSums), accDelta);
        }
        return VecDotScalar.Hsum8(lo, hi) + IQ1Grid.Delta * accDelta;
    }

    /// <summary>One IQ1_S row × four Q8_K activation rows, each token in <see cref="IQ1S(byte*, byte*, int)"/>'s order; a
    /// super-block's grid indices and scales, and each sub-block's scaled grid bytes, serve the four tokens.</summary>
    public static void IQ1STile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        ushort* idx = stackalloc ushort[32];
        fixed (ulong* grid = IQ1Grid.Values) IQ1STile14((IQ1SBlock*)w, act, actRow, n / QK.K, y, yStride, grid, idx);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void IQ1STile14(IQ1SBlock* x, byte* act, long actRow, int nb, float* y, long yStride, ulong* grid, ushort* idx)
    {
        const int T = KTileTokens;
        Vector128<float>* lo = stackalloc Vector128<float>[T], hi = stackalloc Vector128<float>[T];
        Vector128<int>* laneLo = stackalloc Vector128<int>[T], laneHi = stackalloc Vector128<int>[T];
        float* accDelta = stackalloc float[T];
        for (int t = 0; t < T; t++) { lo[t] = hi[t] = default; accDelta[t] = 0; }
        var one = Vector128.Create((byte)1);
        for (int i = 0; i < nb; i++)
        {
            IQ1SSuperBlock(x + i, idx, out Vector128<byte> scales, out Vector128<short> deltaScales);
            for (int t = 0; t < T; t++) laneLo[t] = laneHi[t] = default;
            ushort* j = idx;
            Vector128<byte> pick = default;
            for (int ib = 0; ib < 8; ib++, j += 4, pick += one)
            {
                IQ1SQuants(grid, j, scales, pick, out Vector128<sbyte> g0, out Vector128<sbyte> g1);
                for (int t = 0; t < T; t++)
                {
                    sbyte* q8 = Q8K(act, actRow, t, i)->Qs + 32 * ib;
                    laneLo[t] = Dot4(laneLo[t], g0, Load(q8));
                    laneHi[t] = Dot4(laneHi[t], g1, Load(q8 + 16));
                }
            }
            float xd = Fp16.ToSingle(x[i].D);
            FuseLanes(lo, hi, laneLo, laneHi, act, actRow, i, xd);
            for (int t = 0; t < T; t++)
            {
                var yt = Q8K(act, actRow, t, i);
                accDelta[t] = MathF.FusedMultiplyAdd(yt->D * xd, IQ1SDelta(deltaScales, yt->BSums), accDelta[t]);
            }
        }
        for (int t = 0; t < T; t++) y[t * yStride] = VecDotScalar.Hsum8(lo[t], hi[t]) + IQ1Grid.Delta * accDelta[t];
    }

    /// <summary>An IQ1_S super-block's grid indices (into <paramref name="idx"/>), its sub-blocks' scales 2s+1 as bytes
    /// (for the grid bytes) and the same scales negated where the delta sign (the qh word's top bit) is set (for the
    /// bsums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ1SSuperBlock(IQ1SBlock* x, ushort* idx, out Vector128<byte> scales, out Vector128<short> deltaScales)
    {
        IQ1Indices(x->Qs, x->Qh, Vector128.Create((short)8, 5, 2, -1, 8, 5, 2, -1), idx); // group l's 3 index bits sit at qh bits 3l..3l+2
        Vector128<short> h = Vector128.Load((short*)x->Qh);
        Vector128<short> ls = (Vector128.ShiftRightLogical(h, 11) & Vector128.Create((short)0xE)) | Vector128.Create((short)1);
        scales = AdvSimd.ExtractNarrowingLower(ls.AsUInt16()).ToVector128Unsafe();
        Vector128<short> sign = Vector128.ShiftRightArithmetic(h, 15);
        deltaScales = (ls ^ sign) - sign;
    }

    /// <summary>IQ1_S sub-block (the byte <paramref name="pick"/> selects its scale): its grid bytes times the scale, groups
    /// 0–1 and 2–3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ1SQuants(ulong* grid, ushort* j, Vector128<byte> scales, Vector128<byte> pick, out Vector128<sbyte> g0, out Vector128<sbyte> g1)
    {
        Vector128<sbyte> s = AdvSimd.Arm64.VectorTableLookup(scales, pick).AsSByte();
        g0 = Vector128.Create(grid[j[0]], grid[j[1]]).AsSByte() * s;
        g1 = Vector128.Create(grid[j[2]], grid[j[3]]).AsSByte() * s;
    }

    /// <summary>IQ1_S's delta integer: Σ ±(2s+1)·(bsum pair) over the super-block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IQ1SDelta(Vector128<short> deltaScales, short* bsums)
    {
        Vector128<short> pairs = AdvSimd.Arm64.AddPairwise(Vector128.Load(bsums), Vector128.Load(bsums + 8));
        return Vector128.Sum(AdvSimd.MultiplyWideningLower(pairs.GetLower(), deltaScales.GetLower()) + AdvSimd.MultiplyWideningUpper(pairs, deltaScales));
    }

    /// <summary>The 32 grid indices of an IQ1 super-block (as <see cref="VecDotAvx2.IQ1Indices"/>): the low 8 bits from
    /// <paramref name="qs"/>, the high 3 bits from the sub-block's 16-bit <paramref name="qh"/> word, group l's moved
    /// to bits 8–10 by <paramref name="shifts"/>[l] (left, or right where negative).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ1Indices(byte* qs, ushort* qh, Vector128<short> shifts, ushort* idx)
    {
        Vector128<ushort> h = Vector128.Load(qh);
        var mask = Vector128.Create((ushort)0x700);
        Vector128<byte> q0 = Load(qs), q1 = Load(qs + 16);
        // each sub-block's word four times, two sub-blocks at a time
        Vector128<ushort> h01 = Vector128.Shuffle(h, Vector128.Create((ushort)0, 0, 0, 0, 1, 1, 1, 1));
        Vector128<ushort> h23 = Vector128.Shuffle(h, Vector128.Create((ushort)2, 2, 2, 2, 3, 3, 3, 3));
        Vector128<ushort> h45 = Vector128.Shuffle(h, Vector128.Create((ushort)4, 4, 4, 4, 5, 5, 5, 5));
        Vector128<ushort> h67 = Vector128.Shuffle(h, Vector128.Create((ushort)6, 6, 6, 6, 7, 7, 7, 7));
        Vector128.Store(AdvSimd.ZeroExtendWideningLower(q0.GetLower()) | (AdvSimd.ShiftLogical(h01, shifts) & mask), idx);
        Vector128.Store(AdvSimd.ZeroExtendWideningUpper(q0) | (AdvSimd.ShiftLogical(h23, shifts) & mask), idx + 8);
        Vector128.Store(AdvSimd.ZeroExtendWideningLower(q1.GetLower()) | (AdvSimd.ShiftLogical(h45, shifts) & mask), idx + 16);
        Vector128.Store(AdvSimd.ZeroExtendWideningUpper(q1) | (AdvSimd.ShiftLogical(h67, shifts) & mask), idx + 24);
    }

    /// <summary>
    /// IQ1_M: the lanes of <see cref="VecDotScalar.IQ1M"/>, lanes 0–3 from groups 0–1 (the sub-block's first scale),
    /// 4–7 from groups 2–3 (its second), for both the grid products and the delta-signed activations; like
    /// <see cref="IQ1S"/>, the scale is multiplied into the ±1 bytes before the accumulating SDOT. The 16 three-bit scales
    /// become one byte vector (byte 2·ib + half), from which a table lookup broadcasts a sub-block's two.
    /// </summary>
    public static float IQ1M(byte* vx, byte* vy, int n)
    {
        ushort* idx = stackalloc ushort[32];
        fixed (ulong* grid = IQ1Grid.Values) return IQ1M((IQ1MBlock*)vx, (Q8KBlock*)vy, n / QK.K, grid, idx);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float IQ1M(IQ1MBlock* x, Q8KBlock* y, int nb, ulong* grid, ushort* idx)
    {
        Vector128<float> lo1 = default, hi1 = default, lo2 = default, hi2 = default;
        var two = Vector128.Create((byte)2);
        for (IQ1MBlock* end = x + nb; x < end; x++, y++)
        {
            Vector128<byte> scales = IQ1MSuperBlock(x, idx);
            ushort* qh = (ushort*)x->Qh;
            sbyte* q8 = y->Qs;
            ushort* j = idx;
            Vector128<int> l1 = default, h1 = default, l2 = default, h2 = default;
            Vector128<byte> pick = default;
            for (int ib = 0; ib < 8; ib++, q8 += 32, j += 4, pick += two)
            {
                IQ1MQuants(grid, j, qh[ib], scales, pick, out var g1, out var g2, out var e1, out var e2);
                Vector128<sbyte> qa = Load(q8), qb = Load(q8 + 16);
                l1 = Dot4(l1, g1, qa);
                h1 = Dot4(h1, g2, qb);
                l2 = Dot4(l2, e1, qa);
                h2 = Dot4(h2, e2, qb);
            }
            float d = y->D * Fp16.ToSingle(IQ1Grid.HalfScale((ushort*)x->Scales));
            lo1 = Fma(lo1, l1, d); hi1 = Fma(hi1, h1, d);
            lo2 = Fma(lo2, l2, d); hi2 = Fma(hi2, h2, d);
        }
        return VecDotScalar.Hsum8(lo1, hi1) + IQ1Grid.Delta * VecDotScalar.Hsum8(lo2, hi2);
    }

    /// <summary>One IQ1_M row × four Q8_K activation rows, each token in <see cref="IQ1M(byte*, byte*, int)"/>'s order; a
    /// super-block's grid indices and scales, and each sub-block's scaled grid bytes and delta signs, serve the four
    /// tokens.</summary>
    public static void IQ1MTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        ushort* idx = stackalloc ushort[32];
        fixed (ulong* grid = IQ1Grid.Values) IQ1MTile14((IQ1MBlock*)w, act, actRow, n / QK.K, y, yStride, grid, idx);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void IQ1MTile14(IQ1MBlock* x, byte* act, long actRow, int nb, float* y, long yStride, ulong* grid, ushort* idx)
    {
        const int T = KTileTokens;
        Vector128<float>* lo1 = stackalloc Vector128<float>[T], hi1 = stackalloc Vector128<float>[T];
        Vector128<float>* lo2 = stackalloc Vector128<float>[T], hi2 = stackalloc Vector128<float>[T];
        Vector128<int>* l1 = stackalloc Vector128<int>[T], h1 = stackalloc Vector128<int>[T];
        Vector128<int>* l2 = stackalloc Vector128<int>[T], h2 = stackalloc Vector128<int>[T];
        for (int t = 0; t < T; t++) lo1[t] = hi1[t] = lo2[t] = hi2[t] = default;
        var two = Vector128.Create((byte)2);
        for (int i = 0; i < nb; i++)
        {
            Vector128<byte> scales = IQ1MSuperBlock(x + i, idx);
            ushort* qh = (ushort*)x[i].Qh;
            for (int t = 0; t < T; t++) l1[t] = h1[t] = l2[t] = h2[t] = default;
            ushort* j = idx;
            Vector128<byte> pick = default;
            for (int ib = 0; ib < 8; ib++, j += 4, pick += two)
            {
                IQ1MQuants(grid, j, qh[ib], scales, pick, out var g1, out var g2, out var e1, out var e2);
                for (int t = 0; t < T; t++)
                {
                    sbyte* q8 = Q8K(act, actRow, t, i)->Qs + 32 * ib;
                    Vector128<sbyte> qa = Load(q8), qb = Load(q8 + 16);
                    l1[t] = Dot4(l1[t], g1, qa);
                    h1[t] = Dot4(h1[t], g2, qb);
                    l2[t] = Dot4(l2[t], e1, qa);
                    h2[t] = Dot4(h2[t], e2, qb);
                }
            }
            float xd = Fp16.ToSingle(IQ1Grid.HalfScale((ushort*)x[i].Scales));
            FuseLanes(lo1, hi1, l1, h1, act, actRow, i, xd);
            FuseLanes(lo2, hi2, l2, h2, act, actRow, i, xd);
        }
        for (int t = 0; t < T; t++) y[t * yStride] = VecDotScalar.Hsum8(lo1[t], hi1[t]) + IQ1Grid.Delta * VecDotScalar.Hsum8(lo2[t], hi2[t]);
    }

    /// <summary>An IQ1_M super-block's grid indices (into <paramref name="idx"/>) and its 16 scales 2s+1 as bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> IQ1MSuperBlock(IQ1MBlock* x, ushort* idx)
    {
        IQ1Indices(x->Qs, (ushort*)x->Qh, Vector128.Create((short)8, 4, 0, -4, 8, 4, 0, -4), idx); // a nibble per group: 3 index bits, then the delta sign
        var scaleShifts = Vector128.Create((short)0, -3, -6, -9, 0, -3, -6, -9);
        Vector128<ushort> words = Vector128.CreateScalar(*(ulong*)x->Scales).AsUInt16();
        Vector128<ushort> s01 = AdvSimd.ShiftLogical(Vector128.Shuffle(words, Vector128.Create((ushort)0, 0, 0, 0, 1, 1, 1, 1)), scaleShifts);
        Vector128<ushort> s23 = AdvSimd.ShiftLogical(Vector128.Shuffle(words, Vector128.Create((ushort)2, 2, 2, 2, 3, 3, 3, 3)), scaleShifts);
        Vector128<byte> scales = AdvSimd.ExtractNarrowingUpper(AdvSimd.ExtractNarrowingLower(s01), s23);
        return Vector128.ShiftLeft(scales & Vector128.Create((byte)7), 1) | Vector128.Create((byte)1);
    }

    /// <summary>IQ1_M sub-block (bytes <paramref name="pick"/> and pick + 1 select its two scales; <paramref name="qh"/> is
    /// its 16 qh bits): the grid bytes of groups 0–1 and 2–3 times the first and second scale, and the delta signs (−1 or
    /// +1 in every byte of a group) times the same.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ1MQuants(ulong* grid, ushort* j, ushort qh, Vector128<byte> scales, Vector128<byte> pick,
                                   out Vector128<sbyte> g1, out Vector128<sbyte> g2, out Vector128<sbyte> e1, out Vector128<sbyte> e2)
    {
        // the delta sign bit of each 8-element group within the sub-block's 16 qh bits: groups 0–1, then 2–3
        var signLo = Vector128.Create(0x0008_0008_0008_0008UL, 0x0080_0080_0080_0080UL).AsUInt16();
        var signHi = Vector128.Create(0x0800_0800_0800_0800UL, 0x8000_8000_8000_8000UL).AsUInt16();
        var ones = Vector128.Create((sbyte)1);
        Vector128<sbyte> s1 = AdvSimd.Arm64.VectorTableLookup(scales, pick).AsSByte();
        Vector128<sbyte> s2 = AdvSimd.Arm64.VectorTableLookup(scales, pick + Vector128.Create((byte)1)).AsSByte();
        var bits = Vector128.Create(qh);
        g1 = Vector128.Create(grid[j[0]], grid[j[1]]).AsSByte() * s1;
        g2 = Vector128.Create(grid[j[2]], grid[j[3]]).AsSByte() * s2;
        e1 = (Vector128.Equals(bits & signLo, signLo).AsSByte() | ones) * s1;
        e2 = (Vector128.Equals(bits & signHi, signHi).AsSByte() | ones) * s2;
    }
}

/// <summary>ggml's iq1s_grid (shared by IQ1_S and IQ1_M): 2048 groups of eight int8 values in {−1, 0, +1}.</summary>
internal static unsafe class IQ1Grid
{
    /// <summary>ggml's IQ1S_DELTA and IQ1M_DELTA (the same value).</summary>
    public const float Delta = 0.125f;

    /// <summary>IQ1_M's fp16 super-block scale: the top nibbles of its four uint16 scale words, first word lowest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort HalfScale(ushort* sc) =>
        (ushort)((sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) | ((sc[2] >> 4) & 0x0F00) | (sc[3] & 0xF000));

    public static ReadOnlySpan<ulong> Values =>
    [
        0xffffffffffffffff, 0xffffffffffffff01, 0xffffffffffff0000, 0xffffffffffff01ff,
        0xffffffffffff0101, 0xffffffffff00ff00, 0xffffffffff000000, 0xffffffffff01ffff,
        0xffffffffff01ff01, 0xffffffffff0101ff, 0xffffffffff010101, 0xffffffff00ff0000,
        0xffffffff0000ff00, 0xffffffff000000ff, 0xffffffff00000001, 0xffffffff00010000,
        0xffffffff01ffffff, 0xffffffff01ffff01, 0xffffffff01ff01ff, 0xffffffff01ff0101,
        0xffffffff01000000, 0xffffffff0101ffff, 0xffffffff0101ff01, 0xffffffff010101ff,
        0xffffffff01010101, 0xffffff00ffff00ff, 0xffffff00ffff0000, 0xffffff00ff00ff00,
        0xffffff00ff0000ff, 0xffffff00ff000001, 0xffffff00ff000100, 0xffffff00ff000101,
        0xffffff00ff010000, 0xffffff0000ffff00, 0xffffff0000ff0001, 0xffffff0000ff0100,
        0xffffff000000ff01, 0xffffff0000000000, 0xffffff0000000101, 0xffffff000001ff00,
        0xffffff00000100ff, 0xffffff0000010001, 0xffffff00000101ff, 0xffffff0001ff0000,
        0xffffff000100ff00, 0xffffff00010000ff, 0xffffff0001000001, 0xffffff0001010000,
        0xffffff01ffffffff, 0xffffff01ffffff01, 0xffffff01ffff01ff, 0xffffff01ffff0101,
        0xffffff01ff000000, 0xffffff01ff01ffff, 0xffffff01ff01ff01, 0xffffff01ff0101ff,
        0xffffff01ff010101, 0xffffff0100ff0000, 0xffffff010000ff00, 0xffffff0100000100,
        0xffffff01000100ff, 0xffffff0100010100, 0xffffff0101ffffff, 0xffffff0101ffff01,
        0xffffff0101ff01ff, 0xffffff0101ff0101, 0xffffff010100ff00, 0xffffff0101000000,
        0xffffff0101000100, 0xffffff010101ffff, 0xffffff010101ff01, 0xffffff01010101ff,
        0xffffff0101010101, 0xffff00ffff00ff00, 0xffff00ffff0000ff, 0xffff00ffff000001,
        0xffff00ffff010000, 0xffff00ff00ffff00, 0xffff00ff00ff0100, 0xffff00ff00000000,
        0xffff00ff00000101, 0xffff00ff000100ff, 0xffff00ff00010000, 0xffff00ff0100ff00,
        0xffff00ff01000100, 0xffff00ff01010000, 0xffff0000ffffff00, 0xffff0000ffff00ff,
        0xffff0000ffff0000, 0xffff0000ffff0001, 0xffff0000ff000000, 0xffff0000ff0001ff,
        0xffff0000ff000101, 0xffff0000ff010100, 0xffff000000ffffff, 0xffff000000ff0000,
        0xffff000000ff0101, 0xffff00000000ffff, 0xffff00000000ff00, 0xffff0000000000ff,
        0xffff000000000000, 0xffff000000000001, 0xffff000000000100, 0xffff00000001ffff,
        0xffff00000001ff01, 0xffff000000010000, 0xffff0000000101ff, 0xffff000000010101,
        0xffff000001ffff00, 0xffff00000100ff00, 0xffff000001000000, 0xffff0000010001ff,
        0xffff000001000101, 0xffff00000101ff00, 0xffff0000010100ff, 0xffff000001010000,
        0xffff000001010001, 0xffff000001010100, 0xffff0001ff0000ff, 0xffff0001ff000100,
        0xffff000100ffff00, 0xffff000100ff00ff, 0xffff00010000ffff, 0xffff00010000ff01,
        0xffff000100000000, 0xffff0001000001ff, 0xffff00010001ffff, 0xffff00010001ff00,
        0xffff000100010001, 0xffff000100010100, 0xffff000101ff0000, 0xffff00010100ff00,
        0xffff0001010000ff, 0xffff000101000100, 0xffff01ffffffffff, 0xffff01ffffffff01,
        0xffff01ffffff01ff, 0xffff01ffffff0101, 0xffff01ffff000000, 0xffff01ffff01ffff,
        0xffff01ffff01ff01, 0xffff01ffff0101ff, 0xffff01ffff010101, 0xffff01ff00ff0000,
        0xffff01ff0000ff00, 0xffff01ff00000001, 0xffff01ff00010000, 0xffff01ff01ffffff,
        0xffff01ff01ffff01, 0xffff01ff01ff01ff, 0xffff01ff01ff0101, 0xffff01ff01000000,
        0xffff01ff0101ffff, 0xffff01ff0101ff01, 0xffff01ff010101ff, 0xffff01ff01010101,
        0xffff0100ffff0000, 0xffff0100ff00ff00, 0xffff0100ff0000ff, 0xffff0100ff000100,
        0xffff0100ff0100ff, 0xffff0100ff010000, 0xffff010000ffff00, 0xffff01000000ffff,
        0xffff01000000ff00, 0xffff010000000000, 0xffff01000001ff00, 0xffff0100000100ff,
        0xffff010000010100, 0xffff01000100ff00, 0xffff0100010000ff, 0xffff010001000001,
        0xffff010001000100, 0xffff010001010000, 0xffff0101ffffffff, 0xffff0101ffffff01,
        0xffff0101ffff01ff, 0xffff0101ffff0101, 0xffff0101ff000000, 0xffff0101ff01ffff,
        0xffff0101ff01ff01, 0xffff0101ff0101ff, 0xffff0101ff010101, 0xffff010100ff0000,
        0xffff01010000ff00, 0xffff010100000100, 0xffff01010001ff00, 0xffff010100010000,
        0xffff010101ffffff, 0xffff010101ffff01, 0xffff010101ff0000, 0xffff010101ff01ff,
        0xffff010101ff0101, 0xffff010101000000, 0xffff01010101ffff, 0xffff01010101ff01,
        0xffff0101010101ff, 0xffff010101010101, 0xff00ffffff00ffff, 0xff00ffffff00ff00,
        0xff00ffffff0000ff, 0xff00ffffff000100, 0xff00ffffff0100ff, 0xff00ffffff010000,
        0xff00ffff00ffff00, 0xff00ffff00ff00ff, 0xff00ffff0000ffff, 0xff00ffff00000000,
        0xff00ffff000001ff, 0xff00ffff0001ff00, 0xff00ffff000100ff, 0xff00ffff00010000,
        0xff00ffff00010100, 0xff00ffff0100ff00, 0xff00ffff010000ff, 0xff00ffff01000001,
        0xff00ffff0101ff00, 0xff00ffff01010000, 0xff00ff00ffffff00, 0xff00ff00ffff00ff,
        0xff00ff00ffff0001, 0xff00ff00ffff0100, 0xff00ff00ff00ffff, 0xff00ff00ff00ff01,
        0xff00ff00ff000000, 0xff00ff00ff0001ff, 0xff00ff00ff01ff00, 0xff00ff00ff0100ff,
        0xff00ff00ff010100, 0xff00ff0000ff0000, 0xff00ff0000ff0101, 0xff00ff000000ffff,
        0xff00ff000000ff00, 0xff00ff000000ff01, 0xff00ff00000000ff, 0xff00ff0000000000,
        0xff00ff0000000001, 0xff00ff0000000100, 0xff00ff000001ffff, 0xff00ff0000010000,
        0xff00ff0001ff00ff, 0xff00ff000100ff01, 0xff00ff0001000000, 0xff00ff000101ff00,
        0xff00ff00010100ff, 0xff00ff01ff00ff00, 0xff00ff01ff0000ff, 0xff00ff01ff000001,
        0xff00ff01ff010000, 0xff00ff0100ffffff, 0xff00ff0100ff0001, 0xff00ff0100ff0100,
        0xff00ff010000ff01, 0xff00ff0100000000, 0xff00ff01000001ff, 0xff00ff0100000101,
        0xff00ff01000100ff, 0xff00ff0100010001, 0xff00ff0101ff0000, 0xff00ff010100ff00,
        0xff00ff01010000ff, 0xff00ff0101000001, 0xff00ff0101010000, 0xff0000ffffffff00,
        0xff0000ffffff0001, 0xff0000ffffff0100, 0xff0000ffff0000ff, 0xff0000ffff000000,
        0xff0000ffff0001ff, 0xff0000ffff000100, 0xff0000ffff01ff00, 0xff0000ffff010001,
        0xff0000ff00ffff00, 0xff0000ff00ff0000, 0xff0000ff00ff0001, 0xff0000ff00ff01ff,
        0xff0000ff00ff0101, 0xff0000ff0000ff00, 0xff0000ff000000ff, 0xff0000ff00000000,
        0xff0000ff00000001, 0xff0000ff00000100, 0xff0000ff0001ff01, 0xff0000ff00010000,
        0xff0000ff000101ff, 0xff0000ff01ff00ff, 0xff0000ff01ff0100, 0xff0000ff0100ffff,
        0xff0000ff010000ff, 0xff0000ff01000000, 0xff0000ff010001ff, 0xff0000ff01000100,
        0xff0000ff01000101, 0xff0000ff0101ff00, 0xff0000ff010100ff, 0xff0000ff01010000,
        0xff0000ff01010100, 0xff000000ffffff01, 0xff000000ffff0000, 0xff000000ffff0101,
        0xff000000ff00ff00, 0xff000000ff0000ff, 0xff000000ff000000, 0xff000000ff000001,
        0xff000000ff000100, 0xff000000ff01ffff, 0xff000000ff01ff01, 0xff000000ff010000,
        0xff000000ff0101ff, 0xff000000ff010101, 0xff00000000ffff00, 0xff00000000ff00ff,
        0xff00000000ff0000, 0xff00000000ff0001, 0xff0000000000ff00, 0xff0000000000ff01,
        0xff000000000000ff, 0xff00000000000000, 0xff00000000000001, 0xff00000000000100,
        0xff00000000000101, 0xff0000000001ff00, 0xff000000000100ff, 0xff00000000010000,
        0xff00000000010001, 0xff00000000010100, 0xff00000001ffffff, 0xff00000001ffff01,
        0xff00000001ff00ff, 0xff00000001ff0000, 0xff00000001ff01ff, 0xff00000001ff0101,
        0xff0000000100ffff, 0xff0000000100ff00, 0xff000000010000ff, 0xff00000001000000,
        0xff00000001000001, 0xff00000001000100, 0xff00000001000101, 0xff0000000101ffff,
        0xff0000000101ff01, 0xff00000001010000, 0xff000001ffffff00, 0xff000001ffff00ff,
        0xff000001ffff0000, 0xff000001ffff0001, 0xff000001ff000000, 0xff000001ff000001,
        0xff000001ff0001ff, 0xff000001ff000101, 0xff000001ff01ff00, 0xff000001ff010001,
        0xff00000100ffffff, 0xff00000100ffff01, 0xff00000100ff00ff, 0xff00000100ff0000,
        0xff00000100ff01ff, 0xff00000100ff0101, 0xff0000010000ff00, 0xff00000100000000,
        0xff00000100000001, 0xff000001000001ff, 0xff00000100000100, 0xff0000010001ff00,
        0xff000001000100ff, 0xff00000100010000, 0xff000001000101ff, 0xff00000100010100,
        0xff00000100010101, 0xff00000101ff0001, 0xff00000101ff0101, 0xff0000010100ff01,
        0xff00000101000000, 0xff000001010100ff, 0xff00000101010100, 0xff0001ffff00ff00,
        0xff0001ffff000001, 0xff0001ffff010000, 0xff0001ff00ffff00, 0xff0001ff00ff00ff,
        0xff0001ff00ff0001, 0xff0001ff00ff0100, 0xff0001ff0000ffff, 0xff0001ff00000000,
        0xff0001ff000001ff, 0xff0001ff00000101, 0xff0001ff0001ffff, 0xff0001ff0001ff00,
        0xff0001ff000100ff, 0xff0001ff00010001, 0xff0001ff00010100, 0xff0001ff01ff0000,
        0xff0001ff0100ff00, 0xff0001ff010000ff, 0xff0001ff01010000, 0xff000100ff00ffff,
        0xff000100ff00ff01, 0xff000100ff000000, 0xff000100ff000101, 0xff000100ff01ff00,
        0xff000100ff010000, 0xff00010000ffff01, 0xff00010000ff00ff, 0xff00010000ff0000,
        0xff00010000ff01ff, 0xff0001000000ff00, 0xff000100000000ff, 0xff00010000000000,
        0xff00010000000001, 0xff00010000000100, 0xff00010000000101, 0xff0001000001ffff,
        0xff00010000010000, 0xff00010000010101, 0xff00010001ff0100, 0xff0001000100ff00,
        0xff0001000100ff01, 0xff00010001000000, 0xff000100010001ff, 0xff0001000101ff00,
        0xff00010001010001, 0xff00010001010100, 0xff000101ffff0100, 0xff000101ff000001,
        0xff000101ff0100ff, 0xff000101ff010001, 0xff00010100ff00ff, 0xff00010100ff0001,
        0xff00010100ff0100, 0xff0001010000ffff, 0xff0001010000ff01, 0xff00010100000000,
        0xff000101000001ff, 0xff0001010001ff00, 0xff00010100010001, 0xff00010100010100,
        0xff00010101ff0000, 0xff0001010100ff00, 0xff00010101000001, 0xff00010101000101,
        0xff01ffffffffffff, 0xff01ffffffffff01, 0xff01ffffffff01ff, 0xff01ffffffff0101,
        0xff01ffffff000000, 0xff01ffffff01ffff, 0xff01ffffff01ff01, 0xff01ffffff010000,
        0xff01ffffff0101ff, 0xff01ffffff010101, 0xff01ffff00ff0000, 0xff01ffff0000ff00,
        0xff01ffff00000100, 0xff01ffff0001ff00, 0xff01ffff00010000, 0xff01ffff01ffffff,
        0xff01ffff01ffff01, 0xff01ffff01ff01ff, 0xff01ffff01ff0101, 0xff01ffff01000000,
        0xff01ffff0101ffff, 0xff01ffff0101ff01, 0xff01ffff01010000, 0xff01ffff010101ff,
        0xff01ffff01010101, 0xff01ff00ffff0000, 0xff01ff00ff00ff00, 0xff01ff00ff0000ff,
        0xff01ff00ff000100, 0xff01ff00ff010000, 0xff01ff0000ffff01, 0xff01ff0000ff00ff,
        0xff01ff0000ff0100, 0xff01ff0000000000, 0xff01ff00000001ff, 0xff01ff0000000101,
        0xff01ff000001ff00, 0xff01ff00000100ff, 0xff01ff0000010000, 0xff01ff0000010001,
        0xff01ff0001ff0000, 0xff01ff000100ffff, 0xff01ff0001000001, 0xff01ff0001000100,
        0xff01ff0001010000, 0xff01ff01ffffff00, 0xff01ff01ffff01ff, 0xff01ff01ffff0101,
        0xff01ff01ff00ff00, 0xff01ff01ff000000, 0xff01ff01ff01ffff, 0xff01ff01ff01ff01,
        0xff01ff01ff0101ff, 0xff01ff01ff010101, 0xff01ff0100ff0000, 0xff01ff010000ff00,
        0xff01ff0100000001, 0xff01ff0100000100, 0xff01ff0100010000, 0xff01ff0101ffff00,
        0xff01ff0101ff01ff, 0xff01ff0101ff0101, 0xff01ff010100ff00, 0xff01ff0101000000,
        0xff01ff010101ffff, 0xff01ff010101ff01, 0xff01ff01010101ff, 0xff01ff0101010101,
        0xff0100ffffff0000, 0xff0100ffff0000ff, 0xff0100ffff000001, 0xff0100ffff000100,
        0xff0100ffff010000, 0xff0100ff00ff00ff, 0xff0100ff00ff0000, 0xff0100ff00ff0001,
        0xff0100ff00ff0100, 0xff0100ff0000ff01, 0xff0100ff00000000, 0xff0100ff000001ff,
        0xff0100ff00000101, 0xff0100ff00010001, 0xff0100ff01ff0000, 0xff0100ff0100ff00,
        0xff0100ff010000ff, 0xff0100ff01000100, 0xff0100ff0101ff00, 0xff0100ff01010000,
        0xff010000ffff0100, 0xff010000ff000000, 0xff010000ff01ff00, 0xff010000ff010100,
        0xff01000000ffffff, 0xff01000000ff0000, 0xff01000000ff01ff, 0xff0100000000ff00,
        0xff010000000000ff, 0xff01000000000000, 0xff01000000000100, 0xff0100000001ff01,
        0xff01000000010000, 0xff010000000101ff, 0xff01000001ff0100, 0xff0100000100ffff,
        0xff010000010000ff, 0xff01000001000000, 0xff010000010001ff, 0xff01000001000101,
        0xff0100000101ff00, 0xff010000010100ff, 0xff01000001010001, 0xff01000001010100,
        0xff010001ffff0000, 0xff010001ff00ffff, 0xff010001ff00ff01, 0xff010001ff000100,
        0xff010001ff010000, 0xff01000100ffff00, 0xff01000100ff0100, 0xff01000100000000,
        0xff0100010001ffff, 0xff0100010001ff00, 0xff01000100010100, 0xff01000101ff00ff,
        0xff01000101ff0001, 0xff0100010100ffff, 0xff01000101000101, 0xff0101ffffffffff,
        0xff0101ffffffff01, 0xff0101ffffff01ff, 0xff0101ffffff0101, 0xff0101ffff000000,
        0xff0101ffff01ffff, 0xff0101ffff01ff01, 0xff0101ffff0101ff, 0xff0101ffff010101,
        0xff0101ff00ff0000, 0xff0101ff0000ff00, 0xff0101ff000000ff, 0xff0101ff00010000,
        0xff0101ff01ffffff, 0xff0101ff01ffff01, 0xff0101ff01ff01ff, 0xff0101ff01ff0101,
        0xff0101ff0101ffff, 0xff0101ff0101ff01, 0xff0101ff010101ff, 0xff0101ff01010101,
        0xff010100ffff0100, 0xff010100ff00ff00, 0xff010100ff0000ff, 0xff010100ff000100,
        0xff010100ff010000, 0xff01010000ff0001, 0xff01010000ff0100, 0xff0101000000ff01,
        0xff01010000000000, 0xff0101000001ff00, 0xff010100000100ff, 0xff01010000010001,
        0xff01010000010100, 0xff01010001ff0000, 0xff0101000100ffff, 0xff01010001000001,
        0xff01010001000100, 0xff010100010100ff, 0xff01010001010000, 0xff010101ffffffff,
        0xff010101ffffff01, 0xff010101ffff01ff, 0xff010101ffff0101, 0xff010101ff01ffff,
        0xff010101ff01ff01, 0xff010101ff0101ff, 0xff010101ff010101, 0xff01010100ff0000,
        0xff0101010000ff00, 0xff01010100000001, 0xff01010100000100, 0xff01010100010000,
        0xff01010101ffffff, 0xff01010101ffff01, 0xff01010101ff01ff, 0xff01010101ff0101,
        0xff01010101000000, 0xff0101010101ffff, 0xff0101010101ff01, 0xff010101010101ff,
        0xff01010101010101, 0x00ffffffffff0000, 0x00ffffffff00ff00, 0x00ffffffff000001,
        0x00ffffffff010000, 0x00ffffff00ff0100, 0x00ffffff0000ff01, 0x00ffffff00000000,
        0x00ffffff000001ff, 0x00ffffff00000101, 0x00ffffff0001ff00, 0x00ffffff000100ff,
        0x00ffffff00010001, 0x00ffffff010000ff, 0x00ffffff01000100, 0x00ffffff0101ff00,
        0x00ffffff01010001, 0x00ffff00ffffffff, 0x00ffff00ffffff00, 0x00ffff00ffff00ff,
        0x00ffff00ffff0001, 0x00ffff00ffff0100, 0x00ffff00ff00ff01, 0x00ffff00ff000000,
        0x00ffff00ff000001, 0x00ffff00ff0001ff, 0x00ffff00ff000101, 0x00ffff00ff01ff00,
        0x00ffff00ff010001, 0x00ffff00ff010100, 0x00ffff0000ff0000, 0x00ffff0000ff01ff,
        0x00ffff0000ff0101, 0x00ffff000000ff00, 0x00ffff00000000ff, 0x00ffff0000000000,
        0x00ffff0000000001, 0x00ffff0000000100, 0x00ffff0000000101, 0x00ffff0000010000,
        0x00ffff00000101ff, 0x00ffff0000010101, 0x00ffff0001ffff00, 0x00ffff0001ff00ff,
        0x00ffff0001ff0001, 0x00ffff000100ffff, 0x00ffff000100ff01, 0x00ffff0001000000,
        0x00ffff000101ffff, 0x00ffff000101ff00, 0x00ffff000101ff01, 0x00ffff01ffff0000,
        0x00ffff01ff00ff00, 0x00ffff01ff0000ff, 0x00ffff01ff000001, 0x00ffff01ff010000,
        0x00ffff0100ffff00, 0x00ffff010000ff01, 0x00ffff0100000000, 0x00ffff0100000101,
        0x00ffff01000100ff, 0x00ffff0100010100, 0x00ffff0101ff0100, 0x00ffff01010000ff,
        0x00ffff0101010000, 0x00ff00ffffffff00, 0x00ff00ffff000000, 0x00ff00ffff000100,
        0x00ff00ffff010100, 0x00ff00ff00ff0000, 0x00ff00ff00ff01ff, 0x00ff00ff00ff0101,
        0x00ff00ff0000ff00, 0x00ff00ff000000ff, 0x00ff00ff00000000, 0x00ff00ff00000001,
        0x00ff00ff0001ff00, 0x00ff00ff0001ff01, 0x00ff00ff00010000, 0x00ff00ff000101ff,
        0x00ff00ff00010101, 0x00ff00ff01ffff00, 0x00ff00ff01ff0001, 0x00ff00ff01ff0100,
        0x00ff00ff0100ffff, 0x00ff00ff0100ff01, 0x00ff00ff01000000, 0x00ff00ff0101ffff,
        0x00ff00ff0101ff00, 0x00ff00ff01010100, 0x00ff0000ffffff00, 0x00ff0000ffffff01,
        0x00ff0000ffff0000, 0x00ff0000ffff0101, 0x00ff0000ff00ff00, 0x00ff0000ff0000ff,
        0x00ff0000ff000000, 0x00ff0000ff000001, 0x00ff0000ff000100, 0x00ff0000ff01ffff,
        0x00ff0000ff010000, 0x00ff0000ff010101, 0x00ff000000ffff00, 0x00ff000000ff00ff,
        0x00ff000000ff0000, 0x00ff000000ff0001, 0x00ff000000ff0100, 0x00ff00000000ffff,
        0x00ff00000000ff00, 0x00ff0000000000ff, 0x00ff000000000000, 0x00ff000000000001,
        0x00ff0000000001ff, 0x00ff000000000100, 0x00ff00000001ff00, 0x00ff0000000100ff,
        0x00ff000000010000, 0x00ff000000010001, 0x00ff000000010100, 0x00ff000001ffff01,
        0x00ff000001ff00ff, 0x00ff000001ff0000, 0x00ff000001ff01ff, 0x00ff00000100ff00,
        0x00ff0000010000ff, 0x00ff000001000000, 0x00ff000001000001, 0x00ff000001000100,
        0x00ff000001000101, 0x00ff000001010000, 0x00ff0000010101ff, 0x00ff000001010101,
        0x00ff0001ffffff00, 0x00ff0001ffff0000, 0x00ff0001ffff0100, 0x00ff0001ff0000ff,
        0x00ff0001ff000000, 0x00ff0001ff0001ff, 0x00ff0001ff000101, 0x00ff0001ff01ff00,
        0x00ff0001ff0100ff, 0x00ff0001ff010100, 0x00ff000100ffffff, 0x00ff000100ffff01,
        0x00ff000100ff0000, 0x00ff000100ff01ff, 0x00ff00010000ffff, 0x00ff00010000ff00,
        0x00ff00010000ff01, 0x00ff000100000000, 0x00ff000100000001, 0x00ff000100000100,
        0x00ff00010001ff01, 0x00ff000100010000, 0x00ff0001000101ff, 0x00ff000101ffff00,
        0x00ff000101ff0000, 0x00ff000101ff0101, 0x00ff0001010000ff, 0x00ff000101000000,
        0x00ff00010101ff00, 0x00ff0001010100ff, 0x00ff000101010001, 0x00ff01ffffff0000,
        0x00ff01ffff00ff00, 0x00ff01ffff000000, 0x00ff01ffff000101, 0x00ff01ffff010000,
        0x00ff01ff00ffff01, 0x00ff01ff00ff0100, 0x00ff01ff0000ffff, 0x00ff01ff00000000,
        0x00ff01ff000001ff, 0x00ff01ff0001ff00, 0x00ff01ff000100ff, 0x00ff01ff00010001,
        0x00ff01ff00010100, 0x00ff01ff01ff0000, 0x00ff01ff0100ff00, 0x00ff01ff010000ff,
        0x00ff01ff01000001, 0x00ff01ff01000100, 0x00ff01ff01010000, 0x00ff0100ffffff00,
        0x00ff0100ffff0000, 0x00ff0100ffff0001, 0x00ff0100ffff0101, 0x00ff0100ff00ffff,
        0x00ff0100ff0000ff, 0x00ff0100ff000000, 0x00ff0100ff0001ff, 0x00ff0100ff01ff00,
        0x00ff0100ff0100ff, 0x00ff0100ff010001, 0x00ff010000ffffff, 0x00ff010000ff0000,
        0x00ff010000ff0101, 0x00ff01000000ff00, 0x00ff01000000ff01, 0x00ff0100000000ff,
        0x00ff010000000000, 0x00ff010000000001, 0x00ff010000000100, 0x00ff01000001ffff,
        0x00ff01000001ff01, 0x00ff010000010000, 0x00ff010000010001, 0x00ff010000010101,
        0x00ff010001ff0001, 0x00ff010001ff0100, 0x00ff01000100ff01, 0x00ff010001000000,
        0x00ff010001000001, 0x00ff0100010001ff, 0x00ff01000101ff00, 0x00ff0100010100ff,
        0x00ff010001010001, 0x00ff010001010100, 0x00ff0101ff000001, 0x00ff010100ff00ff,
        0x00ff010100ff0001, 0x00ff010100ff0100, 0x00ff010100000000, 0x00ff0101000001ff,
        0x00ff010100000101, 0x00ff0101000100ff, 0x00ff010100010100, 0x00ff0101010000ff,
        0x00ff010101010000, 0x0000ffffffffff00, 0x0000ffffffff00ff, 0x0000ffffffff0000,
        0x0000ffffffff0001, 0x0000ffffffff0100, 0x0000ffffff00ff01, 0x0000ffffff000000,
        0x0000ffffff000101, 0x0000ffffff01ff00, 0x0000ffffff0100ff, 0x0000ffffff010100,
        0x0000ffff00ffffff, 0x0000ffff00ff0000, 0x0000ffff00ff01ff, 0x0000ffff0000ff00,
        0x0000ffff000000ff, 0x0000ffff00000000, 0x0000ffff00000001, 0x0000ffff00000100,
        0x0000ffff00010000, 0x0000ffff000101ff, 0x0000ffff01ff0001, 0x0000ffff01ff0100,
        0x0000ffff01000000, 0x0000ffff010001ff, 0x0000ffff0101ffff, 0x0000ffff0101ff00,
        0x0000ffff01010001, 0x0000ffff01010100, 0x0000ff00ffff0000, 0x0000ff00ffff01ff,
        0x0000ff00ffff0100, 0x0000ff00ffff0101, 0x0000ff00ff00ff00, 0x0000ff00ff0000ff,
        0x0000ff00ff000000, 0x0000ff00ff000001, 0x0000ff00ff0001ff, 0x0000ff00ff000100,
        0x0000ff00ff01ffff, 0x0000ff00ff010000, 0x0000ff00ff010001, 0x0000ff00ff0101ff,
        0x0000ff00ff010101, 0x0000ff0000ffff00, 0x0000ff0000ff00ff, 0x0000ff0000ff0000,
        0x0000ff0000ff0001, 0x0000ff0000ff0100, 0x0000ff000000ffff, 0x0000ff000000ff00,
        0x0000ff000000ff01, 0x0000ff00000000ff, 0x0000ff0000000000, 0x0000ff0000000001,
        0x0000ff00000001ff, 0x0000ff0000000100, 0x0000ff0000000101, 0x0000ff000001ff00,
        0x0000ff00000100ff, 0x0000ff0000010000, 0x0000ff0000010001, 0x0000ff0000010100,
        0x0000ff0001ffff01, 0x0000ff0001ff0000, 0x0000ff000100ff00, 0x0000ff00010000ff,
        0x0000ff0001000000, 0x0000ff0001000001, 0x0000ff0001000100, 0x0000ff000101ffff,
        0x0000ff0001010000, 0x0000ff0001010101, 0x0000ff01ffffff00, 0x0000ff01ffff0001,
        0x0000ff01ff00ff01, 0x0000ff01ff000000, 0x0000ff01ff000101, 0x0000ff01ff01ff00,
        0x0000ff01ff0100ff, 0x0000ff0100ffff01, 0x0000ff0100ff0000, 0x0000ff0100ff0101,
        0x0000ff010000ff00, 0x0000ff01000000ff, 0x0000ff0100000000, 0x0000ff0100000001,
        0x0000ff0100000100, 0x0000ff010001ff01, 0x0000ff0100010000, 0x0000ff0101ff0000,
        0x0000ff010100ffff, 0x0000ff010100ff01, 0x0000ff0101000000, 0x0000ff0101000100,
        0x0000ff0101000101, 0x0000ff01010100ff, 0x000000ffffff00ff, 0x000000ffffff0000,
        0x000000ffff00ff00, 0x000000ffff0000ff, 0x000000ffff000000, 0x000000ffff000001,
        0x000000ffff0001ff, 0x000000ffff000100, 0x000000ffff01ff00, 0x000000ffff010000,
        0x000000ffff0101ff, 0x000000ffff010101, 0x000000ff00ffff00, 0x000000ff00ff00ff,
        0x000000ff00ff0000, 0x000000ff00ff0001, 0x000000ff00ff0100, 0x000000ff00ff0101,
        0x000000ff0000ffff, 0x000000ff0000ff00, 0x000000ff000000ff, 0x000000ff00000000,
        0x000000ff00000001, 0x000000ff000001ff, 0x000000ff00000100, 0x000000ff00000101,
        0x000000ff0001ff00, 0x000000ff0001ff01, 0x000000ff000100ff, 0x000000ff00010000,
        0x000000ff00010001, 0x000000ff00010100, 0x000000ff01ffffff, 0x000000ff01ff01ff,
        0x000000ff01ff0101, 0x000000ff0100ff00, 0x000000ff010000ff, 0x000000ff01000000,
        0x000000ff01000001, 0x000000ff01000100, 0x000000ff0101ff00, 0x000000ff010100ff,
        0x000000ff01010000, 0x000000ff01010101, 0x00000000ffffff00, 0x00000000ffffff01,
        0x00000000ffff00ff, 0x00000000ffff0000, 0x00000000ffff0001, 0x00000000ffff0100,
        0x00000000ff00ffff, 0x00000000ff00ff00, 0x00000000ff00ff01, 0x00000000ff0000ff,
        0x00000000ff000000, 0x00000000ff000001, 0x00000000ff000100, 0x00000000ff000101,
        0x00000000ff01ff00, 0x00000000ff0100ff, 0x00000000ff010000, 0x00000000ff010001,
        0x00000000ff010100, 0x0000000000ffffff, 0x0000000000ffff00, 0x0000000000ffff01,
        0x0000000000ff00ff, 0x0000000000ff0000, 0x0000000000ff0001, 0x0000000000ff01ff,
        0x0000000000ff0100, 0x000000000000ffff, 0x000000000000ff00, 0x000000000000ff01,
        0x00000000000000ff, 0x0000000000000000, 0x0000000000000001, 0x00000000000001ff,
        0x0000000000000100, 0x0000000000000101, 0x000000000001ffff, 0x000000000001ff00,
        0x00000000000100ff, 0x0000000000010000, 0x0000000000010001, 0x00000000000101ff,
        0x0000000000010100, 0x0000000000010101, 0x0000000001ffff00, 0x0000000001ff00ff,
        0x0000000001ff0000, 0x0000000001ff0100, 0x0000000001ff0101, 0x000000000100ffff,
        0x000000000100ff00, 0x00000000010000ff, 0x0000000001000000, 0x0000000001000001,
        0x00000000010001ff, 0x0000000001000100, 0x000000000101ff00, 0x00000000010100ff,
        0x0000000001010000, 0x0000000001010001, 0x0000000001010100, 0x00000001ffffffff,
        0x00000001ffffff00, 0x00000001ffffff01, 0x00000001ffff00ff, 0x00000001ffff0001,
        0x00000001ffff01ff, 0x00000001ffff0100, 0x00000001ff00ff00, 0x00000001ff0000ff,
        0x00000001ff000000, 0x00000001ff0001ff, 0x00000001ff000100, 0x00000001ff01ffff,
        0x00000001ff01ff00, 0x00000001ff01ff01, 0x00000001ff0100ff, 0x00000001ff010000,
        0x00000001ff010001, 0x00000001ff0101ff, 0x00000001ff010100, 0x0000000100ffff00,
        0x0000000100ff0000, 0x0000000100ff0001, 0x0000000100ff01ff, 0x0000000100ff0100,
        0x0000000100ff0101, 0x000000010000ffff, 0x000000010000ff00, 0x000000010000ff01,
        0x00000001000000ff, 0x0000000100000000, 0x0000000100000001, 0x00000001000001ff,
        0x0000000100000100, 0x0000000100000101, 0x000000010001ff00, 0x00000001000100ff,
        0x0000000100010000, 0x0000000100010100, 0x0000000101ffff01, 0x0000000101ff0000,
        0x0000000101ff0001, 0x0000000101ff01ff, 0x0000000101ff0100, 0x0000000101ff0101,
        0x000000010100ff00, 0x0000000101000000, 0x0000000101000101, 0x000000010101ff01,
        0x0000000101010000, 0x0000000101010001, 0x00000001010101ff, 0x0000000101010100,
        0x000001ffffff00ff, 0x000001ffffff0000, 0x000001ffffff0001, 0x000001ffffff0100,
        0x000001ffff00ffff, 0x000001ffff000000, 0x000001ffff0001ff, 0x000001ffff01ff00,
        0x000001ffff010101, 0x000001ff00ff0000, 0x000001ff00ff01ff, 0x000001ff00ff0101,
        0x000001ff0000ff00, 0x000001ff000000ff, 0x000001ff00000000, 0x000001ff00000001,
        0x000001ff000001ff, 0x000001ff00000100, 0x000001ff0001ffff, 0x000001ff0001ff01,
        0x000001ff000100ff, 0x000001ff00010000, 0x000001ff01ffff01, 0x000001ff01ff0100,
        0x000001ff0100ffff, 0x000001ff0100ff01, 0x000001ff01000000, 0x000001ff010001ff,
        0x000001ff0101ff00, 0x000001ff01010100, 0x00000100ffffff00, 0x00000100ffffff01,
        0x00000100ffff0000, 0x00000100ffff0101, 0x00000100ff00ff00, 0x00000100ff0000ff,
        0x00000100ff000000, 0x00000100ff000001, 0x00000100ff000100, 0x00000100ff010000,
        0x0000010000ffff00, 0x0000010000ff00ff, 0x0000010000ff0000, 0x0000010000ff0001,
        0x0000010000ff0100, 0x000001000000ffff, 0x000001000000ff00, 0x000001000000ff01,
        0x00000100000000ff, 0x0000010000000000, 0x0000010000000001, 0x00000100000001ff,
        0x0000010000000100, 0x0000010000000101, 0x000001000001ff00, 0x00000100000100ff,
        0x0000010000010000, 0x0000010000010001, 0x0000010000010100, 0x0000010001ffff00,
        0x0000010001ff0000, 0x0000010001ff0100, 0x000001000100ff00, 0x00000100010000ff,
        0x0000010001000000, 0x0000010001000001, 0x00000100010001ff, 0x0000010001000100,
        0x0000010001010000, 0x00000101ffff00ff, 0x00000101ffff01ff, 0x00000101ff000000,
        0x00000101ff000101, 0x00000101ff01ffff, 0x00000101ff010000, 0x00000101ff010001,
        0x00000101ff010100, 0x0000010100ff0000, 0x0000010100ff01ff, 0x0000010100ff0100,
        0x000001010000ff00, 0x0000010100000000, 0x0000010100000001, 0x00000101000001ff,
        0x0000010100000100, 0x000001010001ff01, 0x0000010100010000, 0x00000101000101ff,
        0x0000010100010101, 0x0000010101ffff00, 0x0000010101ff0101, 0x000001010100ff01,
        0x0000010101000000, 0x0000010101000001, 0x00000101010001ff, 0x0000010101000101,
        0x000001010101ff00, 0x0001ffffffff0000, 0x0001ffffff0000ff, 0x0001ffffff000001,
        0x0001ffffff000100, 0x0001ffffff010000, 0x0001ffff00ff00ff, 0x0001ffff0000ffff,
        0x0001ffff00000000, 0x0001ffff00000001, 0x0001ffff000001ff, 0x0001ffff00000101,
        0x0001ffff0001ff00, 0x0001ffff000100ff, 0x0001ffff00010001, 0x0001ffff00010100,
        0x0001ffff01ffff00, 0x0001ffff01000001, 0x0001ffff01010000, 0x0001ff00ffffff00,
        0x0001ff00ffff00ff, 0x0001ff00ffff0001, 0x0001ff00ffff0100, 0x0001ff00ff00ff01,
        0x0001ff00ff000000, 0x0001ff00ff01ff00, 0x0001ff00ff01ff01, 0x0001ff00ff010001,
        0x0001ff00ff010100, 0x0001ff0000ff0000, 0x0001ff0000ff0100, 0x0001ff000000ff00,
        0x0001ff0000000000, 0x0001ff0000000001, 0x0001ff0000000100, 0x0001ff0000010000,
        0x0001ff0000010001, 0x0001ff0000010101, 0x0001ff0001ff00ff, 0x0001ff0001ff0101,
        0x0001ff000100ff01, 0x0001ff0001000000, 0x0001ff000101ff00, 0x0001ff0001010001,
        0x0001ff0001010100, 0x0001ff01ff00ff00, 0x0001ff01ff000001, 0x0001ff01ff000100,
        0x0001ff0100ffffff, 0x0001ff0100ffff00, 0x0001ff0100ff0001, 0x0001ff0100000000,
        0x0001ff0100000001, 0x0001ff01000001ff, 0x0001ff010001ffff, 0x0001ff0101ff0000,
        0x0001ff010100ff00, 0x0001ff0101000001, 0x0001ff0101010000, 0x000100ffff00ff00,
        0x000100ffff00ff01, 0x000100ffff000000, 0x000100ffff000001, 0x000100ffff000101,
        0x000100ffff01ff00, 0x000100ffff010001, 0x000100ffff010100, 0x000100ff00ffffff,
        0x000100ff00ffff01, 0x000100ff00ff0000, 0x000100ff00ff01ff, 0x000100ff00ff0101,
        0x000100ff0000ff00, 0x000100ff000000ff, 0x000100ff00000000, 0x000100ff00000001,
        0x000100ff00000100, 0x000100ff00000101, 0x000100ff0001ffff, 0x000100ff0001ff01,
        0x000100ff00010000, 0x000100ff01ff00ff, 0x000100ff01ff0000, 0x000100ff01ff0100,
        0x000100ff0100ffff, 0x000100ff0100ff01, 0x000100ff010000ff, 0x000100ff01000000,
        0x000100ff01000001, 0x000100ff010001ff, 0x000100ff01000101, 0x000100ff0101ff00,
        0x000100ff010100ff, 0x000100ff01010100, 0x00010000ffff0000, 0x00010000ffff01ff,
        0x00010000ffff0101, 0x00010000ff00ff00, 0x00010000ff000000, 0x00010000ff000001,
        0x00010000ff000100, 0x0001000000ff00ff, 0x0001000000ff0000, 0x0001000000ff0001,
        0x0001000000ff0100, 0x000100000000ffff, 0x000100000000ff00, 0x00010000000000ff,
        0x0001000000000000, 0x0001000000000001, 0x0001000000000100, 0x000100000001ff00,
        0x00010000000100ff, 0x0001000000010000, 0x0001000000010001, 0x0001000000010100,
        0x0001000001ff0001, 0x0001000001ff0100, 0x0001000001ff0101, 0x000100000100ff00,
        0x0001000001000000, 0x0001000001000001, 0x0001000001000100, 0x0001000001000101,
        0x000100000101ff01, 0x0001000001010000, 0x0001000001010001, 0x00010000010101ff,
        0x00010001ffffff01, 0x00010001ffff0100, 0x00010001ff000000, 0x00010001ff01ffff,
        0x00010001ff010001, 0x00010001ff0101ff, 0x00010001ff010100, 0x0001000100ffffff,
        0x0001000100ff0000, 0x0001000100ff01ff, 0x0001000100ff0101, 0x000100010000ff00,
        0x00010001000000ff, 0x0001000100000000, 0x0001000100000001, 0x00010001000001ff,
        0x0001000100000101, 0x000100010001ffff, 0x0001000100010000, 0x00010001000101ff,
        0x0001000101ffffff, 0x0001000101ffff01, 0x0001000101ff0000, 0x0001000101ff0101,
        0x00010001010000ff, 0x0001000101000001, 0x00010001010001ff, 0x0001000101000100,
        0x000100010101ffff, 0x00010001010100ff, 0x0001000101010001, 0x0001000101010101,
        0x000101ffff000001, 0x000101ffff000100, 0x000101ffff010000, 0x000101ff00ffff00,
        0x000101ff0000ff01, 0x000101ff00000000, 0x000101ff00000101, 0x000101ff0001ff00,
        0x000101ff00010100, 0x000101ff01ff0000, 0x000101ff0100ff00, 0x000101ff010001ff,
        0x000101ff01010001, 0x00010100ffffff00, 0x00010100ffff00ff, 0x00010100ff00ffff,
        0x00010100ff000000, 0x00010100ff01ff00, 0x00010100ff0100ff, 0x00010100ff010001,
        0x00010100ff010100, 0x0001010000ffffff, 0x0001010000ffff00, 0x0001010000ff0000,
        0x0001010000ff0001, 0x0001010000ff01ff, 0x000101000000ff00, 0x00010100000000ff,
        0x0001010000000000, 0x0001010000000001, 0x0001010000000100, 0x000101000001ffff,
        0x0001010000010000, 0x0001010000010101, 0x0001010001ffff01, 0x0001010001ff00ff,
        0x0001010001ff0101, 0x0001010001000000, 0x000101000101ff00, 0x00010100010100ff,
        0x0001010001010000, 0x0001010001010100, 0x00010101ff00ff00, 0x00010101ff000001,
        0x00010101ff0001ff, 0x0001010100ffff00, 0x0001010100ff00ff, 0x0001010100ff0100,
        0x000101010000ffff, 0x0001010100000000, 0x00010101000001ff, 0x0001010100000101,
        0x00010101000100ff, 0x0001010100010000, 0x0001010100010100, 0x0001010101ff0001,
        0x00010101010000ff, 0x00010101010001ff, 0x0001010101000101, 0x0001010101010001,
        0x01ffffffffffffff, 0x01ffffffffffff01, 0x01ffffffffff01ff, 0x01ffffffffff0101,
        0x01ffffffff01ffff, 0x01ffffffff01ff01, 0x01ffffffff0101ff, 0x01ffffffff010101,
        0x01ffffff00ff0000, 0x01ffffff0000ffff, 0x01ffffff0000ff00, 0x01ffffff000000ff,
        0x01ffffff00000001, 0x01ffffff00000100, 0x01ffffff00010000, 0x01ffffff01ffffff,
        0x01ffffff01ffff01, 0x01ffffff01ff01ff, 0x01ffffff01ff0101, 0x01ffffff01000000,
        0x01ffffff0101ffff, 0x01ffffff0101ff01, 0x01ffffff010101ff, 0x01ffffff01010101,
        0x01ffff00ffff0000, 0x01ffff00ff00ff00, 0x01ffff00ff0000ff, 0x01ffff00ff000001,
        0x01ffff00ff000100, 0x01ffff00ff010000, 0x01ffff0000ffff00, 0x01ffff0000ff00ff,
        0x01ffff0000ff0100, 0x01ffff000000ffff, 0x01ffff000000ff01, 0x01ffff0000000000,
        0x01ffff0000000001, 0x01ffff00000001ff, 0x01ffff0000000100, 0x01ffff00000100ff,
        0x01ffff0000010001, 0x01ffff0000010100, 0x01ffff0001ff0000, 0x01ffff0001ff0100,
        0x01ffff00010000ff, 0x01ffff0001000001, 0x01ffff0001000100, 0x01ffff0001010000,
        0x01ffff01ffffffff, 0x01ffff01ffffff01, 0x01ffff01ffff01ff, 0x01ffff01ffff0101,
        0x01ffff01ff000000, 0x01ffff01ff01ffff, 0x01ffff01ff01ff01, 0x01ffff01ff0101ff,
        0x01ffff01ff010101, 0x01ffff010000ff00, 0x01ffff01000000ff, 0x01ffff0100000100,
        0x01ffff0100010000, 0x01ffff0101ffffff, 0x01ffff0101ffff01, 0x01ffff0101ff01ff,
        0x01ffff0101ff0101, 0x01ffff0101000000, 0x01ffff010101ffff, 0x01ffff010101ff01,
        0x01ffff01010101ff, 0x01ffff0101010101, 0x01ff00ffff0000ff, 0x01ff00ffff000100,
        0x01ff00ff00ffff00, 0x01ff00ff00ff00ff, 0x01ff00ff0000ff00, 0x01ff00ff00000000,
        0x01ff00ff00000101, 0x01ff00ff0001ff00, 0x01ff00ff000100ff, 0x01ff00ff00010100,
        0x01ff00ff010000ff, 0x01ff00ff01000100, 0x01ff0000ffffff00, 0x01ff0000ffff0100,
        0x01ff0000ff00ff01, 0x01ff0000ff000000, 0x01ff0000ff000101, 0x01ff0000ff010001,
        0x01ff0000ff010100, 0x01ff000000ffffff, 0x01ff000000ffff00, 0x01ff000000ff0000,
        0x01ff000000ff01ff, 0x01ff00000000ff00, 0x01ff0000000000ff, 0x01ff000000000000,
        0x01ff000000000001, 0x01ff000000000100, 0x01ff000000000101, 0x01ff000000010000,
        0x01ff000000010001, 0x01ff0000000101ff, 0x01ff000000010101, 0x01ff000001ffff00,
        0x01ff000001ff00ff, 0x01ff000001ff0001, 0x01ff000001ff0100, 0x01ff00000100ffff,
        0x01ff00000100ff01, 0x01ff000001000000, 0x01ff0000010001ff, 0x01ff000001010001,
        0x01ff0001ff00ff00, 0x01ff0001ff000001, 0x01ff0001ff000100, 0x01ff0001ff010000,
        0x01ff000100ffff00, 0x01ff000100ff00ff, 0x01ff000100ff0100, 0x01ff000100ff0101,
        0x01ff00010000ffff, 0x01ff000100000000, 0x01ff000100000100, 0x01ff000100000101,
        0x01ff00010001ff00, 0x01ff000100010001, 0x01ff000100010101, 0x01ff000101ff0000,
        0x01ff00010100ff00, 0x01ff000101000101, 0x01ff0001010100ff, 0x01ff01ffffffffff,
        0x01ff01ffffffff01, 0x01ff01ffffff01ff, 0x01ff01ffffff0101, 0x01ff01ffff000000,
        0x01ff01ffff01ffff, 0x01ff01ffff01ff01, 0x01ff01ffff0101ff, 0x01ff01ffff010101,
        0x01ff01ff00ffff00, 0x01ff01ff00ff0000, 0x01ff01ff0000ff00, 0x01ff01ff000000ff,
        0x01ff01ff00000100, 0x01ff01ff00010000, 0x01ff01ff00010100, 0x01ff01ff01ffffff,
        0x01ff01ff01ffff01, 0x01ff01ff01ff01ff, 0x01ff01ff01ff0101, 0x01ff01ff01000000,
        0x01ff01ff0101ffff, 0x01ff01ff0101ff01, 0x01ff01ff010101ff, 0x01ff01ff01010101,
        0x01ff0100ffff0000, 0x01ff0100ffff0001, 0x01ff0100ff00ff00, 0x01ff0100ff0000ff,
        0x01ff0100ff000001, 0x01ff0100ff010000, 0x01ff010000ffff00, 0x01ff010000ff00ff,
        0x01ff010000ff0001, 0x01ff010000ff0100, 0x01ff01000000ffff, 0x01ff01000000ff01,
        0x01ff010000000000, 0x01ff010000000101, 0x01ff01000001ff00, 0x01ff0100000100ff,
        0x01ff010001ff0000, 0x01ff010001000001, 0x01ff010001000100, 0x01ff010001010000,
        0x01ff0101ffffffff, 0x01ff0101ffffff01, 0x01ff0101ffff01ff, 0x01ff0101ffff0101,
        0x01ff0101ff000000, 0x01ff0101ff01ffff, 0x01ff0101ff01ff01, 0x01ff0101ff0101ff,
        0x01ff0101ff010101, 0x01ff010100ff0000, 0x01ff01010000ff00, 0x01ff0101000000ff,
        0x01ff010100000001, 0x01ff010101ffffff, 0x01ff010101ffff01, 0x01ff010101ff01ff,
        0x01ff010101ff0101, 0x01ff010101000000, 0x01ff01010101ffff, 0x01ff01010101ff01,
        0x01ff0101010101ff, 0x01ff010101010101, 0x0100ffffffff0000, 0x0100ffffff00ff00,
        0x0100ffffff000001, 0x0100ffffff0001ff, 0x0100ffffff000100, 0x0100ffffff010000,
        0x0100ffff00ffff00, 0x0100ffff00ff0001, 0x0100ffff00ff0100, 0x0100ffff00000000,
        0x0100ffff000001ff, 0x0100ffff00000101, 0x0100ffff00010100, 0x0100ffff00010101,
        0x0100ffff01ff0000, 0x0100ffff0100ff00, 0x0100ffff010000ff, 0x0100ffff01000001,
        0x0100ffff01000100, 0x0100ffff01010000, 0x0100ff00ffffff00, 0x0100ff00ffff00ff,
        0x0100ff00ffff0001, 0x0100ff00ffff0100, 0x0100ff00ff00ffff, 0x0100ff00ff000000,
        0x0100ff00ff0001ff, 0x0100ff00ff000101, 0x0100ff00ff01ff00, 0x0100ff00ff0100ff,
        0x0100ff00ff010001, 0x0100ff00ff010100, 0x0100ff0000ffffff, 0x0100ff0000ff0000,
        0x0100ff000000ffff, 0x0100ff000000ff00, 0x0100ff00000000ff, 0x0100ff0000000000,
        0x0100ff0000000001, 0x0100ff0000000100, 0x0100ff000001ff01, 0x0100ff0000010000,
        0x0100ff0001ff00ff, 0x0100ff0001ff0001, 0x0100ff000100ff01, 0x0100ff0001000000,
        0x0100ff00010001ff, 0x0100ff000101ff00, 0x0100ff00010100ff, 0x0100ff0001010001,
        0x0100ff0001010100, 0x0100ff01ffff0000, 0x0100ff01ff00ff00, 0x0100ff01ff0000ff,
        0x0100ff01ff000100, 0x0100ff01ff010000, 0x0100ff0100ff00ff, 0x0100ff0100ff0001,
        0x0100ff0100ff0100, 0x0100ff010000ffff, 0x0100ff010000ff01, 0x0100ff0100000000,
        0x0100ff01000001ff, 0x0100ff0100010001, 0x0100ff0100010100, 0x0100ff0101ff0000,
        0x0100ff01010000ff, 0x0100ff0101000001, 0x0100ff0101010100, 0x010000ffffffff00,
        0x010000ffffff00ff, 0x010000ffffff0001, 0x010000ffff00ffff, 0x010000ffff000000,
        0x010000ffff0001ff, 0x010000ffff010001, 0x010000ff00ffffff, 0x010000ff00ff0101,
        0x010000ff0000ff00, 0x010000ff000000ff, 0x010000ff00000000, 0x010000ff00000001,
        0x010000ff000001ff, 0x010000ff00000100, 0x010000ff0001ffff, 0x010000ff0001ff00,
        0x010000ff0001ff01, 0x010000ff00010000, 0x010000ff01ff00ff, 0x010000ff01ff0001,
        0x010000ff0100ff01, 0x010000ff010000ff, 0x010000ff01000000, 0x010000ff010001ff,
        0x010000ff0101ff00, 0x010000ff01010100, 0x01000000ffffffff, 0x01000000ffff0000,
        0x01000000ffff01ff, 0x01000000ffff0101, 0x01000000ff00ffff, 0x01000000ff00ff00,
        0x01000000ff0000ff, 0x01000000ff000000, 0x01000000ff000001, 0x01000000ff000100,
        0x01000000ff01ff00, 0x01000000ff010000, 0x01000000ff010100, 0x01000000ff010101,
        0x0100000000ffff00, 0x0100000000ff00ff, 0x0100000000ff0000, 0x0100000000ff0001,
        0x0100000000ff0100, 0x010000000000ffff, 0x010000000000ff00, 0x010000000000ff01,
        0x01000000000000ff, 0x0100000000000000, 0x0100000000000001, 0x01000000000001ff,
        0x0100000000000100, 0x0100000000000101, 0x010000000001ff00, 0x01000000000100ff,
        0x0100000000010000, 0x0100000000010001, 0x0100000000010100, 0x0100000001ffff00,
        0x0100000001ff0000, 0x0100000001ff01ff, 0x010000000100ff00, 0x010000000100ff01,
        0x01000000010000ff, 0x0100000001000000, 0x0100000001000001, 0x0100000001000100,
        0x0100000001000101, 0x010000000101ffff, 0x010000000101ff01, 0x0100000001010000,
        0x01000000010101ff, 0x0100000001010101, 0x01000001ffffff00, 0x01000001ffff00ff,
        0x01000001ff00ffff, 0x01000001ff000000, 0x01000001ff000100, 0x01000001ff01ffff,
        0x01000001ff010001, 0x01000001ff010100, 0x0100000100ff0000, 0x0100000100ff01ff,
        0x0100000100ff0100, 0x010000010000ff00, 0x010000010000ff01, 0x0100000100000000,
        0x0100000100000001, 0x0100000100000100, 0x0100000100010000, 0x01000001000101ff,
        0x0100000101ffff01, 0x0100000101ff00ff, 0x0100000101ff0100, 0x0100000101ff0101,
        0x010000010100ff01, 0x01000001010000ff, 0x0100000101000000, 0x01000001010100ff,
        0x0100000101010001, 0x0100000101010100, 0x010001ffffff0000, 0x010001ffff000001,
        0x010001ffff000100, 0x010001ffff010000, 0x010001ff00ffff00, 0x010001ff00ff0001,
        0x010001ff0000ffff, 0x010001ff0000ff01, 0x010001ff00000000, 0x010001ff00000001,
        0x010001ff00000101, 0x010001ff000100ff, 0x010001ff00010000, 0x010001ff01ff0000,
        0x010001ff0100ff00, 0x010001ff01000001, 0x010001ff01000100, 0x010001ff01010000,
        0x01000100ffff00ff, 0x01000100ffff0001, 0x01000100ffff0100, 0x01000100ff00ffff,
        0x01000100ff00ff01, 0x01000100ff000000, 0x01000100ff0001ff, 0x01000100ff000101,
        0x01000100ff01ffff, 0x01000100ff01ff00, 0x01000100ff0100ff, 0x01000100ff010001,
        0x0100010000ffffff, 0x0100010000ffff01, 0x0100010000ff0000, 0x0100010000ff01ff,
        0x0100010000ff0101, 0x010001000000ff00, 0x01000100000000ff, 0x0100010000000000,
        0x0100010000000001, 0x0100010000000100, 0x010001000001ff01, 0x0100010000010000,
        0x0100010000010001, 0x0100010000010101, 0x0100010001ffff00, 0x0100010001ff00ff,
        0x010001000100ffff, 0x010001000100ff01, 0x0100010001000000, 0x0100010001000101,
        0x010001000101ff00, 0x0100010001010001, 0x01000101ffff0000, 0x01000101ff000000,
        0x01000101ff010000, 0x0100010100ff00ff, 0x0100010100ff0001, 0x0100010100ff0100,
        0x010001010000ffff, 0x0100010100000000, 0x01000101000001ff, 0x010001010001ff00,
        0x0100010101ff0000, 0x010001010100ff00, 0x01000101010000ff, 0x0100010101000000,
        0x0100010101000001, 0x0101ffffffffffff, 0x0101ffffffffff01, 0x0101ffffffff01ff,
        0x0101ffffffff0101, 0x0101ffffff000000, 0x0101ffffff01ffff, 0x0101ffffff01ff01,
        0x0101ffffff0101ff, 0x0101ffffff010101, 0x0101ffff00ff0000, 0x0101ffff0000ff00,
        0x0101ffff000000ff, 0x0101ffff00000001, 0x0101ffff00000100, 0x0101ffff01ffffff,
        0x0101ffff01ffff01, 0x0101ffff01ff01ff, 0x0101ffff01ff0101, 0x0101ffff01000000,
        0x0101ffff0101ffff, 0x0101ffff0101ff01, 0x0101ffff010101ff, 0x0101ffff01010101,
        0x0101ff00ffff0000, 0x0101ff00ffff0100, 0x0101ff00ff00ff00, 0x0101ff00ff0000ff,
        0x0101ff00ff000001, 0x0101ff00ff000100, 0x0101ff00ff000101, 0x0101ff0000ff0001,
        0x0101ff0000ff0100, 0x0101ff000000ff00, 0x0101ff0000000000, 0x0101ff00000001ff,
        0x0101ff0000000101, 0x0101ff000001ff00, 0x0101ff00000100ff, 0x0101ff0001ff0000,
        0x0101ff000100ffff, 0x0101ff000100ff01, 0x0101ff0001000001, 0x0101ff0001000100,
        0x0101ff01ffffff01, 0x0101ff01ffff01ff, 0x0101ff01ffff0101, 0x0101ff01ff00ffff,
        0x0101ff01ff000100, 0x0101ff01ff01ff01, 0x0101ff01ff0101ff, 0x0101ff01ff010101,
        0x0101ff0100ff0000, 0x0101ff010000ff00, 0x0101ff0100000001, 0x0101ff0100000100,
        0x0101ff0100010000, 0x0101ff0101ffffff, 0x0101ff0101ffff01, 0x0101ff0101ff01ff,
        0x0101ff0101ff0101, 0x0101ff0101000000, 0x0101ff010101ffff, 0x0101ff010101ff01,
        0x0101ff01010101ff, 0x0101ff0101010101, 0x010100ffff000100, 0x010100ffff010000,
        0x010100ff00ffff00, 0x010100ff00ff00ff, 0x010100ff0000ffff, 0x010100ff000000ff,
        0x010100ff00000000, 0x010100ff000001ff, 0x010100ff00000101, 0x010100ff0001ff00,
        0x010100ff00010000, 0x010100ff00010001, 0x010100ff000101ff, 0x010100ff00010100,
        0x010100ff01ff0000, 0x01010000ffff0001, 0x01010000ffff0100, 0x01010000ff00ffff,
        0x01010000ff00ff01, 0x01010000ff000000, 0x01010000ff0001ff, 0x01010000ff010001,
        0x01010000ff010100, 0x0101000000ffff01, 0x0101000000ff0000, 0x010100000000ff00,
        0x01010000000000ff, 0x0101000000000000, 0x0101000000000001, 0x0101000000000100,
        0x0101000000010000, 0x0101000000010101, 0x0101000001ffff00, 0x0101000001ff00ff,
        0x0101000001ff0000, 0x0101000001ff0001, 0x0101000001ff0100, 0x010100000100ff01,
        0x0101000001000000, 0x01010000010001ff, 0x01010001ffff0000, 0x01010001ff00ff00,
        0x01010001ff000001, 0x01010001ff000101, 0x01010001ff01ff00, 0x01010001ff010000,
        0x0101000100ff00ff, 0x0101000100ff0001, 0x0101000100ff0101, 0x010100010000ff01,
        0x0101000100000000, 0x0101000100000001, 0x01010001000001ff, 0x010100010001ffff,
        0x010100010001ff01, 0x0101000101ff0001, 0x010100010100ffff, 0x0101000101000000,
        0x0101000101000001, 0x0101000101000100, 0x010100010101ff00, 0x01010001010100ff,
        0x0101000101010001, 0x010101ffffffffff, 0x010101ffffffff01, 0x010101ffffff01ff,
        0x010101ffffff0101, 0x010101ffff01ffff, 0x010101ffff01ff01, 0x010101ffff0101ff,
        0x010101ffff010101, 0x010101ff0000ff00, 0x010101ff000000ff, 0x010101ff00000001,
        0x010101ff00000100, 0x010101ff01ffffff, 0x010101ff01ffff01, 0x010101ff01ff01ff,
        0x010101ff01ff0101, 0x010101ff01000000, 0x010101ff0101ffff, 0x010101ff0101ff01,
        0x010101ff010101ff, 0x010101ff01010101, 0x01010100ffff0000, 0x01010100ff0000ff,
        0x01010100ff000100, 0x01010100ff01ff00, 0x01010100ff010000, 0x0101010000ffff00,
        0x010101000000ffff, 0x0101010000000000, 0x0101010000000101, 0x010101000001ff00,
        0x0101010000010001, 0x0101010000010100, 0x010101000100ffff, 0x0101010001000001,
        0x01010101ffffffff, 0x01010101ffffff01, 0x01010101ffff01ff, 0x01010101ffff0101,
        0x01010101ff01ffff, 0x01010101ff01ff01, 0x01010101ff0101ff, 0x01010101ff010101,
        0x010101010000ff00, 0x01010101000000ff, 0x0101010100000001, 0x0101010101ffffff,
        0x0101010101ffff01, 0x0101010101ff01ff, 0x0101010101ff0101, 0x0101010101000000,
        0x010101010101ffff, 0x010101010101ff01, 0x01010101010101ff, 0x0101010101010101,
    ];
}
