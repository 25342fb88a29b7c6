using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// AVX2 + FMA dot kernels. Each one computes the same integer lanes and the same fused float steps as
/// <see cref="VecDotScalar"/> (and as llama.cpp's AVX2 code), so results are bit-identical to the scalar reference.
/// Callers must check <see cref="IsSupported"/>.
/// </summary>
[SkipLocalsInit]
internal static unsafe partial class VecDotAvx2
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The AVX2 kernel for a weight type, or null where only the scalar one exists.</summary>
    public static delegate*<byte*, byte*, int, float> For(GgmlType weight) => weight switch
    {
        GgmlType.F32 => &F32, GgmlType.F16 => &F16, GgmlType.BF16 => &BF16,
        GgmlType.Q8_0 => &Q8_0, GgmlType.Q4_0 => &Q4_0, GgmlType.Q4_1 => &Q4_1, GgmlType.Q5_0 => &Q5_0, GgmlType.Q5_1 => &Q5_1,
        GgmlType.Q2_K => &Q2K, GgmlType.Q3_K => &Q3K, GgmlType.Q4_K => &Q4K, GgmlType.Q5_K => &Q5K, GgmlType.Q6_K => &Q6K,
        GgmlType.IQ4_NL => &IQ4NL, GgmlType.IQ4_XS => &IQ4XS,
        GgmlType.IQ2_XXS => &IQ2XXS, GgmlType.IQ2_XS => &IQ2XS, GgmlType.IQ2_S => &IQ2S,
        GgmlType.IQ3_XXS => &IQ3XXS, GgmlType.IQ3_S => &IQ3S, GgmlType.IQ1_S => &IQ1S, GgmlType.IQ1_M => &IQ1M,
        _ => null,
    };

    // ---- helpers ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Hsum(Vector256<float> v)
    {
        Vector128<float> r = Sse.Add(v.GetUpper(), v.GetLower());
        r = Sse.Add(r, Sse.MoveHighToLow(r, r));
        r = Sse.AddScalar(r, Sse3.MoveHighAndDuplicate(r));
        return r.ToScalar();
    }

    /// <summary>Signed int8 dot in 8 int32 lanes (lane k: bytes 4k..4k+3) via |x|·sign(y,x), as ggml's mul_sum_i8_pairs_float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MulSumI8(Vector256<sbyte> x, Vector256<sbyte> y)
    {
        if (Vnni.Enabled) // same lanes without the (never saturating) int16 step; see VecDotTiles.MulSum
            return Avx.ConvertToVector256Single(Vnni.DotAdd(Vector256<int>.Zero, Avx2.Sign(x, x).AsByte(), Avx2.Sign(y, x)));
        Vector256<short> dot = Avx2.MultiplyAddAdjacent(Avx2.Sign(x, x).AsByte(), Avx2.Sign(y, x));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(dot, Vector256.Create((short)1)));
    }

    /// <summary>Lane k: Σ u[4k..4k+3]·y[4k..4k+3] for unsigned u ≤ 31 (the int16 pair sums of vpmaddubsw cannot
    /// saturate, so vpdpbusd gives the same lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> DotU8(Vector256<byte> u, Vector256<sbyte> y) =>
        Vnni.Enabled
            ? Vnni.DotAdd(Vector256<int>.Zero, u, y)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, y), Vector256.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MulSumU8(Vector256<byte> x, Vector256<sbyte> y) => Avx.ConvertToVector256Single(DotU8(x, y));

    /// <summary>16 bytes of nibbles → 32 bytes: low nibbles (elements 0–15) then high nibbles (16–31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Nibbles(byte* p)
    {
        Vector128<byte> t = Sse2.LoadVector128(p);
        Vector128<byte> hi = Sse2.ShiftRightLogical(t.AsUInt16(), 4).AsByte();
        return Vector256.Create(t, hi) & Vector256.Create((byte)0xF);
    }

    /// <summary>32 bits → 32 bytes of 0xFF (bit set) or 0x00.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> BitsToBytes(byte* p)
    {
        uint bits = Unsafe.ReadUnaligned<uint>(p);
        Vector256<byte> spread = Avx2.Shuffle(Vector256.Create(bits).AsByte(),
            Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte());
        Vector256<byte> bit = Vector256.Create(0x8040201008040201UL).AsByte();
        return Avx2.CompareEqual(spread & bit, bit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Load32(byte* p) => Avx.LoadVector256(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Load32(sbyte* p) => Avx.LoadVector256(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Srl(Vector256<byte> v, [ConstantExpected] byte s) => Avx2.ShiftRightLogical(v.AsUInt16(), s).AsByte();

    /// <summary>Shift by a count known only at run time (vpsrlw with the count in a register).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> SrlVar(Vector256<byte> v, int s) => Avx2.ShiftRightLogical(v.AsUInt16(), Vector128.CreateScalar((ushort)s)).AsByte();

    /// <summary>Two 16-bit scales: lanes 0–7 get <paramref name="a"/>, 8–15 get <paramref name="b"/> (one per 16 elements).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<short> Scales2(int a, int b) => Vector256.Create(Vector128.Create((short)a), Vector128.Create((short)b));

    // ---- 32-element formats ----

    public static float Q8_0(byte* vx, byte* vy, int n)
    {
        var x = (Q8_0Block*)vx; var y = (Q8_0Block*)vy;
        // The half table is read once, not per block: the JIT folds it to a constant either way, but in Native AOT code a
        // static of a class with a static constructor is read through an initialisation check whose helper call, inside
        // the loop, makes the register allocator spill the loop's vectors (docs/architecture.md, "Native AOT").
        float* half = Fp16.Table;
        Vector256<float> acc = Vector256<float>.Zero;
        int nb = n / 32, ib = 0;
        // Two blocks a step (still one accumulator in block order, ggml's sum) so that one prefetch per 68 bytes needs no
        // branch: one stream ~0.5 KB ahead, running into the next row, which is the next one read (a prefetch past the end
        // of the mapping is dropped). Measured (bench micro, cache-resident, one thread) against a prefetch every other
        // block behind a branch: 15.0–24.1 vs 10.5–22.5 GB/s over five runs, level with ggml's own kernel (16.2–23.8).
        for (; ib + 1 < nb; ib += 2)
        {
            Sse.Prefetch0((byte*)(x + ib + 16));
            acc = Q8_0Step(x + ib, y + ib, acc, half);
            acc = Q8_0Step(x + ib + 1, y + ib + 1, acc, half);
        }
        if (ib < nb) acc = Q8_0Step(x + ib, y + ib, acc, half);
        return Hsum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8_0Step(Q8_0Block* x, Q8_0Block* y, Vector256<float> acc, float* half) =>
        Fma.MultiplyAdd(Vector256.Create(half[x->D] * half[y->D]), MulSumI8(Load32(x->Qs), Load32(y->Qs)), acc);

    /// <summary>Four consecutive Q8_0 rows against one activation row: each activation block is loaded once for four rows.</summary>
    public static void Q8_0x4(byte* w, long rowBytes, byte* vy, int n, float* dst, long dstStride)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x0 = (Q8_0Block*)w; var x1 = (Q8_0Block*)(w + rowBytes); var x2 = (Q8_0Block*)(w + 2 * rowBytes); var x3 = (Q8_0Block*)(w + 3 * rowBytes);
        var y = (Q8_0Block*)vy;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int ib = 0; ib < n / 32; ib++)
        {
            float dy = half[y[ib].D];
            Vector256<sbyte> qy = Load32(y[ib].Qs);
            a0 = Fma.MultiplyAdd(Vector256.Create(half[x0[ib].D] * dy), MulSumI8(Load32(x0[ib].Qs), qy), a0);
            a1 = Fma.MultiplyAdd(Vector256.Create(half[x1[ib].D] * dy), MulSumI8(Load32(x1[ib].Qs), qy), a1);
            a2 = Fma.MultiplyAdd(Vector256.Create(half[x2[ib].D] * dy), MulSumI8(Load32(x2[ib].Qs), qy), a2);
            a3 = Fma.MultiplyAdd(Vector256.Create(half[x3[ib].D] * dy), MulSumI8(Load32(x3[ib].Qs), qy), a3);
        }
        dst[0] = Hsum(a0); dst[dstStride] = Hsum(a1); dst[2 * dstStride] = Hsum(a2); dst[3 * dstStride] = Hsum(a3);
    }

    public static float Q4_0(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x = (Q4_0Block*)vx; var y = (Q8_0Block*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        var off = Vector256.Create((byte)8);
        for (int ib = 0; ib < n / 32; ib++)
        {
            var d = Vector256.Create(half[x[ib].D] * half[y[ib].D]);
            Vector256<sbyte> qx = (Nibbles(x[ib].Qs) - off).AsSByte();
            acc = Fma.MultiplyAdd(d, MulSumI8(qx, Load32(y[ib].Qs)), acc);
        }
        return Hsum(acc);
    }

    /// <summary>Four consecutive Q4_0 rows against one activation row.</summary>
    public static void Q4_0x4(byte* w, long rowBytes, byte* vy, int n, float* dst, long dstStride)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x0 = (Q4_0Block*)w; var x1 = (Q4_0Block*)(w + rowBytes); var x2 = (Q4_0Block*)(w + 2 * rowBytes); var x3 = (Q4_0Block*)(w + 3 * rowBytes);
        var y = (Q8_0Block*)vy;
        var off = Vector256.Create((byte)8);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int ib = 0; ib < n / 32; ib++)
        {
            float dy = half[y[ib].D];
            Vector256<sbyte> qy = Load32(y[ib].Qs);
            a0 = Fma.MultiplyAdd(Vector256.Create(half[x0[ib].D] * dy), MulSumI8((Nibbles(x0[ib].Qs) - off).AsSByte(), qy), a0);
            a1 = Fma.MultiplyAdd(Vector256.Create(half[x1[ib].D] * dy), MulSumI8((Nibbles(x1[ib].Qs) - off).AsSByte(), qy), a1);
            a2 = Fma.MultiplyAdd(Vector256.Create(half[x2[ib].D] * dy), MulSumI8((Nibbles(x2[ib].Qs) - off).AsSByte(), qy), a2);
            a3 = Fma.MultiplyAdd(Vector256.Create(half[x3[ib].D] * dy), MulSumI8((Nibbles(x3[ib].Qs) - off).AsSByte(), qy), a3);
        }
        dst[0] = Hsum(a0); dst[dstStride] = Hsum(a1); dst[2 * dstStride] = Hsum(a2); dst[3 * dstStride] = Hsum(a3);
    }

    public static float Q5_0(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x = (Q5_0Block*)vx; var y = (Q8_0Block*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        var f0 = Vector256.Create((byte)0xF0);
        for (int ib = 0; ib < n / 32; ib++)
        {
            var d = Vector256.Create(half[x[ib].D] * half[y[ib].D]);
            // value − 16 as a signed byte: nibble | 0xF0 where the 5th bit is clear
            Vector256<sbyte> qx = (Nibbles(x[ib].Qs) | Avx2.AndNot(BitsToBytes(x[ib].Qh), f0)).AsSByte();
            acc = Fma.MultiplyAdd(d, MulSumI8(qx, Load32(y[ib].Qs)), acc);
        }
        return Hsum(acc);
    }

    /// <summary>
    /// Q5_0 against a MatMul activation row (one with <see cref="Q8_0Extras"/>): the same lanes and fused steps as
    /// <see cref="Q5_0"/> — lane k of Σ(u − 16)·y is Σu·y − 16·Σy, with 16·Σy and dy read instead of recomputed — in
    /// about 19 instructions per block instead of 25 (decode of Q5_0 is compute-bound on two cores).
    /// </summary>
    public static float Q5_0Extras(byte* vx, byte* vy, int n)
    {
        var x = (Q5_0Block*)vx; var y = (Q8_0Block*)vy;
        float* dy = Q8_0Extras.Scales(vy, n);
        int* off = Q8_0Extras.LaneSums16(vy, n);
        float* half = Fp16.Table; // read once (see Q8_0)
        Vector256<float> acc = Vector256<float>.Zero;
        int nb = n / 32, ib = 0;
        for (; ib + 1 < nb; ib += 2)
        {
            acc = Q5_0ExtrasStep(x + ib, y + ib, dy + ib, off + 8 * ib, acc, half);
            acc = Q5_0ExtrasStep(x + ib + 1, y + ib + 1, dy + ib + 1, off + 8 * ib + 8, acc, half);
        }
        if (ib < nb) acc = Q5_0ExtrasStep(x + ib, y + ib, dy + ib, off + 8 * ib, acc, half);
        return Hsum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q5_0ExtrasStep(Q5_0Block* x, Q8_0Block* y, float* dy, int* off, Vector256<float> acc, float* half)
    {
        var d = Vector256.Create(half[x->D] * *dy);
        Vector256<int> lanes = DotU8(Q5_0Format.Unsigned((byte*)x), Load32(y->Qs)) - Avx.LoadVector256(off);
        return Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(lanes), acc);
    }

    public static float Q4_1(byte* vx, byte* vy, int n)
    {
        var x = (Q4_1Block*)vx; var y = (Q8_1Block*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        float summs = 0;
        float* half = Fp16.Table;
        for (Q4_1Block* end = x + n / 32; x < end; x++, y++)
        {
            summs = MathF.FusedMultiplyAdd(half[x->M], half[y->S], summs);
            acc = Fma.MultiplyAdd(Vector256.Create(half[x->D] * half[y->D]), MulSumU8(Nibbles(x->Qs), Load32(y->Qs)), acc);
        }
        return Hsum(acc) + summs;
    }

    public static float Q5_1(byte* vx, byte* vy, int n)
    {
        var x = (Q5_1Block*)vx; var y = (Q8_1Block*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        float summs = 0;
        float* half = Fp16.Table;
        var b4 = Vector256.Create((byte)0x10);
        for (Q5_1Block* end = x + n / 32; x < end; x++, y++)
        {
            summs = MathF.FusedMultiplyAdd(half[x->M], half[y->S], summs);
            Vector256<byte> qx = Nibbles(x->Qs) | (BitsToBytes(x->Qh) & b4);
            acc = Fma.MultiplyAdd(Vector256.Create(half[x->D] * half[y->D]), MulSumU8(qx, Load32(y->Qs)), acc);
        }
        return Hsum(acc) + summs;
    }

    // ---- k-quants ----

    public static float Q2K(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x = (Q2KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        var m4 = Vector128.Create((byte)0xF);
        for (Q2KBlock* end = x + n / QK.K; x < end; x++, y++)
        {
            float d = y->D * half[x->D];
            float dmin = -y->D * half[x->DMin];
            Vector128<byte> packed = Sse2.LoadVector128(x->Scales);
            Vector256<short> mins = Avx2.ConvertToVector256Int16(Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & m4);
            Vector256<int> prod = Avx2.MultiplyAddAdjacent(mins, Avx.LoadVector256(y->BSums));
            acc = Fma.MultiplyAdd(Vector256.Create(dmin), Avx.ConvertToVector256Single(prod), acc);
            Vector256<short> scales = Avx2.ConvertToVector256Int16(packed & m4);
            Vector256<int> sumi = Q2KHalf(x->Qs, y->Qs, BothHalves(scales.GetLower()))
                                + Q2KHalf(x->Qs + 32, y->Qs + 128, BothHalves(scales.GetUpper()));
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return Hsum(acc);
    }

    /// <summary>128 elements of a Q2_K block (32 bytes, four 2-bit planes) against 128 activations; <paramref name="scales"/>
    /// holds the half's eight 16-bit scales in both 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q2KHalf(byte* q2, sbyte* q8, Vector256<byte> scales)
    {
        var m3 = Vector256.Create((byte)3);
        Vector256<byte> bits = Load32(q2);
        return ScaledDot(bits & m3, q8, Pick(scales, PairShuffle(0))) + ScaledDot(Srl(bits, 2) & m3, q8 + 32, Pick(scales, PairShuffle(1)))
             + (ScaledDot(Srl(bits, 4) & m3, q8 + 64, Pick(scales, PairShuffle(2))) + ScaledDot(Srl(bits, 6) & m3, q8 + 96, Pick(scales, PairShuffle(3))));
    }

    /// <summary>32 unsigned quants against 32 activations, the 16-bit pair sums times <paramref name="scale"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> ScaledDot(Vector256<byte> u, sbyte* q8, Vector256<short> scale) =>
        Avx2.MultiplyAddAdjacent(scale, Avx2.MultiplyAddAdjacent(u, Load32(q8)));

    /// <summary>The 16-bit scales that <paramref name="shuffle"/> picks from <paramref name="scales"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<short> Pick(Vector256<byte> scales, Vector256<byte> shuffle) => Avx2.Shuffle(scales, shuffle).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> BothHalves(Vector128<short> v) => Vector256.Create(v, v).AsByte();

    /// <summary>Byte shuffle that spreads 16-bit element 2k of each 128-bit half over the low half's lanes and 2k + 1 over
    /// the high half's (ggml's get_scale_shuffle_q3k: one scale per 16 elements).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> PairShuffle(int k) =>
        Vector256.Create(Vector128.Create((ushort)(0x0100 + 0x0404 * k)), Vector128.Create((ushort)(0x0302 + 0x0404 * k))).AsByte();

    public static float Q3K(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x = (Q3KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        for (Q3KBlock* end = x + n / QK.K; x < end; x++, y++)
        {
            float d = y->D * half[x->D];
            Vector256<short> scales = Avx2.ConvertToVector256Int16(Q3KScales(x->Scales));
            Vector256<byte> hbits = Load32(x->HMask);
            Vector256<int> sumi = Q3KHalf(x->Qs, hbits, y->Qs, BothHalves(scales.GetLower()))
                                + Q3KHalf(x->Qs + 32, Srl(hbits, 4), y->Qs + 128, BothHalves(scales.GetUpper()));
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return Hsum(acc);
    }

    /// <summary>Q3_K's 16 six-bit scales (12 packed bytes) as signed bytes, offset 32 removed (ggml's kmask shuffle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<sbyte> Q3KScales(byte* packed)
    {
        Vector128<uint> a01 = Sse2.LoadScalarVector128((ulong*)packed).AsUInt32();
        Vector128<uint> low = Avx2.ShiftRightLogicalVariable(Sse2.Shuffle(a01, 0x44), Vector128.Create(0u, 0, 4, 4)) & Vector128.Create(0x0f0f0f0fu);
        Vector128<uint> high = Avx2.ShiftRightLogicalVariable(Vector128.Create(Unsafe.ReadUnaligned<uint>(packed + 8)), Vector128.Create(0u, 2, 4, 6)) & Vector128.Create(0x03030303u);
        return Sse2.Subtract((low | Sse2.ShiftLeftLogical(high, 4)).AsSByte(), Vector128.Create((sbyte)32));
    }

    /// <summary>128 elements of a Q3_K block against 128 activations: 2-bit planes of <paramref name="q3"/>, the third bit
    /// from bits 0–3 of <paramref name="hbits"/> (clear means −4, subtracted as a second product, as ggml does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q3KHalf(byte* q3, Vector256<byte> hbits, sbyte* q8, Vector256<byte> scales)
    {
        Vector256<byte> bits = Load32(q3);
        return Q3KPlane(bits, hbits, q8, scales, 0, 0, PairShuffle(0))
             + Q3KPlane(bits, hbits, q8 + 32, scales, 2, 1, PairShuffle(1))
             + (Q3KPlane(bits, hbits, q8 + 64, scales, 4, 2, PairShuffle(2))
             + Q3KPlane(bits, hbits, q8 + 96, scales, 6, 3, PairShuffle(3)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q3KPlane(Vector256<byte> bits, Vector256<byte> hbits, sbyte* q8, Vector256<byte> scales,
                                           [ConstantExpected] byte shift, [ConstantExpected] byte bit, Vector256<byte> shuffle)
    {
        Q3KUnpack(bits, hbits, shift, bit, out var low, out var minus4);
        return Q3KDot(low, minus4, q8, Pick(scales, shuffle));
    }

    /// <summary>The 2-bit plane at <paramref name="shift"/>, and 4 where hmask bit <paramref name="bit"/> is clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q3KUnpack(Vector256<byte> bits, Vector256<byte> hbits, [ConstantExpected] byte shift, [ConstantExpected] byte bit,
                                   out Vector256<byte> low, out Vector256<byte> minus4)
    {
        low = Srl(bits, shift) & Vector256.Create((byte)3);
        minus4 = Avx2.ShiftLeftLogical(Srl(Avx2.AndNot(hbits, Vector256.Create((byte)(1 << bit))), bit).AsUInt16(), 2).AsByte(); // (~h >> bit & 1)·4
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Q3KDot(Vector256<byte> low, Vector256<byte> minus4, sbyte* q8, Vector256<short> scale)
    {
        Vector256<sbyte> q8v = Load32(q8);
        Vector256<short> p = Avx2.MultiplyAddAdjacent(low, q8v) - Avx2.MultiplyAddAdjacent(minus4, q8v);
        return Avx2.MultiplyAddAdjacent(scale, p);
    }

    /// <summary>ggml's utmp shuffle of Q4_K/Q5_K's packed 6-bit values: 8 scales then 8 mins, one byte each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> ScalesAndMins(byte* packed)
    {
        const uint kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
        uint u0 = Unsafe.ReadUnaligned<uint>(packed), u1 = Unsafe.ReadUnaligned<uint>(packed + 4), u2 = Unsafe.ReadUnaligned<uint>(packed + 8);
        uint u3 = ((u2 >> 4) & kmask2) | (((u1 >> 6) & kmask3) << 4);
        uint m0 = u1 & kmask1;
        u1 = (u2 & kmask2) | (((u0 >> 6) & kmask3) << 4);
        u0 &= kmask1;
        return Vector128.Create(u0, u1, m0, u3).AsByte();
    }

    /// <summary>Σ min·bsum in ggml's four lanes: hadd of bsum pairs, then madd with the mins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> MinProducts(Vector256<short> scalesAndMins16, short* bsums)
    {
        Vector256<short> q8sums = Avx.LoadVector256(bsums);
        Vector128<short> q8s = Ssse3.HorizontalAdd(q8sums.GetLower(), q8sums.GetUpper());
        return Sse2.MultiplyAddAdjacent(scalesAndMins16.GetUpper(), q8s);
    }

    public static float Q4K(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x = (Q4KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        Vector128<float> accm = Vector128<float>.Zero;
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * half[x[i].D];
            float dmin = -y[i].D * half[x[i].DMin];
            Vector256<short> sm16 = Avx2.ConvertToVector256Int16(ScalesAndMins(x[i].Scales));
            accm = Fma.MultiplyAdd(Vector128.Create(dmin), Sse2.ConvertToVector128Single(MinProducts(sm16, y[i].BSums)), accm);
            // the eight 16-bit scales in both halves; one byte shuffle broadcasts scale k to every lane (as ggml does)
            Vector256<byte> scales = Vector256.Create(sm16.GetLower(), sm16.GetLower()).AsByte();
            byte* q4 = x[i].Qs;
            sbyte* q8 = y[i].Qs;
            // unrolled by hand so that the shuffle masks are constants
            Vector256<int> sumi = Q4KStep(q4, q8, scales, ScaleShuffle(0), ScaleShuffle(1));
            sumi += Q4KStep(q4 + 32, q8 + 64, scales, ScaleShuffle(2), ScaleShuffle(3));
            sumi += Q4KStep(q4 + 64, q8 + 128, scales, ScaleShuffle(4), ScaleShuffle(5));
            sumi += Q4KStep(q4 + 96, q8 + 192, scales, ScaleShuffle(6), ScaleShuffle(7));
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        accm = Sse.Add(accm, Sse.MoveHighToLow(accm, accm));
        accm = Sse.AddScalar(accm, Sse3.MoveHighAndDuplicate(accm));
        return Hsum(acc) + accm.ToScalar();
    }

    /// <summary>64 elements of a Q4_K block: 32 bytes of nibbles (low: sub-block 2j, high: 2j+1) against 64 activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4KStep(byte* q4, sbyte* q8, Vector256<byte> scales, Vector256<byte> maskLo, Vector256<byte> maskHi)
    {
        Vector256<byte> bits = Load32(q4);
        return Q4KDot(bits & Vector256.Create((byte)0xF), Srl(bits, 4) & Vector256.Create((byte)0xF), q8, scales, maskLo, maskHi);
    }

    /// <summary>Unpacked low and high nibbles of 64 Q4_K elements against 64 activations, each 32 scaled by its sub-block's scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Q4KDot(Vector256<byte> lo, Vector256<byte> hi, sbyte* q8, Vector256<byte> scales, Vector256<byte> maskLo, Vector256<byte> maskHi) =>
        Q4KDot(lo, hi, q8, Pick(scales, maskLo), Pick(scales, maskHi));

    /// <summary><see cref="Q4KDot(Vector256{byte}, Vector256{byte}, sbyte*, Vector256{byte}, Vector256{byte}, Vector256{byte})"/> with the two sub-blocks' scales already picked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Q4KDot(Vector256<byte> lo, Vector256<byte> hi, sbyte* q8, Vector256<short> scaleLo, Vector256<short> scaleHi) =>
        Avx2.MultiplyAddAdjacent(scaleLo, Avx2.MultiplyAddAdjacent(lo, Load32(q8))) + Avx2.MultiplyAddAdjacent(scaleHi, Avx2.MultiplyAddAdjacent(hi, Load32(q8 + 32)));

    /// <summary>Byte shuffle that copies 16-bit element <paramref name="k"/> of each 128-bit half to all its lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> ScaleShuffle(int k) => Vector256.Create((ushort)(0x0100 + 0x0202 * k)).AsByte();

    public static float Q5K(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x = (Q5KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        float summs = 0;
        for (Q5KBlock* end = x + n / QK.K; x < end; x++, y++)
        {
            float d = y->D * half[x->D];
            float dmin = -y->D * half[x->DMin];
            Vector256<short> sm16 = Avx2.ConvertToVector256Int16(ScalesAndMins(x->Scales));
            Vector128<int> prod = MinProducts(sm16, y->BSums);
            summs = MathF.FusedMultiplyAdd(dmin, prod.GetElement(0) + prod.GetElement(1) + prod.GetElement(2) + prod.GetElement(3), summs);
            Vector256<byte> scales = Vector256.Create(sm16.GetLower(), sm16.GetLower()).AsByte();
            Vector256<byte> hbits = Load32(x->Qh);
            byte* q5 = x->Qs;
            sbyte* q8 = y->Qs;
            // unrolled by hand so that shifts and shuffle masks are constants
            Vector256<int> sumi = Q5KStep(q5, hbits, q8, scales, ScaleShuffle(0), ScaleShuffle(1))
                                + Q5KStep(q5 + 32, Srl(hbits, 2), q8 + 64, scales, ScaleShuffle(2), ScaleShuffle(3))
                                + (Q5KStep(q5 + 64, Srl(hbits, 4), q8 + 128, scales, ScaleShuffle(4), ScaleShuffle(5))
                                + Q5KStep(q5 + 96, Srl(hbits, 6), q8 + 192, scales, ScaleShuffle(6), ScaleShuffle(7)));
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return Hsum(acc) + summs;
    }

    /// <summary>64 elements of a Q5_K block: nibbles, fifth bits from bit 0 (low nibbles) and bit 1 (high) of <paramref name="hbits"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q5KStep(byte* q5, Vector256<byte> hbits, sbyte* q8, Vector256<byte> scales, Vector256<byte> maskLo, Vector256<byte> maskHi)
    {
        Q5KUnpack(q5, hbits, out var lo, out var hi);
        return Q4KDot(lo, hi, q8, scales, maskLo, maskHi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q5KUnpack(byte* q5, Vector256<byte> hbits, out Vector256<byte> lo, out Vector256<byte> hi)
    {
        var m4 = Vector256.Create((byte)0xF);
        var b4 = Vector256.Create((byte)0x10);
        Vector256<byte> bits = Load32(q5);
        // 16-bit shifts: the & drops whatever crossed over from the neighbouring byte
        lo = (bits & m4) | (Avx2.ShiftLeftLogical(hbits.AsUInt16(), 4).AsByte() & b4);
        hi = (Srl(bits, 4) & m4) | (Avx2.ShiftLeftLogical(hbits.AsUInt16(), 3).AsByte() & b4);
    }

    public static float Q6K(byte* vx, byte* vy, int n)
    {
        var x = (Q6KBlock*)vx; var y = (Q8KBlock*)vy;
        float* half = Fp16.Table; // read once (see Q8_0)
        Vector256<float> acc = Vector256<float>.Zero;
        for (Q6KBlock* end = x + n / QK.K; x < end; x++, y++)
        {
            float d = y->D * half[x->D];
            // the −32 offset, applied once per block through the 16-element sums; the widened scales then serve the
            // products too (one in-lane shuffle per 32 quants picks a sub-block pair's scales)
            Vector256<short> sc16 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128(x->Scales));
            Vector256<int> offset = Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(Avx.LoadVector256(y->BSums), sc16), 5);
            Q6KUnpack(x->Ql, x->Qh, out var q0, out var q1, out var q2, out var q3);
            Vector256<int> sumi = Q6KDot(q0, q1, q2, q3, y->Qs, BothHalves(sc16.GetLower()));
            Q6KUnpack(x->Ql + 64, x->Qh + 32, out q0, out q1, out q2, out q3);
            sumi += Q6KDot(q0, q1, q2, q3, y->Qs + 128, BothHalves(sc16.GetUpper()));
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi - offset), acc);
        }
        return Hsum(acc);
    }

    /// <summary>128 six-bit quants (64 bytes of low nibbles, 32 of high bit pairs) as four vectors of 0..63.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q6KUnpack(byte* ql, byte* qh, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3)
    {
        var m4 = Vector256.Create((byte)0xF);
        var m3 = Vector256.Create((byte)3);
        Vector256<byte> l1 = Load32(ql), l2 = Load32(ql + 32), h = Load32(qh);
        q0 = (l1 & m4) | Avx2.ShiftLeftLogical((h & m3).AsUInt16(), 4).AsByte();
        q1 = (l2 & m4) | Avx2.ShiftLeftLogical((Srl(h, 2) & m3).AsUInt16(), 4).AsByte();
        q2 = (Srl(l1, 4) & m4) | Avx2.ShiftLeftLogical((Srl(h, 4) & m3).AsUInt16(), 4).AsByte();
        q3 = (Srl(l2, 4) & m4) | Avx2.ShiftLeftLogical((Srl(h, 6) & m3).AsUInt16(), 4).AsByte();
    }

    /// <summary>Four unpacked 32-quant groups against 128 activations; <paramref name="scales"/> holds the half-block's
    /// eight 16-bit scales in both 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Q6KDot(Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3, sbyte* q8, Vector256<byte> scales) =>
        Q6KDot(q0, q1, q2, q3, q8, Pick(scales, PairShuffle(0)), Pick(scales, PairShuffle(1)), Pick(scales, PairShuffle(2)), Pick(scales, PairShuffle(3)));

    /// <summary>The same with each group's scales already picked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Q6KDot(Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3, sbyte* q8,
                                          Vector256<short> c0, Vector256<short> c1, Vector256<short> c2, Vector256<short> c3) =>
        ScaledDot(q0, q8, c0) + ScaledDot(q1, q8 + 32, c1) + (ScaledDot(q2, q8 + 64, c2) + ScaledDot(q3, q8 + 96, c3));

    // ---- IQ4 (non-linear 4-bit table) ----

    /// <summary>16 bytes of IQ4 indices → their 32 table values (low nibbles first), one byte shuffle per half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> IQ4Quants(byte* qs) => IQ4Quants(qs, IQ4Values(), Vector128.Create((byte)0xF));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> IQ4Quants(byte* qs, Vector128<sbyte> table, Vector128<byte> m4)
    {
        Vector128<byte> bits = Sse2.LoadVector128(qs);
        return Vector256.Create(Ssse3.Shuffle(table, (bits & m4).AsSByte()),
                                Ssse3.Shuffle(table, (Sse2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4).AsSByte()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<sbyte> IQ4Values() =>
        Vector128.Create((sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

    /// <summary>ggml's AVX2 order: even blocks into one accumulator, odd into another, then an odd last block fused.</summary>
    public static float IQ4NL(byte* vx, byte* vy, int n)
    {
        var x = (IQ4NLBlock*)vx; var y = (Q8_0Block*)vy;
        float* half = Fp16.Table;
        Vector128<sbyte> table = IQ4Values();
        var m4 = Vector128.Create((byte)0xF);
        Vector256<float> acc1 = Vector256<float>.Zero, acc2 = Vector256<float>.Zero;
        IQ4NLBlock* pairsEnd = x + (n / 32 & ~1), end = x + n / 32;
        for (; x < pairsEnd; x += 2, y += 2)
        {
            acc1 = Fma.MultiplyAdd(Vector256.Create(half[y->D] * half[x->D]), MulSumI8(IQ4Quants(x->Qs, table, m4), Load32(y->Qs)), acc1);
            acc2 = Fma.MultiplyAdd(Vector256.Create(half[y[1].D] * half[x[1].D]), MulSumI8(IQ4Quants(x[1].Qs, table, m4), Load32(y[1].Qs)), acc2);
        }
        float sum = Hsum(acc1 + acc2);
        if (x < end) sum = MathF.FusedMultiplyAdd(half[y->D] * half[x->D], VecDotScalar.IQ4Sum(x->Qs, y->Qs), sum);
        return sum;
    }

    public static float IQ4XS(byte* vx, byte* vy, int n)
    {
        float* half = Fp16.Table; // read once (see Q8_0)
        var x = (IQ4XSBlock*)vx; var y = (Q8KBlock*)vy;
        Vector256<float> acc = Vector256<float>.Zero;
        for (IQ4XSBlock* end = x + n / QK.K; x < end; x++, y++)
        {
            Vector256<byte> scales = BothHalves(IQ4XSScales(x));
            byte* qs = x->Qs;
            sbyte* q8 = y->Qs;
            // even sub-blocks into one sum, odd into the other, as ggml (integers: only the lanes matter)
            Vector256<int> sumi1 = IQ4XSGroup(qs, q8, Pick(scales, ScaleShuffle(0))) + IQ4XSGroup(qs + 32, q8 + 64, Pick(scales, ScaleShuffle(2)))
                                 + IQ4XSGroup(qs + 64, q8 + 128, Pick(scales, ScaleShuffle(4))) + IQ4XSGroup(qs + 96, q8 + 192, Pick(scales, ScaleShuffle(6)));
            Vector256<int> sumi2 = IQ4XSGroup(qs + 16, q8 + 32, Pick(scales, ScaleShuffle(1))) + IQ4XSGroup(qs + 48, q8 + 96, Pick(scales, ScaleShuffle(3)))
                                 + IQ4XSGroup(qs + 80, q8 + 160, Pick(scales, ScaleShuffle(5))) + IQ4XSGroup(qs + 112, q8 + 224, Pick(scales, ScaleShuffle(7)));
            acc = Fma.MultiplyAdd(Vector256.Create(half[x->D] * y->D), Avx.ConvertToVector256Single(sumi1 + sumi2), acc);
        }
        return Hsum(acc);
    }

    /// <summary>IQ4_XS's eight sub-block scales as 16-bit lanes (offset 32 removed): the low nibbles from ScalesL
    /// interleaved, the two high bits of scale k from ScalesH shifted into place by a 16-bit multiply (left by 14 − 2k,
    /// then right by 14).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<short> IQ4XSScales(IQ4XSBlock* x)
    {
        Vector128<byte> b = Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(x->ScalesL)).AsByte();
        var m4 = Vector128.Create((byte)0xF);
        Vector128<short> low = Sse41.ConvertToVector128Int16(Sse2.UnpackLow(b & m4, Sse2.ShiftRightLogical(b.AsUInt16(), 4).AsByte() & m4));
        Vector128<ushort> high = Sse2.ShiftRightLogical(Sse2.MultiplyLow(Vector128.Create(x->ScalesH),
            Vector128.Create((ushort)(1 << 14), 1 << 12, 1 << 10, 1 << 8, 1 << 6, 1 << 4, 1 << 2, 1)), 14);
        return (low | Sse2.ShiftLeftLogical(high, 4).AsInt16()) - Vector128.Create((short)32);
    }

    /// <summary>One 32-element IQ4_XS sub-block against 32 activations: ggml's mul_add_epi8 pair sums times the scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> IQ4XSGroup(byte* qs, sbyte* q8, Vector256<short> scale)
    {
        Vector256<sbyte> q = IQ4Quants(qs);
        return ScaledSignedDot(Avx2.Sign(q, q).AsByte(), q, q8, scale);
    }

    /// <summary>|q| × (the 32 activations with q's signs), pair sums (vpmaddubsw), times the 16-bit scale (vpmaddwd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> ScaledSignedDot(Vector256<byte> aq, Vector256<sbyte> q, sbyte* q8, Vector256<short> scale) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(aq, Avx2.Sign(Load32(q8), q)), scale);

    // ---- float formats ----

    /// <summary>8 halves → 8 floats, exactly: shift into float position and rescale the exponent by 2¹¹²; inf/NaN patched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfToSingle(ushort* p) => Fp16.ToSingle8(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Bf16ToSingle(ushort* p) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(p)), 16).AsSingle();

    /// <summary>ggml's GGML_F32x8_REDUCE: (0+2) + (1+3), then (lane i + lane i+4) and two horizontal adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce4(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
    {
        Vector256<float> v = Avx.Add(Avx.Add(s0, s2), Avx.Add(s1, s3));
        Vector128<float> t = Sse.Add(v.GetLower(), v.GetUpper());
        t = Sse3.HorizontalAdd(t, t);
        return Sse3.HorizontalAdd(t, t).ToScalar();
    }

    public static float F32(byte* vx, byte* vy, int n) => Widened<F32Chains>((float*)vx, (float*)vy, n);

    public static float F16(byte* vx, byte* vy, int n) => F16<HalfOperand, HalfOperand>(vx, vy, n);

    /// <summary><see cref="F16"/> with the activations given as the floats their halves widen to (<see cref="Fp16.WidenRow"/>,
    /// once per matmul instead of once per row): the same products and sums, so the same bits, in half the instructions.</summary>
    public static float F16Wide(byte* vx, byte* vy, int n) => F16<HalfOperand, WidenedOperand>(vx, vy, n);

    /// <summary><see cref="F16"/> with both operands given as the floats their halves widen to (the attention's query and
    /// key, widened once instead of at every product): the same products and sums, so the same bits.</summary>
    public static float F16Widened(float* x, float* y, int n) => Widened<F32Chains>(x, y, n);

    /// <summary>How a float kernel folds its four chains: F32's and F16's GGML_F32x8_REDUCE or BF16's sum of halves.</summary>
    internal interface IChainReduce
    {
        static abstract double Reduce(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3);
    }

    internal readonly struct F32Chains : IChainReduce
    {
        public static double Reduce(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3) => Reduce4(s0, s1, s2, s3);
    }

    internal readonly struct Bf16Chains : IChainReduce
    {
        public static double Reduce(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3) =>
            Hsum(Avx.Add(Avx.Add(s0, s2), Avx.Add(s1, s3)));
    }

    /// <summary>The F32 kernel, and the F16 (<typeparamref name="T"/> = <see cref="F32Chains"/>) or BF16
    /// (<see cref="Bf16Chains"/>) kernel on operands already widened to floats: the same products, chains, reduction and
    /// tail, so the same bits.</summary>
    public static float Widened<T>(float* x, float* y, int n) where T : IChainReduce
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int np = n & ~31;
        for (int i = 0; i < np; i += 32)
        {
            s0 = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i), s0);
            s1 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 8), Avx.LoadVector256(y + i + 8), s1);
            s2 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 16), Avx.LoadVector256(y + i + 16), s2);
            s3 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 24), Avx.LoadVector256(y + i + 24), s3);
        }
        double sum = T.Reduce(s0, s1, s2, s3);
        for (int i = np; i < n; i++) sum += x[i] * y[i];
        return (float)sum;
    }

    /// <summary><see cref="Widened{T}"/> of one row against two (prefill): each pair keeps its own four chains, reduction
    /// and tail, so each result has the one-pair kernel's bits; the row's loads serve both.</summary>
    public static void Widened2<T>(float* x, float* y0, float* y1, int n, float* r0, float* r1) where T : IChainReduce
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int np = n & ~31;
        for (int i = 0; i < np; i += 32)
        {
            Vector256<float> w0 = Avx.LoadVector256(x + i), w1 = Avx.LoadVector256(x + i + 8);
            Vector256<float> w2 = Avx.LoadVector256(x + i + 16), w3 = Avx.LoadVector256(x + i + 24);
            a0 = Fma.MultiplyAdd(w0, Avx.LoadVector256(y0 + i), a0);
            b0 = Fma.MultiplyAdd(w0, Avx.LoadVector256(y1 + i), b0);
            a1 = Fma.MultiplyAdd(w1, Avx.LoadVector256(y0 + i + 8), a1);
            b1 = Fma.MultiplyAdd(w1, Avx.LoadVector256(y1 + i + 8), b1);
            a2 = Fma.MultiplyAdd(w2, Avx.LoadVector256(y0 + i + 16), a2);
            b2 = Fma.MultiplyAdd(w2, Avx.LoadVector256(y1 + i + 16), b2);
            a3 = Fma.MultiplyAdd(w3, Avx.LoadVector256(y0 + i + 24), a3);
            b3 = Fma.MultiplyAdd(w3, Avx.LoadVector256(y1 + i + 24), b3);
        }
        double s0 = T.Reduce(a0, a1, a2, a3), s1 = T.Reduce(b0, b1, b2, b3);
        for (int i = np; i < n; i++)
        {
            s0 += x[i] * y0[i];
            s1 += x[i] * y1[i];
        }
        *r0 = (float)s0;
        *r1 = (float)s1;
    }

    private interface IF16Operand
    {
        static abstract Vector256<float> Load8(byte* p, int i);
        static abstract float Load1(byte* p, int i);
        /// <summary>Called once per 32 elements: a weight row streaming from memory asks for a line ahead.</summary>
        static abstract void Prefetch(byte* p, int i);
    }

    private readonly struct HalfOperand : IF16Operand
    {
        public static Vector256<float> Load8(byte* p, int i) => HalfToSingle((ushort*)p + i);
        public static float Load1(byte* p, int i) => Fp16.ToSingle(((ushort*)p)[i]);
        // 32 halves are one 64-byte line: one prefetch per line, 8 lines ahead (into the next row at the end, which is
        // the next one read; a prefetch past the mapping is dropped)
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Prefetch(byte* p, int i) => Sse.Prefetch0(p + 2 * i + 512);
    }

    private readonly struct WidenedOperand : IF16Operand
    {
        public static Vector256<float> Load8(byte* p, int i) => Avx.LoadVector256((float*)p + i);
        public static float Load1(byte* p, int i) => ((float*)p)[i];
        public static void Prefetch(byte* p, int i) { }
    }

    private static float F16<TX, TY>(byte* vx, byte* vy, int n) where TX : IF16Operand where TY : IF16Operand
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int np = n & ~31;
        for (int i = 0; i < np; i += 32)
        {
            TX.Prefetch(vx, i);
            s0 = Fma.MultiplyAdd(TX.Load8(vx, i), TY.Load8(vy, i), s0);
            s1 = Fma.MultiplyAdd(TX.Load8(vx, i + 8), TY.Load8(vy, i + 8), s1);
            s2 = Fma.MultiplyAdd(TX.Load8(vx, i + 16), TY.Load8(vy, i + 16), s2);
            s3 = Fma.MultiplyAdd(TX.Load8(vx, i + 24), TY.Load8(vy, i + 24), s3);
        }
        double sum = Reduce4(s0, s1, s2, s3);
        for (int i = np; i < n; i++) sum += TX.Load1(vx, i) * TY.Load1(vy, i);
        return (float)sum;
    }

    public static float BF16(byte* vx, byte* vy, int n)
    {
        ushort* x = (ushort*)vx, y = (ushort*)vy;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int np = n & ~31;
        for (int i = 0; i < np; i += 32)
        {
            Sse.Prefetch0((byte*)(x + i) + 512); // as HalfOperand.Prefetch: one line per 32 weights, 8 lines ahead
            s0 = Fma.MultiplyAdd(Bf16ToSingle(x + i), Bf16ToSingle(y + i), s0);
            s1 = Fma.MultiplyAdd(Bf16ToSingle(x + i + 8), Bf16ToSingle(y + i + 8), s1);
            s2 = Fma.MultiplyAdd(Bf16ToSingle(x + i + 16), Bf16ToSingle(y + i + 16), s2);
            s3 = Fma.MultiplyAdd(Bf16ToSingle(x + i + 24), Bf16ToSingle(y + i + 24), s3);
        }
        double sum = Hsum(Avx.Add(Avx.Add(s0, s2), Avx.Add(s1, s3)));
        for (int i = np; i < n; i++) sum += Fp16.Bf16ToSingle(x[i]) * Fp16.Bf16ToSingle(y[i]);
        return (float)sum;
    }
}
