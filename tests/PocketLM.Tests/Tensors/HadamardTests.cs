using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;

namespace PocketLM.Tests.Tensors;

/// <summary>The Hadamard rotation around a quantized KV cache: vector against scalar code, and against ggml's own
/// computation of llama.cpp's rotation (a mul_mat by H/√n with the Hadamard hint), bit for bit.</summary>
[Collection(LlamaCppCollection.Name)]
public sealed unsafe class HadamardTests
{
    private static float[] Matrix(int n)
    {
        var h = new float[n * n];
        h[0] = (float)(1.0 / MathF.Sqrt(n));
        for (int s = 1; s < n; s *= 2)
            for (int i = 0; i < s; i++)
                for (int j = 0; j < s; j++)
                {
                    float v = h[i * n + j];
                    h[(i + s) * n + j] = v;
                    h[i * n + j + s] = v;
                    h[(i + s) * n + j + s] = -v;
                }
        return h;
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(64, 300)]
    [InlineData(128, 37)]
    [InlineData(256, 5)]
    public void RotationIsGgmlsHadamardMulMat(int n, int rows)
    {
        var rng = new Random(n * 1000 + rows);
        var x = Enumerable.Range(0, n * rows).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
        var simd = (float[])x.Clone();
        var scalar = (float[])x.Clone();
        fixed (float* ps = simd, pr = scalar)
        {
            Hadamard.Rotate(ps, simd.Length, n);
            Hadamard.RotateReference(pr, scalar.Length, n);
        }
        Assert.Equal(scalar.Select(BitConverter.SingleToInt32Bits), simd.Select(BitConverter.SingleToInt32Bits));
        // orthonormal and its own inverse, up to rounding
        var back = (float[])simd.Clone();
        fixed (float* pb = back) Hadamard.Rotate(pb, back.Length, n);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(back[i] - x[i]) < 1e-5, $"H·H·x ≠ x at {i}: {back[i]} vs {x[i]}");
        if (!GgmlNative.Available) return;
        const int HadamardHint = 1; // GGML_HINT_SRC0_IS_HADAMARD: the CPU backend's fast transform
        var ggml = GgmlNative.MulMat(Matrix(n), x, n, n, rows, HadamardHint, 2);
        Assert.Equal(ggml.Select(BitConverter.SingleToInt32Bits), simd.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 64, 64, 64)]
    [InlineData(GgmlType.Q4_0, 128, 128, 64)]
    [InlineData(GgmlType.Q5_1, 192, 64, 64)]
    [InlineData(GgmlType.Q8_0, 256, 256, 64)]
    [InlineData(GgmlType.Q8_0, 32, 0, 0)]   // not a multiple of 64
    [InlineData(GgmlType.Q8_0, 96, 0, 0)]
    [InlineData(GgmlType.F16, 128, 0, 0)]   // not quantized
    [InlineData(GgmlType.BF16, 128, 0, 0)]
    public void SizesFollowLlamaCpp(GgmlType type, int headDim, int keySize, int valueSize)
    {
        Assert.Equal(keySize, Hadamard.KeySize(type, headDim));
        Assert.Equal(valueSize, Hadamard.ValueSize(type, headDim));
    }
}
