using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>A 32-element format whose AVX2 dot is "signed int8 quants × Q8_0 activations, one half scale per block".</summary>
internal unsafe interface IQ0Format
{
    static abstract int BlockBytes { get; }
    /// <summary>The block's 32 quants as signed bytes (value − offset), exactly as ggml's AVX2 kernel forms them.</summary>
    static abstract Vector256<sbyte> Quants(byte* block);
    /// <summary>log2 of the offset the stored quants carry (Q4_0: 8, Q5_0: 16), or 0 for formats stored signed.</summary>
    static abstract int OffsetShift { get; }
    /// <summary>The stored quants before the offset is taken off (0..15 or 0..31); only when <see cref="OffsetShift"/> &gt; 0.</summary>
    static abstract Vector256<byte> Unsigned(byte* block);
}

internal unsafe struct Q8_0Format : IQ0Format
{
    public static int BlockBytes => 34;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* b) => Avx.LoadVector256((sbyte*)(b + 2));
    public static int OffsetShift => 0;
    public static Vector256<byte> Unsigned(byte* b) => default;
}

internal unsafe struct Q4_0Format : IQ0Format
{
    public static int BlockBytes => 18;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* b) => (Unsigned(b) - Vector256.Create((byte)8)).AsSByte();
    public static int OffsetShift => 3;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unsigned(byte* b) => VecDotAvx2.Nibbles(b + 2);
}

internal unsafe struct Q5_0Format : IQ0Format
{
    public static int BlockBytes => 22;
    // u − 16 as a byte is nib | 0xF0 where the fifth bit is clear and nib where it is set: ggml's signed quants
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* b) => (Unsigned(b) - Vector256.Create((byte)16)).AsSByte();
    public static int OffsetShift => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unsigned(byte* b) => VecDotAvx2.Nibbles(b + 6) | (VecDotAvx2.BitsToBytes(b + 2) & Vector256.Create((byte)0x10));
}

/// <summary>A 32-element format stored with a minimum (x = d·u + m), paired with Q8_1 activations.</summary>
internal unsafe interface IQ1Format
{
    static abstract int BlockBytes { get; }
    /// <summary>The block's 32 stored quants (0..15 or 0..31).</summary>
    static abstract Vector256<byte> Unsigned(byte* block);
}

internal unsafe struct Q4_1Format : IQ1Format
{
    public static int BlockBytes => 20;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unsigned(byte* b) => VecDotAvx2.Nibbles(b + 4);
}

internal unsafe struct Q5_1Format : IQ1Format
{
    public static int BlockBytes => 24;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unsigned(byte* b) => VecDotAvx2.Nibbles(b + 8) | (VecDotAvx2.BitsToBytes(b + 4) & Vector256.Create((byte)0x10));
}

/// <summary>
/// Multi-row and multi-token AVX2 kernels. Every (row, token) pair keeps its own accumulator and adds its blocks in the
/// same order with the same fused steps as the one-row kernels in <see cref="VecDotAvx2"/>, so every output is
/// bit-identical to <see cref="VecDotScalar"/>; what is shared is the loading and unpacking of weight blocks (across
/// tokens), of activation blocks (across rows), and the loop overhead.
/// </summary>
[SkipLocalsInit]
internal static unsafe partial class VecDotTiles
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Hsum(Vector256<float> v)
    {
        Vector128<float> r = Sse.Add(v.GetUpper(), v.GetLower());
        r = Sse.Add(r, Sse.MoveHighToLow(r, r));
        r = Sse.AddScalar(r, Sse3.MoveHighAndDuplicate(r));
        return r.ToScalar();
    }

    /// <summary>ggml's mul_sum_i8_pairs_float with |x| precomputed (it depends on the weight only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MulSum(Vector256<sbyte> ax, Vector256<sbyte> x, Vector256<sbyte> y)
    {
        // vpdpbusd gives the same 8 lanes of 4-product sums: the int16 pair sums of vpmaddubsw never saturate here
        // (|x| ≤ 128, |y| ≤ 127), so skipping them changes no bit.
        if (Vnni.Enabled)
            return Avx.ConvertToVector256Single(Vnni.DotAdd(Vector256<int>.Zero, ax.AsByte(), Avx2.Sign(y, x)));
        Vector256<short> dot = Avx2.MultiplyAddAdjacent(ax.AsByte(), Avx2.Sign(y, x));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(dot, Vector256.Create((short)1)));
    }

    /// <summary>
    /// For formats stored with an offset (q = u − 2^s): the lanes of ggml's |q|·sign(y,q) products equal
    /// VecDotAvx2.DotU8(u, y) − 2^s·Σy exactly (integers), and Σy over each lane's four activations is shared by every row, so a
    /// row costs one multiply-add chain and a subtraction instead of two sign operations as well.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> OffsetSums(Vector256<sbyte> y, int shift) =>
        Avx2.ShiftLeftLogical(VecDotAvx2.DotU8(Vector256.Create((byte)1), y), Vector128.CreateScalar(shift));

    /// <summary>The half at <paramref name="p"/>, through the table the caller read once (see <see cref="VecDotAvx2.Q8_0"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Half(float* table, byte* p) => table[*(ushort*)p];

    /// <summary>Four consecutive rows × one activation row (decode).</summary>
    public static void Q0x4<T>(byte* w, long rowBytes, byte* vy, int n, float* dst, long dstStride) where T : IQ0Format
    {
        byte* x0 = w, x1 = w + rowBytes, x2 = w + 2 * rowBytes, x3 = w + 3 * rowBytes;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int nb = n / 32, bb = T.BlockBytes;
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        for (int ib = 0; ib < nb; ib++, vy += 34)
        {
            float dy = Half(half, vy);
            Vector256<sbyte> qy = Avx.LoadVector256((sbyte*)(vy + 2));
            int o = ib * bb;
            if (T.OffsetShift > 0)
            {
                Vector256<int> off = OffsetSums(qy, T.OffsetShift);
                a0 = Fma.MultiplyAdd(Vector256.Create(Half(half, x0 + o) * dy), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(T.Unsigned(x0 + o), qy) - off), a0);
                a1 = Fma.MultiplyAdd(Vector256.Create(Half(half, x1 + o) * dy), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(T.Unsigned(x1 + o), qy) - off), a1);
                a2 = Fma.MultiplyAdd(Vector256.Create(Half(half, x2 + o) * dy), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(T.Unsigned(x2 + o), qy) - off), a2);
                a3 = Fma.MultiplyAdd(Vector256.Create(Half(half, x3 + o) * dy), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(T.Unsigned(x3 + o), qy) - off), a3);
                continue;
            }
            Vector256<sbyte> q0 = T.Quants(x0 + o), q1 = T.Quants(x1 + o), q2 = T.Quants(x2 + o), q3 = T.Quants(x3 + o);
            a0 = Fma.MultiplyAdd(Vector256.Create(Half(half, x0 + o) * dy), MulSum(Avx2.Sign(q0, q0), q0, qy), a0);
            a1 = Fma.MultiplyAdd(Vector256.Create(Half(half, x1 + o) * dy), MulSum(Avx2.Sign(q1, q1), q1, qy), a1);
            a2 = Fma.MultiplyAdd(Vector256.Create(Half(half, x2 + o) * dy), MulSum(Avx2.Sign(q2, q2), q2, qy), a2);
            a3 = Fma.MultiplyAdd(Vector256.Create(Half(half, x3 + o) * dy), MulSum(Avx2.Sign(q3, q3), q3, qy), a3);
        }
        dst[0] = Hsum(a0); dst[dstStride] = Hsum(a1); dst[2 * dstStride] = Hsum(a2); dst[3 * dstStride] = Hsum(a3);
    }

    /// <summary>
    /// One row of a 32-element format against <paramref name="count"/> Q8_0 rows <paramref name="qStride"/> bytes apart
    /// (attention over a quantized cache: one cached key, the query heads of its group): dst[g·dstStride] is the one-row
    /// kernel's dot of the row with Q8_0 row g, bit for bit (the integer lanes of a product do not depend on which side
    /// is the weight, and each head keeps the block order and fused steps). The row's blocks are unpacked once per four
    /// heads instead of once per head.
    /// </summary>
    public static void Q0Rows<T>(byte* x, byte* q, long qStride, int count, int n, float* dst, long dstStride) where T : IQ0Format
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        int nb = n / 32, bb = T.BlockBytes, g = 0;
        for (; g + 4 <= count; g += 4)
        {
            byte* y0 = q + g * qStride, y1 = y0 + qStride, y2 = y1 + qStride, y3 = y2 + qStride;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int ib = 0; ib < nb; ib++, y0 += 34, y1 += 34, y2 += 34, y3 += 34)
            {
                byte* xb = x + ib * bb;
                Vector256<sbyte> k = T.Quants(xb), ak = Avx2.Sign(k, k);
                float dx = Half(half, xb);
                a0 = Fma.MultiplyAdd(Vector256.Create(dx * Half(half, y0)), MulSum(ak, k, Avx.LoadVector256((sbyte*)(y0 + 2))), a0);
                a1 = Fma.MultiplyAdd(Vector256.Create(dx * Half(half, y1)), MulSum(ak, k, Avx.LoadVector256((sbyte*)(y1 + 2))), a1);
                a2 = Fma.MultiplyAdd(Vector256.Create(dx * Half(half, y2)), MulSum(ak, k, Avx.LoadVector256((sbyte*)(y2 + 2))), a2);
                a3 = Fma.MultiplyAdd(Vector256.Create(dx * Half(half, y3)), MulSum(ak, k, Avx.LoadVector256((sbyte*)(y3 + 2))), a3);
            }
            float* d = dst + g * dstStride;
            d[0] = Hsum(a0); d[dstStride] = Hsum(a1); d[2 * dstStride] = Hsum(a2); d[3 * dstStride] = Hsum(a3);
        }
        for (; g < count; g++)
        {
            byte* y0 = q + g * qStride;
            Vector256<float> a0 = default;
            for (int ib = 0; ib < nb; ib++, y0 += 34)
            {
                byte* xb = x + ib * bb;
                Vector256<sbyte> k = T.Quants(xb);
                a0 = Fma.MultiplyAdd(Vector256.Create(Half(half, xb) * Half(half, y0)), MulSum(Avx2.Sign(k, k), k, Avx.LoadVector256((sbyte*)(y0 + 2))), a0);
            }
            dst[g * dstStride] = Hsum(a0);
        }
    }

    /// <summary>
    /// <see cref="Q0Rows{T}"/> for Q4_1/Q5_1 rows against Q8_1 rows: per head the one-row kernel's fused block steps and
    /// its separate running sum of m·s, added after the horizontal sum.
    /// </summary>
    public static void Q1Rows<T>(byte* x, byte* q, long qStride, int count, int n, float* dst, long dstStride) where T : IQ1Format
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        int nb = n / 32, bb = T.BlockBytes, g = 0;
        for (; g + 4 <= count; g += 4)
        {
            byte* y0 = q + g * qStride, y1 = y0 + qStride, y2 = y1 + qStride, y3 = y2 + qStride;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
            for (int ib = 0; ib < nb; ib++, y0 += 36, y1 += 36, y2 += 36, y3 += 36)
            {
                byte* xb = x + ib * bb;
                Vector256<byte> u = T.Unsigned(xb);
                float dx = Half(half, xb), mx = Half(half, xb + 2);
                m0 = MathF.FusedMultiplyAdd(mx, Half(half, y0 + 2), m0);
                m1 = MathF.FusedMultiplyAdd(mx, Half(half, y1 + 2), m1);
                m2 = MathF.FusedMultiplyAdd(mx, Half(half, y2 + 2), m2);
                m3 = MathF.FusedMultiplyAdd(mx, Half(half, y3 + 2), m3);
                a0 = Fma.MultiplyAdd(Vector256.Create(dx * Half(half, y0)), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(u, Avx.LoadVector256((sbyte*)(y0 + 4)))), a0);
                a1 = Fma.MultiplyAdd(Vector256.Create(dx * Half(half, y1)), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(u, Avx.LoadVector256((sbyte*)(y1 + 4)))), a1);
                a2 = Fma.MultiplyAdd(Vector256.Create(dx * Half(half, y2)), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(u, Avx.LoadVector256((sbyte*)(y2 + 4)))), a2);
                a3 = Fma.MultiplyAdd(Vector256.Create(dx * Half(half, y3)), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(u, Avx.LoadVector256((sbyte*)(y3 + 4)))), a3);
            }
            float* d = dst + g * dstStride;
            d[0] = Hsum(a0) + m0; d[dstStride] = Hsum(a1) + m1; d[2 * dstStride] = Hsum(a2) + m2; d[3 * dstStride] = Hsum(a3) + m3;
        }
        for (; g < count; g++)
        {
            byte* y0 = q + g * qStride;
            Vector256<float> a0 = default;
            float m0 = 0;
            for (int ib = 0; ib < nb; ib++, y0 += 36)
            {
                byte* xb = x + ib * bb;
                m0 = MathF.FusedMultiplyAdd(Half(half, xb + 2), Half(half, y0 + 2), m0);
                a0 = Fma.MultiplyAdd(Vector256.Create(Half(half, xb) * Half(half, y0)), Avx.ConvertToVector256Single(VecDotAvx2.DotU8(T.Unsigned(xb), Avx.LoadVector256((sbyte*)(y0 + 4)))), a0);
            }
            dst[g * dstStride] = Hsum(a0) + m0;
        }
    }

    /// <summary>Four consecutive Q8_0 rows × two activation rows (prefill): y[t·yStride + k] for row k, token t.
    /// (Formats stored with an offset use <see cref="Q0Tile24{T}"/>.)</summary>
    public static void Q8_0Tile42(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        byte* x0 = w, x1 = w + rowBytes, x2 = w + 2 * rowBytes, x3 = w + 3 * rowBytes;
        byte* y0 = act, y1 = act + actRow;
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        Vector256<float> a00 = default, a10 = default, a20 = default, a30 = default;
        Vector256<float> a01 = default, a11 = default, a21 = default, a31 = default;
        int nb = n / 32;
        for (int ib = 0; ib < nb; ib++, y0 += 34, y1 += 34)
        {
            int o = ib * 34;
            // broadcast each scale once and multiply as vectors (the same single rounding as the scalar product)
            Vector256<float> d0 = Vector256.Create(Half(half, y0)), d1 = Vector256.Create(Half(half, y1));
            Vector256<sbyte> qy0 = Avx.LoadVector256((sbyte*)(y0 + 2)), qy1 = Avx.LoadVector256((sbyte*)(y1 + 2));
            Vector256<sbyte> q = Q8_0Format.Quants(x0 + o), aq = Avx2.Sign(q, q);
            Vector256<float> dx = Vector256.Create(Half(half, x0 + o));
            a00 = Fma.MultiplyAdd(dx * d0, MulSum(aq, q, qy0), a00);
            a01 = Fma.MultiplyAdd(dx * d1, MulSum(aq, q, qy1), a01);
            q = Q8_0Format.Quants(x1 + o); aq = Avx2.Sign(q, q); dx = Vector256.Create(Half(half, x1 + o));
            a10 = Fma.MultiplyAdd(dx * d0, MulSum(aq, q, qy0), a10);
            a11 = Fma.MultiplyAdd(dx * d1, MulSum(aq, q, qy1), a11);
            q = Q8_0Format.Quants(x2 + o); aq = Avx2.Sign(q, q); dx = Vector256.Create(Half(half, x2 + o));
            a20 = Fma.MultiplyAdd(dx * d0, MulSum(aq, q, qy0), a20);
            a21 = Fma.MultiplyAdd(dx * d1, MulSum(aq, q, qy1), a21);
            q = Q8_0Format.Quants(x3 + o); aq = Avx2.Sign(q, q); dx = Vector256.Create(Half(half, x3 + o));
            a30 = Fma.MultiplyAdd(dx * d0, MulSum(aq, q, qy0), a30);
            a31 = Fma.MultiplyAdd(dx * d1, MulSum(aq, q, qy1), a31);
        }
        y[0] = Hsum(a00); y[1] = Hsum(a10); y[2] = Hsum(a20); y[3] = Hsum(a30);
        y += yStride;
        y[0] = Hsum(a01); y[1] = Hsum(a11); y[2] = Hsum(a21); y[3] = Hsum(a31);
    }

    /// <summary>
    /// Two consecutive rows × four activation rows (prefill) for formats stored with an offset: y[t·yStride + k] for row k,
    /// token t. Unpacking a Q5_0 block costs more than a token's whole dot, so each unpacked row serves four tokens.
    /// </summary>
    public static void Q0Tile24<T>(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride) where T : IQ0Format
    {
        byte* x0 = w, x1 = w + rowBytes;
        byte* y0 = act, y1 = act + actRow, y2 = act + 2 * actRow, y3 = act + 3 * actRow;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        int nb = n / 32, bb = T.BlockBytes;
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        for (int ib = 0; ib < nb; ib++, y0 += 34, y1 += 34, y2 += 34, y3 += 34)
        {
            int o = ib * bb;
            Vector256<byte> u0 = T.Unsigned(x0 + o), u1 = T.Unsigned(x1 + o);
            Vector256<float> dx0 = Vector256.Create(Half(half, x0 + o)), dx1 = Vector256.Create(Half(half, x1 + o));
            OffsetStep2(u0, u1, dx0, dx1, y0, T.OffsetShift, half, ref a00, ref a10);
            OffsetStep2(u0, u1, dx0, dx1, y1, T.OffsetShift, half, ref a01, ref a11);
            OffsetStep2(u0, u1, dx0, dx1, y2, T.OffsetShift, half, ref a02, ref a12);
            OffsetStep2(u0, u1, dx0, dx1, y3, T.OffsetShift, half, ref a03, ref a13);
        }
        y[0] = Hsum(a00); y[1] = Hsum(a10); y += yStride;
        y[0] = Hsum(a01); y[1] = Hsum(a11); y += yStride;
        y[0] = Hsum(a02); y[1] = Hsum(a12); y += yStride;
        y[0] = Hsum(a03); y[1] = Hsum(a13);
    }

    /// <summary>One activation block against two unpacked weight blocks, each with the one-row kernel's fused steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OffsetStep2(Vector256<byte> u0, Vector256<byte> u1, Vector256<float> dx0, Vector256<float> dx1, byte* yb, int shift, float* half,
                                    ref Vector256<float> acc0, ref Vector256<float> acc1)
    {
        Vector256<sbyte> qy = Avx.LoadVector256((sbyte*)(yb + 2));
        Vector256<int> off = OffsetSums(qy, shift);
        Vector256<float> dy = Vector256.Create(Half(half, yb));
        acc0 = Fma.MultiplyAdd(dx0 * dy, Avx.ConvertToVector256Single(VecDotAvx2.DotU8(u0, qy) - off), acc0);
        acc1 = Fma.MultiplyAdd(dx1 * dy, Avx.ConvertToVector256Single(VecDotAvx2.DotU8(u1, qy) - off), acc1);
    }

    /// <summary>
    /// <see cref="Q0Tile24{T}"/> for Q4_1/Q5_1 rows against Q8_1 activations: per (row, token) the one-row kernel's fused
    /// block steps and its running sum of m·s, the eight sums kept in the lanes of one vector (lane 4·row + token; still
    /// one fused multiply-add per block each).
    /// </summary>
    public static void Q1Tile24<T>(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride) where T : IQ1Format
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        byte* x0 = w, x1 = w + rowBytes;
        byte* y0 = act, y1 = act + actRow, y2 = act + 2 * actRow, y3 = act + 3 * actRow;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> ms = default;
        int nb = n / 32, bb = T.BlockBytes;
        for (int ib = 0; ib < nb; ib++, y0 += 36, y1 += 36, y2 += 36, y3 += 36)
        {
            int o = ib * bb;
            Vector256<byte> u0 = T.Unsigned(x0 + o), u1 = T.Unsigned(x1 + o);
            Vector256<float> dx0 = Vector256.Create(Half(half, x0 + o)), dx1 = Vector256.Create(Half(half, x1 + o));
            Vector128<float> s = Vector128.Create(Half(half, y0 + 2), Half(half, y1 + 2), Half(half, y2 + 2), Half(half, y3 + 2));
            ms = Fma.MultiplyAdd(Vector256.Create(Vector128.Create(Half(half, x0 + o + 2)), Vector128.Create(Half(half, x1 + o + 2))), Vector256.Create(s, s), ms);
            MinStep2(u0, u1, dx0, dx1, y0, half, ref a00, ref a10);
            MinStep2(u0, u1, dx0, dx1, y1, half, ref a01, ref a11);
            MinStep2(u0, u1, dx0, dx1, y2, half, ref a02, ref a12);
            MinStep2(u0, u1, dx0, dx1, y3, half, ref a03, ref a13);
        }
        y[0] = Hsum(a00) + ms.GetElement(0); y[1] = Hsum(a10) + ms.GetElement(4); y += yStride;
        y[0] = Hsum(a01) + ms.GetElement(1); y[1] = Hsum(a11) + ms.GetElement(5); y += yStride;
        y[0] = Hsum(a02) + ms.GetElement(2); y[1] = Hsum(a12) + ms.GetElement(6); y += yStride;
        y[0] = Hsum(a03) + ms.GetElement(3); y[1] = Hsum(a13) + ms.GetElement(7);
    }

    /// <summary>One Q8_1 activation block against two unpacked Q4_1/Q5_1 weight blocks (the d·d′·Σu·y part).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinStep2(Vector256<byte> u0, Vector256<byte> u1, Vector256<float> dx0, Vector256<float> dx1, byte* yb, float* half,
                                 ref Vector256<float> acc0, ref Vector256<float> acc1)
    {
        Vector256<sbyte> qy = Avx.LoadVector256((sbyte*)(yb + 4));
        Vector256<float> dy = Vector256.Create(Half(half, yb));
        acc0 = Fma.MultiplyAdd(dx0 * dy, Avx.ConvertToVector256Single(VecDotAvx2.DotU8(u0, qy)), acc0);
        acc1 = Fma.MultiplyAdd(dx1 * dy, Avx.ConvertToVector256Single(VecDotAvx2.DotU8(u1, qy)), acc1);
    }

    /// <summary>
    /// One IQ4_NL row × four Q8_0 activation rows (prefill), in the one-row kernel's order: per token, even blocks into one
    /// accumulator and odd blocks into another, added and summed, an odd last block fused after. Each block's table lookup
    /// and |q| serve all four tokens.
    /// </summary>
    public static void IQ4NLTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ4NLBlock*)w;
        byte* y0 = act, y1 = act + actRow, y2 = act + 2 * actRow, y3 = act + 3 * actRow;
        Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
        Vector128<sbyte> table = VecDotAvx2.IQ4Values();
        var m4 = Vector128.Create((byte)0xF);
        int nb = n / 32, ib = 0;
        for (; ib + 1 < nb; ib += 2)
        {
            Vector256<sbyte> qa = VecDotAvx2.IQ4Quants(x[ib].Qs, table, m4), qb = VecDotAvx2.IQ4Quants(x[ib + 1].Qs, table, m4);
            Vector256<sbyte> aqa = Avx2.Sign(qa, qa), aqb = Avx2.Sign(qb, qb);
            float da = half[x[ib].D], db = half[x[ib + 1].D];
            int oa = ib * 34, ob = oa + 34;
            e0 = TableStep(aqa, qa, da, y0 + oa, half, e0); o0 = TableStep(aqb, qb, db, y0 + ob, half, o0);
            e1 = TableStep(aqa, qa, da, y1 + oa, half, e1); o1 = TableStep(aqb, qb, db, y1 + ob, half, o1);
            e2 = TableStep(aqa, qa, da, y2 + oa, half, e2); o2 = TableStep(aqb, qb, db, y2 + ob, half, o2);
            e3 = TableStep(aqa, qa, da, y3 + oa, half, e3); o3 = TableStep(aqb, qb, db, y3 + ob, half, o3);
        }
        float s0 = Hsum(e0 + o0), s1 = Hsum(e1 + o1), s2 = Hsum(e2 + o2), s3 = Hsum(e3 + o3);
        if (ib < nb)
        {
            float dx = half[x[ib].D];
            int o = ib * 34;
            s0 = MathF.FusedMultiplyAdd(Half(half, y0 + o) * dx, VecDotScalar.IQ4Sum(x[ib].Qs, (sbyte*)(y0 + o + 2)), s0);
            s1 = MathF.FusedMultiplyAdd(Half(half, y1 + o) * dx, VecDotScalar.IQ4Sum(x[ib].Qs, (sbyte*)(y1 + o + 2)), s1);
            s2 = MathF.FusedMultiplyAdd(Half(half, y2 + o) * dx, VecDotScalar.IQ4Sum(x[ib].Qs, (sbyte*)(y2 + o + 2)), s2);
            s3 = MathF.FusedMultiplyAdd(Half(half, y3 + o) * dx, VecDotScalar.IQ4Sum(x[ib].Qs, (sbyte*)(y3 + o + 2)), s3);
        }
        y[0] = s0; y[yStride] = s1; y[2 * yStride] = s2; y[3 * yStride] = s3;
    }

    /// <summary>
    /// One IQ4_XS row × four Q8_K activation rows (prefill), in the one-row kernel's order: per token the super-block's
    /// eight sub-block sums in integer lanes, then one fused step with d·d′. Each sub-block's table lookup, |q| and scale
    /// serve all four tokens (llama.cpp runs its one-row kernel per row and token for this type).
    /// </summary>
    public static void IQ4XSTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ4XSBlock*)w;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector128<sbyte> table = VecDotAvx2.IQ4Values();
        var m4 = Vector128.Create((byte)0xF);
        for (int i = 0; i < n / QK.K; i++)
        {
            Vector256<byte> scales = VecDotAvx2.BothHalves(VecDotAvx2.IQ4XSScales(x + i));
            var y0 = (Q8KBlock*)act + i;
            var y1 = (Q8KBlock*)(act + actRow) + i;
            var y2 = (Q8KBlock*)(act + 2 * actRow) + i;
            var y3 = (Q8KBlock*)(act + 3 * actRow) + i;
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int k = 0; k < 8; k++)
            {
                Vector256<sbyte> q = VecDotAvx2.IQ4Quants(x[i].Qs + 16 * k, table, m4);
                Vector256<byte> aq = Avx2.Sign(q, q).AsByte();
                Vector256<short> scale = VecDotAvx2.Pick(scales, VecDotAvx2.ScaleShuffle(k));
                s0 += VecDotAvx2.ScaledSignedDot(aq, q, y0->Qs + 32 * k, scale);
                s1 += VecDotAvx2.ScaledSignedDot(aq, q, y1->Qs + 32 * k, scale);
                s2 += VecDotAvx2.ScaledSignedDot(aq, q, y2->Qs + 32 * k, scale);
                s3 += VecDotAvx2.ScaledSignedDot(aq, q, y3->Qs + 32 * k, scale);
            }
            float dx = half[x[i].D];
            a0 = Fma.MultiplyAdd(Vector256.Create(dx * y0->D), Avx.ConvertToVector256Single(s0), a0);
            a1 = Fma.MultiplyAdd(Vector256.Create(dx * y1->D), Avx.ConvertToVector256Single(s1), a1);
            a2 = Fma.MultiplyAdd(Vector256.Create(dx * y2->D), Avx.ConvertToVector256Single(s2), a2);
            a3 = Fma.MultiplyAdd(Vector256.Create(dx * y3->D), Avx.ConvertToVector256Single(s3), a3);
        }
        y[0] = Hsum(a0); y[yStride] = Hsum(a1); y[2 * yStride] = Hsum(a2); y[3 * yStride] = Hsum(a3);
    }

    /// <summary>One Q8_0 activation block against an unpacked signed weight block: the one-row kernel's fused step (dy·dx).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TableStep(Vector256<sbyte> aq, Vector256<sbyte> q, float dx, byte* yb, float* half, Vector256<float> acc) =>
        Fma.MultiplyAdd(Vector256.Create(Half(half, yb) * dx), MulSum(aq, q, Avx.LoadVector256((sbyte*)(yb + 2))), acc);

    /// <summary>One Q4_K row × two Q8_K activation rows: the unpacked nibbles and scales serve both tokens.</summary>
    public static void Q4KTile12(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (Q4KBlock*)w; var ya = (Q8KBlock*)act; var yb = (Q8KBlock*)(act + actRow);
        Vector256<float> acc0 = default, acc1 = default;
        Vector128<float> accm0 = default, accm1 = default;
        var m4 = Vector256.Create((byte)0xF);
        for (int i = 0; i < n / QK.K; i++)
        {
            float xd = half[x[i].D], xm = half[x[i].DMin];
            Vector256<short> sm16 = Avx2.ConvertToVector256Int16(VecDotAvx2.ScalesAndMins(x[i].Scales));
            accm0 = Fma.MultiplyAdd(Vector128.Create(-ya[i].D * xm), Sse2.ConvertToVector128Single(VecDotAvx2.MinProducts(sm16, ya[i].BSums)), accm0);
            accm1 = Fma.MultiplyAdd(Vector128.Create(-yb[i].D * xm), Sse2.ConvertToVector128Single(VecDotAvx2.MinProducts(sm16, yb[i].BSums)), accm1);
            Vector256<byte> scales = Vector256.Create(sm16.GetLower(), sm16.GetLower()).AsByte();
            Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero;
            byte* q4 = x[i].Qs;
            sbyte* p0 = ya[i].Qs, p1 = yb[i].Qs;
            Q4KStep2(q4, p0, p1, scales, VecDotAvx2.ScaleShuffle(0), VecDotAvx2.ScaleShuffle(1), m4, ref s0, ref s1);
            Q4KStep2(q4 + 32, p0 + 64, p1 + 64, scales, VecDotAvx2.ScaleShuffle(2), VecDotAvx2.ScaleShuffle(3), m4, ref s0, ref s1);
            Q4KStep2(q4 + 64, p0 + 128, p1 + 128, scales, VecDotAvx2.ScaleShuffle(4), VecDotAvx2.ScaleShuffle(5), m4, ref s0, ref s1);
            Q4KStep2(q4 + 96, p0 + 192, p1 + 192, scales, VecDotAvx2.ScaleShuffle(6), VecDotAvx2.ScaleShuffle(7), m4, ref s0, ref s1);
            acc0 = Fma.MultiplyAdd(Vector256.Create(ya[i].D * xd), Avx.ConvertToVector256Single(s0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(yb[i].D * xd), Avx.ConvertToVector256Single(s1), acc1);
        }
        y[0] = Hsum(acc0) + Hsum4(accm0);
        y[yStride] = Hsum(acc1) + Hsum4(accm1);
    }

    /// <summary>64 elements of one Q4_K block, unpacked once, against the same 64 positions of two activation rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4KStep2(byte* q4, sbyte* p0, sbyte* p1, Vector256<byte> scales, Vector256<byte> maskLo, Vector256<byte> maskHi,
                                 Vector256<byte> m4, ref Vector256<int> s0, ref Vector256<int> s1)
    {
        Vector256<byte> bits = Avx.LoadVector256(q4);
        Vector256<byte> lo = bits & m4, hi = VecDotAvx2.Srl(bits, 4) & m4;
        Vector256<short> scaleLo = VecDotAvx2.Pick(scales, maskLo), scaleHi = VecDotAvx2.Pick(scales, maskHi);
        s0 += VecDotAvx2.Q4KDot(lo, hi, p0, scaleLo, scaleHi);
        s1 += VecDotAvx2.Q4KDot(lo, hi, p1, scaleLo, scaleHi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Hsum4(Vector128<float> accm)
    {
        accm = Sse.Add(accm, Sse.MoveHighToLow(accm, accm));
        accm = Sse.AddScalar(accm, Sse3.MoveHighAndDuplicate(accm));
        return accm.ToScalar();
    }

    /// <summary>One Q6_K row × two Q8_K activation rows.</summary>
    public static void Q6KTile12(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var x = (Q6KBlock*)w; var ya = (Q8KBlock*)act; var yb = (Q8KBlock*)(act + actRow);
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        Vector256<float> acc0 = default, acc1 = default;
        for (Q6KBlock* end = x + n / QK.K; x < end; x++, ya++, yb++)
        {
            float xd = half[x->D];
            Vector256<short> sc16 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128(x->Scales));
            Vector256<int> off0 = Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(ya->BSums), sc16), 5);
            Vector256<int> off1 = Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(yb->BSums), sc16), 5);
            Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero;
            Q6KHalf2(x->Ql, x->Qh, ya->Qs, yb->Qs, VecDotAvx2.BothHalves(sc16.GetLower()), ref s0, ref s1);
            Q6KHalf2(x->Ql + 64, x->Qh + 32, ya->Qs + 128, yb->Qs + 128, VecDotAvx2.BothHalves(sc16.GetUpper()), ref s0, ref s1);
            acc0 = Fma.MultiplyAdd(Vector256.Create(ya->D * xd), Avx.ConvertToVector256Single(s0 - off0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(yb->D * xd), Avx.ConvertToVector256Single(s1 - off1), acc1);
        }
        y[0] = Hsum(acc0);
        y[yStride] = Hsum(acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q6KHalf2(byte* ql, byte* qh, sbyte* p0, sbyte* p1, Vector256<byte> scales, ref Vector256<int> s0, ref Vector256<int> s1)
    {
        VecDotAvx2.Q6KUnpack(ql, qh, out var q0, out var q1, out var q2, out var q3);
        Vector256<short> c0 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(0)), c1 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(1));
        Vector256<short> c2 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(2)), c3 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(3));
        s0 += VecDotAvx2.Q6KDot(q0, q1, q2, q3, p0, c0, c1, c2, c3);
        s1 += VecDotAvx2.Q6KDot(q0, q1, q2, q3, p1, c0, c1, c2, c3);
    }

    /// <summary>One Q2_K row × two Q8_K activation rows: each 2-bit plane and its scales unpacked once for both.</summary>
    public static void Q2KTile12(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (Q2KBlock*)w; var ya = (Q8KBlock*)act; var yb = (Q8KBlock*)(act + actRow);
        Vector256<float> acc0 = default, acc1 = default;
        var m4 = Vector128.Create((byte)0xF);
        for (Q2KBlock* end = x + n / QK.K; x < end; x++, ya++, yb++)
        {
            float xd = half[x->D], xm = half[x->DMin];
            Vector128<byte> packed = Sse2.LoadVector128(x->Scales);
            Vector256<short> mins = Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & m4);
            acc0 = Fma.MultiplyAdd(Vector256.Create(-ya->D * xm), Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(mins, Avx.LoadVector256(ya->BSums))), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(-yb->D * xm), Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(mins, Avx.LoadVector256(yb->BSums))), acc1);
            Vector256<short> scales = Avx2.ConvertToVector256Int16(packed & m4);
            Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero;
            Q2KHalf2(x->Qs, ya->Qs, yb->Qs, VecDotAvx2.BothHalves(scales.GetLower()), ref s0, ref s1);
            Q2KHalf2(x->Qs + 32, ya->Qs + 128, yb->Qs + 128, VecDotAvx2.BothHalves(scales.GetUpper()), ref s0, ref s1);
            acc0 = Fma.MultiplyAdd(Vector256.Create(ya->D * xd), Avx.ConvertToVector256Single(s0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(yb->D * xd), Avx.ConvertToVector256Single(s1), acc1);
        }
        y[0] = Hsum(acc0);
        y[yStride] = Hsum(acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q2KHalf2(byte* q2, sbyte* p0, sbyte* p1, Vector256<byte> scales, ref Vector256<int> s0, ref Vector256<int> s1)
    {
        var m3 = Vector256.Create((byte)3);
        Vector256<byte> bits = Avx.LoadVector256(q2);
        Vector256<byte> u0 = bits & m3, u1 = VecDotAvx2.Srl(bits, 2) & m3, u2 = VecDotAvx2.Srl(bits, 4) & m3, u3 = VecDotAvx2.Srl(bits, 6) & m3;
        Vector256<short> c0 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(0)), c1 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(1));
        Vector256<short> c2 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(2)), c3 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(3));
        s0 += VecDotAvx2.ScaledDot(u0, p0, c0) + VecDotAvx2.ScaledDot(u1, p0 + 32, c1) + (VecDotAvx2.ScaledDot(u2, p0 + 64, c2) + VecDotAvx2.ScaledDot(u3, p0 + 96, c3));
        s1 += VecDotAvx2.ScaledDot(u0, p1, c0) + VecDotAvx2.ScaledDot(u1, p1 + 32, c1) + (VecDotAvx2.ScaledDot(u2, p1 + 64, c2) + VecDotAvx2.ScaledDot(u3, p1 + 96, c3));
    }

    /// <summary>One Q3_K row × two Q8_K activation rows.</summary>
    public static void Q3KTile12(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (Q3KBlock*)w; var ya = (Q8KBlock*)act; var yb = (Q8KBlock*)(act + actRow);
        Vector256<float> acc0 = default, acc1 = default;
        for (Q3KBlock* end = x + n / QK.K; x < end; x++, ya++, yb++)
        {
            float xd = half[x->D];
            Vector256<short> scales = Avx2.ConvertToVector256Int16(VecDotAvx2.Q3KScales(x->Scales));
            Vector256<byte> hbits = Avx.LoadVector256(x->HMask);
            Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero;
            Q3KHalf2(x->Qs, hbits, ya->Qs, yb->Qs, VecDotAvx2.BothHalves(scales.GetLower()), ref s0, ref s1);
            Q3KHalf2(x->Qs + 32, VecDotAvx2.Srl(hbits, 4), ya->Qs + 128, yb->Qs + 128, VecDotAvx2.BothHalves(scales.GetUpper()), ref s0, ref s1);
            acc0 = Fma.MultiplyAdd(Vector256.Create(ya->D * xd), Avx.ConvertToVector256Single(s0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(yb->D * xd), Avx.ConvertToVector256Single(s1), acc1);
        }
        y[0] = Hsum(acc0);
        y[yStride] = Hsum(acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q3KHalf2(byte* q3, Vector256<byte> hbits, sbyte* p0, sbyte* p1, Vector256<byte> scales, ref Vector256<int> s0, ref Vector256<int> s1)
    {
        Vector256<byte> bits = Avx.LoadVector256(q3);
        VecDotAvx2.Q3KUnpack(bits, hbits, 0, 0, out var l0, out var m0);
        VecDotAvx2.Q3KUnpack(bits, hbits, 2, 1, out var l1, out var m1);
        VecDotAvx2.Q3KUnpack(bits, hbits, 4, 2, out var l2, out var m2);
        VecDotAvx2.Q3KUnpack(bits, hbits, 6, 3, out var l3, out var m3);
        Vector256<short> c0 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(0)), c1 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(1));
        Vector256<short> c2 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(2)), c3 = VecDotAvx2.Pick(scales, VecDotAvx2.PairShuffle(3));
        s0 += VecDotAvx2.Q3KDot(l0, m0, p0, c0) + VecDotAvx2.Q3KDot(l1, m1, p0 + 32, c1) + (VecDotAvx2.Q3KDot(l2, m2, p0 + 64, c2) + VecDotAvx2.Q3KDot(l3, m3, p0 + 96, c3));
        s1 += VecDotAvx2.Q3KDot(l0, m0, p1, c0) + VecDotAvx2.Q3KDot(l1, m1, p1 + 32, c1) + (VecDotAvx2.Q3KDot(l2, m2, p1 + 64, c2) + VecDotAvx2.Q3KDot(l3, m3, p1 + 96, c3));
    }

    /// <summary>One Q5_K row × two Q8_K activation rows.</summary>
    public static void Q5KTile12(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (Q5KBlock*)w; var ya = (Q8KBlock*)act; var yb = (Q8KBlock*)(act + actRow);
        Vector256<float> acc0 = default, acc1 = default;
        float summs0 = 0, summs1 = 0;
        for (Q5KBlock* end = x + n / QK.K; x < end; x++, ya++, yb++)
        {
            float xd = half[x->D], xm = half[x->DMin];
            Vector256<short> sm16 = Avx2.ConvertToVector256Int16(VecDotAvx2.ScalesAndMins(x->Scales));
            summs0 = MathF.FusedMultiplyAdd(-ya->D * xm, Sum4(VecDotAvx2.MinProducts(sm16, ya->BSums)), summs0);
            summs1 = MathF.FusedMultiplyAdd(-yb->D * xm, Sum4(VecDotAvx2.MinProducts(sm16, yb->BSums)), summs1);
            Vector256<byte> scales = Vector256.Create(sm16.GetLower(), sm16.GetLower()).AsByte();
            Vector256<byte> hbits = Avx.LoadVector256(x->Qh);
            Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero;
            byte* q5 = x->Qs;
            sbyte* p0 = ya->Qs, p1 = yb->Qs;
            Q5KStep2(q5, hbits, p0, p1, scales, VecDotAvx2.ScaleShuffle(0), VecDotAvx2.ScaleShuffle(1), ref s0, ref s1);
            Q5KStep2(q5 + 32, VecDotAvx2.Srl(hbits, 2), p0 + 64, p1 + 64, scales, VecDotAvx2.ScaleShuffle(2), VecDotAvx2.ScaleShuffle(3), ref s0, ref s1);
            Q5KStep2(q5 + 64, VecDotAvx2.Srl(hbits, 4), p0 + 128, p1 + 128, scales, VecDotAvx2.ScaleShuffle(4), VecDotAvx2.ScaleShuffle(5), ref s0, ref s1);
            Q5KStep2(q5 + 96, VecDotAvx2.Srl(hbits, 6), p0 + 192, p1 + 192, scales, VecDotAvx2.ScaleShuffle(6), VecDotAvx2.ScaleShuffle(7), ref s0, ref s1);
            acc0 = Fma.MultiplyAdd(Vector256.Create(ya->D * xd), Avx.ConvertToVector256Single(s0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(yb->D * xd), Avx.ConvertToVector256Single(s1), acc1);
        }
        y[0] = Hsum(acc0) + summs0;
        y[yStride] = Hsum(acc1) + summs1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q5KStep2(byte* q5, Vector256<byte> hbits, sbyte* p0, sbyte* p1, Vector256<byte> scales, Vector256<byte> maskLo, Vector256<byte> maskHi,
                                 ref Vector256<int> s0, ref Vector256<int> s1)
    {
        VecDotAvx2.Q5KUnpack(q5, hbits, out var lo, out var hi);
        Vector256<short> scaleLo = VecDotAvx2.Pick(scales, maskLo), scaleHi = VecDotAvx2.Pick(scales, maskHi);
        s0 += VecDotAvx2.Q4KDot(lo, hi, p0, scaleLo, scaleHi);
        s1 += VecDotAvx2.Q4KDot(lo, hi, p1, scaleLo, scaleHi);
    }

    /// <summary>The four int lanes added in lane order, as the one-row Q5_K kernel adds them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Sum4(Vector128<int> v) => v.GetElement(0) + v.GetElement(1) + v.GetElement(2) + v.GetElement(3);
}
