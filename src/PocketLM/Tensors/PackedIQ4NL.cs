using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// IQ4_NL weights repacked at load into <see cref="PackedQ4_0"/>'s eight-row groups (an IQ4_NL block is laid out as a
/// Q4_0 block: a half scale and 16 bytes of nibbles, so the packing is the same), as llama.cpp's CPU backend repacks
/// IQ4_NL on AVX2. The nibbles index ggml's 16-value table (one byte shuffle); the values are signed, so each chunk uses
/// ggml's sign trick (|q| × sign(y, q)) and is widened to 32 bits before the next one (eight chunks of pair sums could
/// overflow 16 bits). Numerics: per row, each block's integer dot fused into the row's accumulator with dx·dy, block
/// after block — measured identical to llama.cpp's logits at every position of the differential cases; the scalar
/// reference is <see cref="VecDotScalar.IQ4NLPerBlock"/>.
/// </summary>
[SkipLocalsInit]
internal static unsafe class PackedIQ4NL
{
    private const int ActBlockBytes = 34;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Table() => Vector256.Create(VecDotAvx2.IQ4Values(), VecDotAvx2.IQ4Values());

    /// <summary>Lane r = Σ of row r's 8 quants in one chunk (table values <paramref name="lo"/>, <paramref name="hi"/>)
    /// × the matching activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Chunk(Vector256<sbyte> lo, Vector256<sbyte> hi, byte* qy, int c)
    {
        var ones = Vector256.Create((short)1);
        Vector256<sbyte> ylo = PackedQ4_0.Broadcast4(qy + 4 * c), yhi = PackedQ4_0.Broadcast4(qy + 16 + 4 * c);
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Sign(lo, lo).AsByte(), Avx2.Sign(ylo, lo)), ones)
             + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Sign(hi, hi).AsByte(), Avx2.Sign(yhi, hi)), ones);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(byte* chunk, Vector256<sbyte> table, out Vector256<sbyte> lo, out Vector256<sbyte> hi)
    {
        var m4 = Vector256.Create((byte)0xF);
        Vector256<byte> v = Avx.LoadVector256(chunk);
        lo = Avx2.Shuffle(table, (v & m4).AsSByte());
        hi = Avx2.Shuffle(table, (VecDotAvx2.Srl(v, 4) & m4).AsSByte());
    }

    /// <summary>Eight rows (one group, <paramref name="n"/> columns) × one activation row: y[0..7].</summary>
    public static void Gemv(byte* group, byte* act, int n, float* y)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        Vector256<sbyte> table = Table();
        Vector256<float> acc = default;
        for (int b = 0; b < n / 32; b++, group += PackedQ4_0.GroupBlockBytes, act += ActBlockBytes)
        {
            Vector256<int> dot = Vector256<int>.Zero;
            for (int c = 0; c < 4; c++)
            {
                Unpack(group + 16 + 32 * c, table, out var lo, out var hi);
                dot += Chunk(lo, hi, act + 2, c);
            }
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), PackedQ4_0.Scales(group) * Vector256.Create(half[*(ushort*)act]), acc);
        }
        Avx.Store(y, acc);
    }

    /// <summary>Eight rows × four activation rows (prefill): y[t·yStride + r]. Each chunk is unpacked once for four tokens.</summary>
    public static void Gemm4(byte* group, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        Vector256<sbyte> table = Table();
        byte* a0 = act, a1 = act + actRow, a2 = act + 2 * actRow, a3 = act + 3 * actRow;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < n / 32; b++, group += PackedQ4_0.GroupBlockBytes, a0 += ActBlockBytes, a1 += ActBlockBytes, a2 += ActBlockBytes, a3 += ActBlockBytes)
        {
            Vector256<int> d0 = Vector256<int>.Zero, d1 = Vector256<int>.Zero, d2 = Vector256<int>.Zero, d3 = Vector256<int>.Zero;
            for (int c = 0; c < 4; c++)
            {
                Unpack(group + 16 + 32 * c, table, out var lo, out var hi);
                d0 += Chunk(lo, hi, a0 + 2, c);
                d1 += Chunk(lo, hi, a1 + 2, c);
                d2 += Chunk(lo, hi, a2 + 2, c);
                d3 += Chunk(lo, hi, a3 + 2, c);
            }
            Vector256<float> dx = PackedQ4_0.Scales(group);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(d0), dx * Vector256.Create(half[*(ushort*)a0]), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(d1), dx * Vector256.Create(half[*(ushort*)a1]), acc1);
            acc2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(d2), dx * Vector256.Create(half[*(ushort*)a2]), acc2);
            acc3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(d3), dx * Vector256.Create(half[*(ushort*)a3]), acc3);
        }
        Avx.Store(y, acc0);
        Avx.Store(y + yStride, acc1);
        Avx.Store(y + 2 * yStride, acc2);
        Avx.Store(y + 3 * yStride, acc3);
    }

    /// <summary>Sixteen rows (two consecutive groups) × four activation rows with 512-bit vectors: <see cref="Gemm4"/> for
    /// each group in one half of every vector (the same bits; see <see cref="PackedQ4_0.Gemm16x4"/>).</summary>
    public static void Gemm16x4(byte* group, long groupBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotTiles.Q8_0Tile82)
        Vector256<sbyte> t256 = Table();
        Vector512<sbyte> table = Vector512.Create(t256, t256);
        var m4 = Vector512.Create((byte)0xF);
        byte* g0 = group, g1 = group + groupBytes;
        byte* a0 = act, a1 = act + actRow, a2 = act + 2 * actRow, a3 = act + 3 * actRow;
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < n / 32; b++, g0 += PackedQ4_0.GroupBlockBytes, g1 += PackedQ4_0.GroupBlockBytes,
             a0 += ActBlockBytes, a1 += ActBlockBytes, a2 += ActBlockBytes, a3 += ActBlockBytes)
        {
            Vector512<int> d0 = default, d1 = default, d2 = default, d3 = default;
            for (int c = 0; c < 4; c++)
            {
                Vector512<byte> v = Avx512.Load2(g0 + 16 + 32 * c, g1 + 16 + 32 * c);
                Vector512<sbyte> lo = Avx512.Lookup(table, (v & m4).AsSByte()), hi = Avx512.Lookup(table, (Avx512.Srl(v, 4) & m4).AsSByte());
                Vector512<byte> alo = Avx512.Abs(lo), ahi = Avx512.Abs(hi);
                d0 += Chunk16(alo, lo, ahi, hi, a0 + 2, c);
                d1 += Chunk16(alo, lo, ahi, hi, a1 + 2, c);
                d2 += Chunk16(alo, lo, ahi, hi, a2 + 2, c);
                d3 += Chunk16(alo, lo, ahi, hi, a3 + 2, c);
            }
            Vector512<float> dx = Avx512.Join(PackedQ4_0.Scales(g0), PackedQ4_0.Scales(g1));
            acc0 = Avx512.MultiplyAdd(Avx512.ToSingle(d0), dx * Vector512.Create(half[*(ushort*)a0]), acc0);
            acc1 = Avx512.MultiplyAdd(Avx512.ToSingle(d1), dx * Vector512.Create(half[*(ushort*)a1]), acc1);
            acc2 = Avx512.MultiplyAdd(Avx512.ToSingle(d2), dx * Vector512.Create(half[*(ushort*)a2]), acc2);
            acc3 = Avx512.MultiplyAdd(Avx512.ToSingle(d3), dx * Vector512.Create(half[*(ushort*)a3]), acc3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 2 * yStride);
        acc3.Store(y + 3 * yStride);
    }

    /// <summary><see cref="Chunk"/> for sixteen rows, with |q| computed once for the four tokens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Chunk16(Vector512<byte> alo, Vector512<sbyte> lo, Vector512<byte> ahi, Vector512<sbyte> hi, byte* qy, int c) =>
        Avx512.Widen(Avx512.MulAddBytes(alo, Avx512.NegateWhereNegative(Avx512.Broadcast4(qy + 4 * c), lo)))
        + Avx512.Widen(Avx512.MulAddBytes(ahi, Avx512.NegateWhereNegative(Avx512.Broadcast4(qy + 16 + 4 * c), hi)));
}
