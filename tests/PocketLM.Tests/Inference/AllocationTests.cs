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
    public void DecodingAndSamplingAllocateNothingPerToken(string name)
    {
        using var model = LanguageModel.Load(Fixtures.Model(name));
        using var s = model.CreateSession(new SessionOptions { ContextSize = 256, Threads = 2 });
        var sampler = new Sampler(model.Config.VocabSize, new SamplerOptions { Seed = 1 });
        int token = 1;
        s.Prefill([1, 2, 3]);
        for (int i = 0; i < 20; i++) token = sampler.Sample(s.Decode(token)); // warm-up: JIT, tiering
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
