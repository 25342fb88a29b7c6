using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Tensors;

public unsafe class VecDotTests(ITestOutputHelper output)
{
    private static (byte[] w, byte[] a, float[] x) Inputs(GgmlType type, int n, int seed)
    {
        var rng = new Random(seed);
        byte[] w = TestData.WeightRow(type, rng, n);
        float[] x = TestData.Floats(rng, n);
        GgmlType at = ActivationQuantizer.VecDotType(type);
        var a = new byte[GgmlTypeInfo.RowBytes(at, n)];
        ActivationQuantizer.Row(at, x, a);
        return (w, a, x);
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void ScalarMatchesLlamaCpp(GgmlType type)
    {
        if (!GgmlNative.Available) return;
        const int n = 4096;
        int exact = 0;
        double worst = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var (w, a, _) = Inputs(type, n, seed * 31 + (int)type);
            float ours, theirs;
            fixed (byte* pw = w)
            fixed (byte* pa = a)
            {
                ours = VecDotScalar.Dot(type, pw, pa, n);
                theirs = GgmlNative.VecDot(type, pw, pa, n);
            }
            if (BitConverter.SingleToInt32Bits(ours) == BitConverter.SingleToInt32Bits(theirs)) exact++;
            worst = Math.Max(worst, Math.Abs(ours - theirs) / Math.Max(1e-6, Math.Abs(theirs)));
            // Against the AVX2 build our kernels reproduce llama.cpp's float order, so demand identical bits there.
            if (GgmlNative.Variant == "avx2") Assert.True(BitConverter.SingleToInt32Bits(ours) == BitConverter.SingleToInt32Bits(theirs), $"{type}: {ours} vs llama.cpp {theirs}");
            else Assert.True(Math.Abs(ours - theirs) <= 1e-4 * Math.Max(1, Math.Abs(theirs)), $"{type}: {ours} vs llama.cpp {theirs}");
        }
        output.WriteLine($"{type}: {exact}/8 bit-exact with ggml_vec_dot ({GgmlNative.Variant}), worst relative difference {worst:g3}");
    }
}
