using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// Q4_K repacked into groups of eight rows (see <see cref="PackedWeights"/>).
/// </summary>
/// <remarks>
/// Layout of a group-superblock (1184 bytes for eight 144-byte blocks; the 6-bit scales are unpacked to bytes):
/// 8 half d, 8 half dmin; scales: for sub-block j, 8 bytes (row r at r); mins: for sub-block pair k, 16 bytes (row r at
/// 2r: sub-block 2k, 2r+1: 2k+1); quants: for pair k, eight 32-byte chunks; chunk c holds bytes 32k+4c..+3 of every row's
/// qs, row r at 4r (low nibbles: sub-block 2k, elements 4c..4c+3; high nibbles: sub-block 2k+1).
/// Numerics, per row and super-block: Σ_j scale_j·dot_j and Σ_j min_j·bsum_j as integers (exact), each converted and fused
/// with d·dy (dmin·dy) into its own accumulator; the two are subtracted at the end. That is llama.cpp's AVX2
/// <c>ggml_gemv_q4_K_8x8_q8_K</c>; the scalar reference is <see cref="VecDotScalar.Q4KPerBlock"/>.
/// The int16 sums cannot saturate: a lane adds 16 products of a nibble (≤ 15) and a Q8_K quant (|q| ≤ 127).
/// </remarks>
[SkipLocalsInit]
internal static unsafe class PackedQ4K
{
    public const int GroupBlockBytes = 1184;
    private const int ScalesAt = 32, MinsAt = 96, QuantsAt = 160;

    public static void PackGroup(byte* rows, long rowBytes, int cols, byte* o)
    {
        for (int i = 0; i < cols / QK.K; i++, o += GroupBlockBytes)
            for (int r = 0; r < PackedWeights.Rows; r++)
            {
                var x = (Q4KBlock*)(rows + r * rowBytes) + i;
                ((ushort*)o)[r] = x->D;
                ((ushort*)o)[8 + r] = x->DMin;
                for (int j = 0; j < 8; j++)
                {
                    Dequantize.ScaleMinK4(j, x->Scales, out int sc, out int m);
                    o[ScalesAt + 8 * j + r] = (byte)sc;
                    o[MinsAt + 16 * (j / 2) + 2 * r + j % 2] = (byte)m;
                }
                for (int k = 0; k < 4; k++)
                    for (int c = 0; c < 8; c++)
                        *(uint*)(o + QuantsAt + 256 * k + 32 * c + 4 * r) = Unsafe.ReadUnaligned<uint>(x->Qs + 32 * k + 4 * c);
            }
    }

    /// <summary>The eight rows' Σ min·bsum for a super-block: bsum32 of sub-blocks (2k, 2k+1) as an int16 pair in every dword.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Mins(byte* g, Q8KBlock* y)
    {
        Vector256<short> bs = Avx.LoadVector256(y->BSums);
        Vector128<short> s32 = Ssse3.HorizontalAdd(bs.GetLower(), bs.GetUpper()); // sums over each 32-element sub-block
        Vector256<int> q8s = Vector256.Create(s32, s32).AsInt32();
        Vector256<int> m = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(g + MinsAt), Avx2.Shuffle(q8s, 0x00).AsInt16());
        m += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(g + MinsAt + 16), Avx2.Shuffle(q8s, 0x55).AsInt16());
        m += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(g + MinsAt + 32), Avx2.Shuffle(q8s, 0xAA).AsInt16());
        m += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(g + MinsAt + 48), Avx2.Shuffle(q8s, 0xFF).AsInt16());
        return m;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Scaled(Vector256<short> dot16, byte* scales) =>
        Avx2.MultiplyLow(Avx2.MultiplyAddAdjacent(dot16, Vector256.Create((short)1)), Avx2.ConvertToVector256Int32(scales));

    /// <summary>Eight rows × one Q8_K activation row: y[0..7].</summary>
    public static void Gemv(byte* group, byte* act, int n, float* y)
    {
        var ya = (Q8KBlock*)act;
        Vector256<float> acc = default, accm = default;
        var m4 = Vector256.Create((byte)0xF);
        for (int i = 0; i < n / QK.K; i++, group += GroupBlockBytes)
        {
            byte* q8 = (byte*)ya[i].Qs;
            Vector256<int> isum = Vector256<int>.Zero;
            for (int k = 0; k < 4; k++)
            {
                byte* q = group + QuantsAt + 256 * k;
                byte* p = q8 + 64 * k;
                Vector256<short> lo = default, hi = default;
                for (int c = 0; c < 8; c++)
                {
                    Vector256<byte> v = Avx.LoadVector256(q + 32 * c);
                    lo += Avx2.MultiplyAddAdjacent(v & m4, PackedQ4_0.Broadcast4(p + 4 * c));
                    hi += Avx2.MultiplyAddAdjacent(VecDotAvx2.Srl(v, 4) & m4, PackedQ4_0.Broadcast4(p + 32 + 4 * c));
                }
                isum += Scaled(lo, group + ScalesAt + 16 * k) + Scaled(hi, group + ScalesAt + 16 * k + 8);
            }
            Vector256<float> dy = Vector256.Create(ya[i].D);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), PackedQ4_0.Scales(group) * dy, acc);
            accm = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Mins(group, ya + i)), PackedQ4_0.Scales(group + 16) * dy, accm);
        }
        Avx.Store(y, acc - accm);
    }

    /// <summary>Eight rows × four Q8_K activation rows (prefill): y[t·yStride + r]. Each chunk is unpacked once for four tokens;
    /// low and high nibbles in two passes so that the eight int16 sums and four int32 sums stay in registers.</summary>
    public static void Gemm4(byte* group, byte* act, long actRow, int n, float* y, long yStride)
    {
        var y0 = (Q8KBlock*)act; var y1 = (Q8KBlock*)(act + actRow); var y2 = (Q8KBlock*)(act + 2 * actRow); var y3 = (Q8KBlock*)(act + 3 * actRow);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> m0 = default, m1 = default, m2 = default, m3 = default;
        var m4 = Vector256.Create((byte)0xF);
        for (int i = 0; i < n / QK.K; i++, group += GroupBlockBytes)
        {
            byte* p0 = (byte*)y0[i].Qs, p1 = (byte*)y1[i].Qs, p2 = (byte*)y2[i].Qs, p3 = (byte*)y3[i].Qs;
            Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero, s2 = Vector256<int>.Zero, s3 = Vector256<int>.Zero;
            for (int k = 0; k < 4; k++)
            {
                byte* q = group + QuantsAt + 256 * k;
                for (int half = 0; half < 2; half++)
                {
                    Vector256<short> t0 = default, t1 = default, t2 = default, t3 = default;
                    int at = 64 * k + 32 * half;
                    for (int c = 0; c < 8; c++)
                    {
                        Vector256<byte> v = Avx.LoadVector256(q + 32 * c);
                        Vector256<byte> u = (half == 0 ? v : VecDotAvx2.Srl(v, 4)) & m4;
                        t0 += Avx2.MultiplyAddAdjacent(u, PackedQ4_0.Broadcast4(p0 + at + 4 * c));
                        t1 += Avx2.MultiplyAddAdjacent(u, PackedQ4_0.Broadcast4(p1 + at + 4 * c));
                        t2 += Avx2.MultiplyAddAdjacent(u, PackedQ4_0.Broadcast4(p2 + at + 4 * c));
                        t3 += Avx2.MultiplyAddAdjacent(u, PackedQ4_0.Broadcast4(p3 + at + 4 * c));
                    }
                    byte* sc = group + ScalesAt + 16 * k + 8 * half;
                    s0 += Scaled(t0, sc); s1 += Scaled(t1, sc); s2 += Scaled(t2, sc); s3 += Scaled(t3, sc);
                }
            }
            Vector256<float> d = PackedQ4_0.Scales(group), dmin = PackedQ4_0.Scales(group + 16);
            a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s0), d * Vector256.Create(y0[i].D), a0);
            a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s1), d * Vector256.Create(y1[i].D), a1);
            a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s2), d * Vector256.Create(y2[i].D), a2);
            a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s3), d * Vector256.Create(y3[i].D), a3);
            m0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Mins(group, y0 + i)), dmin * Vector256.Create(y0[i].D), m0);
            m1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Mins(group, y1 + i)), dmin * Vector256.Create(y1[i].D), m1);
            m2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Mins(group, y2 + i)), dmin * Vector256.Create(y2[i].D), m2);
            m3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Mins(group, y3 + i)), dmin * Vector256.Create(y3[i].D), m3);
        }
        Avx.Store(y, a0 - m0);
        Avx.Store(y + yStride, a1 - m1);
        Avx.Store(y + 2 * yStride, a2 - m2);
        Avx.Store(y + 3 * yStride, a3 - m3);
    }

    /// <summary>Sixteen rows (two consecutive groups, <paramref name="groupBytes"/> apart) × four Q8_K activation rows with
    /// 512-bit vectors: <see cref="Gemm4"/> for each group in one half of every vector (the same bits; see
    /// <see cref="PackedQ4_0.Gemm16x4"/>).</summary>
    public static void Gemm16x4(byte* group, long groupBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var y0 = (Q8KBlock*)act; var y1 = (Q8KBlock*)(act + actRow); var y2 = (Q8KBlock*)(act + 2 * actRow); var y3 = (Q8KBlock*)(act + 3 * actRow);
        byte* g0 = group, g1 = group + groupBytes;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> m0 = default, m1 = default, m2 = default, m3 = default;
        var m4 = Vector512.Create((byte)0xF);
        for (int i = 0; i < n / QK.K; i++, g0 += GroupBlockBytes, g1 += GroupBlockBytes)
        {
            byte* p0 = (byte*)y0[i].Qs, p1 = (byte*)y1[i].Qs, p2 = (byte*)y2[i].Qs, p3 = (byte*)y3[i].Qs;
            Vector512<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int k = 0; k < 4; k++)
            {
                byte* q0 = g0 + QuantsAt + 256 * k, q1 = g1 + QuantsAt + 256 * k;
                for (int half = 0; half < 2; half++)
                {
                    Vector512<short> t0 = default, t1 = default, t2 = default, t3 = default;
                    int at = 64 * k + 32 * half;
                    for (int c = 0; c < 8; c++)
                    {
                        Vector512<byte> v = Avx512.Load2(q0 + 32 * c, q1 + 32 * c);
                        Vector512<byte> u = (half == 0 ? v : Avx512.Srl(v, 4)) & m4;
                        t0 += Avx512.MulAddBytes(u, Avx512.Broadcast4(p0 + at + 4 * c));
                        t1 += Avx512.MulAddBytes(u, Avx512.Broadcast4(p1 + at + 4 * c));
                        t2 += Avx512.MulAddBytes(u, Avx512.Broadcast4(p2 + at + 4 * c));
                        t3 += Avx512.MulAddBytes(u, Avx512.Broadcast4(p3 + at + 4 * c));
                    }
                    int sc = ScalesAt + 16 * k + 8 * half;
                    Vector512<int> scales = Avx512.Join(Avx2.ConvertToVector256Int32(g0 + sc), Avx2.ConvertToVector256Int32(g1 + sc));
                    s0 += Avx512.Widen(t0) * scales; s1 += Avx512.Widen(t1) * scales;
                    s2 += Avx512.Widen(t2) * scales; s3 += Avx512.Widen(t3) * scales;
                }
            }
            Vector512<float> d = Avx512.Join(PackedQ4_0.Scales(g0), PackedQ4_0.Scales(g1));
            Vector512<float> dmin = Avx512.Join(PackedQ4_0.Scales(g0 + 16), PackedQ4_0.Scales(g1 + 16));
            a0 = Avx512.MultiplyAdd(Avx512.ToSingle(s0), d * Vector512.Create(y0[i].D), a0);
            a1 = Avx512.MultiplyAdd(Avx512.ToSingle(s1), d * Vector512.Create(y1[i].D), a1);
            a2 = Avx512.MultiplyAdd(Avx512.ToSingle(s2), d * Vector512.Create(y2[i].D), a2);
            a3 = Avx512.MultiplyAdd(Avx512.ToSingle(s3), d * Vector512.Create(y3[i].D), a3);
            m0 = Avx512.MultiplyAdd(Mins16(g0, g1, y0 + i), dmin * Vector512.Create(y0[i].D), m0);
            m1 = Avx512.MultiplyAdd(Mins16(g0, g1, y1 + i), dmin * Vector512.Create(y1[i].D), m1);
            m2 = Avx512.MultiplyAdd(Mins16(g0, g1, y2 + i), dmin * Vector512.Create(y2[i].D), m2);
            m3 = Avx512.MultiplyAdd(Mins16(g0, g1, y3 + i), dmin * Vector512.Create(y3[i].D), m3);
        }
        (a0 - m0).Store(y);
        (a1 - m1).Store(y + yStride);
        (a2 - m2).Store(y + 2 * yStride);
        (a3 - m3).Store(y + 3 * yStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mins16(byte* g0, byte* g1, Q8KBlock* y) =>
        Avx512.ToSingle(Avx512.Join(Mins(g0, y), Mins(g1, y)));
}
