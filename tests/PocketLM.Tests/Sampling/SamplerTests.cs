using PocketLM.Sampling;
using Xunit;

namespace PocketLM.Tests.Sampling;

public class SamplerTests
{
    private static float[] RandomLogits(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
    }

    [Fact]
    public void GreedyPicksTheFirstMaximum()
    {
        var s = new Sampler(5, SamplerOptions.Greedy);
        Assert.Equal(1, s.Sample([0f, 3f, 1f, 3f, -1f]));
    }

    [Fact]
    public void TopKOfOneIsGreedy()
    {
        var logits = RandomLogits(1000, 1);
        var s = new Sampler(1000, new SamplerOptions { TopK = 1, Seed = 7 });
        int argmax = Array.IndexOf(logits, logits.Max());
        for (int i = 0; i < 20; i++) Assert.Equal(argmax, s.Sample(logits));
    }

    [Fact]
    public void SameSeedSameTokens()
    {
        var logits = RandomLogits(500, 2);
        var opts = new SamplerOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = 42 };
        var a = new Sampler(500, opts);
        var b = new Sampler(500, opts);
        var ra = Enumerable.Range(0, 50).Select(_ => a.Sample(logits)).ToArray();
        var rb = Enumerable.Range(0, 50).Select(_ => b.Sample(logits)).ToArray();
        Assert.Equal(ra, rb);
        Assert.True(ra.Distinct().Count() > 5, "a hot temperature should spread the draws");
        var c = new Sampler(500, opts with { Seed = 43 });
        Assert.NotEqual(ra, Enumerable.Range(0, 50).Select(_ => c.Sample(logits)).ToArray());
    }

    [Fact]
    public void DrawsFollowTheSoftmax()
    {
        float[] logits = [0f, 1f, 2f, -1f];
        var s = new Sampler(4, new SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 3 });
        var counts = new int[4];
        const int draws = 40000;
        for (int i = 0; i < draws; i++) counts[s.Sample(logits)]++;
        double z = logits.Sum(l => Math.Exp(l));
        for (int i = 0; i < 4; i++)
            Assert.InRange(counts[i] / (double)draws, Math.Exp(logits[i]) / z - 0.01, Math.Exp(logits[i]) / z + 0.01);
    }

    [Fact]
    public void TopPKeepsTheNucleus()
    {
        // probabilities ≈ 0.64, 0.24, 0.09, 0.03: top-p 0.8 keeps the first two only.
        float[] logits = [3f, 2f, 1f, 0f];
        var s = new Sampler(4, new SamplerOptions { Temperature = 1, TopK = 0, TopP = 0.8f, MinP = 0, Seed = 5 });
        var seen = Enumerable.Range(0, 2000).Select(_ => s.Sample(logits)).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, seen);
    }

    [Fact]
    public void MinPDropsUnlikelyTokens()
    {
        // p(2)/p(0) = e^-2 ≈ 0.135 < 0.2: with min-p 0.2 only tokens 0 and 1 (ratio e^-1 ≈ 0.37) survive.
        float[] logits = [3f, 2f, 1f, 0f];
        var s = new Sampler(4, new SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0.2f, Seed = 5 });
        var seen = Enumerable.Range(0, 2000).Select(_ => s.Sample(logits)).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, seen);
    }

    [Fact]
    public void PenaltiesPushSeenTokensDown()
    {
        float[] logits = [2f, 1.9f, -1f];
        var repeat = new Sampler(3, SamplerOptions.Greedy with { RepeatPenalty = 1.5f });
        repeat.Accept(0);
        Assert.Equal(1, repeat.Sample(logits)); // 2 / 1.5 < 1.9

        var freq = new Sampler(3, SamplerOptions.Greedy with { FrequencyPenalty = 0.06f });
        freq.Accept(0);
        Assert.Equal(0, freq.Sample(logits)); // 2 - 0.06 > 1.9
        freq.Accept(0);
        Assert.Equal(1, freq.Sample(logits)); // 2 - 0.12 < 1.9

        var presence = new Sampler(3, SamplerOptions.Greedy with { PresencePenalty = 0.5f });
        presence.Accept(0); presence.Accept(0);
        Assert.Equal(1, presence.Sample(logits));

        var window = new Sampler(3, SamplerOptions.Greedy with { RepeatPenalty = 1.5f, PenaltyLastN = 2 });
        window.Accept(0); window.Accept(2); window.Accept(2);
        Assert.Equal(0, window.Sample(logits)); // token 0 fell out of the two-token window
    }

    [Fact]
    public void InvalidSettingsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new Sampler(3, new SamplerOptions { TopP = 2 }));
        Assert.Throws<ArgumentException>(() => new Sampler(3, new SamplerOptions { Temperature = -1 }));
        Assert.Throws<ArgumentException>(() => new Sampler(3, new SamplerOptions { RepeatPenalty = 0 }));
    }

    [Fact]
    public void SamplingAllocatesNothing()
    {
        var logits = RandomLogits(32000, 9);
        var s = new Sampler(32000, new SamplerOptions { Seed = 1, RepeatPenalty = 1.1f });
        for (int i = 0; i < 10; i++) s.Accept(s.Sample(logits));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) s.Accept(s.Sample(logits));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
