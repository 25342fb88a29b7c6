using System.Runtime.Intrinsics;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

public unsafe class AttentionTests
{
    [Fact]
    public void VectorHalfConversionMatchesScalarBitForBit()
    {
        if (!Vector256.IsHardwareAccelerated || !System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        var rng = new Random(5);
        var values = new List<float> { 0f, -0f, 1f, -1f, 65504f, 65519.99f, 65520f, 1e6f, -1e6f, float.PositiveInfinity, float.NegativeInfinity,
                                       6.1e-5f, 5.96e-8f, 2.98e-8f, 2.99e-8f, 1e-10f, 0.000030517578f, 1.0009765625f, 1.00048828125f, 1.00146484375f };
        for (int i = 0; i < 200000; i++)
        {
            float f = BitConverter.Int32BitsToSingle(rng.Next());
            if (float.IsNaN(f)) continue;
            values.Add(f);
            values.Add((float)(rng.NextDouble() * 8 - 4));
            values.Add((float)((rng.NextDouble() - 0.5) * 1e-4));
        }
        while (values.Count % 8 != 0) values.Add(0.5f);
        var src = values.ToArray();
        var dst = new ushort[src.Length];
        var dst4 = new ushort[src.Length];
        fixed (float* s = src) fixed (ushort* d = dst, d4 = dst4)
            for (int i = 0; i < src.Length; i += 8)
            {
                Fp16.FromSingle8(Vector256.Load(s + i), d + i);
                Fp16.FromSingle4(Vector128.Load(s + i), d4 + i); // the 128-bit form ARM64 uses (portable, so it runs here too)
                Fp16.FromSingle4(Vector128.Load(s + i + 4), d4 + i + 4);
            }
        for (int i = 0; i < src.Length; i++)
        {
            Assert.True(Fp16.FromSingle(src[i]) == dst[i], $"{src[i]:R}: scalar {Fp16.FromSingle(src[i]):X4}, vector {dst[i]:X4}");
            Assert.True(Fp16.FromSingle(src[i]) == dst4[i], $"{src[i]:R}: scalar {Fp16.FromSingle(src[i]):X4}, 128-bit {dst4[i]:X4}");
        }
    }

    /// <summary>
    /// The F16 attention accumulator is kept as floats rounded by <see cref="Fp16.RoundToHalf8"/>: for all 2^32 float bit
    /// patterns (infinities, subnormal results, ties and overflow included) it must give the round trip through 16 bits,
    /// <see cref="Fp16.ToSingle8"/>(<see cref="Fp16.FromSingle8"/>(x)), which the test above holds to the scalar
    /// conversion; NaNs give the quiet NaN in both (payloads are not kept). About 7 s on two cores.
    /// </summary>
    [Fact]
    public void RoundToHalfEqualsTheHalfRoundTripForEveryFloat()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        long bad = 0;
        string? first = null;
        Parallel.For(0, 256, hi =>
        {
            uint* input = stackalloc uint[8];
            ushort* halves = stackalloc ushort[8];
            long localBad = 0;
            for (uint lo = 0; lo < 1u << 24; lo += 8)
            {
                for (uint k = 0; k < 8; k++) input[k] = ((uint)hi << 24) | (lo + k);
                var x = Vector256.Load((float*)input);
                Fp16.FromSingle8(x, halves);
                Vector256<uint> want = Fp16.ToSingle8(halves).AsUInt32(), got = Fp16.RoundToHalf8(x).AsUInt32();
                if (want != got)
                    for (int k = 0; k < 8; k++)
                        if (want[k] != got[k] && localBad++ == 0)
                            first ??= $"0x{input[k]:x8}: want 0x{want[k]:x8}, got 0x{got[k]:x8}";
            }
            Interlocked.Add(ref bad, localBad);
        });
        Assert.True(bad == 0, $"{bad} floats differ, first {first}");
        // spot checks against the scalar conversion (NaN payloads aside)
        foreach (float f in new[] { 65519.99f, 65520f, 2.98e-8f, 2.99e-8f, 6.1e-5f, 1.00048828125f, -1.00146484375f, -0f, float.NegativeInfinity })
            Assert.Equal(Fp16.RoundToHalf(f), Fp16.RoundToHalf8(Vector256.Create(f)).ToScalar());
        Assert.True(float.IsNaN(Fp16.RoundToHalf8(Vector256.Create(float.NaN)).ToScalar()));
    }

    [Fact]
    public void VectorHalfToFloatIsExactForEveryHalf()
    {
        var halves = new ushort[65536];
        for (int i = 0; i < halves.Length; i++) halves[i] = (ushort)i;
        fixed (ushort* h = halves)
            for (int i = 0; i < halves.Length; i += 8)
            {
                Vector256<float> v8 = Avx2Present ? Fp16.ToSingle8(h + i) : default;
                Vector128<float> lo = Fp16.ToSingle4(h + i), hi = Fp16.ToSingle4(h + i + 4);
                for (int k = 0; k < 8; k++)
                {
                    float want = Fp16.ToSingle(h[i + k]), got4 = k < 4 ? lo.GetElement(k) : hi.GetElement(k - 4);
                    Assert.True(SameValue(want, got4), $"half {h[i + k]:X4}: {want:R} vs 128-bit {got4:R}");
                    if (Avx2Present) Assert.True(SameValue(want, v8.GetElement(k)), $"half {h[i + k]:X4}: {want:R} vs 256-bit {v8.GetElement(k):R}");
                }
            }
    }

    private static bool Avx2Present => System.Runtime.Intrinsics.X86.Avx2.IsSupported;

    private static bool SameValue(float a, float b) =>
        (float.IsNaN(a) && float.IsNaN(b)) || BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);

    private static ushort[] RandomHalves(Random rng, int n) => Enumerable.Range(0, n).Select(_ => Fp16.FromSingle((float)(rng.NextDouble() * 2 - 1))).ToArray();

    [Theory]
    [InlineData(8, 8, 5)]
    [InlineData(64, 64, 40)]
    [InlineData(128, 128, 300)]
    [InlineData(40, 24, 17)]
    public void FlashAttentionSimdEqualsScalar(int hd, int vd, int len)
    {
        var rng = new Random(hd * 31 + len);
        ushort[] q = RandomHalves(rng, hd), k = RandomHalves(rng, hd * len), v = RandomHalves(rng, vd * len);
        var a = new float[vd]; var b = new float[vd];
        var accA = new float[vd]; var accB = new float[vd];
        var pa = new float[len]; var pb = new float[len];
        fixed (ushort* pq = q, pk = k, pv = v)
        fixed (float* oa = a, ob = b, ppa = pa, ppb = pb, aa = accA, ab = accB)
        {
            Attention.F16Online(pq, pk, pv, len, hd, vd, 0.3f, oa, aa, ppa, simd: true);
            Attention.F16Online(pq, pk, pv, len, hd, vd, 0.3f, ob, ab, ppb, simd: false);
        }
        Assert.Equal(b, a);
        Assert.Equal(1.0, pa.Sum(), 3);
    }

    [Fact]
    public void FlashAttentionAgreesWithThePlainSoftmaxWithinHalfPrecision()
    {
        var rng = new Random(11);
        int hd = 64, vd = 64, len = 50;
        float[] q = Enumerable.Range(0, hd).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] k = Enumerable.Range(0, hd * len).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] v = Enumerable.Range(0, vd * len).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var exact = new float[vd]; var approx = new float[vd];
        var scores = new float[Attention.ScoreCapacity(len)]; // F32 pads the row with masked entries: it writes past len
        ushort[] q16 = new ushort[hd], k16 = new ushort[hd * len], v16 = new ushort[vd * len];
        var acc = new float[vd];
        fixed (float* pq = q, pk = k, pv = v, pe = exact, pa = approx, ps = scores, hacc = acc)
        fixed (ushort* hq = q16, hk = k16, hv = v16)
        {
            Attention.F32(pq, pk, pv, len, hd, vd, 0.125f, pe, ps);
            Attention.ToF16(pq, hq, hd); Attention.ToF16(pk, hk, hd * len); Attention.ToF16(pv, hv, vd * len);
            Attention.F16Online(hq, hk, hv, len, hd, vd, 0.125f, pa, hacc);
        }
        for (int d = 0; d < vd; d++) Assert.InRange(approx[d] - exact[d], -5e-3f, 5e-3f);
    }
}
