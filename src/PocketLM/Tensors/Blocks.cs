using System.Runtime.InteropServices;

namespace PocketLM.Tensors;

// Block layouts exactly as ggml stores them (ggml-common.h); Pack = 1 because the file packs blocks back to back with no
// padding and the structs are read in place from the memory map. Halves are kept as raw ushort bits.

/// <summary>Elements per block of the block-quantized formats.</summary>
internal static class QK
{
    public const int Small = 32;   // Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1
    public const int K = 256;      // k-quants and Q8_K
}

internal static class BlockLayout
{
    /// <summary>Byte offsets of the half-precision scale fields (d, and m or dmin) within one block of a quantized weight type.</summary>
    public static int[] HalfScaleOffsets(GgmlType type) => type switch
    {
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.IQ4_NL or GgmlType.IQ4_XS
            or GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ1_S => [0],
        GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
        GgmlType.Q2_K => [80, 82],
        GgmlType.Q3_K => [108],
        GgmlType.Q6_K => [208],
        _ => [],
    };
}

/// <summary>Q4_0: x = (q − 8)·d; low nibbles hold elements 0–15, high nibbles 16–31.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q4_0Block { public ushort D; public fixed byte Qs[16]; }

/// <summary>Q4_1: x = q·d + m.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q4_1Block { public ushort D; public ushort M; public fixed byte Qs[16]; }

/// <summary>Q5_0: x = (q − 16)·d; bit i of the little-endian qh word is the 5th bit of element i.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q5_0Block { public ushort D; public fixed byte Qh[4]; public fixed byte Qs[16]; }

/// <summary>Q5_1: x = q·d + m with the 5th bits as in Q5_0.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q5_1Block { public ushort D; public ushort M; public fixed byte Qh[4]; public fixed byte Qs[16]; }

/// <summary>Q8_0: x = q·d. Also the activation format for Q4_0, Q5_0 and Q8_0 weights.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q8_0Block { public ushort D; public fixed sbyte Qs[32]; }

/// <summary>Q8_1 (activations for Q4_1/Q5_1 weights): s = d·Σq lets the dot apply the weight minimum without touching elements.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q8_1Block { public ushort D; public ushort S; public fixed sbyte Qs[32]; }

/// <summary>Q2_K: 16 sub-blocks of 16; each scales byte is (min &lt;&lt; 4 | scale); x = d·scale·q − dmin·min.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q2KBlock { public fixed byte Scales[16]; public fixed byte Qs[64]; public ushort D; public ushort DMin; }

/// <summary>Q3_K: 2 low bits in qs, the 3rd (inverted: clear means −4) in hmask, 16 six-bit scales packed in 12 bytes (offset 32).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q3KBlock { public fixed byte HMask[32]; public fixed byte Qs[64]; public fixed byte Scales[12]; public ushort D; }

/// <summary>Q4_K: 8 sub-blocks of 32 with 6-bit scales and mins packed in 12 bytes; x = d·sc·q − dmin·m.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q4KBlock { public ushort D; public ushort DMin; public fixed byte Scales[12]; public fixed byte Qs[128]; }

/// <summary>Q5_K: Q4_K plus a 5th bit per element in qh.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q5KBlock { public ushort D; public ushort DMin; public fixed byte Scales[12]; public fixed byte Qh[32]; public fixed byte Qs[128]; }

/// <summary>Q6_K: 4 low bits in ql, 2 high bits in qh, 16 signed 8-bit scales; x = d·sc·(q − 32).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q6KBlock { public fixed byte Ql[128]; public fixed byte Qh[64]; public fixed sbyte Scales[16]; public ushort D; }

/// <summary>IQ4_NL: 32 four-bit indices into a fixed non-linear table of 16 signed values (<see cref="IQ4Table.Values"/>), one half scale.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ4NLBlock { public ushort D; public fixed byte Qs[16]; }

/// <summary>IQ4_XS: IQ4_NL's table over 256 elements, 8 sub-blocks of 32 with 6-bit scales (offset 32): low 4 bits in
/// ScalesL (two per byte), high 2 bits in ScalesH (two per sub-block).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ4XSBlock { public ushort D; public ushort ScalesH; public fixed byte ScalesL[4]; public fixed byte Qs[128]; }

internal static unsafe class IQ4Table
{
    /// <summary>ggml's kvalues_iq4nl.</summary>
    internal static ReadOnlySpan<sbyte> Values => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    /// <summary>The 6-bit scale of IQ4_XS sub-block <paramref name="ib"/>, offset removed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static int Scale(IQ4XSBlock* x, int ib) => (((x->ScalesL[ib >> 1] >> (4 * (ib & 1))) & 0xF) | (((x->ScalesH >> (2 * ib)) & 3) << 4)) - 32;
}

// The i-quants below map groups of 4 or 8 quants to points of a fixed grid (ggml's iq*_grid tables, in the family files
// IQ1.cs, IQ2.cs, IQ3.cs), with signs stored separately (7 bits per 8 quants, the 8th bit making the count even).

/// <summary>IQ2_XXS: per 32 quants two uint16 pairs → four 8-wide grid indices (8 bits each), four 7-bit sign groups and
/// a 4-bit scale (top of the second uint32).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ2XXSBlock { public ushort D; public fixed ushort Qs[32]; }

/// <summary>IQ2_XS: per 8 quants one uint16 = 9-bit grid index + 7 sign bits; a 4-bit scale per 16 quants.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ2XSBlock { public ushort D; public fixed ushort Qs[32]; public fixed byte Scales[8]; }

/// <summary>IQ2_S: per 8 quants an 8-bit grid index (2 more bits in Qh) and a full sign byte (the second half of Qs);
/// a 4-bit scale per 16 quants.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ2SBlock { public ushort D; public fixed byte Qs[64]; public fixed byte Qh[8]; public fixed byte Scales[8]; }

/// <summary>IQ3_XXS: 64 bytes of 4-wide grid indices, then per 32 quants one uint32 of four 7-bit sign groups and a
/// 4-bit scale.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ3XXSBlock { public ushort D; public fixed byte Qs[96]; }

/// <summary>IQ3_S: 9-bit 4-wide grid indices (low 8 in Qs, high bit in Qh), explicit sign bits, a 4-bit scale per 32 quants.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ3SBlock { public ushort D; public fixed byte Qs[64]; public fixed byte Qh[8]; public fixed byte Signs[32]; public fixed byte Scales[4]; }

/// <summary>IQ1_S: 11-bit 8-wide grid indices (low 8 in Qs, 3 high bits in Qh), per 32 quants a 3-bit scale and a delta sign (Qh).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ1SBlock { public ushort D; public fixed byte Qs[32]; public fixed ushort Qh[8]; }

/// <summary>IQ1_M: like IQ1_S with a delta sign per 8 quants and 3-bit scales per 16; no d field — the half scale is
/// spread over the top nibbles of the four uint16 scale words.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct IQ1MBlock { public fixed byte Qs[32]; public fixed byte Qh[16]; public fixed byte Scales[8]; }

/// <summary>Sign groups of the 2- and 3-bit i-quants: 7 stored bits, the 8th set so the number of minus signs is even
/// (ggml's ksigns_iq2xs).</summary>
internal static class IQSigns
{
    /// <summary>The full 8-bit sign mask of a 7-bit sign group.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int Full(int seven) => seven | ((System.Numerics.BitOperations.PopCount((uint)seven) & 1) << 7);
}

/// <summary>Q8_K (activations for k-quants): float scale, and sums of each 16 quants so mins apply per sub-block.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct Q8KBlock { public float D; public fixed sbyte Qs[256]; public fixed short BSums[16]; }
