using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// The C library's <c>expf</c>, four at a time. llama.cpp's one-row flash attention calls libm's scalar <c>expf</c> once
/// per query head and cached cell, and so did PocketLM (<see cref="MathF.Exp"/> is the same libm function), which made
/// it a large part of a decode deep into a context. glibc's <c>expf</c> (the table-driven algorithm of ARM's optimized
/// routines: x·32/ln 2 split into k + r, 2^(k/32) from a 32-entry table, a cubic in r, all in double) is a fixed sequence of
/// double operations, so it can be run in vector registers with the same bits — given the same operations: glibc's x86-64
/// build for FMA CPUs (<c>__expf_fma</c>) fuses the products into both uses of x·32/ln 2 and into the polynomial, which this
/// code does too. Whether the running libm agrees is checked once, on a spread of inputs (<see cref="Exact"/>); where it
/// does not (another C library, or no AVX2/FMA), callers keep the scalar <see cref="MathF.Exp"/>.
/// </summary>
public static unsafe class LibmExp
{
    private static readonly long* Table = MakeTable();
    private static readonly double C0 = Hex(-5, 0xc6af84b912394) / 32 / 32 / 32, C1 = Hex(-3, 0xebfce50fac4f3) / 32 / 32,
                                   C2 = Hex(-1, 0x62e42ff0c52d6) / 32, InvLn2N = Hex(0, 0x71547652b82fe) * 32, Shift = Hex(52, 0x8000000000000);

    // glibc's bounds: below −0x1.9fe368p6 the result is +0, above 0x1.62e42ep6 infinity
    private static readonly float Underflow = BitConverter.Int32BitsToSingle(unchecked((int)0xC2CFF1B4)), Overflow = BitConverter.Int32BitsToSingle(0x42B17217);
    // (static fields initialise in order: everything above is set before the check below runs)

    /// <summary>Whether <see cref="Exp4"/> gives <see cref="MathF.Exp"/>'s bits here (checked once on 200 000 inputs).</summary>
    public static bool Exact { get; } = Avx2.IsSupported && Fma.IsSupported && SelfCheck();

    private static double Hex(int exponent, long mantissa) => BitConverter.Int64BitsToDouble(((long)(1023 + exponent) << 52) | mantissa);

    private static long* MakeTable()
    {
        // 2^(i/32) as doubles, less i/32 in the exponent field (glibc's __exp2f_data.tab), so that adding k << 47 gives 2^(k/32)
        long[] t =
        [
            0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b, 0x3fef54873168b9aa,
            0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
            0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74,
            0x3feea11473eb0187, 0x3feea589994cce13, 0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
            0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
            0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
        ];
        var p = (long*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(32 * sizeof(long), 64); // for the process's life
        for (int i = 0; i < 32; i++) p[i] = t[i];
        return p;
    }

    /// <summary>expf of four floats (AVX2 and FMA required): glibc's algorithm and special cases (0 below −103.97,
    /// infinity above 88.72, NaN kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp4(Vector128<float> x)
    {
        Vector256<double> xd = Avx.ConvertToVector256Double(x);
        var invLn2N = Vector256.Create(InvLn2N);
        var shift = Vector256.Create(Shift);
        Vector256<double> kd = Fma.MultiplyAdd(invLn2N, xd, shift);
        Vector256<long> ki = kd.AsInt64();
        kd -= shift;
        Vector256<double> r = Fma.MultiplyAdd(invLn2N, xd, -kd);
        Vector256<long> t = Avx2.GatherVector256(Table, ki & Vector256.Create(31L), 8) + Avx2.ShiftLeftLogical(ki, 47);
        Vector256<double> z = Fma.MultiplyAdd(Vector256.Create(C0), r, Vector256.Create(C1));
        Vector256<double> y = Fma.MultiplyAdd(Vector256.Create(C2), r, Vector256.Create(1.0));
        y = Fma.MultiplyAdd(z, r * r, y) * t.AsDouble();
        Vector128<float> result = Avx.ConvertToVector128Single(y);
        result = Sse41.BlendVariable(result, Vector128<float>.Zero, Sse.CompareLessThan(x, Vector128.Create(Underflow)));
        result = Sse41.BlendVariable(result, Vector128.Create(float.PositiveInfinity), Sse.CompareGreaterThan(x, Vector128.Create(Overflow)));
        return Sse41.BlendVariable(result, x, Sse.CompareUnordered(x, x));
    }

    /// <summary>y[i] = expf(x[i]) for n floats: four at a time where <see cref="Exact"/>, else <see cref="MathF.Exp"/>.</summary>
    public static void Exp(float* x, float* y, int n)
    {
        int i = 0;
        if (Exact)
            for (; i + 4 <= n; i += 4) Exp4(Sse.LoadVector128(x + i)).Store(y + i);
        for (; i < n; i++) y[i] = MathF.Exp(x[i]);
    }

    private static bool SelfCheck()
    {
        float* x = stackalloc float[4];
        for (int i = 0; i < 200_000; i += 4)
        {
            // mostly the attention's domain (−104, 0], some positive, and the edges
            for (int k = 0; k < 4; k++)
            {
                int j = i + k;
                x[k] = j switch
                {
                    0 => 0f, 1 => -0f, 2 => float.NegativeInfinity, 3 => Underflow,
                    _ => j % 5 == 0 ? (j % 88_000) / 1000f : -(j % 104_000) / 1000f - (j % 7) * 1e-4f,
                };
            }
            var got = Exp4(Sse.LoadVector128(x));
            for (int k = 0; k < 4; k++)
                if (BitConverter.SingleToInt32Bits(got.GetElement(k)) != BitConverter.SingleToInt32Bits(MathF.Exp(x[k]))) return false;
        }
        return true;
    }
}
