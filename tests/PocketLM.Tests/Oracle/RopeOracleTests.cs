using PocketLM.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Oracle;

/// <summary>RoPE against ggml's own GGML_OP_ROPE, bit for bit, at positions up to several thousand.</summary>
[Collection(LlamaCppCollection.Name)]
public sealed unsafe class RopeOracleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(64, 64, false, 10000f, 1f)]
    [InlineData(64, 64, true, 1000000f, 1f)]
    [InlineData(128, 128, true, 1000000f, 1f)]
    [InlineData(128, 128, false, 500000f, 1f)]
    [InlineData(128, 64, true, 10000f, 0.25f)]
    public void MatchesGgml(int dim, int ropeDims, bool neox, float freqBase, float freqScale)
    {
        if (!GgmlNative.Available) return;
        const int heads = 3;
        var rng = new Random(dim + ropeDims);
        int[] positions = [0, 1, 2, 7, 31, 63, 64, 100, 127, 200, 255, 256, 511, 600, 1000, 2047, 3000, 4095];
        var x = Enumerable.Range(0, positions.Length * heads * dim).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var expected = GgmlNative.Rope(x, positions, dim, heads, ropeDims, neox ? 2 : 0, freqBase, freqScale);
        var got = (float[])x.Clone();
        using var table = new RopeTable(4096, ropeDims, freqBase, 1 / freqScale, null);
        fixed (float* g = got)
            for (int t = 0; t < positions.Length; t++)
                for (int h = 0; h < heads; h++)
                    Ops.Rope(g + ((long)t * heads + h) * dim, table.Cos(positions[t]), table.Sin(positions[t]), ropeDims, neox);
        var bad = new List<string>();
        for (int t = 0; t < positions.Length; t++)
        {
            int n = 0;
            for (int i = t * heads * dim; i < (t + 1) * heads * dim; i++)
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(got[i])) n++;
            if (n > 0) bad.Add($"pos {positions[t]}: {n}");
        }
        output.WriteLine(bad.Count == 0 ? "all identical" : string.Join(", ", bad));
        Assert.Empty(bad);
    }
}
