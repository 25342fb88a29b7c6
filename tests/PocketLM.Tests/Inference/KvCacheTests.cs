using PocketLM.Inference;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Inference;

public sealed class KvCacheTests
{
    [Theory]
    [InlineData(GgmlType.F16, GgmlType.F16, 64, 2 * 64)]
    [InlineData(GgmlType.F32, GgmlType.F32, 64, 4 * 64)]
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0, 64, 2 * 34)]
    [InlineData(GgmlType.Q4_0, GgmlType.F16, 128, 4 * 18)]
    [InlineData(GgmlType.Q5_1, GgmlType.BF16, 96, 3 * 24)]
    public void SizesAreWholeBlocksPerHeadRow(GgmlType k, GgmlType v, int dim, int keyRowBytes)
    {
        using var cache = new KvCache(3, 2, dim, dim, 100, k, v);
        Assert.Equal(keyRowBytes, cache.KeyRowBytes);
        Assert.Equal(KvCache.BytesFor(3, 2, dim, dim, 100, k, v), cache.Bytes);
        Assert.Equal(3L * 2 * 100 * (cache.KeyRowBytes + cache.ValueRowBytes), cache.Bytes);
        unsafe { Assert.Equal(100 * cache.KeyRowBytes, cache.Keys(0, 1) - cache.Keys(0, 0)); }
    }

    [Theory]
    [InlineData(GgmlType.F32, GgmlType.F16, 64, "must be F32 for both")]
    [InlineData(GgmlType.Q8_0, GgmlType.F16, 48, "K cache type q8_0 needs a head size that is a multiple of 32")]
    [InlineData(GgmlType.F16, GgmlType.Q4_1, 40, "V cache type q4_1 needs")]
    [InlineData(GgmlType.Q4_K, GgmlType.F16, 256, "KV cache type q4_k is not supported")]
    public void UnusableCombinationsAreExplained(GgmlType k, GgmlType v, int dim, string message)
    {
        Assert.Contains(message, KvCache.Check(k, v, dim, dim));
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => new KvCache(1, 1, dim, dim, 8, k, v)).Message);
    }
}
