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

/// <summary>
/// Quantized and mixed KV caches (llama.cpp's --cache-type-k / --cache-type-v): ggml runs its one-row kernel for every
/// row, whatever the batch or the KV length (its tiled and split-KV kernels take F16/F16 or F32/F32 only), with the
/// query converted to the key type's dot-product format and an F32 value accumulator unless V is F16. PocketLM's
/// <see cref="Attention.OneChunk"/> against GGML_OP_FLASH_ATTN_EXT, bit for bit, with caches written by
/// <see cref="PocketLM.Inference.KvCache.Store"/>, which must itself equal ggml's conversion (from_float).
/// </summary>
[Collection(LlamaCppCollection.Name)]
public sealed unsafe class QuantizedCacheAttentionOracleTests(ITestOutputHelper output)
{
    private static byte[] Rows(Random rng, GgmlType type, int rows, int dim, double range)
    {
        long rowBytes = GgmlTypeInfo.RowBytes(type, dim);
        var bytes = new byte[rows * rowBytes];
        var x = new float[dim];
        fixed (byte* b = bytes) fixed (float* px = x)
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < dim; i++) x[i] = (float)((rng.NextDouble() - 0.5) * range);
                PocketLM.Inference.KvCache.Store(type, px, b + r * rowBytes, dim);
            }
        return bytes;
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0, 64, 3, 1, 5, 40, 256)]
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0, 128, 4, 2, 1, 700, 768)]   // a long decode: no split-KV kernel for Q8_0
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0, 64, 2, 1, 70, 200, 256)]   // 70 rows: no tiled kernel for Q8_0
    [InlineData(GgmlType.Q4_0, GgmlType.Q4_0, 64, 2, 2, 3, 100, 256)]
    [InlineData(GgmlType.Q4_1, GgmlType.Q5_1, 64, 2, 1, 3, 100, 256)]
    [InlineData(GgmlType.Q5_0, GgmlType.F16, 64, 3, 1, 3, 100, 256)]
    [InlineData(GgmlType.F16, GgmlType.Q8_0, 128, 2, 1, 2, 600, 768)]
    [InlineData(GgmlType.BF16, GgmlType.BF16, 64, 2, 1, 3, 100, 256)]
    // groups of 4–8 query heads per key head (Llama-3.2, Qwen2.5): one key against four heads at a time, and the tail
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0, 64, 14, 2, 4, 300, 512)]
    [InlineData(GgmlType.Q4_0, GgmlType.Q4_1, 128, 8, 2, 2, 300, 512)]
    [InlineData(GgmlType.Q5_0, GgmlType.Q5_0, 64, 5, 1, 3, 100, 256)]
    [InlineData(GgmlType.Q8_0, GgmlType.F16, 64, 4, 1, 2, 260, 512)]
    [InlineData(GgmlType.Q5_1, GgmlType.Q8_0, 64, 6, 1, 2, 200, 256)]
    [InlineData(GgmlType.Q4_1, GgmlType.F16, 128, 4, 1, 2, 150, 256)]
    public void OneChunkKernelMatchesGgml(GgmlType kType, GgmlType vType, int d, int heads, int kvHeads, int queries, int len, int cells)
    {
        if (!GgmlNative.Available) return;
        var rng = new Random(d + len + (int)kType * 7 + (int)vType);
        var q = Enumerable.Range(0, heads * queries * d).Select(_ => (float)((rng.NextDouble() - 0.5) * 4)).ToArray();
        byte[] k = Rows(rng, kType, kvHeads * cells, d, 6), v = Rows(rng, vType, kvHeads * cells, d, 2);
        var positions = Enumerable.Range(len - queries, queries).ToArray();
        var mask = new ushort[queries * cells];
        for (int i = 0; i < queries; i++)
            for (int j = 0; j < cells; j++) mask[i * cells + j] = j <= positions[i] ? (ushort)0 : (ushort)0xFC00;
        float scale = 1 / MathF.Sqrt(d);
        var expected = GgmlNative.FlashAttention(q, kType, k, vType, v, mask, d, d, queries, cells, heads, kvHeads, scale, 2);
        long kRow = GgmlTypeInfo.RowBytes(kType, d), vRow = GgmlTypeInfo.RowBytes(vType, d);
        int group = heads / kvHeads;
        foreach (bool simd in new[] { true, false })
        {
            var got = new float[expected.Length];
            var scratch = new float[Attention.OneChunkScratchFloats(kType, group, d, d)];
            var qg = new float[group * d]; var og = new float[group * d];
            fixed (float* pq = q, ps = scratch, pqg = qg, pog = og) fixed (byte* pk = k, pv = v)
                for (int kvh = 0; kvh < kvHeads; kvh++)
                    for (int i = 0; i < queries; i++)
                    {
                        for (int g = 0; g < group; g++) Array.Copy(q, ((long)(kvh * group + g) * queries + i) * d, qg, g * d, d);
                        Attention.OneChunk(kType, vType, pqg, group, pk + kvh * cells * kRow, kRow, pv + kvh * cells * vRow, vRow,
                                           positions[i] + 1, d, d, scale, pog, ps, simd: simd);
                        for (int g = 0; g < group; g++) Array.Copy(og, g * d, got, ((long)i * heads + kvh * group + g) * d, d);
                    }
            int diff = 0;
            double max = 0;
            for (int i = 0; i < expected.Length; i++)
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(got[i])) { diff++; max = Math.Max(max, Math.Abs(expected[i] - got[i])); }
            output.WriteLine($"K {kType}, V {vType}, simd {simd}: {expected.Length - diff}/{expected.Length} identical, max|Δ| {max:G3}");
            Assert.Equal(0, diff);
        }
    }

    [Theory]
    [MemberData(nameof(PocketLM.Tests.Tensors.TestData.CacheTypes), MemberType = typeof(PocketLM.Tests.Tensors.TestData))]
    public void CacheStoreIsGgmlsConversion(GgmlType type)
    {
        if (!GgmlNative.Available) return;
        var rng = new Random((int)type);
        const int n = 128;
        long bytes = GgmlTypeInfo.RowBytes(type, n);
        var ours = new byte[bytes]; var theirs = new byte[bytes];
        var x = new float[n];
        for (int trial = 0; trial < 200; trial++)
        {
            double range = trial % 3 == 0 ? 1e-3 : trial % 3 == 1 ? 8 : 300;
            for (int i = 0; i < n; i++) x[i] = (float)((rng.NextDouble() - 0.5) * range);
            if (trial % 7 == 0) x[rng.Next(n)] = 0;
            fixed (float* px = x) fixed (byte* po = ours, pt = theirs)
            {
                PocketLM.Inference.KvCache.Store(type, px, po, n);
                GgmlNative.QuantizeActivations(type, px, pt, n);
            }
            Assert.True(ours.AsSpan().SequenceEqual(theirs), $"{type}, trial {trial}: the stored row differs from ggml's from_float");
        }
    }
}
