using PocketLM.Inference;
using PocketLM.Sampling;
using Xunit;

namespace PocketLM.Tests.Inference;

/// <summary>The decode loop must not allocate managed memory per token (no GC pauses while generating).</summary>
public class AllocationTests
{
    [Theory]
    [InlineData("stories260K.gguf")]
    [InlineData("TinyStories-656K-Q8_0.gguf")]
    [InlineData("llama-2-tiny-random.gguf")]
    public void DecodingAndSamplingAllocateNothingPerToken(string name) => AssertNoAllocation(Fixtures.Model(name), new SessionOptions { ContextSize = 256, Threads = 2 });

    /// <summary>The same with quantized caches (their attention kernel and the Hadamard rotations, 128 wide for K here).</summary>
    [Theory]
    [InlineData(PocketLM.Tensors.GgmlType.Q8_0, PocketLM.Tensors.GgmlType.Q8_0)]
    [InlineData(PocketLM.Tensors.GgmlType.Q4_1, PocketLM.Tensors.GgmlType.F16)]
    public void QuantizedCachesAllocateNothingPerToken(PocketLM.Tensors.GgmlType k, PocketLM.Tensors.GgmlType v)
    {
        string dir = Fixtures.TempDir();
        try
        {
            string path = Fixtures.QuantizedSyntheticModel(dir, "qwen3-gqa-hd128-tied", "Q8_0", 2);
            AssertNoAllocation(path, new SessionOptions { ContextSize = 256, Threads = 2, KeyCacheType = k, ValueCacheType = v });
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static void AssertNoAllocation(string path, SessionOptions options)
    {
        using var model = LanguageModel.Load(path);
        using var s = model.CreateSession(options);
        var sampler = new Sampler(model.Config.VocabSize, new SamplerOptions { Seed = 1 });
        int token = 1;
        s.Prefill([1, 2, 3]);
        // Warm-up until a 20-token window allocates nothing: JIT tiering installs optimized code after a delay that
        // restarts whenever other code is being jitted, so in a busy test run it can land late, and it allocates on the
        // calling thread once (seen: ~5 KB inside the measured window of a full suite run). A per-token allocation never
        // settles and fails below. The session is rewound so the tokens stay within the context.
        var warm = System.Diagnostics.Stopwatch.StartNew();
        for (int window = 0; window < 2 || warm.ElapsedMilliseconds < 10_000; window++)
        {
            s.TruncateTo(3);
            long start = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) token = sampler.Sample(s.Decode(token));
            if (window >= 1 && GC.GetAllocatedBytesForCurrentThread() == start) break;
        }
        s.TruncateTo(3);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            token = sampler.Sample(s.Decode(token));
            sampler.Accept(token);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
