using System.Runtime.Intrinsics;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

public sealed unsafe class LibmExpTests
{
    /// <summary>
    /// The vector expf must give the C library's bits (what llama.cpp's attention calls) for every float the attention
    /// can pass it — all 2^31 negative floats and zero — and for the positive ones up to the overflow bound. Where the
    /// running libm is another one, <see cref="LibmExp.Exact"/> is false and the scalar function is used instead; this
    /// machine kind must take the fast path.
    /// </summary>
    [Fact]
    public void EqualsLibmExpfForEveryNegativeFloat()
    {
        if (!(System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)) return;
        Assert.True(LibmExp.Exact, "the vector expf disagreed with this machine's libm in its self-check");
        long bad = 0;
        string? first = null;
        Parallel.For(0, 128, part =>
        {
            uint* bits = stackalloc uint[4];
            long localBad = 0;
            // part p covers the patterns 0x80000000 + p·2^24 ... (negative), and 0 ... 89.0f in the positive half
            for (uint lo = 0; lo < 1u << 24; lo += 4)
            {
                for (uint k = 0; k < 4; k++) bits[k] = 0x80000000u | ((uint)part << 24) | (lo + k);
                Check(bits, ref localBad, ref first);
                uint positive = ((uint)part << 24) | lo;
                if (positive <= 0x42B20000) // 89.0f
                {
                    for (uint k = 0; k < 4; k++) bits[k] = positive + k;
                    Check(bits, ref localBad, ref first);
                }
            }
            Interlocked.Add(ref bad, localBad);
        });
        Assert.True(bad == 0, $"{bad} floats differ, first {first}");
    }

    private static void Check(uint* bits, ref long bad, ref string? first)
    {
        var got = LibmExp.Exp4(Vector128.Load((float*)bits));
        for (int k = 0; k < 4; k++)
        {
            float x = BitConverter.UInt32BitsToSingle(bits[k]), want = MathF.Exp(x), g = got.GetElement(k);
            bool same = BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(g) || (float.IsNaN(want) && float.IsNaN(g));
            if (!same && bad++ == 0) first ??= $"expf({x:R} = 0x{bits[k]:x8}): libm {want:R}, vector {g:R}";
        }
    }

    [Fact]
    public void RowFormMatchesScalarAtEveryLength()
    {
        var rng = new Random(3);
        for (int n = 0; n < 40; n++)
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)(-rng.NextDouble() * 30)).ToArray();
            var y = new float[n];
            fixed (float* px = x, py = y) LibmExp.Exp(px, py, n);
            for (int i = 0; i < n; i++) Assert.Equal(MathF.Exp(x[i]), y[i]);
        }
    }
}
