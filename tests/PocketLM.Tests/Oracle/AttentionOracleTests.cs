using PocketLM.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Oracle;

/// <summary>
/// PocketLM's three flash-attention kernels against ggml's GGML_OP_FLASH_ATTN_EXT itself (the CPU backend LLamaSharp
/// ships, which chooses its kernel by shape as inside llama.cpp), on random F16 caches with a causal mask: bit for bit.
/// </summary>
[Collection(LlamaCppCollection.Name)]
public sealed unsafe class AttentionOracleTests(ITestOutputHelper output)
{
    private static ushort[] Halves(Random rng, int n, double range) =>
        Enumerable.Range(0, n).Select(_ => Fp16.FromSingle((float)((rng.NextDouble() - 0.5) * range))).ToArray();

    private sealed record Case(float[] Q, ushort[] K, ushort[] V, ushort[] Mask, int[] Positions, float[] Expected);

    /// <summary>queries rows at the end of a sequence of len cells, in a KV view of cells (padded, masked beyond len).</summary>
    private static Case Make(int seed, int dk, int dv, int heads, int kvHeads, int queries, int len, int cells, int threads)
    {
        var rng = new Random(seed);
        var q = Enumerable.Range(0, heads * queries * dk).Select(_ => (float)((rng.NextDouble() - 0.5) * 4)).ToArray();
        ushort[] k = Halves(rng, kvHeads * cells * dk, 6), v = Halves(rng, kvHeads * cells * dv, 2);
        var positions = Enumerable.Range(len - queries, queries).ToArray();
        var mask = new ushort[queries * cells];
        for (int i = 0; i < queries; i++)
            for (int j = 0; j < cells; j++) mask[i * cells + j] = j <= positions[i] ? (ushort)0 : (ushort)0xFC00;
        float scale = 1 / MathF.Sqrt(dk);
        var expected = GgmlNative.FlashAttention(q, k, v, mask, dk, dv, queries, cells, heads, kvHeads, scale, threads);
        return new Case(q, k, v, mask, positions, expected);
    }

    private int Compare(float[] expected, float[] got, string what)
    {
        int diff = 0;
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(got[i])) { diff++; max = Math.Max(max, Math.Abs(expected[i] - got[i])); }
        output.WriteLine($"{what}: {expected.Length - diff}/{expected.Length} values identical, max|Δ| {max:G3}");
        return diff;
    }

    [Theory]
    [InlineData(64, 64, 3, 1, 5, 40, 256, 2)]
    [InlineData(128, 128, 4, 2, 1, 200, 256, 2)]
    [InlineData(64, 64, 2, 2, 63, 250, 256, 2)]
    public void OneRowKernel(int dk, int dv, int heads, int kvHeads, int queries, int len, int cells, int threads)
    {
        if (!GgmlNative.Available) return;
        var c = Make(dk + len, dk, dv, heads, kvHeads, queries, len, cells, threads);
        var got = new float[c.Expected.Length];
        var q16 = new ushort[dk]; var acc = new float[dv];
        fixed (float* pq = c.Q, pg = got, a = acc) fixed (ushort* pk = c.K, pv = c.V, h = q16)
            for (int hq = 0; hq < heads; hq++)
                for (int i = 0; i < queries; i++)
                {
                    int kvh = hq / (heads / kvHeads);
                    Attention.ToF16(pq + ((long)hq * queries + i) * dk, h, dk);
                    Attention.F16Online(h, pk + (long)kvh * cells * dk, pv + (long)kvh * cells * dv, c.Positions[i] + 1, dk, dv, 1 / MathF.Sqrt(dk),
                                        pg + ((long)i * heads + hq) * dv, a);
                }
        Assert.Equal(0, Compare(c.Expected, got, "one-row"));
    }

    [Theory]
    [InlineData(64, 64, 3, 1, 64, 64, 256, 2)]
    [InlineData(64, 64, 2, 1, 100, 200, 256, 2)]
    [InlineData(128, 128, 4, 2, 70, 300, 512, 2)]
    public void TiledKernel(int dk, int dv, int heads, int kvHeads, int queries, int len, int cells, int threads)
    {
        // the oracle is ggml's AVX2 build; on an AVX-512 CPU the tiled softmax follows the AVX-512 build's exp instead
        if (!GgmlNative.Available || GgmlExp.Avx512Variant) return;
        var c = Make(dk + len + 1, dk, dv, heads, kvHeads, queries, len, cells, threads);
        var got = new float[c.Expected.Length];
        var scratch = new float[TiledAttention.ScratchFloats(queries, dk, dv)];
        var qp = new nint[queries]; var op = new nint[queries];
        fixed (float* pq = c.Q, pg = got, ps = scratch) fixed (ushort* pk = c.K, pv = c.V) fixed (nint* qq = qp, oo = op) fixed (int* pos = c.Positions)
            for (int hq = 0; hq < heads; hq++)
            {
                int kvh = hq / (heads / kvHeads);
                for (int i = 0; i < queries; i++) { qq[i] = (nint)(pq + ((long)hq * queries + i) * dk); oo[i] = (nint)(pg + ((long)i * heads + hq) * dv); }
                TiledAttention.Run((float**)qq, pos, (float**)oo, queries, pk + (long)kvh * cells * dk, pv + (long)kvh * cells * dv, dk, dv, 1 / MathF.Sqrt(dk), ps);
            }
        Assert.Equal(0, Compare(c.Expected, got, "tiled"));
    }

    [Theory]
    [InlineData(64, 64, 3, 1, 300, 512, 2)]
    [InlineData(64, 64, 3, 1, 300, 512, 1)]
    [InlineData(128, 128, 4, 2, 700, 768, 3)]
    [InlineData(64, 64, 2, 2, 513, 768, 4)]
    public void SplitKernel(int dk, int dv, int heads, int kvHeads, int len, int cells, int threads)
    {
        if (!GgmlNative.Available) return;
        var c = Make(dk + len + threads, dk, dv, heads, kvHeads, 1, len, cells, threads);
        var got = new float[c.Expected.Length];
        var q16 = new ushort[dk]; var acc = new float[dv]; var scratch = new float[2 * dv];
        fixed (float* pq = c.Q, pg = got, ps = scratch, a = acc) fixed (ushort* pk = c.K, pv = c.V, h = q16)
            for (int hq = 0; hq < heads; hq++)
            {
                int kvh = hq / (heads / kvHeads);
                Attention.ToF16(pq + (long)hq * dk, h, dk);
                Attention.F16Split(h, pk + (long)kvh * cells * dk, pv + (long)kvh * cells * dv, len, cells, threads, dk, dv, 1 / MathF.Sqrt(dk),
                                   pg + (long)hq * dv, a, ps);
            }
        Assert.Equal(0, Compare(c.Expected, got, $"split, {threads} threads"));
    }
}

/// <summary>The F32-cache attention's two orders (flash attention off) against ggml's own ggml_vec_dot_f32.</summary>
public sealed unsafe class VecDotF32OracleTests
{
    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(96)]
    [InlineData(256)]
    public void MatchesGgmlVecDotF32BitForBit(int n) // multiples of 32: the tail is not emulated exactly (see VecDotF32)
    {
        var rng = new Random(n);
        for (int trial = 0; trial < 50; trial++)
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var y = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            fixed (float* px = x, py = y)
            {
                float simd = Attention.VecDotF32(px, py, n), scalar = Attention.VecDotF32(px, py, n, simd: false);
                Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(simd));
                if (!GgmlNative.Available) continue;
                float ggml = GgmlNative.VecDot(GgmlType.F32, (byte*)px, (byte*)py, n);
                Assert.True(BitConverter.SingleToInt32Bits(ggml) == BitConverter.SingleToInt32Bits(simd), $"n={n}: ggml {ggml:R}, ours {simd:R}");
            }
        }
    }
}
