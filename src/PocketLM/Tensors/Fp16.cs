using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>Half and bfloat16 conversions with ggml's semantics.</summary>
internal static unsafe class Fp16
{
    // .NET has no F16C intrinsics; a 256 KiB table makes half→float one load (as ggml does without F16C). Never freed: lives
    // as long as the process.
    internal static readonly float* Table = BuildTable();

    private static float* BuildTable()
    {
        var t = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort h) => Table[h];

    /// <summary>Round to nearest even, like F16C's vcvtps2ph with imm 0 and ggml's scalar fallback.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16ToSingle(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);

    /// <summary>ggml_compute_fp32_to_bf16: round to nearest even; NaNs are kept quiet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort SingleToBf16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
    }

    /// <summary>Eight halves to floats (exact; the same bit trick as the AVX2 dot kernels): sign-extended and shifted, the
    /// half's sign lands on the float's and its exponent and mantissa below it; one mask clears the sign copies between,
    /// and multiplying by 2¹¹² rebiases the exponent (subnormals included, the sign kept); infinities and NaNs are patched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle8(ushort* p)
    {
        Vector256<int> h = Avx2.ConvertToVector256Int32(Sse2.LoadVector128((short*)p));
        Vector256<int> bits = Avx2.ShiftLeftLogical(h, 13) & Vector256.Create(unchecked((int)0x8FFFE000));
        Vector256<float> f = Avx.Multiply(bits.AsSingle(), Vector256.Create(BitConverter.Int32BitsToSingle(0x77800000)));
        Vector256<float> infNan = Avx2.CompareEqual(h & Vector256.Create(0x7c00), Vector256.Create(0x7c00)).AsSingle();
        return Avx.BlendVariable(f, (bits | Vector256.Create(0x7f800000)).AsSingle(), infNan);
    }

    /// <summary>
    /// Eight floats to halves with round-to-nearest-even, bit-identical to <see cref="FromSingle"/> (F16C's vcvtps2ph):
    /// normal values round by adding 0xfff plus the kept mantissa's lowest bit; subnormal results come from adding a magic
    /// float so the FPU rounds; overflow gives infinity and NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FromSingle8(Vector256<float> value, ushort* dst)
    {
        Vector256<int> bits = value.AsInt32();
        Vector256<int> sign = bits & Vector256.Create(unchecked((int)0x80000000));
        Vector256<int> f = bits ^ sign;
        Vector256<int> f16max = Vector256.Create((127 + 16) << 23);
        Vector256<int> infOrNan = Avx2.CompareGreaterThan(f, Vector256.Create(255 << 23)) & Vector256.Create(0x7e00 ^ 0x7c00);
        Vector256<int> overflow = infOrNan | Vector256.Create(0x7c00);
        var denormMagic = Vector256.Create(((127 - 15) + (23 - 10) + 1) << 23);
        Vector256<int> denorm = (Avx.Add(f.AsSingle(), denormMagic.AsSingle()).AsInt32() - denormMagic);
        Vector256<int> mantOdd = Avx2.ShiftRightLogical(f, 13) & Vector256.Create(1);
        Vector256<int> normal = Avx2.ShiftRightLogical(f + Vector256.Create(((15 - 127) << 23) + 0xfff) + mantOdd, 13);
        Vector256<int> isDenorm = Avx2.CompareGreaterThan(Vector256.Create(113 << 23), f);
        Vector256<int> isOverflow = Avx2.CompareGreaterThan(f, f16max - Vector256.Create(1));
        Vector256<int> o = Avx2.BlendVariable(normal, denorm, isDenorm);
        o = Avx2.BlendVariable(o, overflow, isOverflow);
        o |= Avx2.ShiftRightLogical(sign, 16);
        Vector256<ushort> packed = Avx2.PackUnsignedSaturate(o, o);
        Vector256<ulong> ordered = Avx2.Permute4x64(packed.AsUInt64(), 0b11_01_10_00);
        Sse2.Store(dst, ordered.GetLower().AsUInt16());
    }

    /// <summary>
    /// f32(f16(x)) for eight floats without the 16-bit round trip: x rounded to the nearest half (ties to even, results
    /// below 2^-14 to multiples of 2^-24, 65520 and above to infinity, NaN to the quiet NaN), kept as a float. Identical to
    /// <see cref="ToSingle8"/>(<see cref="FromSingle8"/>(x)) for every input (checked over all 2^32 bit patterns), in about
    /// half the instructions (12: the rounding itself is one float add and subtract); the F16 attention accumulator
    /// lives in this form.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundToHalf8(Vector256<float> x)
    {
        Vector256<int> bits = x.AsInt32();
        Vector256<int> f = bits & Vector256.Create(0x7fffffff);
        // Let the FPU round: adding c = 1.5·2^(e+13) (e = the exponent of |x|, at least −14) leaves exactly the bits of a
        // half's precision at that exponent (10 below the leading one; multiples of 2^-24 below 2^-14), rounded to
        // nearest even, carries included; subtracting c again is exact. Exponents too large for c are sent to infinity
        // below anyway.
        Vector256<int> e = Avx2.Max(f & Vector256.Create(0x7f800000), Vector256.Create(113 << 23));
        Vector256<float> c = (e + Vector256.Create((13 << 23) + 0x400000)).AsSingle();
        Vector256<int> r = Avx.Subtract(Avx.Add(f.AsSingle(), c), c).AsInt32();
        // 65520 and above round to 65536 or more: infinity; NaN inputs give the quiet NaN, as vcvtps2ph then vcvtph2ps
        r = Avx2.BlendVariable(r, Vector256.Create(0x7f800000), Avx2.CompareGreaterThan(f, Vector256.Create(0x477fefff)));
        r = Avx2.BlendVariable(r, Vector256.Create(0x7fc00000), Avx2.CompareGreaterThan(f, Vector256.Create(0x7f800000)));
        return (r | (bits ^ f)).AsSingle();
    }

    // Both below convert the elements the F16 dot kernel reads eight at a time (those below n & ~31) with the vector
    // conversion and the tail with the table, as that kernel does, so that even NaN payloads come out the same.

    /// <summary>dst[i] = f32(f16(x[i])): a row of activations rounded to halves but kept as floats (AVX2).</summary>
    internal static void WidenRow(float* x, float* dst, int n)
    {
        int i = 0;
        for (; i < (n & ~31); i += 8) Avx.Store(dst + i, RoundToHalf8(Avx.LoadVector256(x + i)));
        for (; i < n; i++) dst[i] = RoundToHalf(x[i]);
    }

    /// <summary>dst[i] = the float of half w[i], exactly as the AVX2 dot kernels widen weights (NaN payloads included).</summary>
    internal static void WidenHalves(ushort* w, float* dst, int n)
    {
        int i = 0;
        for (; i < (n & ~31); i += 8) Avx.Store(dst + i, ToSingle8(w + i));
        for (; i < n; i++) dst[i] = Table[w[i]];
    }

    /// <summary>dst[i] = f32(bf16(x[i])): activations rounded to BF16 (ggml's conversion) but kept as floats.</summary>
    internal static void WidenRowBf16(float* x, float* dst, int n)
    {
        for (int i = 0; i < n; i++) dst[i] = Bf16ToSingle(SingleToBf16(x[i]));
    }

    /// <summary>dst[i] = the float of BF16 value w[i] (exact: the bits shifted up).</summary>
    internal static void WidenBf16(ushort* w, float* dst, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8)
            Avx.Store(dst + i, Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(w + i)), 16).AsSingle());
        for (; i < n; i++) dst[i] = Bf16ToSingle(w[i]);
    }

    /// <summary>f32(f16(x)), the scalar form of <see cref="RoundToHalf8"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToHalf(float x) => Table[FromSingle(x)];

    // 128-bit forms with the portable Vector128 API (NEON on ARM64, SSE on x86-64), the same bit tricks as the 256-bit ones.

    /// <summary>n halves to floats with the widest exact conversion the CPU has (NaN payloads aside, as <see cref="ToSingle8"/>).</summary>
    public static void ToSingleRow(ushort* x, float* y, int n)
    {
        int i = 0;
        if (VecDotAvx2.IsSupported)
            for (; i + 8 <= n; i += 8) ToSingle8(x + i).Store(y + i);
        else if (VecDotNeon.IsSupported)
            for (; i + 4 <= n; i += 4) ToSingle4(x + i).Store(y + i);
        for (; i < n; i++) y[i] = Table[x[i]];
    }

    /// <summary>Four halves to floats, exact (as <see cref="ToSingle8"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle4(ushort* p)
    {
        Vector128<int> h = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(p)).AsUInt16()).AsInt32();
        Vector128<int> em = Vector128.ShiftLeft(h & Vector128.Create(0x7fff), 13);
        Vector128<float> f = em.AsSingle() * Vector128.Create(BitConverter.Int32BitsToSingle(0x77800000));
        Vector128<float> infNan = Vector128.Equals(h & Vector128.Create(0x7c00), Vector128.Create(0x7c00)).AsSingle();
        f = Vector128.ConditionalSelect(infNan, (em | Vector128.Create(0x7f800000)).AsSingle(), f);
        return f | Vector128.ShiftLeft(h & Vector128.Create(0x8000), 16).AsSingle();
    }

    /// <summary>Four floats to halves, round to nearest even, bit-identical to <see cref="FromSingle"/> (as <see cref="FromSingle8"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FromSingle4(Vector128<float> value, ushort* dst)
    {
        Vector128<int> bits = value.AsInt32();
        Vector128<int> sign = bits & Vector128.Create(unchecked((int)0x80000000));
        Vector128<int> f = bits ^ sign;
        Vector128<int> infOrNan = Vector128.GreaterThan(f, Vector128.Create(255 << 23)) & Vector128.Create(0x7e00 ^ 0x7c00);
        Vector128<int> overflow = infOrNan | Vector128.Create(0x7c00);
        var denormMagic = Vector128.Create(((127 - 15) + (23 - 10) + 1) << 23);
        Vector128<int> denorm = (f.AsSingle() + denormMagic.AsSingle()).AsInt32() - denormMagic;
        Vector128<int> mantOdd = Vector128.ShiftRightLogical(f, 13) & Vector128.Create(1);
        Vector128<int> normal = Vector128.ShiftRightLogical(f + Vector128.Create(((15 - 127) << 23) + 0xfff) + mantOdd, 13);
        Vector128<int> o = Vector128.ConditionalSelect(Vector128.GreaterThan(Vector128.Create(113 << 23), f), denorm, normal);
        o = Vector128.ConditionalSelect(Vector128.GreaterThan(f, Vector128.Create(((127 + 16) << 23) - 1)), overflow, o);
        o |= Vector128.ShiftRightLogical(sign, 16);
        Vector128<ushort> narrow = Vector128.Narrow(o.AsUInt32(), o.AsUInt32());
        Unsafe.WriteUnaligned(dst, narrow.AsUInt64().ToScalar());
    }
}
