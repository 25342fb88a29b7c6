using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;

namespace PocketLM.Tests.Tensors;

public unsafe class DequantizeTests
{
    [Fact]
    public void BlockStructsHaveGgmlSizes()
    {
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q4_0), sizeof(Q4_0Block));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q4_1), sizeof(Q4_1Block));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q5_0), sizeof(Q5_0Block));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q5_1), sizeof(Q5_1Block));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q8_0), sizeof(Q8_0Block));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q8_1), sizeof(Q8_1Block));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q2_K), sizeof(Q2KBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q3_K), sizeof(Q3KBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q4_K), sizeof(Q4KBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q5_K), sizeof(Q5KBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q6_K), sizeof(Q6KBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.Q8_K), sizeof(Q8KBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ4_NL), sizeof(IQ4NLBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ4_XS), sizeof(IQ4XSBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ2_XXS), sizeof(IQ2XXSBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ2_XS), sizeof(IQ2XSBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ2_S), sizeof(IQ2SBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ3_XXS), sizeof(IQ3XXSBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ3_S), sizeof(IQ3SBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ1_S), sizeof(IQ1SBlock));
        Assert.Equal(GgmlTypeInfo.BlockBytes(GgmlType.IQ1_M), sizeof(IQ1MBlock));
    }

    [Fact]
    public void HalfConversionMatchesGgmlForAllValues()
    {
        if (!GgmlNative.Available) return;
        var src = new ushort[65536];
        for (int i = 0; i < src.Length; i++) src[i] = (ushort)i;
        var ours = new float[65536];
        var theirs = new float[65536];
        fixed (ushort* s = src)
        fixed (float* t = theirs)
            GgmlNative.Dequantize(GgmlType.F16, (byte*)s, t, src.Length);
        Dequantize.Row(GgmlType.F16, System.Runtime.InteropServices.MemoryMarshal.AsBytes(src.AsSpan()), ours);
        for (int i = 0; i < src.Length; i++)
            if (!(float.IsNaN(ours[i]) && float.IsNaN(theirs[i])))
                Assert.True(BitConverter.SingleToInt32Bits(ours[i]) == BitConverter.SingleToInt32Bits(theirs[i]), $"half 0x{i:x4}: {ours[i]} vs {theirs[i]}");
    }

    [Theory]
    [MemberData(nameof(TestData.AllWeightTypes), MemberType = typeof(TestData))]
    public void BitExactWithGgml(GgmlType type)
    {
        if (!GgmlNative.Available) return;
        var rng = new Random(1234 + (int)type);
        const int n = 4096;
        for (int round = 0; round < 2; round++)
        {
            byte[] row = TestData.WeightRow(type, rng, n);
            if (round == 1 && GgmlTypeInfo.BlockSize(type) > 1) TestData.FuzzBlocks(type, rng, row);
            var ours = new float[n];
            var theirs = new float[n];
            Dequantize.Row(type, row, ours);
            if (type == GgmlType.F32) theirs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(row).ToArray();
            else
                fixed (byte* r = row)
                fixed (float* t = theirs)
                    GgmlNative.Dequantize(type, r, t, n);
            for (int i = 0; i < n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(ours[i]) == BitConverter.SingleToInt32Bits(theirs[i]),
                    $"{type} round {round} element {i}: {ours[i]} vs ggml {theirs[i]}");
        }
    }

    /// <summary>The vector dequantization of the KV cache's types = the scalar reference, bit for bit (a fused
    /// multiply-add in the Q4_1/Q5_1 path would round differently and fail).</summary>
    [Theory]
    [MemberData(nameof(TestData.CacheTypes), MemberType = typeof(TestData))]
    public void VectorRowMatchesScalar(GgmlType type)
    {
        var rng = new Random(3 + (int)type);
        foreach (int n in new[] { 256, 512 })
            for (int round = 0; round < 6; round++)
            {
                byte[] row = TestData.WeightRow(type, rng, n);
                if (round % 2 == 1) TestData.FuzzBlocks(type, rng, row);
                if (round == 5 && type == GgmlType.BF16) rng.NextBytes(row); // every bit pattern, NaNs included
                var scalar = new float[n];
                var vector = new float[n];
                fixed (byte* r = row)
                fixed (float* ps = scalar, pv = vector)
                {
                    Dequantize.Row(type, r, ps, n);
                    Dequantize.RowVector(type, r, pv, n);
                }
                for (int i = 0; i < n; i++)
                {
                    // F16 goes through Fp16.ToSingleRow, exact except for NaN payloads (fuzzed halves include NaNs)
                    if (type == GgmlType.F16 && float.IsNaN(scalar[i]) && float.IsNaN(vector[i])) continue;
                    Assert.True(BitConverter.SingleToInt32Bits(scalar[i]) == BitConverter.SingleToInt32Bits(vector[i]), $"{type} n={n} round {round} element {i}: {vector[i]} vs {scalar[i]}");
                }
            }
    }
}
