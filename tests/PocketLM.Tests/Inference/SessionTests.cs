using PocketLM.Inference;
using Xunit;

namespace PocketLM.Tests.Inference;

public class SessionTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315];

    private static LanguageModel Stories() => LanguageModel.Load(Fixtures.Model("stories260K.gguf"));

    private static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = MathF.Max(m, MathF.Abs(a[i] - b[i]));
        return m;
    }

    [Fact]
    public void PrefillEqualsTokenByTokenDecode()
    {
        using var model = Stories();
        using var batch = model.CreateSession(new SessionOptions { ContextSize = 64, Threads = 2 });
        using var single = model.CreateSession(new SessionOptions { ContextSize = 64, Threads = 1 });
        float[] a = batch.Prefill(Prompt).ToArray();
        single.Prefill(Prompt.AsSpan(0, 1));
        for (int i = 1; i < Prompt.Length; i++) single.Decode(Prompt[i]);
        Assert.True(MaxAbsDiff(a, single.Logits) < 1e-4f);
    }

    [Fact]
    public void PromptsLongerThanABatchRunInChunks()
    {
        using var model = Stories();
        using var whole = model.CreateSession(new SessionOptions { ContextSize = 64 });
        using var chunked = model.CreateSession(new SessionOptions { ContextSize = 64, BatchSize = 5 });
        Assert.True(MaxAbsDiff(whole.Prefill(Prompt), chunked.Prefill(Prompt)) < 1e-4f);
        Assert.Equal(Prompt.Length, chunked.Position);
    }

    [Fact]
    public void AnUnchangedPrefixIsReused()
    {
        using var model = Stories();
        using var s = model.CreateSession(new SessionOptions { ContextSize = 64 });
        s.Prefill(Prompt);
        s.Decode(500);
        int[] next = [.. Prompt, 270, 271];
        int kept = s.ReusePrefix(next);
        Assert.Equal(Prompt.Length, kept);
        float[] reused = s.Prefill(next.AsSpan(kept)).ToArray();
        using var fresh = model.CreateSession(new SessionOptions { ContextSize = 64 });
        Assert.True(MaxAbsDiff(reused, fresh.Prefill(next)) < 1e-4f);

        // A prompt equal to the cached tokens keeps all but the last, which must be evaluated again for its logits.
        Assert.Equal(next.Length - 1, s.ReusePrefix(next));
    }

    [Fact]
    public void APromptLongerThanTheContextIsAClearError()
    {
        using var model = Stories();
        using var s = model.CreateSession(new SessionOptions { ContextSize = 8 });
        var ex = Assert.Throws<ContextOverflowException>(() => s.Prefill(Prompt));
        Assert.Contains("12 tokens", ex.Message);
        Assert.Contains("8", ex.Message);
        s.Prefill(Prompt.AsSpan(0, 8));
        Assert.Throws<ContextOverflowException>(() => s.Decode(5));
    }

    [Fact]
    public void ResetStartsOver()
    {
        using var model = Stories();
        using var s = model.CreateSession(new SessionOptions { ContextSize = 64 });
        float[] first = s.Prefill(Prompt).ToArray();
        s.Reset();
        Assert.Equal(0, s.Position);
        Assert.Equal(0f, MaxAbsDiff(first, s.Prefill(Prompt)));
    }

    [Fact]
    public void OutOfVocabularyTokenIsRejected()
    {
        using var model = Stories();
        using var s = model.CreateSession(new SessionOptions { ContextSize = 64 });
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Prefill([1, 99999]));
    }
}
