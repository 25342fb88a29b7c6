using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PocketLM.Tensors;

/// <summary>
/// Scalar reference dequantization, bit-exact with ggml's <c>dequantize_row_*</c>: the same integer decoding and the same
/// float operations in the same order (no fused multiply-add, which would round differently).
/// </summary>
public static unsafe partial class Dequantize
{
    /// <summary>Dequantizes <c>dst.Length</c> elements from whole blocks of <paramref name="type"/> in <paramref name="src"/>.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        int n = dst.Length;
        if (n % GgmlTypeInfo.BlockSize(type) != 0) throw new ArgumentException($"{n} elements is not a whole number of {type} blocks.", nameof(dst));
        if (src.Length < GgmlTypeInfo.RowBytes(type, n)) throw new ArgumentException("Source is shorter than the row.", nameof(src));
        fixed (byte* s = src)
        fixed (float* d = dst)
            Row(type, s, d, n);
    }

    /// <summary>Pointer form of <see cref="Row(GgmlType, ReadOnlySpan{byte}, Span{float})"/>; no checks.</summary>
    public static void Row(GgmlType type, byte* src, float* dst, int n)
    {
        switch (type)
        {
            case GgmlType.F32: Buffer.MemoryCopy(src, dst, (long)n * 4, (long)n * 4); break;
            case GgmlType.F16: for (int i = 0; i < n; i++) dst[i] = Fp16.ToSingle(((ushort*)src)[i]); break;
            case GgmlType.BF16: for (int i = 0; i < n; i++) dst[i] = Fp16.Bf16ToSingle(((ushort*)src)[i]); break;
            case GgmlType.Q4_0: Q4_0((Q4_0Block*)src, dst, n); break;
            case GgmlType.Q4_1: Q4_1((Q4_1Block*)src, dst, n); break;
            case GgmlType.Q5_0: Q5_0((Q5_0Block*)src, dst, n); break;
            case GgmlType.Q5_1: Q5_1((Q5_1Block*)src, dst, n); break;
            case GgmlType.Q8_0: Q8_0((Q8_0Block*)src, dst, n); break;
            case GgmlType.Q2_K: Q2K((Q2KBlock*)src, dst, n); break;
            case GgmlType.Q3_K: Q3K((Q3KBlock*)src, dst, n); break;
            case GgmlType.Q4_K: Q4K((Q4KBlock*)src, dst, n); break;
            case GgmlType.Q5_K: Q5K((Q5KBlock*)src, dst, n); break;
            case GgmlType.Q6_K: Q6K((Q6KBlock*)src, dst, n); break;
            case GgmlType.IQ4_NL: IQ4NL((IQ4NLBlock*)src, dst, n); break;
            case GgmlType.IQ4_XS: IQ4XS((IQ4XSBlock*)src, dst, n); break;
            case GgmlType.IQ2_XXS: IQ2XXS((IQ2XXSBlock*)src, dst, n); break;
            case GgmlType.IQ2_XS: IQ2XS((IQ2XSBlock*)src, dst, n); break;
            case GgmlType.IQ2_S: IQ2S((IQ2SBlock*)src, dst, n); break;
            case GgmlType.IQ3_XXS: IQ3XXS((IQ3XXSBlock*)src, dst, n); break;
            case GgmlType.IQ3_S: IQ3S((IQ3SBlock*)src, dst, n); break;
            case GgmlType.IQ1_S: IQ1S((IQ1SBlock*)src, dst, n); break;
            case GgmlType.IQ1_M: IQ1M((IQ1MBlock*)src, dst, n); break;
            case GgmlType.Q8_1: Q8_1((Q8_1Block*)src, dst, n); break;
            case GgmlType.Q8_K: Q8K((Q8KBlock*)src, dst, n); break;
            default: throw new NotSupportedException($"Dequantizing {type} is not supported.");
        }
    }

    /// <summary>
    /// <see cref="Row(GgmlType, byte*, float*, int)"/> in 128-bit vectors for the types a quantized KV cache holds (Q8_0,
    /// Q4_0, Q4_1, Q5_0, Q5_1, F16, BF16; any other type goes to the scalar code): the same integer decoding and the same
    /// one multiply (and, with a minimum, one separate add) per element, so the same bits. Used where rows are dequantized
    /// per attention cell. F16 goes through <see cref="Fp16.ToSingleRow"/> (exact; NaN payloads may differ).
    /// </summary>
    public static void RowVector(GgmlType type, byte* src, float* dst, int n)
    {
        if (!Vector128.IsHardwareAccelerated) { Row(type, src, dst, n); return; }
        switch (type)
        {
            case GgmlType.F16: Fp16.ToSingleRow((ushort*)src, dst, n); break;
            case GgmlType.BF16:
                {
                    int i = 0;
                    for (; i + 8 <= n; i += 8)
                    {
                        var (lo, hi) = Vector128.Widen(Vector128.Load((ushort*)src + i));
                        Vector128.ShiftLeft(lo, 16).AsSingle().Store(dst + i);
                        Vector128.ShiftLeft(hi, 16).AsSingle().Store(dst + i + 4);
                    }
                    for (; i < n; i++) dst[i] = Fp16.Bf16ToSingle(((ushort*)src)[i]);
                    break;
                }
            case GgmlType.Q8_0:
                {
                    var x = (Q8_0Block*)src;
                    for (int b = 0; b < n / QK.Small; b++, dst += 32)
                    {
                        var d = Vector128.Create(Fp16.ToSingle(x[b].D));
                        Scale16(Vector128.Load(x[b].Qs), d, dst);
                        Scale16(Vector128.Load(x[b].Qs + 16), d, dst + 16);
                    }
                    break;
                }
            case GgmlType.Q4_0:
            case GgmlType.Q5_0:
                {
                    bool five = type == GgmlType.Q5_0;
                    long bytes = five ? sizeof(Q5_0Block) : sizeof(Q4_0Block);
                    var offset = Vector128.Create((byte)(five ? 16 : 8));
                    for (int b = 0; b < n / QK.Small; b++, src += bytes, dst += 32)
                    {
                        var d = Vector128.Create(Fp16.ToSingle(*(ushort*)src));
                        Quants32(five ? src + 6 : src + 2, five ? src + 2 : null, out var lo, out var hi);
                        Scale16((lo - offset).AsSByte(), d, dst);
                        Scale16((hi - offset).AsSByte(), d, dst + 16);
                    }
                    break;
                }
            case GgmlType.Q4_1:
            case GgmlType.Q5_1:
                {
                    bool five = type == GgmlType.Q5_1;
                    long bytes = five ? sizeof(Q5_1Block) : sizeof(Q4_1Block);
                    for (int b = 0; b < n / QK.Small; b++, src += bytes, dst += 32)
                    {
                        var d = Vector128.Create(Fp16.ToSingle(*(ushort*)src));
                        var m = Vector128.Create(Fp16.ToSingle(*(ushort*)(src + 2)));
                        Quants32(five ? src + 8 : src + 4, five ? src + 4 : null, out var lo, out var hi);
                        ScaleAdd16(lo, d, m, dst);
                        ScaleAdd16(hi, d, m, dst + 16);
                    }
                    break;
                }
            default: Row(type, src, dst, n); break;
        }
    }

    /// <summary>The 32 quants of a 4-bit block (<paramref name="qs"/>: elements 0–15 in the low nibbles, 16–31 in the
    /// high), with the fifth bits of a 5-bit block when <paramref name="qh"/> is not null, as two 16-byte halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quants32(byte* qs, byte* qh, out Vector128<byte> lo, out Vector128<byte> hi)
    {
        Vector128<byte> q = Vector128.Load(qs);
        lo = q & Vector128.Create((byte)0xF);
        hi = Vector128.ShiftRightLogical(q, 4);
        if (qh != null)
        {
            uint bits = Unsafe.ReadUnaligned<uint>(qh);
            lo |= FifthBits(bits);
            hi |= FifthBits(bits >> 16);
        }
    }

    private static readonly Vector128<byte> BitOfByte = Vector128.Create(0x8040201008040201UL).AsByte();

    /// <summary>Bits 0–15 of <paramref name="bits"/> as 16 bytes of 0x10 (set) or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> FifthBits(uint bits)
    {
        Vector128<byte> b = Vector128.Create(bits).AsByte();
        Vector128<byte> spread = Vector128.Shuffle(b, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        return Vector128.Equals(spread & BitOfByte, BitOfByte) & Vector128.Create((byte)0x10);
    }

    /// <summary>y[0..16) = q · d, one rounding each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale16(Vector128<sbyte> q, Vector128<float> d, float* y)
    {
        var (q0, q1) = Vector128.Widen(q);
        var (i0, i1) = Vector128.Widen(q0);
        var (i2, i3) = Vector128.Widen(q1);
        (Vector128.ConvertToSingle(i0) * d).Store(y);
        (Vector128.ConvertToSingle(i1) * d).Store(y + 4);
        (Vector128.ConvertToSingle(i2) * d).Store(y + 8);
        (Vector128.ConvertToSingle(i3) * d).Store(y + 12);
    }

    /// <summary>y[0..16) = q · d + m, the product rounded, then the sum (not fused, as ggml's C).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleAdd16(Vector128<byte> q, Vector128<float> d, Vector128<float> m, float* y)
    {
        var (q0, q1) = Vector128.Widen(q);
        var (i0, i1) = Vector128.Widen(q0);
        var (i2, i3) = Vector128.Widen(q1);
        (Vector128.ConvertToSingle(i0.AsInt32()) * d + m).Store(y);
        (Vector128.ConvertToSingle(i1.AsInt32()) * d + m).Store(y + 4);
        (Vector128.ConvertToSingle(i2.AsInt32()) * d + m).Store(y + 8);
        (Vector128.ConvertToSingle(i3.AsInt32()) * d + m).Store(y + 12);
    }

    private static void Q4_0(Q4_0Block* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, y += 32)
        {
            float d = Fp16.ToSingle(x[i].D);
            byte* qs = x[i].Qs;
            for (int j = 0; j < 16; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + 16] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    private static void Q4_1(Q4_1Block* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, y += 32)
        {
            float d = Fp16.ToSingle(x[i].D), m = Fp16.ToSingle(x[i].M);
            byte* qs = x[i].Qs;
            for (int j = 0; j < 16; j++)
            {
                y[j] = (qs[j] & 0x0F) * d + m;
                y[j + 16] = (qs[j] >> 4) * d + m;
            }
        }
    }

    private static void Q5_0(Q5_0Block* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, y += 32)
        {
            float d = Fp16.ToSingle(x[i].D);
            uint qh = Unsafe.ReadUnaligned<uint>(x[i].Qh);
            byte* qs = x[i].Qs;
            for (int j = 0; j < 16; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = (((qs[j] & 0x0F) | h0) - 16) * d;
                y[j + 16] = (((qs[j] >> 4) | h1) - 16) * d;
            }
        }
    }

    private static void Q5_1(Q5_1Block* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, y += 32)
        {
            float d = Fp16.ToSingle(x[i].D), m = Fp16.ToSingle(x[i].M);
            uint qh = Unsafe.ReadUnaligned<uint>(x[i].Qh);
            byte* qs = x[i].Qs;
            for (int j = 0; j < 16; j++)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = ((qs[j] & 0x0F) | h0) * d + m;
                y[j + 16] = ((qs[j] >> 4) | h1) * d + m;
            }
        }
    }

    private static void Q8_0(Q8_0Block* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, y += 32)
        {
            float d = Fp16.ToSingle(x[i].D);
            for (int j = 0; j < 32; j++) y[j] = x[i].Qs[j] * d;
        }
    }

    private static void Q8_1(Q8_1Block* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, y += 32)
        {
            float d = Fp16.ToSingle(x[i].D);
            for (int j = 0; j < 32; j++) y[j] = x[i].Qs[j] * d;
        }
    }

    private static void Q2K(Q2KBlock* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = Fp16.ToSingle(x[i].D), min = Fp16.ToSingle(x[i].DMin);
            byte* q = x[i].Qs;
            byte* sc = x[i].Scales;
            int s = 0;
            for (int half = 0; half < 2; half++, q += 32)
            {
                for (int shift = 0; shift < 8; shift += 2)
                {
                    for (int part = 0; part < 32; part += 16)
                    {
                        float dl = d * (sc[s] & 0xF), ml = min * (sc[s] >> 4);
                        s++;
                        for (int l = 0; l < 16; l++) *y++ = dl * ((q[part + l] >> shift) & 3) - ml;
                    }
                }
            }
        }
    }

    /// <summary>Unpacks Q3_K's 16 six-bit scales (stored low nibbles first, then the 2-bit high parts) and removes the +32 offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void UnpackQ3KScales(byte* packed, sbyte* scales)
    {
        for (int j = 0; j < 16; j++)
        {
            int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
            int high = (packed[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
            scales[j] = (sbyte)((low | (high << 4)) - 32);
        }
    }

    private static void Q3K(Q3KBlock* x, float* y, int n)
    {
        sbyte* scales = stackalloc sbyte[16];
        for (int i = 0; i < n / QK.K; i++)
        {
            float dAll = Fp16.ToSingle(x[i].D);
            UnpackQ3KScales(x[i].Scales, scales);
            byte* q = x[i].Qs;
            byte* hm = x[i].HMask;
            int s = 0, bit = 0;
            for (int half = 0; half < 2; half++, q += 32)
            {
                for (int shift = 0; shift < 8; shift += 2, bit++)
                {
                    for (int part = 0; part < 32; part += 16)
                    {
                        float dl = dAll * scales[s++];
                        for (int l = 0; l < 16; l++)
                            *y++ = dl * (((q[part + l] >> shift) & 3) - (((hm[part + l] >> bit) & 1) != 0 ? 0 : 4));
                    }
                }
            }
        }
    }

    private static void IQ4NL(IQ4NLBlock* x, float* y, int n)
    {
        ReadOnlySpan<sbyte> v = IQ4Table.Values;
        for (int i = 0; i < n / 32; i++, y += 32)
        {
            float d = Fp16.ToSingle(x[i].D);
            for (int j = 0; j < 16; j++)
            {
                y[j] = d * v[x[i].Qs[j] & 0xF];
                y[j + 16] = d * v[x[i].Qs[j] >> 4];
            }
        }
    }

    private static void IQ4XS(IQ4XSBlock* x, float* y, int n)
    {
        ReadOnlySpan<sbyte> v = IQ4Table.Values;
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = Fp16.ToSingle(x[i].D);
            byte* qs = x[i].Qs;
            for (int ib = 0; ib < 8; ib++, qs += 16, y += 32)
            {
                float dl = d * IQ4Table.Scale(x + i, ib);
                for (int j = 0; j < 16; j++)
                {
                    y[j] = dl * v[qs[j] & 0xF];
                    y[j + 16] = dl * v[qs[j] >> 4];
                }
            }
        }
    }

    /// <summary>ggml's get_scale_min_k4: 6-bit scale and min of sub-block j from the 12 packed bytes of Q4_K/Q5_K.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleMinK4(int j, byte* q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    private static void Q4K(Q4KBlock* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = Fp16.ToSingle(x[i].D), min = Fp16.ToSingle(x[i].DMin);
            byte* q = x[i].Qs;
            for (int j = 0; j < 8; j += 2, q += 32)
            {
                ScaleMinK4(j, x[i].Scales, out int sc, out int m);
                float d1 = d * sc, m1 = min * m;
                ScaleMinK4(j + 1, x[i].Scales, out sc, out m);
                float d2 = d * sc, m2 = min * m;
                for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xF) - m1;
                for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - m2;
            }
        }
    }

    private static void Q5K(Q5KBlock* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = Fp16.ToSingle(x[i].D), min = Fp16.ToSingle(x[i].DMin);
            byte* ql = x[i].Qs;
            byte* qh = x[i].Qh;
            int u1 = 1, u2 = 2;
            for (int j = 0; j < 8; j += 2, ql += 32, u1 <<= 2, u2 <<= 2)
            {
                ScaleMinK4(j, x[i].Scales, out int sc, out int m);
                float d1 = d * sc, m1 = min * m;
                ScaleMinK4(j + 1, x[i].Scales, out sc, out m);
                float d2 = d * sc, m2 = min * m;
                for (int l = 0; l < 32; l++) *y++ = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
                for (int l = 0; l < 32; l++) *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    private static void Q6K(Q6KBlock* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = Fp16.ToSingle(x[i].D);
            byte* ql = x[i].Ql;
            byte* qh = x[i].Qh;
            sbyte* sc = x[i].Scales;
            for (int half = 0; half < 2; half++, y += 128, ql += 64, qh += 32, sc += 8)
            {
                for (int l = 0; l < 32; l++)
                {
                    int s = l / 16;
                    int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    // (d · sc) · q, evaluated left to right as ggml writes it
                    y[l] = d * sc[s] * q1;
                    y[l + 32] = d * sc[s + 2] * q2;
                    y[l + 64] = d * sc[s + 4] * q3;
                    y[l + 96] = d * sc[s + 6] * q4;
                }
            }
        }
    }

    private static void Q8K(Q8KBlock* x, float* y, int n)
    {
        for (int i = 0; i < n / QK.K; i++, y += 256)
            for (int j = 0; j < 256; j++) y[j] = x[i].D * x[i].Qs[j];
    }
}
