using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// Q4_0 weights repacked once at load into groups of eight rows, as llama.cpp's CPU backend repacks them (its "CPU_REPACK"
/// buffers) before it multiplies: one pass over a group serves eight rows, so the activation block is broadcast once per
/// eight rows, the eight results come out of one register with no horizontal sums, and the group's bytes are one stream.
/// </summary>
/// <remarks>
/// Layout of a group-block (144 bytes, the size of the eight Q4_0 blocks it holds): the eight rows' half scales, then four
/// 32-byte chunks; chunk c holds quant bytes 4c..4c+3 of every row, row r at bytes 4r..4r+3, so one vpmaddubsw + vpmaddwd
/// leaves row r's partial dot in int32 lane r. A group's blocks follow one another; groups follow one another.
/// Numerics: per row, each block's integer dot (exact) is converted to float and fused into the row's accumulator with
/// dx·dy, block after block — the order of llama.cpp's AVX2 <c>ggml_gemv_q4_0_8x8_q8_0</c> (not of its one-row
/// <c>vec_dot_q4_0_q8_0</c>, which keeps eight partial lanes), so decode matches what llama.cpp actually computes for these
/// matrices. The scalar reference is <see cref="VecDotScalar.Q4_0PerBlock"/> on the original rows; packing and
/// dispatch are in <see cref="PackedWeights"/>.
/// The activation rows must carry their <see cref="Q8_0Extras"/> (<see cref="MatMul"/> writes them): the quants stay
/// unsigned (0..15) and 8·Σy is taken off once per block for all eight rows.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class PackedQ4_0
{
    public const int GroupBlockBytes = 144;
    private const int ActBlockBytes = 34;

    /// <summary>Packs one group of eight rows (<paramref name="rows"/>, RowBytes apart).</summary>
    public static void PackGroup(byte* rows, long rowBytes, int cols, byte* o)
    {
        for (int b = 0; b < cols / 32; b++, o += GroupBlockBytes)
            for (int r = 0; r < PackedWeights.Rows; r++)
            {
                byte* block = rows + r * rowBytes + b * 18;
                ((ushort*)o)[r] = *(ushort*)block;
                for (int c = 0; c < 4; c++)
                    *(uint*)(o + 16 + 32 * c + 4 * r) = Unsafe.ReadUnaligned<uint>(block + 2 + 4 * c);
            }
    }

    /// <summary>The eight rows' half scales at the start of a group-block as floats (exact for every half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Scales(byte* groupBlock) => Fp16.ToSingle8((ushort*)groupBlock);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> Broadcast4(byte* p) => Vector256.Create(Unsafe.ReadUnaligned<int>(p)).AsSByte();

    /// <summary>Lane r += Σ of row r's 8 quants in chunk c (low and high nibbles) × the matching activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Chunk(Vector256<byte> lo, Vector256<byte> hi, byte* qy, int c) =>
        Avx2.MultiplyAddAdjacent(lo, Broadcast4(qy + 4 * c)) + Avx2.MultiplyAddAdjacent(hi, Broadcast4(qy + 16 + 4 * c));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ChunkVnni(Vector256<int> acc, Vector256<byte> lo, Vector256<byte> hi, byte* qy, int c) =>
        Vnni.DotAdd(Vnni.DotAdd(acc, lo, Broadcast4(qy + 4 * c)), hi, Broadcast4(qy + 16 + 4 * c));

    /// <summary>
    /// Eight rows (one group, <paramref name="n"/> columns) × one activation row: y[0..7]. The int16 sums cannot saturate:
    /// |u·y| ≤ 15·127, and a lane adds 16 such products (30480 &lt; 32767).
    /// </summary>
    public static void Gemv(byte* group, byte* act, int n, float* y)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        int nb = n / 32;
        int* sums = Q8_0Extras.BlockSums(act, n);
        Vector256<float> acc = default;
        var m4 = Vector256.Create((byte)0xF);
        var ones = Vector256.Create((short)1);
        for (int b = 0; b < nb; b++, group += GroupBlockBytes, act += ActBlockBytes)
        {
            byte* qy = act + 2;
            Vector256<int> dot;
            if (Vnni.Enabled)
            {
                dot = Vector256<int>.Zero;
                for (int c = 0; c < 4; c++)
                {
                    Vector256<byte> v = Avx.LoadVector256(group + 16 + 32 * c);
                    dot = ChunkVnni(dot, v & m4, VecDotAvx2.Srl(v, 4) & m4, qy, c);
                }
            }
            else
            {
                Vector256<byte> v0 = Avx.LoadVector256(group + 16), v1 = Avx.LoadVector256(group + 48);
                Vector256<byte> v2 = Avx.LoadVector256(group + 80), v3 = Avx.LoadVector256(group + 112);
                Vector256<short> s = Chunk(v0 & m4, VecDotAvx2.Srl(v0, 4) & m4, qy, 0) + Chunk(v1 & m4, VecDotAvx2.Srl(v1, 4) & m4, qy, 1)
                                   + Chunk(v2 & m4, VecDotAvx2.Srl(v2, 4) & m4, qy, 2) + Chunk(v3 & m4, VecDotAvx2.Srl(v3, 4) & m4, qy, 3);
                dot = Avx2.MultiplyAddAdjacent(s, ones);
            }
            dot -= Vector256.Create(sums[b] << 3);
            Vector256<float> d = Scales(group) * Vector256.Create(half[*(ushort*)act]);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), d, acc);
        }
        Avx.Store(y, acc);
    }

    /// <summary>Eight rows × four activation rows (prefill): y[t·yStride + r]. Each chunk is unpacked once for four tokens.</summary>
    public static void Gemm4(byte* group, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        int nb = n / 32;
        byte* a0 = act, a1 = act + actRow, a2 = act + 2 * actRow, a3 = act + 3 * actRow;
        int* s0 = Q8_0Extras.BlockSums(a0, n), s1 = Q8_0Extras.BlockSums(a1, n);
        int* s2 = Q8_0Extras.BlockSums(a2, n), s3 = Q8_0Extras.BlockSums(a3, n);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var m4 = Vector256.Create((byte)0xF);
        var ones = Vector256.Create((short)1);
        for (int b = 0; b < nb; b++, group += GroupBlockBytes, a0 += ActBlockBytes, a1 += ActBlockBytes, a2 += ActBlockBytes, a3 += ActBlockBytes)
        {
            Vector256<int> d0, d1, d2, d3;
            if (Vnni.Enabled)
            {
                d0 = d1 = d2 = d3 = Vector256<int>.Zero;
                for (int c = 0; c < 4; c++)
                {
                    Vector256<byte> v = Avx.LoadVector256(group + 16 + 32 * c);
                    Vector256<byte> lo = v & m4, hi = VecDotAvx2.Srl(v, 4) & m4;
                    d0 = ChunkVnni(d0, lo, hi, a0 + 2, c);
                    d1 = ChunkVnni(d1, lo, hi, a1 + 2, c);
                    d2 = ChunkVnni(d2, lo, hi, a2 + 2, c);
                    d3 = ChunkVnni(d3, lo, hi, a3 + 2, c);
                }
            }
            else
            {
                Vector256<short> t0 = default, t1 = default, t2 = default, t3 = default;
                for (int c = 0; c < 4; c++)
                {
                    Vector256<byte> v = Avx.LoadVector256(group + 16 + 32 * c);
                    Vector256<byte> lo = v & m4, hi = VecDotAvx2.Srl(v, 4) & m4;
                    t0 += Chunk(lo, hi, a0 + 2, c);
                    t1 += Chunk(lo, hi, a1 + 2, c);
                    t2 += Chunk(lo, hi, a2 + 2, c);
                    t3 += Chunk(lo, hi, a3 + 2, c);
                }
                d0 = Avx2.MultiplyAddAdjacent(t0, ones); d1 = Avx2.MultiplyAddAdjacent(t1, ones);
                d2 = Avx2.MultiplyAddAdjacent(t2, ones); d3 = Avx2.MultiplyAddAdjacent(t3, ones);
            }
            Vector256<float> dx = Scales(group);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(d0 - Vector256.Create(s0[b] << 3)), dx * Vector256.Create(half[*(ushort*)a0]), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(d1 - Vector256.Create(s1[b] << 3)), dx * Vector256.Create(half[*(ushort*)a1]), acc1);
            acc2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(d2 - Vector256.Create(s2[b] << 3)), dx * Vector256.Create(half[*(ushort*)a2]), acc2);
            acc3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(d3 - Vector256.Create(s3[b] << 3)), dx * Vector256.Create(half[*(ushort*)a3]), acc3);
        }
        Avx.Store(y, acc0);
        Avx.Store(y + yStride, acc1);
        Avx.Store(y + 2 * yStride, acc2);
        Avx.Store(y + 3 * yStride, acc3);
    }

    /// <summary>
    /// Sixteen rows (two consecutive groups, <paramref name="groupBytes"/> apart) × four activation rows with 512-bit vectors
    /// (<see cref="Avx512"/>): y[t·yStride + r], r &lt; 16. Each half of a vector is one group and computes what
    /// <see cref="Gemm4"/> computes for it (the same integer sums, fused into each row's accumulator with dx·dy block after
    /// block), so the results are the same bits — as llama.cpp's AVX-512 build takes two of its eight-row groups per pass.
    /// </summary>
    public static void Gemm16x4(byte* group, long groupBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotTiles.Q8_0Tile82)
        int nb = n / 32;
        byte* g0 = group, g1 = group + groupBytes;
        byte* a0 = act, a1 = act + actRow, a2 = act + 2 * actRow, a3 = act + 3 * actRow;
        int* s0 = Q8_0Extras.BlockSums(a0, n), s1 = Q8_0Extras.BlockSums(a1, n);
        int* s2 = Q8_0Extras.BlockSums(a2, n), s3 = Q8_0Extras.BlockSums(a3, n);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var m4 = Vector512.Create((byte)0xF);
        for (int b = 0; b < nb; b++, g0 += GroupBlockBytes, g1 += GroupBlockBytes, a0 += ActBlockBytes, a1 += ActBlockBytes, a2 += ActBlockBytes, a3 += ActBlockBytes)
        {
            Vector512<short> t0 = default, t1 = default, t2 = default, t3 = default;
            for (int c = 0; c < 4; c++)
            {
                Vector512<byte> v = Avx512.Load2(g0 + 16 + 32 * c, g1 + 16 + 32 * c);
                Vector512<byte> lo = v & m4, hi = Avx512.Srl(v, 4) & m4;
                t0 += Chunk16(lo, hi, a0 + 2, c);
                t1 += Chunk16(lo, hi, a1 + 2, c);
                t2 += Chunk16(lo, hi, a2 + 2, c);
                t3 += Chunk16(lo, hi, a3 + 2, c);
            }
            Vector512<float> dx = Avx512.Join(Scales(g0), Scales(g1));
            acc0 = Avx512.MultiplyAdd(Avx512.ToSingle(Avx512.Widen(t0) - Vector512.Create(s0[b] << 3)), dx * Vector512.Create(half[*(ushort*)a0]), acc0);
            acc1 = Avx512.MultiplyAdd(Avx512.ToSingle(Avx512.Widen(t1) - Vector512.Create(s1[b] << 3)), dx * Vector512.Create(half[*(ushort*)a1]), acc1);
            acc2 = Avx512.MultiplyAdd(Avx512.ToSingle(Avx512.Widen(t2) - Vector512.Create(s2[b] << 3)), dx * Vector512.Create(half[*(ushort*)a2]), acc2);
            acc3 = Avx512.MultiplyAdd(Avx512.ToSingle(Avx512.Widen(t3) - Vector512.Create(s3[b] << 3)), dx * Vector512.Create(half[*(ushort*)a3]), acc3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 2 * yStride);
        acc3.Store(y + 3 * yStride);
    }

    /// <summary><see cref="Chunk"/> for sixteen rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Chunk16(Vector512<byte> lo, Vector512<byte> hi, byte* qy, int c) =>
        Avx512.MulAddBytes(lo, Avx512.Broadcast4(qy + 4 * c)) + Avx512.MulAddBytes(hi, Avx512.Broadcast4(qy + 16 + 4 * c));
}
