using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;

namespace PocketLM.Tests.Tensors;

public unsafe class ActivationQuantizerTests
{
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_1)]
    [InlineData(GgmlType.Q8_K)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void SameBytesAsLlamaCppCpuBackend(GgmlType type)
    {
        if (!GgmlNative.Available) return;
        var rng = new Random(99 + (int)type);
        const int n = 4096;
        for (int round = 0; round < 4; round++)
        {
            float[] x = TestData.Floats(rng, n, round == 0 ? 1f : MathF.Pow(10, rng.Next(-4, 4)));
            if (round == 3) Array.Clear(x, 0, 512); // all-zero blocks
            int bytes = (int)GgmlTypeInfo.RowBytes(type, n);
            var ours = new byte[bytes];
            var theirs = new byte[bytes];
            ActivationQuantizer.Row(type, x, ours);
            fixed (float* px = x)
            fixed (byte* t = theirs)
                GgmlNative.QuantizeActivations(type, px, t, n);
            if (type == GgmlType.Q8_K && round == 3)
                for (int b = 0; b < 2; b++) Array.Clear(theirs, b * 292 + 260, 32); // ggml leaves bsums of zero blocks unset
            Assert.Equal(theirs, ours);
        }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_1)]
    [InlineData(GgmlType.Q8_K)]
    [InlineData(GgmlType.F16)]
    public void SimdQuantizersMatchScalar(GgmlType type)
    {
        var rng = new Random(7 + (int)type);
        const int n = 2048;
        for (int round = 0; round < 8; round++)
        {
            float[] x = TestData.Floats(rng, n, MathF.Pow(10, rng.Next(-3, 3)));
            if (round == 1) Array.Clear(x, 256, 256);
            if (round == 2) for (int i = 0; i < n; i++) x[i] = MathF.Round(x[i] * 4) / 4; // ties and repeated maxima
            if (round == 3) for (int i = 0; i < n; i++) x[i] = rng.Next(-3, 4);
            if (round == 4) { x[5] = float.NaN; x[300] = float.PositiveInfinity; x[700] = float.NegativeInfinity; x[1500] = -0f; }
            int bytes = (int)GgmlTypeInfo.RowBytes(type, n);
            var simd = new byte[bytes];
            var v128 = new byte[bytes];
            var scalar = new byte[bytes];
            fixed (float* px = x)
            fixed (byte* a = simd, c = v128)
            fixed (byte* b = scalar)
            {
                ActivationQuantizer.Row(type, px, a, n);
                Assert.True(ActivationQuantizer.Row128(type, px, c, n)); // ARM64's path (portable, so it runs here too)
                ActivationQuantizer.RowScalar(type, px, b, n);
            }
            // With a NaN the AVX2 path does what llama.cpp's AVX2 code does (maxps drops a NaN in its first operand), not
            // what the scalar reference does; the 128-bit path hands such blocks to the scalar code.
            if (round != 4) Assert.Equal(scalar, simd);
            Assert.Equal(scalar, v128);
        }
    }

    [Fact]
    public void NearestIntRoundsTiesToEven()
    {
        Assert.Equal(2, ActivationQuantizer.NearestInt(2.5f));
        Assert.Equal(4, ActivationQuantizer.NearestInt(3.5f));
        Assert.Equal(-2, ActivationQuantizer.NearestInt(-2.5f));
        Assert.Equal(-127, ActivationQuantizer.NearestInt(-127f));
    }
}
