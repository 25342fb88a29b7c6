using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// The 512-bit prefill kernels' switch and the byte-level operations they need. Where the CPU has AVX-512 (F, BW) and the
/// runtime accelerates <see cref="Vector512{T}"/>, the prefill kernels of the main weight types work on sixteen rows (or
/// two rows per vector) at once; each 256-bit half of a vector computes exactly what the 256-bit kernel computes for its
/// rows, so results are the same bits as on AVX2. With <c>POCKETLM_EMULATE_AVX512=1</c> they run on any AVX2 CPU too, the
/// AVX-512 instructions done as two AVX2 halves, so that the 512-bit kernels are tested bit for bit against the scalar
/// references on CPUs without AVX-512 (the kernel check does this). The flag is read once.
/// </summary>
/// <remarks>
/// AVX-512 VNNI (<c>vpdpbusd</c> on 512 bits) has no .NET API; the kernels use <c>vpmaddubsw</c> + <c>vpmaddwd</c>, whose
/// integer sums are the same. AVX-512 has no <c>vpsignb</c>: the sign trick negates the activation where the weight is
/// negative instead (the product with |weight| is the same; where the weight is 0 it is 0 either way).
/// </remarks>
internal static class Avx512
{
    private static bool Hardware => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    public static readonly bool Enabled = Hardware || (Avx2.IsSupported && Fma.IsSupported && Emulated);

    /// <summary>True when the 512-bit kernels run on the emulation (the variable is set and the CPU lacks AVX-512).</summary>
    public static bool Emulated => !Hardware && Environment.GetEnvironmentVariable("POCKETLM_EMULATE_AVX512") == "1";

    /// <summary>vpmaddubsw: unsigned × signed bytes, adjacent pairs summed with signed saturation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> MulAddBytes(Vector512<byte> u, Vector512<sbyte> s) =>
        Avx512BW.IsSupported ? Avx512BW.MultiplyAddAdjacent(u, s)
        : Vector512.Create(Avx2.MultiplyAddAdjacent(u.GetLower(), s.GetLower()), Avx2.MultiplyAddAdjacent(u.GetUpper(), s.GetUpper()));

    /// <summary>vpmaddwd: signed 16-bit products, adjacent pairs summed into 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> MulAddShorts(Vector512<short> a, Vector512<short> b) =>
        Avx512BW.IsSupported ? Avx512BW.MultiplyAddAdjacent(a, b)
        : Vector512.Create(Avx2.MultiplyAddAdjacent(a.GetLower(), b.GetLower()), Avx2.MultiplyAddAdjacent(a.GetUpper(), b.GetUpper()));

    /// <summary>Pair sums of 16-bit lanes into 32 bits (vpmaddwd with ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Widen(Vector512<short> a) => MulAddShorts(a, Vector512.Create((short)1));

    /// <summary>vpshufb: each byte of <paramref name="index"/> (0..15) picks from the table in its own 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> Lookup(Vector512<sbyte> table, Vector512<sbyte> index) =>
        Avx512BW.IsSupported ? Avx512BW.Shuffle(table, index)
        : Vector512.Create(Avx2.Shuffle(table.GetLower(), index.GetLower()), Avx2.Shuffle(table.GetUpper(), index.GetUpper()));

    /// <summary><paramref name="y"/> negated (wrapping) where <paramref name="x"/> is negative: with |x| it gives the
    /// products of ggml's |x|·sign(y, x). (Portable operations only, so the emulation runs this very expression.)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> NegateWhereNegative(Vector512<sbyte> y, Vector512<sbyte> x) =>
        Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<sbyte>.Zero), Vector512<sbyte>.Zero - y, y);

    /// <summary>|x| per byte (−128 stays 0x80, i.e. 128 unsigned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Abs(Vector512<sbyte> x) =>
        Avx512BW.IsSupported ? Avx512BW.Abs(x)
        : Vector512.Create(Avx2.Abs(x.GetLower()), Avx2.Abs(x.GetUpper()));

    /// <summary>Bytes shifted right by <paramref name="s"/> within 16-bit lanes (mask afterwards, as the AVX2 kernels do).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Srl(Vector512<byte> v, [ConstantExpected] byte s) =>
        Avx512BW.IsSupported ? Avx512BW.ShiftRightLogical(v.AsUInt16(), s).AsByte()
        : Vector512.Create(VecDotAvx2.Srl(v.GetLower(), s), VecDotAvx2.Srl(v.GetUpper(), s));

    /// <summary>a·b + c with one rounding (vfmadd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c)
        : Vector512.Create(Fma.MultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()), Fma.MultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));

    /// <summary>int32 → float, rounded to nearest (vcvtdq2ps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<int> v) =>
        Avx512F.IsSupported ? Avx512F.ConvertToVector512Single(v)
        : Vector512.Create(Avx.ConvertToVector256Single(v.GetLower()), Avx.ConvertToVector256Single(v.GetUpper()));

    /// <summary>Two halves as one vector, by vinserti64x4 (Vector512.Create(lo, hi) goes through a stack temporary in .NET
    /// 10's JIT: seen in the AVX-512 code NativeAOT generates for these kernels). The casts are free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Join<T>(Vector256<T> lo, Vector256<T> hi) =>
        Avx512F.IsSupported ? Avx512F.InsertVector256(lo.AsByte().ToVector512Unsafe(), hi.AsByte(), 1).As<byte, T>() : Vector512.Create(lo, hi);

    /// <summary>Two 32-byte loads as one vector (the low half from <paramref name="lo"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<byte> Load2(byte* lo, byte* hi) => Join(Avx.LoadVector256(lo), Avx.LoadVector256(hi));

    /// <summary>Four bytes repeated over the vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<sbyte> Broadcast4(byte* p) => Vector512.Create(Unsafe.ReadUnaligned<int>(p)).AsSByte();

    /// <summary>32 bytes repeated in both halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<sbyte> Broadcast32(byte* p)
    {
        if (Avx512F.IsSupported) return Avx512F.BroadcastVector256ToVector512((double*)p).AsSByte(); // vbroadcastf64x4: the bits are the bits
        Vector256<sbyte> v = Avx.LoadVector256((sbyte*)p);
        return Vector512.Create(v, v);
    }

    /// <summary>Two scalars, each repeated over one half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Halves(float lo, float hi) => Join(Vector256.Create(lo), Vector256.Create(hi));
}
