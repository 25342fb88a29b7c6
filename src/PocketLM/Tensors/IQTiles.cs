using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

// Prefill tiles for the grid-coded i-quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S): one weight row ×
// four tokens (measured on IQ3_XXS against one row × two tokens: ~2.3× the one-row kernel against ~1.5–2.3×).
// Decoding a sub-block (grid lookups, sign spreading, scale picks) costs several times the dot with one token's 32
// activations, so each sub-block is decoded once and dotted with all four tokens while it is in registers.
//
// Every token's int32 lanes are the one-row kernel's (VecDotAvx2 in IQ2.cs / IQ3.cs): vpmaddubsw of the grid magnitudes
// with the activations negated where the sign bit is set, then vpmaddwd by the 16-bit scale. The one-row kernels negate
// with xor/sub (or vpsignb); here the signs become ±1 bytes once per sub-block and vpsignb applies them per token: the
// same negation, since a ±1 byte is never 0. (The one-row IQ2 kernels sum even and odd sub-blocks apart; integer adds
// are exact, so one sum per token gives the same lanes.) The super-block's integers take the same fused step with dx·dy, and the
// same horizontal sum and final factor close each token. IQ1_S/IQ1_M keep their one-row kernels' own formulation
// (vpsignb by the −1/0/+1 grid, int16 sums), unchanged per token.
internal static unsafe partial class VecDotTiles
{
    /// <summary>One decoded sub-block (grid magnitudes, ±1 signs, 16-bit scales) against 32 Q8_K activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> GridDot(Vector256<byte> g, Vector256<sbyte> s, Vector256<short> scale, byte* q8) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(g, Avx2.Sign(Avx.LoadVector256((sbyte*)q8), s)), scale);

    /// <summary>The one-row kernels' per-super-block step: d·d′ (weight scale first), times the integer lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SuperStep(float dx, byte* yBlock, Vector256<int> sumi, Vector256<float> acc) =>
        Fma.MultiplyAdd(Vector256.Create(dx * ((Q8KBlock*)yBlock)->D), Avx.ConvertToVector256Single(sumi), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> PlusMinusOne(Vector256<byte> negative) => (negative | Vector256<byte>.One).AsSByte();

    public static void IQ3XXSTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ3XXSBlock*)w;
        long s2 = 2 * actRow, s3 = 3 * actRow;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<byte> spread = Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte();
        Vector256<byte> bit = Vector256.Create(0x8040201008040201UL).AsByte();
        byte* yb = act;
        fixed (uint* grid = IQ3Grids.XXS)
            for (IQ3XXSBlock* end = x + n / QK.K; x < end; x++, yb += sizeof(Q8KBlock))
            {
                byte* q3 = x->Qs;
                byte* q8 = (byte*)((Q8KBlock*)yb)->Qs;
                Vector256<uint> aux = Avx.LoadVector256((uint*)(x->Qs + 64));
                Vector256<uint> signs = VecDotAvx2.IQ3XXSSigns(aux);
                Vector256<uint> scales = VecDotAvx2.Scale16((aux >> 28) << 1);
                Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
                Vector256<uint> ib = Vector256<uint>.Zero;
                for (int j = 0; j < 8; j++, q3 += 8, q8 += 32, ib += Vector256<uint>.One)
                {
                    Vector256<sbyte> s = PlusMinusOne(Avx2.CompareEqual(Avx2.Shuffle(Avx2.PermuteVar8x32(signs, ib).AsByte(), spread) & bit, bit));
                    Vector256<byte> g = Vector256.Create(grid[q3[0]], grid[q3[1]], grid[q3[2]], grid[q3[3]],
                        grid[q3[4]], grid[q3[5]], grid[q3[6]], grid[q3[7]]).AsByte();
                    Vector256<short> sc = Avx2.PermuteVar8x32(scales, ib).AsInt16();
                    i0 += GridDot(g, s, sc, q8);
                    i1 += GridDot(g, s, sc, q8 + actRow);
                    i2 += GridDot(g, s, sc, q8 + s2);
                    i3 += GridDot(g, s, sc, q8 + s3);
                }
                float dx = half[x->D];
                a0 = SuperStep(dx, yb, i0, a0);
                a1 = SuperStep(dx, yb + actRow, i1, a1);
                a2 = SuperStep(dx, yb + s2, i2, a2);
                a3 = SuperStep(dx, yb + s3, i3, a3);
            }
        y[0] = 0.25f * Hsum(a0); y[yStride] = 0.25f * Hsum(a1); y[2 * yStride] = 0.25f * Hsum(a2); y[3 * yStride] = 0.25f * Hsum(a3);
    }

    public static void IQ3STile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ3SBlock*)w;
        long s2 = 2 * actRow, s3 = 3 * actRow;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        ushort* idx = stackalloc ushort[64];
        Vector256<ushort> toBit8 = Vector256.Create((ushort)256, 128, 64, 32, 16, 8, 4, 2, 256, 128, 64, 32, 16, 8, 4, 2);
        Vector256<uint> nibble = Vector256.Create(0u, 4, 8, 12, 16, 20, 24, 28);
        byte* yb = act;
        fixed (uint* grid = IQ3Grids.S)
            for (IQ3SBlock* end = x + n / QK.K; x < end; x++, yb += sizeof(Q8KBlock))
            {
                for (int j = 0; j < 4; j++)
                {
                    Vector256<ushort> h = Vector256.Create(Vector128.Create((ushort)x->Qh[2 * j]), Vector128.Create((ushort)x->Qh[2 * j + 1]));
                    Vector256<ushort> lo = Avx2.ConvertToVector256Int16(x->Qs + 16 * j).AsUInt16();
                    Avx.Store(idx + 16 * j, lo | ((h * toBit8) & Vector256.Create((ushort)256)));
                }
                Vector256<uint> scales = VecDotAvx2.Scale16((Avx2.ShiftRightLogicalVariable(Vector256.Create(Unsafe.ReadUnaligned<uint>(x->Scales)), nibble) & Vector256.Create(0xFu)) << 1);
                byte* signs = x->Signs;
                byte* q8 = (byte*)((Q8KBlock*)yb)->Qs;
                ushort* ix = idx;
                Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
                Vector256<uint> ib = Vector256<uint>.Zero;
                for (int j = 0; j < 8; j++, ix += 8, q8 += 32, signs += 4, ib += Vector256<uint>.One)
                {
                    Vector256<sbyte> s = PlusMinusOne(VecDotAvx2.BitsToBytes(signs));
                    Vector256<byte> g = Vector256.Create(grid[ix[0]], grid[ix[1]], grid[ix[2]], grid[ix[3]],
                        grid[ix[4]], grid[ix[5]], grid[ix[6]], grid[ix[7]]).AsByte();
                    Vector256<short> sc = Avx2.PermuteVar8x32(scales, ib).AsInt16();
                    i0 += GridDot(g, s, sc, q8);
                    i1 += GridDot(g, s, sc, q8 + actRow);
                    i2 += GridDot(g, s, sc, q8 + s2);
                    i3 += GridDot(g, s, sc, q8 + s3);
                }
                float dx = half[x->D];
                a0 = SuperStep(dx, yb, i0, a0);
                a1 = SuperStep(dx, yb + actRow, i1, a1);
                a2 = SuperStep(dx, yb + s2, i2, a2);
                a3 = SuperStep(dx, yb + s3, i3, a3);
            }
        y[0] = Hsum(a0); y[yStride] = Hsum(a1); y[2 * yStride] = Hsum(a2); y[3 * yStride] = Hsum(a3);
    }

    public static void IQ2XXSTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* halfTable = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ2XXSBlock*)w;
        long s2 = 2 * actRow, s3 = 3 * actRow;
        ulong* grid = IQ2Grids.Pointer(IQ2Grids.XXS);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<ulong> shifts = Vector256.Create(0UL, 7, 14, 21);
        Vector256<byte> spread = Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 8);
        Vector256<byte> bits = Vector256.Create(0x8040201008040201UL).AsByte();
        byte* yb = act;
        for (IQ2XXSBlock* end = x + n / QK.K; x < end; x++, yb += sizeof(Q8KBlock))
        {
            byte* q2 = (byte*)x->Qs;
            byte* q8 = (byte*)((Q8KBlock*)yb)->Qs;
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int half = 0; half < 2; half++)
            {
                // sub-block k of these four: its 2s + 1 in dword 2k + 1
                Vector256<int> scales = VecDotAvx2.IQ2XXSScales(q2);
                Vector256<int> pick = Vector256.Create(1);
                for (int k = 0; k < 4; k++, q2 += 8, q8 += 32, pick += Vector256.Create(2))
                {
                    Vector256<byte> g = Vector256.Create(grid[q2[0]], grid[q2[1]], grid[q2[2]], grid[q2[3]]).AsByte();
                    Vector256<ulong> v = Avx2.ShiftRightLogicalVariable(Avx2.BroadcastScalarToVector256((uint*)(q2 + 4)).AsUInt64(), shifts) & Vector256.Create(0x7FUL);
                    Vector256<byte> neg = Avx2.CompareEqual(Avx2.Shuffle(v.AsByte(), spread) & bits, bits);
                    Vector256<ulong> odd = Avx2.ShiftLeftLogical(Avx2.SumAbsoluteDifferences(neg, Vector256<byte>.Zero).AsUInt64(), 63);
                    Vector256<sbyte> s = PlusMinusOne(neg | odd.AsByte());
                    Vector256<short> sc = Avx2.PermuteVar8x32(scales, pick).AsInt16();
                    i0 += GridDot(g, s, sc, q8);
                    i1 += GridDot(g, s, sc, q8 + actRow);
                    i2 += GridDot(g, s, sc, q8 + s2);
                    i3 += GridDot(g, s, sc, q8 + s3);
                }
            }
            float dx = halfTable[x->D];
            a0 = SuperStep(dx, yb, i0, a0);
            a1 = SuperStep(dx, yb + actRow, i1, a1);
            a2 = SuperStep(dx, yb + s2, i2, a2);
            a3 = SuperStep(dx, yb + s3, i3, a3);
        }
        y[0] = 0.125f * Hsum(a0); y[yStride] = 0.125f * Hsum(a1); y[2 * yStride] = 0.125f * Hsum(a2); y[3 * yStride] = 0.125f * Hsum(a3);
    }

    public static void IQ2XSTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* halfTable = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ2XSBlock*)w;
        long s2 = 2 * actRow, s3 = 3 * actRow;
        ulong* grid = IQ2Grids.Pointer(IQ2Grids.XS);
        byte* picks = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(VecDotAvx2.IQ2ScalePicks));
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<byte> parity = Vector256.Create((byte)0, 0x80, 0x80, 0, 0x80, 0, 0, 0x80, 0x80, 0, 0, 0x80, 0, 0x80, 0x80, 0,
                                                  0, 0x80, 0x80, 0, 0x80, 0, 0, 0x80, 0x80, 0, 0, 0x80, 0, 0x80, 0x80, 0);
        Vector256<byte> spreadA = Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6);
        Vector256<byte> spreadB = spreadA + Vector256.Create((byte)8);
        Vector256<byte> bits = Vector256.Create(0x8040201008040201UL).AsByte();
        byte* yb = act;
        for (IQ2XSBlock* end = x + n / QK.K; x < end; x++, yb += sizeof(Q8KBlock))
        {
            Vector256<byte> scales = VecDotAvx2.IQ2Scales(x->Scales);
            ushort* q2 = x->Qs;
            byte* q8 = (byte*)((Q8KBlock*)yb)->Qs;
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int ib = 0; ib < 8; ib += 4, q2 += 16)
            {
                // the full sign bytes of 16 groups, as the one-row kernel forms them
                Vector256<ushort> q = Avx.LoadVector256(q2);
                Vector256<ushort> seven = Avx2.ShiftRightLogical(q, 9);
                Vector256<byte> full = (seven | Avx2.Shuffle(parity, (seven ^ Avx2.ShiftRightLogical(q, 13)).AsByte()).AsUInt16()).AsByte();
                for (int half = 0; half < 2; half++, q8 += 64)
                {
                    Vector256<byte> f = half == 0 ? Avx2.Permute2x128(full, full, 0x00) : Avx2.Permute2x128(full, full, 0x11);
                    ushort* qa = q2 + 8 * half, qb = qa + 4;
                    Vector256<byte> g = Vector256.Create(grid[qa[0] & 511u], grid[qa[1] & 511u], grid[qa[2] & 511u], grid[qa[3] & 511u]).AsByte();
                    Vector256<sbyte> s = PlusMinusOne(Avx2.CompareEqual(Avx2.Shuffle(f, spreadA) & bits, bits));
                    Vector256<short> sc = VecDotAvx2.IQ2ScalePick(scales, picks, ib + 2 * half);
                    i0 += GridDot(g, s, sc, q8);
                    i1 += GridDot(g, s, sc, q8 + actRow);
                    i2 += GridDot(g, s, sc, q8 + s2);
                    i3 += GridDot(g, s, sc, q8 + s3);
                    g = Vector256.Create(grid[qb[0] & 511u], grid[qb[1] & 511u], grid[qb[2] & 511u], grid[qb[3] & 511u]).AsByte();
                    s = PlusMinusOne(Avx2.CompareEqual(Avx2.Shuffle(f, spreadB) & bits, bits));
                    sc = VecDotAvx2.IQ2ScalePick(scales, picks, ib + 2 * half + 1);
                    i0 += GridDot(g, s, sc, q8 + 32);
                    i1 += GridDot(g, s, sc, q8 + 32 + actRow);
                    i2 += GridDot(g, s, sc, q8 + 32 + s2);
                    i3 += GridDot(g, s, sc, q8 + 32 + s3);
                }
            }
            float dx = halfTable[x->D];
            a0 = SuperStep(dx, yb, i0, a0);
            a1 = SuperStep(dx, yb + actRow, i1, a1);
            a2 = SuperStep(dx, yb + s2, i2, a2);
            a3 = SuperStep(dx, yb + s3, i3, a3);
        }
        y[0] = 0.125f * Hsum(a0); y[yStride] = 0.125f * Hsum(a1); y[2 * yStride] = 0.125f * Hsum(a2); y[3 * yStride] = 0.125f * Hsum(a3);
    }

    public static void IQ2STile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        var x = (IQ2SBlock*)w;
        long s2 = 2 * actRow, s3 = 3 * actRow;
        ulong* grid = IQ2Grids.Pointer(IQ2Grids.S);
        byte* picks = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(VecDotAvx2.IQ2ScalePicks));
        ushort* index = stackalloc ushort[32];
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<byte> spread = Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        Vector256<byte> bits = Vector256.Create(0x8040201008040201UL).AsByte();
        byte* yb = act;
        for (IQ2SBlock* end = x + n / QK.K; x < end; x++, yb += sizeof(Q8KBlock))
        {
            Vector256<byte> scales = VecDotAvx2.IQ2Scales(x->Scales);
            byte* qs = x->Qs;
            uint* sg = (uint*)(qs + QK.K / 8);
            VecDotAvx2.IQ2SIndices(x, index);
            byte* q8 = (byte*)((Q8KBlock*)yb)->Qs;
            ushort* ix = index;
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int ib = 0; ib < 8; ib++, ix += 4, q8 += 32)
            {
                Vector256<byte> g = Vector256.Create(grid[ix[0]], grid[ix[1]], grid[ix[2]], grid[ix[3]]).AsByte();
                Vector256<sbyte> s = PlusMinusOne(Avx2.CompareEqual(Avx2.Shuffle(Vector256.Create(sg[ib]).AsByte(), spread) & bits, bits));
                Vector256<short> sc = VecDotAvx2.IQ2ScalePick(scales, picks, ib);
                i0 += GridDot(g, s, sc, q8);
                i1 += GridDot(g, s, sc, q8 + actRow);
                i2 += GridDot(g, s, sc, q8 + s2);
                i3 += GridDot(g, s, sc, q8 + s3);
            }
            float dx = half[x->D];
            a0 = SuperStep(dx, yb, i0, a0);
            a1 = SuperStep(dx, yb + actRow, i1, a1);
            a2 = SuperStep(dx, yb + s2, i2, a2);
            a3 = SuperStep(dx, yb + s3, i3, a3);
        }
        y[0] = 0.125f * Hsum(a0); y[yStride] = 0.125f * Hsum(a1); y[2 * yStride] = 0.125f * Hsum(a2); y[3 * yStride] = 0.125f * Hsum(a3);
    }

    // IQ1_S: the one-row kernel's integers per token (vpsignb by the −1/0/+1 grid, vpmaddubsw by the scale, int16 sums
    // over the super-block, one vpmaddwd) and its delta from the bsums; its float steps, d = d′·d in that order.
    public static void IQ1STile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        int* idx = stackalloc int[32];
        fixed (ulong* grid = IQ1Grid.Values) IQ1STile14((IQ1SBlock*)w, act, actRow, n / QK.K, y, yStride, grid, idx, Fp16.Table);
    }

    // tables as arguments, as in the one-row kernel (kept in registers rather than rematerialised)
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void IQ1STile14(IQ1SBlock* x, byte* act, long actRow, int nb, float* y, long yStride, ulong* grid, int* idx, float* half)
    {
        long s2 = 2 * actRow, s3 = 3 * actRow;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float e0 = 0, e1 = 0, e2 = 0, e3 = 0;
        var ones = Vector256.Create((short)1);
        var shifts = Vector256.Create(0u, 3, 6, 9, 0, 3, 6, 9);
        var one = Vector256.Create((byte)1);
        var two = Vector256.Create((byte)2);
        byte* yb = act;
        for (IQ1SBlock* end = x + nb; x < end; x++, yb += sizeof(Q8KBlock))
        {
            VecDotAvx2.IQ1Indices(x->Qs, x->Qh, shifts, idx);
            Vector128<short> h = Sse2.LoadVector128((short*)x->Qh);
            Vector128<short> ls = Sse2.ShiftLeftLogical(Sse2.ShiftRightLogical(h, 12) & Vector128.Create((short)7), 1) + Vector128.Create((short)1);
            Vector128<byte> lsb = Sse2.PackUnsignedSaturate(ls, ls);
            Vector256<byte> scales = Vector256.Create(lsb, lsb);
            byte* q8 = (byte*)((Q8KBlock*)yb)->Qs;
            int* j = idx;
            Vector256<short> i0 = default, i1 = default, i2 = default, i3 = default;
            Vector256<byte> pick = Vector256<byte>.Zero;
            for (int ib = 0; ib < 8; ib += 2, q8 += 64, j += 8, pick += two)
            {
                Vector256<sbyte> g1 = Vector256.Create(grid[j[0]], grid[j[1]], grid[j[2]], grid[j[3]]).AsSByte();
                Vector256<sbyte> g2 = Vector256.Create(grid[j[4]], grid[j[5]], grid[j[6]], grid[j[7]]).AsSByte();
                Vector256<byte> ls1 = Avx2.Shuffle(scales, pick), ls2 = Avx2.Shuffle(scales, pick + one);
                i0 += Avx2.MultiplyAddAdjacent(ls1, Avx2.Sign(Avx.LoadVector256((sbyte*)q8), g1)) + Avx2.MultiplyAddAdjacent(ls2, Avx2.Sign(Avx.LoadVector256((sbyte*)(q8 + 32)), g2));
                i1 += Avx2.MultiplyAddAdjacent(ls1, Avx2.Sign(Avx.LoadVector256((sbyte*)(q8 + actRow)), g1)) + Avx2.MultiplyAddAdjacent(ls2, Avx2.Sign(Avx.LoadVector256((sbyte*)(q8 + actRow + 32)), g2));
                i2 += Avx2.MultiplyAddAdjacent(ls1, Avx2.Sign(Avx.LoadVector256((sbyte*)(q8 + s2)), g1)) + Avx2.MultiplyAddAdjacent(ls2, Avx2.Sign(Avx.LoadVector256((sbyte*)(q8 + s2 + 32)), g2));
                i3 += Avx2.MultiplyAddAdjacent(ls1, Avx2.Sign(Avx.LoadVector256((sbyte*)(q8 + s3)), g1)) + Avx2.MultiplyAddAdjacent(ls2, Avx2.Sign(Avx.LoadVector256((sbyte*)(q8 + s3 + 32)), g2));
            }
            float dx = half[x->D];
            Vector128<short> sls = Ssse3.Sign(ls, h | Vector128.Create((short)1));
            Vector256<short> both = Vector256.Create(Sse2.UnpackLow(sls, sls), Sse2.UnpackHigh(sls, sls));
            IQ1SStep(dx, yb, i0, both, ones, ref a0, ref e0);
            IQ1SStep(dx, yb + actRow, i1, both, ones, ref a1, ref e1);
            IQ1SStep(dx, yb + s2, i2, both, ones, ref a2, ref e2);
            IQ1SStep(dx, yb + s3, i3, both, ones, ref a3, ref e3);
        }
        y[0] = Hsum(a0) + IQ1Grid.Delta * e0;
        y[yStride] = Hsum(a1) + IQ1Grid.Delta * e1;
        y[2 * yStride] = Hsum(a2) + IQ1Grid.Delta * e2;
        y[3 * yStride] = Hsum(a3) + IQ1Grid.Delta * e3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ1SStep(float dx, byte* yBlock, Vector256<short> sum, Vector256<short> both, Vector256<short> ones,
        ref Vector256<float> acc, ref float accDelta)
    {
        var yk = (Q8KBlock*)yBlock;
        float d = yk->D * dx;
        acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(sum, ones)), acc);
        int sumDelta = Vector256.Sum(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(yk->BSums), both));
        accDelta = MathF.FusedMultiplyAdd(d, sumDelta, accDelta);
    }

    // IQ1_M: the one-row kernel's two int16 sums per token (grid products, delta-signed activations), its float steps.
    public static void IQ1MTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        int* idx = stackalloc int[32];
        fixed (ulong* grid = IQ1Grid.Values) IQ1MTile14((IQ1MBlock*)w, act, actRow, n / QK.K, y, yStride, grid, idx, Fp16.Table);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void IQ1MTile14(IQ1MBlock* x, byte* act, long actRow, int nb, float* y, long yStride, ulong* grid, int* idx, float* half)
    {
        long s2 = 2 * actRow, s3 = 3 * actRow;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, e0 = default, e1 = default, e2 = default, e3 = default;
        var ones = Vector256.Create((short)1);
        var two = Vector256.Create((byte)2);
        var scaleShifts = Vector256.Create(0UL, 6, 3, 9);
        var shifts = Vector256.Create(0u, 4, 8, 12, 0, 4, 8, 12);
        var signBit = Vector256.Create(0x0008_0008_0008_0008UL, 0x0080_0080_0080_0080UL, 0x0800_0800_0800_0800UL, 0x8000_8000_8000_8000UL).AsInt16();
        byte* yb = act;
        for (IQ1MBlock* end = x + nb; x < end; x++, yb += sizeof(Q8KBlock))
        {
            ushort* sc = (ushort*)x->Scales;
            Vector256<byte> scales = VecDotAvx2.IQ1MScales(sc, scaleShifts, ones);
            ushort* qh = (ushort*)x->Qh;
            VecDotAvx2.IQ1Indices(x->Qs, qh, shifts, idx);
            byte* q8 = (byte*)((Q8KBlock*)yb)->Qs;
            int* j = idx;
            Vector256<short> g0 = default, g1s = default, g2s = default, g3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
            Vector256<byte> pick = Vector256<byte>.Zero;
            for (int ib = 0; ib < 8; ib += 2, q8 += 64, j += 8, pick += two)
            {
                VecDotAvx2.IQ1MPairQuants(grid, j, scales, pick, qh, ib, signBit, out var g1, out var g2, out var ls1, out var ls2, out var sign1, out var sign2);
                VecDotAvx2.IQ1MPair(q8, ls1, ls2, g1, g2, sign1, sign2, ref g0, ref d0);
                VecDotAvx2.IQ1MPair(q8 + actRow, ls1, ls2, g1, g2, sign1, sign2, ref g1s, ref d1);
                VecDotAvx2.IQ1MPair(q8 + s2, ls1, ls2, g1, g2, sign1, sign2, ref g2s, ref d2);
                VecDotAvx2.IQ1MPair(q8 + s3, ls1, ls2, g1, g2, sign1, sign2, ref g3, ref d3);
            }
            float dx = half[IQ1Grid.HalfScale(sc)];
            VecDotAvx2.IQ1MStep(dx, yb, g0, d0, ones, ref a0, ref e0);
            VecDotAvx2.IQ1MStep(dx, yb + actRow, g1s, d1, ones, ref a1, ref e1);
            VecDotAvx2.IQ1MStep(dx, yb + s2, g2s, d2, ones, ref a2, ref e2);
            VecDotAvx2.IQ1MStep(dx, yb + s3, g3, d3, ones, ref a3, ref e3);
        }
        y[0] = Hsum(a0) + IQ1Grid.Delta * Hsum(e0);
        y[yStride] = Hsum(a1) + IQ1Grid.Delta * Hsum(e1);
        y[2 * yStride] = Hsum(a2) + IQ1Grid.Delta * Hsum(e2);
        y[3 * yStride] = Hsum(a3) + IQ1Grid.Delta * Hsum(e3);
    }
}
