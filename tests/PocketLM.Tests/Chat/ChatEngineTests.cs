using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Sampling;
using Xunit;

namespace PocketLM.Tests.Chat;

public class ChatEngineTests
{
    private static ChatRequest Ask(string text, int maxTokens = 24, IReadOnlyList<string>? stop = null, int topLogprobs = -1) => new()
    {
        Messages = [new ChatMessage("user", text)],
        Sampling = SamplerOptions.Greedy,
        MaxTokens = maxTokens,
        Stop = stop,
        TopLogprobs = topLogprobs,
    };

    [Fact]
    public void AModelWithoutATemplateFallsBackToChatMl()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var chat = new ChatEngine(model, new SessionOptions { ContextSize = 256 });
        Assert.True(chat.UsesFallbackTemplate);
        string prompt = chat.RenderPrompt(Ask("Hi"), out bool opens);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", prompt);
        Assert.False(opens);
    }

    [Fact]
    public void StreamedDeltasAddUpToTheCompletion()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var chat = new ChatEngine(model, new SessionOptions { ContextSize = 256 });
        var result = new ChatCompletion();
        string streamed = string.Concat(chat.Stream(Ask("Once upon a time"), result).Select(d => d.Text));
        Assert.Equal(result.Content, streamed);
        Assert.Equal(24, result.CompletionTokens);
        Assert.Equal("length", result.FinishReason);
        Assert.Null(result.Reasoning);
        chat.Reset();
        Assert.Equal(result.Content, chat.Complete(Ask("Once upon a time")).Content); // greedy is deterministic
    }

    [Fact]
    public void StopStringsEndTheAnswerAndAreNotIncluded()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var chat = new ChatEngine(model, new SessionOptions { ContextSize = 256 });
        string full = chat.Complete(Ask("Once upon a time", maxTokens: 40)).Content;
        int at = full.IndexOf(' ', 10);
        Assert.True(at > 0, full);
        string stopAt = full.Substring(at, 3);
        chat.Reset();
        var stopped = chat.Complete(Ask("Once upon a time", maxTokens: 40, stop: [stopAt]));
        Assert.Equal(full[..full.IndexOf(stopAt, StringComparison.Ordinal)], stopped.Content);
        Assert.Equal("stop", stopped.FinishReason);
    }

    [Fact]
    public void TheNextTurnReusesTheCachedConversation()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var chat = new ChatEngine(model, new SessionOptions { ContextSize = 512 });
        var first = chat.Complete(Ask("Once upon a time"));
        Assert.Equal(0, first.CachedPromptTokens);
        var second = chat.Complete(new ChatRequest
        {
            Messages = [new ChatMessage("user", "Once upon a time"), new ChatMessage("assistant", first.Content), new ChatMessage("user", "And then?")],
            Sampling = SamplerOptions.Greedy,
            MaxTokens = 8,
        });
        // Everything up to the end of the first answer was already in the cache: only the new turn is computed.
        Assert.True(second.CachedPromptTokens >= first.PromptTokens + first.CompletionTokens - 2,
            $"cached {second.CachedPromptTokens} of {second.PromptTokens}; first turn had {first.PromptTokens}+{first.CompletionTokens}");
    }

    [Fact]
    public void LogprobsDescribeTheChosenTokens()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var chat = new ChatEngine(model, new SessionOptions { ContextSize = 256 });
        var r = chat.Complete(Ask("Once upon a time", maxTokens: 5, topLogprobs: 3));
        Assert.Equal(5, r.Logprobs!.Count);
        foreach (var lp in r.Logprobs)
        {
            Assert.Equal(3, lp.Top.Count);
            Assert.True(lp.Chosen.Logprob <= 0);
            Assert.Equal(lp.Top[0].Id, lp.Chosen.Id); // greedy picks the most likely token
            Assert.True(lp.Top[0].Logprob >= lp.Top[1].Logprob && lp.Top[1].Logprob >= lp.Top[2].Logprob);
        }
        Assert.Equal(r.Content, string.Concat(r.Logprobs.Select(l => l.Chosen.Text)).TrimStart());
    }

    [Fact]
    public void APromptLongerThanTheContextIsRejected()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var chat = new ChatEngine(model, new SessionOptions { ContextSize = 16 });
        Assert.Throws<ContextOverflowException>(() => chat.Complete(Ask(string.Join(' ', Enumerable.Repeat("story", 40)))));
    }
}
