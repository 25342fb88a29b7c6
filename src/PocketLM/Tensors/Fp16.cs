using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
}
