using PocketLM.Inference;
using Xunit;

namespace PocketLM.Tests.Inference;

public class HookTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378];

    [Fact]
    public void EveryNamedPointFiresOncePerForwardWithItsShape()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var s = model.CreateSession(new SessionOptions { ContextSize = 32 });
        var seen = new Dictionary<string, (int Rows, int Cols)>();
        var handles = s.Hooks.Names.Select(n => s.Hooks.Add(n, (in HookContext c, Span<float> t) => seen[c.Name] = (c.Rows, c.Columns))).ToList();
        s.Prefill(Prompt);
        var c = model.Config;
        Assert.Equal(3 + 9 * c.BlockCount, seen.Count); // hook_embed, ln_final, unembed + 9 per block
        Assert.Equal((5, 64), seen["hook_embed"]);
        Assert.Equal((5, 64), seen["blocks.4.hook_resid_post"]);
        Assert.Equal((5, c.QueryWidth), seen["blocks.0.attn.hook_q"]);
        Assert.Equal((5, c.KeyWidth), seen["blocks.0.attn.hook_k"]);
        Assert.Equal((c.HeadCount * 5, 5), seen["blocks.2.attn.hook_pattern"]);
        Assert.Equal((5, c.FeedForwardLength), seen["blocks.1.mlp.hook_post"]);
        Assert.Equal((5, c.VocabSize), seen["unembed.hook_out"]);
        foreach (var h in handles) h.Dispose();
        Assert.False(s.Hooks.Any);
    }

    [Fact]
    public void ReadingHooksDoNotChangeTheResult()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var s = model.CreateSession(new SessionOptions { ContextSize = 32 });
        float[] plain = s.Prefill(Prompt).ToArray();
        s.Reset();
        float sum = 0;
        using (s.Hooks.Add("blocks.2.hook_resid_mid", (in HookContext c, Span<float> t) => { foreach (float v in t) sum += v; }))
            Assert.Equal(plain, s.Prefill(Prompt).ToArray());
        Assert.NotEqual(0f, sum);
    }

    [Fact]
    public void ReplacingAnActivationChangesTheOutput()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var s = model.CreateSession(new SessionOptions { ContextSize = 32 });
        float[] plain = s.Prefill(Prompt).ToArray();
        s.Reset();
        using (s.Hooks.Add("blocks.0.hook_attn_out", (in HookContext c, Span<float> t) => t.Clear())) // ablate layer 0 attention
            Assert.NotEqual(plain, s.Prefill(Prompt).ToArray());
        s.Reset();
        Assert.Equal(plain, s.Prefill(Prompt).ToArray()); // detached again
    }

    [Fact]
    public void PatternRowsAreCausalProbabilities()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var s = model.CreateSession(new SessionOptions { ContextSize = 32 });
        float[]? pattern = null;
        HookContext ctx = default;
        using var h = s.Hooks.Add("blocks.1.attn.hook_pattern", (in HookContext c, Span<float> t) => { pattern = t.ToArray(); ctx = c; });
        s.Prefill(Prompt);
        Assert.NotNull(pattern);
        int n = Prompt.Length;
        for (int row = 0; row < ctx.Rows; row++)
        {
            int query = row % n;
            var r = pattern.AsSpan(row * ctx.Columns, ctx.Columns);
            Assert.Equal(1.0, r.ToArray().Sum(), 4);
            for (int k = query + 1; k < ctx.Columns; k++) Assert.Equal(0f, r[k]);
        }
        // Decoding one more token sees every earlier position.
        s.Decode(432);
        Assert.Equal((model.Config.HeadCount, n + 1), (ctx.Rows, ctx.Columns));
    }

    /// <summary>The tiled prefill kernel (64+ tokens) and the split-KV decode (512+ padded cells) give the pattern too,
    /// and reading it changes no logit.</summary>
    [Fact]
    public void PatternOfLongPromptsAndDecodes()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        var prompt = Enumerable.Range(0, 300).Select(i => 3 + i * 7 % 500).ToArray();
        float[] plain, plainNext;
        using (var s = model.CreateSession(new SessionOptions { ContextSize = 600, Threads = 2 }))
        {
            plain = s.Prefill(prompt).ToArray();
            plainNext = s.Decode(432).ToArray();
        }
        using var session = model.CreateSession(new SessionOptions { ContextSize = 600, Threads = 2 });
        float[]? pattern = null;
        HookContext ctx = default;
        using var h = session.Hooks.Add("blocks.3.attn.hook_pattern", (in HookContext c, Span<float> t) => { pattern = t.ToArray(); ctx = c; });
        Assert.Equal(plain, session.Prefill(prompt).ToArray());
        Assert.Equal((model.Config.HeadCount * prompt.Length, prompt.Length), (ctx.Rows, ctx.Columns));
        for (int row = 0; row < ctx.Rows; row++)
        {
            int query = row % prompt.Length;
            var r = pattern.AsSpan(row * ctx.Columns, ctx.Columns);
            Assert.Equal(1.0, r.ToArray().Sum(), 3);
            for (int k = query + 1; k < ctx.Columns; k++) Assert.Equal(0f, r[k]);
        }
        Assert.Equal(plainNext, session.Decode(432).ToArray());
        Assert.Equal((model.Config.HeadCount, prompt.Length + 1), (ctx.Rows, ctx.Columns));
        for (int row = 0; row < ctx.Rows; row++) Assert.Equal(1.0, pattern.AsSpan(row * ctx.Columns, ctx.Columns).ToArray().Sum(), 3);
    }

    [Fact]
    public void UnembedHookSeesTheLogits()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var s = model.CreateSession(new SessionOptions { ContextSize = 32 });
        float[]? last = null;
        using var h = s.Hooks.Add("unembed.hook_out", (in HookContext c, Span<float> t) => last = t.Slice((c.Rows - 1) * c.Columns).ToArray());
        float[] logits = s.Prefill(Prompt).ToArray();
        Assert.Equal(logits, last);
    }

    [Fact]
    public void UnknownHookNamesAreRejected()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var s = model.CreateSession(new SessionOptions { ContextSize = 32 });
        var ex = Assert.Throws<ArgumentException>(() => s.Hooks.Add("blocks.99.hook_resid_pre", (in HookContext c, Span<float> t) => { }));
        Assert.Contains("unknown hook point", ex.Message);
    }
}
