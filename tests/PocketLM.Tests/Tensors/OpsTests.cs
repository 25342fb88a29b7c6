using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

public unsafe class OpsTests
{
    /// <summary>The F32-cache attention score: every vector width must give the scalar reference's bits, so that x86-64,
    /// ARM64 and a CPU without SIMD agree (the kernel check runs the same comparison on ARM64's 128-bit path).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(77)]
    [InlineData(128)]
    public void DotMatchesItsReferenceBitForBit(int n)
    {
        var rng = new Random(n);
        for (int round = 0; round < 20; round++)
        {
            float[] a = RandomBlocks.Floats(rng, n), b = RandomBlocks.Floats(rng, n);
            fixed (float* pa = a, pb = b)
                Assert.Equal(BitConverter.SingleToInt32Bits(Ops.DotReference(pa, pb, n)), BitConverter.SingleToInt32Bits(Ops.Dot(pa, pb, n)));
        }
    }

    [Fact]
    public void DotReferenceIsTheDotProduct()
    {
        float[] a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], b = [1, 1, 1, 1, 1, 1, 1, 1, 2, -1];
        fixed (float* pa = a, pb = b) Assert.Equal(44f, Ops.DotReference(pa, pb, a.Length));
    }

    [Fact]
    public void AddScaledIsOneFusedMultiplyAddPerElement()
    {
        var rng = new Random(3);
        float[] x = RandomBlocks.Floats(rng, 45), y = RandomBlocks.Floats(rng, 45);
        float[] expected = y.Select((v, i) => MathF.FusedMultiplyAdd(x[i], 0.37f, v)).ToArray();
        fixed (float* px = x, py = y) Ops.AddScaled(py, px, 0.37f, x.Length);
        Assert.Equal(expected, y);
    }
}
