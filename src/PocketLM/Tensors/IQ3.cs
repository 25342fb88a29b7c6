using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

// IQ3 family (IQ3_XXS, IQ3_S): grid tables, dequantization, scalar references, AVX2 and NEON kernels side by side.
//
// Both types code each 4 consecutive weights as one 32-bit grid entry (four unsigned byte magnitudes) and a sign bit per
// weight, with a 4-bit scale per 32 weights:
// - IQ3_XXS: 8-bit grid indices (Qs[0..63]), then per 32 weights one uint32 (Qs[64..95]) of four 7-bit sign groups (the
//   eighth sign of each group of 8 is the parity of the seven) and the scale in the top nibble; value =
//   d·(0.5 + s)·0.5 · ±grid, grid magnitudes 4..62.
// - IQ3_S: 9-bit grid indices (low 8 in Qs, bit 8 in Qh: bit k of Qh[ib] for index k of sub-block ib), a full sign
//   byte per 8 weights, scales as nibbles (low nibble: even sub-block); value = d·(1 + 2s) · ±grid, magnitudes 1..15.

internal static unsafe partial class VecDotScalar
{
    /// <summary>ggml_vec_dot_iq3_xxs_q8_K's AVX2 lanes: per super-block, lane k (0–7) of every 32-element sub-block is the
    /// integer dot of grid entry k (elements 4k..4k+3, signed) with its four activations (vpmaddubsw + vpmaddwd), times
    /// that sub-block's 2s+1; the eight sub-blocks add up as integers, then one fused step with d·d′ per lane, and
    /// 0.25 · ggml's horizontal sum at the end (the 0.5·0.5 of the scale, taken out of the loop).</summary>
    public static float IQ3XXS(byte* vx, byte* vy, int n) => GridLanes(vx, sizeof(IQ3XXSBlock), vy, n, 0.25f, &IQ3XXSLanes);

    private static void IQ3XXSLanes(byte* block, Q8KBlock* y, int* lane)
    {
        var x = (IQ3XXSBlock*)block;
        ReadOnlySpan<uint> grid = IQ3Grids.XXS;
        for (int ib = 0; ib < 8; ib++)
        {
            uint aux = Unsafe.ReadUnaligned<uint>(x->Qs + 64 + 4 * ib);
            int ls = 2 * (int)(aux >> 28) + 1;
            byte* q3 = x->Qs + 8 * ib;
            sbyte* q8 = y->Qs + 32 * ib;
            for (int k = 0; k < 8; k++)
            {
                int signs = IQSigns.Full((int)(aux >> 7 * (k >> 1)) & 127) >> 4 * (k & 1);
                lane[k] += ls * IQ3Quad(grid[q3[k]], signs, q8 + 4 * k);
            }
        }
    }

    /// <summary>ggml_vec_dot_iq3_s_q8_K's AVX2 lanes: the same as <see cref="IQ3XXS"/> (lane k: grid entry k of each
    /// sub-block times 2s+1, integers over the super-block, one fused step with d·d′), with no final factor.</summary>
    public static float IQ3S(byte* vx, byte* vy, int n) => GridLanes(vx, sizeof(IQ3SBlock), vy, n, 1f, &IQ3SLanes);

    private static void IQ3SLanes(byte* block, Q8KBlock* y, int* lane)
    {
        var x = (IQ3SBlock*)block;
        ReadOnlySpan<uint> grid = IQ3Grids.S;
        for (int ib = 0; ib < 8; ib++)
        {
            int ls = 2 * ((x->Scales[ib / 2] >> 4 * (ib & 1)) & 0xF) + 1;
            int qh = x->Qh[ib];
            byte* qs = x->Qs + 8 * ib;
            sbyte* q8 = y->Qs + 32 * ib;
            for (int k = 0; k < 8; k++)
            {
                int signs = x->Signs[4 * ib + (k >> 1)] >> 4 * (k & 1);
                lane[k] += ls * IQ3Quad(grid[qs[k] | ((qh << (8 - k)) & 256)], signs, q8 + 4 * k);
            }
        }
    }

    /// <summary>Σ ±magnitude[t]·q8[t] over the four bytes of a grid entry; bit t of <paramref name="signs"/> negates byte t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IQ3Quad(uint g, int signs, sbyte* q8)
    {
        int s = 0;
        for (int t = 0; t < 4; t++)
        {
            int v = (int)(g >> 8 * t) & 0xFF;
            s += ((signs >> t) & 1) != 0 ? -v * q8[t] : v * q8[t];
        }
        return s;
    }
}

internal static unsafe partial class VecDotAvx2
{
    /// <summary>The lanes of <see cref="VecDotScalar.IQ3XXS"/>: vpmaddubsw of the eight grid entries with the
    /// sign-flipped activations (pair sums ≤ 2·62·127, no saturation; Q8_K never holds −128, so the flip is exact), then
    /// vpmaddwd by 2s+1. The sign bytes and scales of all eight sub-blocks are decoded once per super-block, in SIMD
    /// (<see cref="IQ3XXSSigns"/>), and picked per sub-block with vpermd. Measured (bench micro, one thread, Zen 3, a
    /// noisy shared VM, ratios to ggml's kernel in the same run): ~1.15–1.2×, against ~0.75× when decoding the signs one
    /// sub-block at a time in scalar code; gathering the grid entries with vpgatherdd (~0.7×), pairing them into 64-bit
    /// inserts (~0.95–1.0×), lane-local vpshufb picks instead of vpermd and two sub-blocks a step were no better.</summary>
    public static float IQ3XXS(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ3XXSBlock*)vx; var y = (Q8KBlock*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        Vector256<byte> spread = Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte();
        Vector256<byte> bit = Vector256.Create(0x8040201008040201UL).AsByte();
        fixed (uint* grid = IQ3Grids.XXS)
            for (IQ3XXSBlock* end = x + n / QK.K; x < end; x++, y++)
            {
                byte* q3 = x->Qs;
                sbyte* q8 = y->Qs;
                Vector256<uint> aux = Avx.LoadVector256((uint*)(x->Qs + 64));
                Vector256<uint> signs = IQ3XXSSigns(aux);
                Vector256<uint> scales = Scale16((aux >> 28) << 1);
                Vector256<int> sumi = Vector256<int>.Zero;
                Vector256<uint> ib = Vector256<uint>.Zero;
                for (int j = 0; j < 8; j++, q3 += 8, q8 += 32, ib += Vector256<uint>.One)
                {
                    Vector256<byte> m = Avx2.CompareEqual(Avx2.Shuffle(Avx2.PermuteVar8x32(signs, ib).AsByte(), spread) & bit, bit);
                    Vector256<sbyte> q = ((Load32(q8).AsByte() ^ m) - m).AsSByte();
                    Vector256<byte> g = Vector256.Create(grid[q3[0]], grid[q3[1]], grid[q3[2]], grid[q3[3]],
                        grid[q3[4]], grid[q3[5]], grid[q3[6]], grid[q3[7]]).AsByte();
                    sumi += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(g, q), Avx2.PermuteVar8x32(scales, ib).AsInt16());
                }
                acc = Fma.MultiplyAdd(Vector256.Create(half[x->D] * y->D), Avx.ConvertToVector256Single(sumi), acc);
            }
        return 0.25f * Hsum(acc);
    }

    /// <summary>The lanes of <see cref="VecDotScalar.IQ3S"/> (pair sums ≤ 2·15·127). The 9-bit grid indices of the
    /// super-block are built in SIMD (the Qh bit moved to bit 8 by a 16-bit multiply) and stored, then read back one by
    /// one for the table loads (as ggml does): measured faster than assembling each index in scalar code. Level with
    /// ggml's kernel (0.85–1.1× over runs; variants that read index pairs or spread Qh with vpshufb moved within that
    /// noise).</summary>
    public static float IQ3S(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ3SBlock*)vx; var y = (Q8KBlock*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        ushort* idx = stackalloc ushort[64];
        Vector256<ushort> toBit8 = Vector256.Create((ushort)256, 128, 64, 32, 16, 8, 4, 2, 256, 128, 64, 32, 16, 8, 4, 2);
        Vector256<uint> nibble = Vector256.Create(0u, 4, 8, 12, 16, 20, 24, 28);
        fixed (uint* grid = IQ3Grids.S)
            for (IQ3SBlock* end = x + n / QK.K; x < end; x++, y++)
            {
                for (int j = 0; j < 4; j++)
                {
                    Vector256<ushort> h = Vector256.Create(Vector128.Create((ushort)x->Qh[2 * j]), Vector128.Create((ushort)x->Qh[2 * j + 1]));
                    Vector256<ushort> lo = Avx2.ConvertToVector256Int16(x->Qs + 16 * j).AsUInt16();
                    Avx.Store(idx + 16 * j, lo | ((h * toBit8) & Vector256.Create((ushort)256)));
                }
                Vector256<uint> scales = Scale16((Avx2.ShiftRightLogicalVariable(Vector256.Create(Unsafe.ReadUnaligned<uint>(x->Scales)), nibble) & Vector256.Create(0xFu)) << 1);
                byte* signs = x->Signs;
                sbyte* q8 = y->Qs;
                ushort* ix = idx;
                Vector256<int> sumi = Vector256<int>.Zero;
                Vector256<uint> ib = Vector256<uint>.Zero;
                for (int j = 0; j < 8; j++, ix += 8, q8 += 32, signs += 4, ib += Vector256<uint>.One)
                {
                    Vector256<byte> m = BitsToBytes(signs);
                    Vector256<sbyte> q = ((Load32(q8).AsByte() ^ m) - m).AsSByte();
                    Vector256<byte> g = Vector256.Create(grid[ix[0]], grid[ix[1]], grid[ix[2]], grid[ix[3]],
                        grid[ix[4]], grid[ix[5]], grid[ix[6]], grid[ix[7]]).AsByte();
                    sumi += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(g, q), Avx2.PermuteVar8x32(scales, ib).AsInt16());
                }
                acc = Fma.MultiplyAdd(Vector256.Create(half[x->D] * y->D), Avx.ConvertToVector256Single(sumi), acc);
            }
        return Hsum(acc);
    }

    /// <summary>2s per 32-bit lane → 2s+1 in both 16-bit halves (vpmaddwd's multiplier for every pair of that sub-block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Scale16(Vector256<uint> twice)
    {
        Vector256<uint> s = twice + Vector256<uint>.One;
        return s | (s << 16);
    }

    /// <summary>IQ3_XXS's four 7-bit sign groups (low 28 bits of each lane) as four full sign bytes: each group in its own
    /// byte, bit 7 the parity of the seven (ggml's ksigns_iq2xs). Bit 0 of the xor-folded byte is the parity of that byte
    /// alone: the folds shift by 4, 2 and 1, so no bit of a neighbouring byte reaches it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> IQ3XXSSigns(Vector256<uint> aux)
    {
        Vector256<uint> w = (aux & Vector256.Create(0x7Fu)) | ((aux << 1) & Vector256.Create(0x7F00u))
                          | ((aux << 2) & Vector256.Create(0x7F0000u)) | ((aux << 3) & Vector256.Create(0x7F000000u));
        Vector256<uint> p = w ^ (w >> 4);
        p ^= p >> 2;
        p ^= p >> 1;
        return w | ((p & Vector256.Create(0x01010101u)) << 7);
    }
}

internal static unsafe partial class VecDotNeon
{
    // The lanes of VecDotScalar.IQ3XXS/IQ3S in two halves: lanes 0–3 are grid entries 0–3 of a sub-block (elements 0–15),
    // lanes 4–7 entries 4–7, one Dot4 each. The signs go on the grid magnitudes rather than on the activations (as AVX2
    // has it): magnitudes are at most 62, so the flip is exact for every activation byte, −128 included, and SDOT takes
    // two signed operands anyway. The integer lanes are exact sums, so only the float steps have an order to keep.

    /// <summary>The bits of two bytes of <paramref name="bytes"/> as 16 bytes of all-ones (bit set) or zero, bit i of
    /// the first to byte i and of the second to byte 8 + i; <paramref name="pick"/> is <see cref="FirstPick"/> plus the
    /// first byte's offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> SpreadBits(Vector128<byte> bytes, Vector128<byte> pick) =>
        AdvSimd.CompareTest(AdvSimd.Arm64.VectorTableLookup(bytes, pick), BitMask);

    private static readonly Vector128<byte> FirstPick = Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Grid4(uint* grid, byte* i) => Vector128.Create(grid[i[0]], grid[i[1]], grid[i[2]], grid[i[3]]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Grid4(uint* grid, ushort* i) => Vector128.Create(grid[i[0]], grid[i[1]], grid[i[2]], grid[i[3]]);

    private interface IIQ3Format
    {
        static abstract int BlockBytes { get; }
        static abstract uint* Grid { get; }

        /// <summary>The result's factor on ggml's horizontal sum.</summary>
        static abstract float Factor { get; }

        /// <summary>Per super-block, before its sub-blocks: what <see cref="Entries"/> reads from <paramref name="index"/>
        /// (64 entries).</summary>
        static abstract void Begin(byte* block, ushort* index);

        /// <summary>The sign bytes of sub-blocks 4c..4c+3, four a sub-block.</summary>
        static abstract Vector128<byte> Signs(byte* block, int c);

        /// <summary>Grid entries 4h..4h+3 of sub-block <paramref name="ib"/> (elements 16h..16h+15).</summary>
        static abstract Vector128<uint> Entries(byte* block, ushort* index, uint* grid, int ib, int h);

        /// <summary>2s + 1 of sub-block <paramref name="ib"/>.</summary>
        static abstract int Scale(byte* block, int ib);
    }

    /// <summary>The sign bytes of four sub-blocks are decoded together (<see cref="IQ3XXSSigns"/>) and picked per
    /// sub-block with TBL, as AVX2 decodes all eight and picks with vpermd.</summary>
    private struct IQ3XXSFormat : IIQ3Format
    {
        public static int BlockBytes => sizeof(IQ3XXSBlock);
        public static uint* Grid => IQ3Grids.Pointer(IQ3Grids.XXS);
        public static float Factor => 0.25f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Begin(byte* block, ushort* index) { }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Signs(byte* block, int c) => IQ3XXSSigns(Vector128.Load(Aux(block) + 4 * c));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<uint> Entries(byte* block, ushort* index, uint* grid, int ib, int h) =>
            Grid4(grid, ((IQ3XXSBlock*)block)->Qs + 8 * ib + 4 * h);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Scale(byte* block, int ib) => 2 * (int)(Unsafe.ReadUnaligned<uint>(Aux(block) + ib) >> 28) + 1;

        /// <summary>Per sub-block one uint32: four 7-bit sign groups, then the scale.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint* Aux(byte* block) => (uint*)(((IQ3XXSBlock*)block)->Qs + 64);
    }

    /// <summary>The 9-bit grid indices of the super-block are built in vectors (each Qh bit spread to the high byte of
    /// its index) and stored, then read back for the table loads, as in the AVX2 kernel.</summary>
    private struct IQ3SFormat : IIQ3Format
    {
        public static int BlockBytes => sizeof(IQ3SBlock);
        public static uint* Grid => IQ3Grids.Pointer(IQ3Grids.S);
        public static float Factor => 1f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Begin(byte* block, ushort* index)
        {
            var x = (IQ3SBlock*)block;
            Vector128<byte> qh = Vector128.Create(Unsafe.ReadUnaligned<ulong>(x->Qh)).AsByte(), pick = FirstPick;
            for (int j = 0; j < 4; j++, pick += Vector128.Create((byte)2))
            {
                Vector128<byte> low = Load(x->Qs + 16 * j), bit8 = SpreadBits(qh, pick) & Vector128.Create((byte)1);
                Vector128.Store(AdvSimd.Arm64.ZipLow(low, bit8).AsUInt16(), index + 16 * j);
                Vector128.Store(AdvSimd.Arm64.ZipHigh(low, bit8).AsUInt16(), index + 16 * j + 8);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Signs(byte* block, int c) => Load(((IQ3SBlock*)block)->Signs + 16 * c);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<uint> Entries(byte* block, ushort* index, uint* grid, int ib, int h) => Grid4(grid, index + 8 * ib + 4 * h);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Scale(byte* block, int ib) => 2 * (int)((Unsafe.ReadUnaligned<uint>(((IQ3SBlock*)block)->Scales) >> 4 * ib) & 0xF) + 1;
    }

    public static float IQ3XXS(byte* vx, byte* vy, int n) => GridDot<IQ3Family<IQ3XXSFormat>, IQ3Half>(vx, vy, n);

    public static float IQ3S(byte* vx, byte* vy, int n) => GridDot<IQ3Family<IQ3SFormat>, IQ3Half>(vx, vy, n);

    public static void IQ3XXSTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride) =>
        GridTile<IQ3Family<IQ3XXSFormat>, IQ3Half>(w, act, actRow, n, y, yStride);

    public static void IQ3STile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride) =>
        GridTile<IQ3Family<IQ3SFormat>, IQ3Half>(w, act, actRow, n, y, yStride);

    /// <summary>An IQ3 format as <see cref="GridDot{T, THalf}"/> and <see cref="GridTile{T, THalf}"/> (IQ2.cs) take it.</summary>
    private struct IQ3Family<T> : IGridFormat<IQ3Half> where T : struct, IIQ3Format
    {
        public static int BlockBytes => T.BlockBytes;
        public static float Factor => T.Factor;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Begin(byte* block, ushort* index) => T.Begin(block, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Signs(byte* block, int c) => T.Signs(block, c);

        /// <summary>Grid entries 0–3 signed by sign bytes 0–1 of the sub-block's four, entries 4–7 by sign bytes 2–3.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void SubBlock(byte* block, ushort* index, int ib, Vector128<byte> signs, Vector128<byte> pick,
            out IQ3Half lo, out IQ3Half hi)
        {
            uint* grid = T.Grid;
            int scale = T.Scale(block, ib);
            lo = new IQ3Half(T.Entries(block, index, grid, ib, 0), SpreadBits(signs, pick), scale);
            hi = new IQ3Half(T.Entries(block, index, grid, ib, 1), SpreadBits(signs, pick + Vector128.Create((byte)2)), scale);
        }
    }

    /// <summary>Half an IQ3 sub-block (elements 0–15 or 16–31): four grid entries with their signs applied, and the
    /// sub-block's 2s + 1.</summary>
    private readonly struct IQ3Half : IGridHalf
    {
        private readonly Vector128<sbyte> grid;
        private readonly Vector128<int> scale;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public IQ3Half(Vector128<uint> entries, Vector128<byte> negate, int scale)
        {
            Vector128<sbyte> m = negate.AsSByte();
            grid = (entries.AsSByte() ^ m) - m;
            this.scale = Vector128.Create(scale);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<int> Dot(Vector128<int> lanes, sbyte* q8) => AdvSimd.MultiplyAdd(lanes, Dot4(grid, Load(q8)), scale);
    }

    /// <summary>IQ3_XXS's four 7-bit sign groups (low 28 bits of each lane) as four full sign bytes, bit 7 the parity of
    /// the seven (ggml's ksigns_iq2xs; CNT counts each byte's bits, and the byte shift keeps only the count's low bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> IQ3XXSSigns(Vector128<uint> aux)
    {
        Vector128<byte> w = ((aux & Vector128.Create(0x7Fu)) | ((aux << 1) & Vector128.Create(0x7F00u))
                             | ((aux << 2) & Vector128.Create(0x7F0000u)) | ((aux << 3) & Vector128.Create(0x7F000000u))).AsByte();
        return w | Vector128.ShiftLeft(AdvSimd.PopCount(w), 7);
    }
}

public static unsafe partial class Dequantize
{
    // ggml's dequantize_row_iq3_xxs / _iq3_s: each value is (sub-block scale · magnitude) · ±1, the scale computed in
    // ggml's order; negation is exact, so the sign is a flip.

    private static void IQ3XXS(IQ3XXSBlock* x, float* y, int n)
    {
        ReadOnlySpan<uint> grid = IQ3Grids.XXS;
        for (int i = 0; i < n / QK.K; i++, x++)
        {
            float d = Fp16.ToSingle(x->D);
            byte* qs = x->Qs;
            for (int ib = 0; ib < 8; ib++, qs += 8)
            {
                uint aux = Unsafe.ReadUnaligned<uint>(x->Qs + 64 + 4 * ib);
                float db = d * (0.5f + (aux >> 28)) * 0.5f;
                for (int l = 0; l < 4; l++, y += 8)
                {
                    int signs = IQSigns.Full((int)(aux >> 7 * l) & 127);
                    IQ3Quad(db, grid[qs[2 * l]], signs, y);
                    IQ3Quad(db, grid[qs[2 * l + 1]], signs >> 4, y + 4);
                }
            }
        }
    }

    private static void IQ3S(IQ3SBlock* x, float* y, int n)
    {
        ReadOnlySpan<uint> grid = IQ3Grids.S;
        for (int i = 0; i < n / QK.K; i++, x++)
        {
            float d = Fp16.ToSingle(x->D);
            for (int ib = 0; ib < 8; ib++)
            {
                float db = d * (1 + 2 * ((x->Scales[ib / 2] >> 4 * (ib & 1)) & 0xF));
                byte* qs = x->Qs + 8 * ib;
                int qh = x->Qh[ib];
                for (int l = 0; l < 4; l++, y += 8)
                {
                    int signs = x->Signs[4 * ib + l];
                    IQ3Quad(db, grid[qs[2 * l] | ((qh << (8 - 2 * l)) & 256)], signs, y);
                    IQ3Quad(db, grid[qs[2 * l + 1] | ((qh << (7 - 2 * l)) & 256)], signs >> 4, y + 4);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ3Quad(float db, uint g, int signs, float* y)
    {
        for (int j = 0; j < 4; j++)
        {
            float v = db * ((g >> 8 * j) & 0xFF);
            y[j] = ((signs >> j) & 1) != 0 ? -v : v;
        }
    }
}

/// <summary>ggml's iq3xxs_grid and iq3s_grid (ggml-common.h): each entry four byte magnitudes, first weight in the low byte.</summary>
internal static unsafe class IQ3Grids
{
    internal static uint* Pointer(ReadOnlySpan<uint> table) => (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(table)); // RVA data never moves

    internal static ReadOnlySpan<uint> XXS =>
    [
        0x04040404, 0x04040414, 0x04040424, 0x04040c0c, 0x04040c1c, 0x04040c3e, 0x04041404, 0x04041414,
        0x04041c0c, 0x04042414, 0x04043e1c, 0x04043e2c, 0x040c040c, 0x040c041c, 0x040c0c04, 0x040c0c14,
        0x040c140c, 0x040c142c, 0x040c1c04, 0x040c1c14, 0x040c240c, 0x040c2c24, 0x040c3e04, 0x04140404,
        0x04140414, 0x04140424, 0x04140c0c, 0x04141404, 0x04141414, 0x04141c0c, 0x04141c1c, 0x04141c3e,
        0x04142c0c, 0x04142c3e, 0x04143e2c, 0x041c040c, 0x041c043e, 0x041c0c04, 0x041c0c14, 0x041c142c,
        0x041c3e04, 0x04240c1c, 0x04241c3e, 0x04242424, 0x04242c3e, 0x04243e1c, 0x04243e2c, 0x042c040c,
        0x042c043e, 0x042c1c14, 0x042c2c14, 0x04341c2c, 0x04343424, 0x043e0c04, 0x043e0c24, 0x043e0c34,
        0x043e241c, 0x043e340c, 0x0c04040c, 0x0c04041c, 0x0c040c04, 0x0c040c14, 0x0c04140c, 0x0c04141c,
        0x0c041c04, 0x0c041c14, 0x0c041c24, 0x0c04243e, 0x0c042c04, 0x0c0c0404, 0x0c0c0414, 0x0c0c0c0c,
        0x0c0c1404, 0x0c0c1414, 0x0c14040c, 0x0c14041c, 0x0c140c04, 0x0c140c14, 0x0c14140c, 0x0c141c04,
        0x0c143e14, 0x0c1c0404, 0x0c1c0414, 0x0c1c1404, 0x0c1c1c0c, 0x0c1c2434, 0x0c1c3434, 0x0c24040c,
        0x0c24042c, 0x0c242c04, 0x0c2c1404, 0x0c2c1424, 0x0c2c2434, 0x0c2c3e0c, 0x0c34042c, 0x0c3e1414,
        0x0c3e2404, 0x14040404, 0x14040414, 0x14040c0c, 0x14040c1c, 0x14041404, 0x14041414, 0x14041434,
        0x14041c0c, 0x14042414, 0x140c040c, 0x140c041c, 0x140c042c, 0x140c0c04, 0x140c0c14, 0x140c140c,
        0x140c1c04, 0x140c341c, 0x140c343e, 0x140c3e04, 0x14140404, 0x14140414, 0x14140c0c, 0x14140c3e,
        0x14141404, 0x14141414, 0x14141c3e, 0x14142404, 0x14142c2c, 0x141c040c, 0x141c0c04, 0x141c0c24,
        0x141c3e04, 0x141c3e24, 0x14241c2c, 0x14242c1c, 0x142c041c, 0x142c143e, 0x142c240c, 0x142c3e24,
        0x143e040c, 0x143e041c, 0x143e0c34, 0x143e242c, 0x1c04040c, 0x1c040c04, 0x1c040c14, 0x1c04140c,
        0x1c04141c, 0x1c042c04, 0x1c04342c, 0x1c043e14, 0x1c0c0404, 0x1c0c0414, 0x1c0c1404, 0x1c0c1c0c,
        0x1c0c2424, 0x1c0c2434, 0x1c14040c, 0x1c14041c, 0x1c140c04, 0x1c14142c, 0x1c142c14, 0x1c143e14,
        0x1c1c0c0c, 0x1c1c1c1c, 0x1c241c04, 0x1c24243e, 0x1c243e14, 0x1c2c0404, 0x1c2c0434, 0x1c2c1414,
        0x1c2c2c2c, 0x1c340c24, 0x1c341c34, 0x1c34341c, 0x1c3e1c1c, 0x1c3e3404, 0x24040424, 0x24040c3e,
        0x24041c2c, 0x24041c3e, 0x24042c1c, 0x24042c3e, 0x240c3e24, 0x24141404, 0x24141c3e, 0x24142404,
        0x24143404, 0x24143434, 0x241c043e, 0x241c242c, 0x24240424, 0x24242c0c, 0x24243424, 0x242c142c,
        0x242c241c, 0x242c3e04, 0x243e042c, 0x243e0c04, 0x243e0c14, 0x243e1c04, 0x2c040c14, 0x2c04240c,
        0x2c043e04, 0x2c0c0404, 0x2c0c0434, 0x2c0c1434, 0x2c0c2c2c, 0x2c140c24, 0x2c141c14, 0x2c143e14,
        0x2c1c0414, 0x2c1c2c1c, 0x2c240c04, 0x2c24141c, 0x2c24143e, 0x2c243e14, 0x2c2c0414, 0x2c2c1c0c,
        0x2c342c04, 0x2c3e1424, 0x2c3e2414, 0x34041424, 0x34042424, 0x34042434, 0x34043424, 0x340c140c,
        0x340c340c, 0x34140c3e, 0x34143424, 0x341c1c04, 0x341c1c34, 0x34242424, 0x342c042c, 0x342c2c14,
        0x34341c1c, 0x343e041c, 0x343e140c, 0x3e04041c, 0x3e04042c, 0x3e04043e, 0x3e040c04, 0x3e041c14,
        0x3e042c14, 0x3e0c1434, 0x3e0c2404, 0x3e140c14, 0x3e14242c, 0x3e142c14, 0x3e1c0404, 0x3e1c0c2c,
        0x3e1c1c1c, 0x3e1c3404, 0x3e24140c, 0x3e24240c, 0x3e2c0404, 0x3e2c0414, 0x3e2c1424, 0x3e341c04,
    ];

    internal static ReadOnlySpan<uint> S =>
    [
        0x01010101, 0x01010103, 0x01010105, 0x0101010b, 0x0101010f, 0x01010301, 0x01010303, 0x01010305,
        0x01010309, 0x0101030d, 0x01010501, 0x01010503, 0x0101050b, 0x01010707, 0x01010901, 0x01010905,
        0x0101090b, 0x0101090f, 0x01010b03, 0x01010b07, 0x01010d01, 0x01010d05, 0x01010f03, 0x01010f09,
        0x01010f0f, 0x01030101, 0x01030103, 0x01030105, 0x01030109, 0x01030301, 0x01030303, 0x0103030b,
        0x01030501, 0x01030507, 0x0103050f, 0x01030703, 0x0103070b, 0x01030909, 0x01030d03, 0x01030d0b,
        0x01030f05, 0x01050101, 0x01050103, 0x0105010b, 0x0105010f, 0x01050301, 0x01050307, 0x0105030d,
        0x01050503, 0x0105050b, 0x01050701, 0x01050709, 0x01050905, 0x0105090b, 0x0105090f, 0x01050b03,
        0x01050b07, 0x01050f01, 0x01050f07, 0x01070107, 0x01070303, 0x0107030b, 0x01070501, 0x01070505,
        0x01070703, 0x01070707, 0x0107070d, 0x01070909, 0x01070b01, 0x01070b05, 0x01070d0f, 0x01070f03,
        0x01070f0b, 0x01090101, 0x01090307, 0x0109030f, 0x01090503, 0x01090509, 0x01090705, 0x01090901,
        0x01090907, 0x01090b03, 0x01090f01, 0x010b0105, 0x010b0109, 0x010b0501, 0x010b0505, 0x010b050d,
        0x010b0707, 0x010b0903, 0x010b090b, 0x010b090f, 0x010b0d0d, 0x010b0f07, 0x010d010d, 0x010d0303,
        0x010d0307, 0x010d0703, 0x010d0b05, 0x010d0f03, 0x010f0101, 0x010f0105, 0x010f0109, 0x010f0501,
        0x010f0505, 0x010f050d, 0x010f0707, 0x010f0b01, 0x010f0b09, 0x03010101, 0x03010103, 0x03010105,
        0x03010109, 0x03010301, 0x03010303, 0x03010307, 0x0301030b, 0x0301030f, 0x03010501, 0x03010505,
        0x03010703, 0x03010709, 0x0301070d, 0x03010b09, 0x03010b0d, 0x03010d03, 0x03010f05, 0x03030101,
        0x03030103, 0x03030107, 0x0303010d, 0x03030301, 0x03030309, 0x03030503, 0x03030701, 0x03030707,
        0x03030903, 0x03030b01, 0x03030b05, 0x03030f01, 0x03030f0d, 0x03050101, 0x03050305, 0x0305030b,
        0x0305030f, 0x03050501, 0x03050509, 0x03050705, 0x03050901, 0x03050907, 0x03050b0b, 0x03050d01,
        0x03050f05, 0x03070103, 0x03070109, 0x0307010f, 0x03070301, 0x03070307, 0x03070503, 0x0307050f,
        0x03070701, 0x03070709, 0x03070903, 0x03070d05, 0x03070f01, 0x03090107, 0x0309010b, 0x03090305,
        0x03090309, 0x03090703, 0x03090707, 0x03090905, 0x0309090d, 0x03090b01, 0x03090b09, 0x030b0103,
        0x030b0301, 0x030b0307, 0x030b0503, 0x030b0701, 0x030b0705, 0x030b0b03, 0x030d0501, 0x030d0509,
        0x030d050f, 0x030d0909, 0x030d090d, 0x030f0103, 0x030f0107, 0x030f0301, 0x030f0305, 0x030f0503,
        0x030f070b, 0x030f0903, 0x030f0d05, 0x030f0f01, 0x05010101, 0x05010103, 0x05010107, 0x0501010b,
        0x0501010f, 0x05010301, 0x05010305, 0x05010309, 0x0501030d, 0x05010503, 0x05010507, 0x0501050f,
        0x05010701, 0x05010705, 0x05010903, 0x05010907, 0x0501090b, 0x05010b01, 0x05010b05, 0x05010d0f,
        0x05010f01, 0x05010f07, 0x05010f0b, 0x05030101, 0x05030105, 0x05030301, 0x05030307, 0x0503030f,
        0x05030505, 0x0503050b, 0x05030703, 0x05030709, 0x05030905, 0x05030b03, 0x05050103, 0x05050109,
        0x0505010f, 0x05050503, 0x05050507, 0x05050701, 0x0505070f, 0x05050903, 0x05050b07, 0x05050b0f,
        0x05050f03, 0x05050f09, 0x05070101, 0x05070105, 0x0507010b, 0x05070303, 0x05070505, 0x05070509,
        0x05070703, 0x05070707, 0x05070905, 0x05070b01, 0x05070d0d, 0x05090103, 0x0509010f, 0x05090501,
        0x05090507, 0x05090705, 0x0509070b, 0x05090903, 0x05090f05, 0x05090f0b, 0x050b0109, 0x050b0303,
        0x050b0505, 0x050b070f, 0x050b0901, 0x050b0b07, 0x050b0f01, 0x050d0101, 0x050d0105, 0x050d010f,
        0x050d0503, 0x050d0b0b, 0x050d0d03, 0x050f010b, 0x050f0303, 0x050f050d, 0x050f0701, 0x050f0907,
        0x050f0b01, 0x07010105, 0x07010303, 0x07010307, 0x0701030b, 0x0701030f, 0x07010505, 0x07010703,
        0x07010707, 0x0701070b, 0x07010905, 0x07010909, 0x0701090f, 0x07010b03, 0x07010d07, 0x07010f03,
        0x07030103, 0x07030107, 0x0703010b, 0x07030309, 0x07030503, 0x07030507, 0x07030901, 0x07030d01,
        0x07030f05, 0x07030f0d, 0x07050101, 0x07050305, 0x07050501, 0x07050705, 0x07050709, 0x07050b01,
        0x07070103, 0x07070301, 0x07070309, 0x07070503, 0x07070507, 0x0707050f, 0x07070701, 0x07070903,
        0x07070907, 0x0707090f, 0x07070b0b, 0x07070f07, 0x07090107, 0x07090303, 0x0709030d, 0x07090505,
        0x07090703, 0x07090b05, 0x07090d01, 0x07090d09, 0x070b0103, 0x070b0301, 0x070b0305, 0x070b050b,
        0x070b0705, 0x070b0909, 0x070b0b0d, 0x070b0f07, 0x070d030d, 0x070d0903, 0x070f0103, 0x070f0107,
        0x070f0501, 0x070f0505, 0x070f070b, 0x09010101, 0x09010109, 0x09010305, 0x09010501, 0x09010509,
        0x0901050f, 0x09010705, 0x09010903, 0x09010b01, 0x09010f01, 0x09030105, 0x0903010f, 0x09030303,
        0x09030307, 0x09030505, 0x09030701, 0x0903070b, 0x09030907, 0x09030b03, 0x09030b0b, 0x09050103,
        0x09050107, 0x09050301, 0x0905030b, 0x09050503, 0x09050707, 0x09050901, 0x09050b0f, 0x09050d05,
        0x09050f01, 0x09070109, 0x09070303, 0x09070307, 0x09070501, 0x09070505, 0x09070703, 0x0907070b,
        0x09090101, 0x09090105, 0x09090509, 0x0909070f, 0x09090901, 0x09090f03, 0x090b010b, 0x090b010f,
        0x090b0503, 0x090b0d05, 0x090d0307, 0x090d0709, 0x090d0d01, 0x090f0301, 0x090f030b, 0x090f0701,
        0x090f0907, 0x090f0b03, 0x0b010105, 0x0b010301, 0x0b010309, 0x0b010505, 0x0b010901, 0x0b010909,
        0x0b01090f, 0x0b010b05, 0x0b010d0d, 0x0b010f09, 0x0b030103, 0x0b030107, 0x0b03010b, 0x0b030305,
        0x0b030503, 0x0b030705, 0x0b030f05, 0x0b050101, 0x0b050303, 0x0b050507, 0x0b050701, 0x0b05070d,
        0x0b050b07, 0x0b070105, 0x0b07010f, 0x0b070301, 0x0b07050f, 0x0b070909, 0x0b070b03, 0x0b070d0b,
        0x0b070f07, 0x0b090103, 0x0b090109, 0x0b090501, 0x0b090705, 0x0b09090d, 0x0b0b0305, 0x0b0b050d,
        0x0b0b0b03, 0x0b0b0b07, 0x0b0d0905, 0x0b0f0105, 0x0b0f0109, 0x0b0f0505, 0x0d010303, 0x0d010307,
        0x0d01030b, 0x0d010703, 0x0d010707, 0x0d010d01, 0x0d030101, 0x0d030501, 0x0d03050f, 0x0d030d09,
        0x0d050305, 0x0d050709, 0x0d050905, 0x0d050b0b, 0x0d050d05, 0x0d050f01, 0x0d070101, 0x0d070309,
        0x0d070503, 0x0d070901, 0x0d09050b, 0x0d090907, 0x0d090d05, 0x0d0b0101, 0x0d0b0107, 0x0d0b0709,
        0x0d0b0d01, 0x0d0d010b, 0x0d0d0901, 0x0d0f0303, 0x0d0f0307, 0x0f010101, 0x0f010109, 0x0f01010f,
        0x0f010501, 0x0f010505, 0x0f01070d, 0x0f010901, 0x0f010b09, 0x0f010d05, 0x0f030105, 0x0f030303,
        0x0f030509, 0x0f030907, 0x0f03090b, 0x0f050103, 0x0f050109, 0x0f050301, 0x0f05030d, 0x0f050503,
        0x0f050701, 0x0f050b03, 0x0f070105, 0x0f070705, 0x0f07070b, 0x0f070b07, 0x0f090103, 0x0f09010b,
        0x0f090307, 0x0f090501, 0x0f090b01, 0x0f0b0505, 0x0f0b0905, 0x0f0d0105, 0x0f0d0703, 0x0f0f0101,
    ];
}
