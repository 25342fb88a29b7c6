using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// 512-bit prefill tiles (<see cref="Avx512"/>): two rows per vector, each 256-bit half computing exactly what the AVX2
/// tile computes for its row — the same lanes, block order and fused steps, and the same final horizontal sum per half —
/// so every output is bit-identical to <see cref="VecDotScalar"/>. Twice the rows per pass over an activation block.
/// </summary>
internal static unsafe partial class VecDotTiles
{
    /// <summary>ggml's mul_sum_i8_pairs_float for two rows (one per half), |x| precomputed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> MulSum16(Vector512<byte> ax, Vector512<sbyte> x, Vector512<sbyte> y) =>
        Avx512.ToSingle(Avx512.Widen(Avx512.MulAddBytes(ax, Avx512.NegateWhereNegative(y, x))));

    /// <summary>The two halves' horizontal sums (each as <see cref="Hsum"/> sums a 256-bit accumulator).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(Vector512<float> acc, float* y)
    {
        y[0] = Hsum(acc.GetLower());
        y[1] = Hsum(acc.GetUpper());
    }

    /// <summary>Eight consecutive Q8_0 rows × two activation rows (prefill), rows paired in 512-bit vectors:
    /// y[t·yStride + k] for row k, token t. Per (row, token) the numerics of <see cref="Q8_0Tile42"/>.</summary>
    /// <remarks>The accumulators are locals updated by value: helpers taking them by reference left them in memory.</remarks>
    public static void Q8_0Tile82(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once: in NativeAOT code a static read in the loop is a helper call that spills every vector
        byte* y0 = act, y1 = act + actRow;
        Vector512<float> a00 = default, a10 = default, a20 = default, a30 = default;
        Vector512<float> a01 = default, a11 = default, a21 = default, a31 = default;
        int nb = n / 32;
        for (int ib = 0; ib < nb; ib++, y0 += 34, y1 += 34)
        {
            byte* x = w + ib * 34;
            Vector512<float> d0 = Vector512.Create(half[*(ushort*)y0]), d1 = Vector512.Create(half[*(ushort*)y1]);
            Vector512<sbyte> qy0 = Avx512.Broadcast32(y0 + 2), qy1 = Avx512.Broadcast32(y1 + 2);
            Q8_0Pair(x, rowBytes, half, out var q, out var aq, out var dx);
            a00 = Avx512.MultiplyAdd(dx * d0, MulSum16(aq, q, qy0), a00);
            a01 = Avx512.MultiplyAdd(dx * d1, MulSum16(aq, q, qy1), a01);
            Q8_0Pair(x + 2 * rowBytes, rowBytes, half, out q, out aq, out dx);
            a10 = Avx512.MultiplyAdd(dx * d0, MulSum16(aq, q, qy0), a10);
            a11 = Avx512.MultiplyAdd(dx * d1, MulSum16(aq, q, qy1), a11);
            Q8_0Pair(x + 4 * rowBytes, rowBytes, half, out q, out aq, out dx);
            a20 = Avx512.MultiplyAdd(dx * d0, MulSum16(aq, q, qy0), a20);
            a21 = Avx512.MultiplyAdd(dx * d1, MulSum16(aq, q, qy1), a21);
            Q8_0Pair(x + 6 * rowBytes, rowBytes, half, out q, out aq, out dx);
            a30 = Avx512.MultiplyAdd(dx * d0, MulSum16(aq, q, qy0), a30);
            a31 = Avx512.MultiplyAdd(dx * d1, MulSum16(aq, q, qy1), a31);
        }
        Store2(a00, y); Store2(a10, y + 2); Store2(a20, y + 4); Store2(a30, y + 6);
        y += yStride;
        Store2(a01, y); Store2(a11, y + 2); Store2(a21, y + 4); Store2(a31, y + 6);
    }

    /// <summary>One block of two rows (<paramref name="x"/> and the next): quants, |quants| and scales, one row per half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q8_0Pair(byte* x, long rowBytes, float* half, out Vector512<sbyte> q, out Vector512<byte> aq, out Vector512<float> dx)
    {
        q = Avx512.Load2(x + 2, x + rowBytes + 2).AsSByte();
        aq = Avx512.Abs(q);
        dx = Avx512.Halves(half[*(ushort*)x], half[*(ushort*)(x + rowBytes)]);
    }

    /// <summary>Four consecutive rows × four activation rows (prefill) for formats stored with an offset (Q4_0, Q5_0), rows
    /// paired in 512-bit vectors: per (row, token) the numerics of <see cref="Q0Tile24{T}"/>.</summary>
    public static void Q0Tile44<T>(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride) where T : IQ0Format
    {
        float* half = Fp16.Table;
        byte* x0 = w, x2 = w + 2 * rowBytes;
        byte* y0 = act, y1 = act + actRow, y2 = act + 2 * actRow, y3 = act + 3 * actRow;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        int nb = n / 32, bb = T.BlockBytes, shift = T.OffsetShift;
        for (int ib = 0; ib < nb; ib++, y0 += 34, y1 += 34, y2 += 34, y3 += 34)
        {
            int o = ib * bb;
            Vector512<byte> u01 = Avx512.Join(T.Unsigned(x0 + o), T.Unsigned(x0 + rowBytes + o));
            Vector512<byte> u23 = Avx512.Join(T.Unsigned(x2 + o), T.Unsigned(x2 + rowBytes + o));
            Vector512<float> dx01 = Avx512.Halves(half[*(ushort*)(x0 + o)], half[*(ushort*)(x0 + rowBytes + o)]);
            Vector512<float> dx23 = Avx512.Halves(half[*(ushort*)(x2 + o)], half[*(ushort*)(x2 + rowBytes + o)]);
            Vector512<sbyte> qy = Avx512.Broadcast32(y0 + 2);
            Vector512<int> off = OffsetSums16(qy, shift);
            Vector512<float> dy = Vector512.Create(half[*(ushort*)y0]);
            a00 = OffsetStep16(u01, dx01, qy, off, dy, a00);
            a20 = OffsetStep16(u23, dx23, qy, off, dy, a20);
            qy = Avx512.Broadcast32(y1 + 2); off = OffsetSums16(qy, shift); dy = Vector512.Create(half[*(ushort*)y1]);
            a01 = OffsetStep16(u01, dx01, qy, off, dy, a01);
            a21 = OffsetStep16(u23, dx23, qy, off, dy, a21);
            qy = Avx512.Broadcast32(y2 + 2); off = OffsetSums16(qy, shift); dy = Vector512.Create(half[*(ushort*)y2]);
            a02 = OffsetStep16(u01, dx01, qy, off, dy, a02);
            a22 = OffsetStep16(u23, dx23, qy, off, dy, a22);
            qy = Avx512.Broadcast32(y3 + 2); off = OffsetSums16(qy, shift); dy = Vector512.Create(half[*(ushort*)y3]);
            a03 = OffsetStep16(u01, dx01, qy, off, dy, a03);
            a23 = OffsetStep16(u23, dx23, qy, off, dy, a23);
        }
        Store2(a00, y); Store2(a20, y + 2); y += yStride;
        Store2(a01, y); Store2(a21, y + 2); y += yStride;
        Store2(a02, y); Store2(a22, y + 2); y += yStride;
        Store2(a03, y); Store2(a23, y + 2);
    }

    /// <summary><see cref="OffsetSums"/> in both halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> OffsetSums16(Vector512<sbyte> qy, int shift) =>
        Vector512.ShiftLeft(Avx512.Widen(Avx512.MulAddBytes(Vector512<byte>.One, qy)), shift);

    /// <summary>One step of <see cref="OffsetStep2"/> for two rows (one per half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> OffsetStep16(Vector512<byte> u, Vector512<float> dx, Vector512<sbyte> qy, Vector512<int> off,
                                                 Vector512<float> dy, Vector512<float> acc) =>
        Avx512.MultiplyAdd(dx * dy, Avx512.ToSingle(Avx512.Widen(Avx512.MulAddBytes(u, qy)) - off), acc);

    /// <summary>Two consecutive Q6_K rows × two Q8_K activation rows (prefill), one row per half of every vector: per (row,
    /// token) the numerics of <see cref="Q6KTile12"/>.</summary>
    public static void Q6KTile22(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table;
        var x0 = (Q6KBlock*)w; var x1 = (Q6KBlock*)(w + rowBytes);
        var ya = (Q8KBlock*)act; var yb = (Q8KBlock*)(act + actRow);
        Vector512<float> acc0 = default, acc1 = default;
        for (int i = 0; i < n / QK.K; i++)
        {
            Vector256<short> sc0 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128(x0[i].Scales));
            Vector256<short> sc1 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128(x1[i].Scales));
            Vector256<short> bsa = Avx.LoadVector256(ya[i].BSums), bsb = Avx.LoadVector256(yb[i].BSums);
            Vector512<int> offA = Avx512.Join(Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(bsa, sc0), 5), Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(bsa, sc1), 5));
            Vector512<int> offB = Avx512.Join(Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(bsb, sc0), 5), Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(bsb, sc1), 5));
            Vector512<byte> lowScales = Avx512.Join(VecDotAvx2.BothHalves(sc0.GetLower()), VecDotAvx2.BothHalves(sc1.GetLower()));
            Vector512<byte> highScales = Avx512.Join(VecDotAvx2.BothHalves(sc0.GetUpper()), VecDotAvx2.BothHalves(sc1.GetUpper()));
            Q6KHalf16(x0[i].Ql, x0[i].Qh, x1[i].Ql, x1[i].Qh, lowScales, out var q0, out var q1, out var q2, out var q3, out var c0, out var c1, out var c2, out var c3);
            Vector512<int> sA = Q6KDot16(q0, q1, q2, q3, ya[i].Qs, c0, c1, c2, c3);
            Vector512<int> sB = Q6KDot16(q0, q1, q2, q3, yb[i].Qs, c0, c1, c2, c3);
            Q6KHalf16(x0[i].Ql + 64, x0[i].Qh + 32, x1[i].Ql + 64, x1[i].Qh + 32, highScales, out q0, out q1, out q2, out q3, out c0, out c1, out c2, out c3);
            sA += Q6KDot16(q0, q1, q2, q3, ya[i].Qs + 128, c0, c1, c2, c3);
            sB += Q6KDot16(q0, q1, q2, q3, yb[i].Qs + 128, c0, c1, c2, c3);
            float xd0 = half[x0[i].D], xd1 = half[x1[i].D];
            acc0 = Avx512.MultiplyAdd(Avx512.Halves(ya[i].D * xd0, ya[i].D * xd1), Avx512.ToSingle(sA - offA), acc0);
            acc1 = Avx512.MultiplyAdd(Avx512.Halves(yb[i].D * xd0, yb[i].D * xd1), Avx512.ToSingle(sB - offB), acc1);
        }
        Store2(acc0, y);
        Store2(acc1, y + yStride);
    }

    /// <summary>Half a Q6_K block of two rows unpacked (<see cref="VecDotAvx2.Q6KUnpack"/>, one row per half) and the
    /// 16-bit scales of its four 32-quant groups picked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q6KHalf16(byte* ql0, byte* qh0, byte* ql1, byte* qh1, Vector512<byte> scales,
                                  out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
                                  out Vector512<short> c0, out Vector512<short> c1, out Vector512<short> c2, out Vector512<short> c3)
    {
        var m4 = Vector512.Create((byte)0xF);
        var m3 = Vector512.Create((byte)3);
        Vector512<byte> l1 = Avx512.Load2(ql0, ql1), l2 = Avx512.Load2(ql0 + 32, ql1 + 32), h = Avx512.Load2(qh0, qh1);
        q0 = (l1 & m4) | Vector512.ShiftLeft((h & m3).AsUInt16(), 4).AsByte();
        q1 = (l2 & m4) | Vector512.ShiftLeft((Avx512.Srl(h, 2) & m3).AsUInt16(), 4).AsByte();
        q2 = (Avx512.Srl(l1, 4) & m4) | Vector512.ShiftLeft((Avx512.Srl(h, 4) & m3).AsUInt16(), 4).AsByte();
        q3 = (Avx512.Srl(l2, 4) & m4) | Vector512.ShiftLeft((Avx512.Srl(h, 6) & m3).AsUInt16(), 4).AsByte();
        c0 = Pick16(scales, 0); c1 = Pick16(scales, 1); c2 = Pick16(scales, 2); c3 = Pick16(scales, 3);
    }

    /// <summary><see cref="VecDotAvx2.Pick"/> with <see cref="VecDotAvx2.PairShuffle"/>(k) in both halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Pick16(Vector512<byte> scales, int k)
    {
        Vector256<byte> shuffle = VecDotAvx2.PairShuffle(k);
        return Avx512.Lookup(scales.AsSByte(), Avx512.Join(shuffle, shuffle).AsSByte()).AsInt16();
    }

    /// <summary><see cref="VecDotAvx2.Q6KDot(Vector256{byte}, Vector256{byte}, Vector256{byte}, Vector256{byte}, sbyte*, Vector256{short}, Vector256{short}, Vector256{short}, Vector256{short})"/>
    /// for two rows against one activation row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Q6KDot16(Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3, sbyte* q8,
                                           Vector512<short> c0, Vector512<short> c1, Vector512<short> c2, Vector512<short> c3) =>
        ScaledDot16(q0, q8, c0) + ScaledDot16(q1, q8 + 32, c1) + (ScaledDot16(q2, q8 + 64, c2) + ScaledDot16(q3, q8 + 96, c3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> ScaledDot16(Vector512<byte> u, sbyte* q8, Vector512<short> scale) =>
        Avx512.MulAddShorts(scale, Avx512.MulAddBytes(u, Avx512.Broadcast32((byte*)q8)));
}
