using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Sampling;
using Xunit;

namespace PocketLM.Tests.Chat;

/// <summary>
/// Reasoning behaviour on a model with Qwen3's vocabulary and template whose replies are scripted through the logits
/// (see <see cref="Steering"/>): budget forcing, effort none, prompts that open the thinking block, and dropping
/// earlier turns' reasoning.
/// </summary>
public class ReasoningTests
{
    private static readonly string DeepSeekR1 = ChatFixtures.ReadTemplate("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja");
    private static readonly string Qwen3 = ChatFixtures.ReadTemplate("Qwen-Qwen3.jinja");

    private static ChatRequest Ask(string text, int? budget = null, ReasoningEffort? effort = null, int maxTokens = 200) => new()
    {
        Messages = [new ChatMessage("user", text)],
        Sampling = SamplerOptions.Greedy,
        ThinkBudget = budget,
        ReasoningEffort = effort,
        MaxTokens = maxTokens,
    };

    private sealed class Harness(LanguageModel model, ChatEngine chat, Steering steer) : IDisposable
    {
        public LanguageModel Model => model;
        public ChatEngine Chat => chat;
        public Steering Steer => steer;

        public void Dispose()
        {
            chat.Dispose();
            model.Dispose();
        }
    }

    private static Harness? Open(string? template = null, ReasoningBudgets? budgets = null)
    {
        if (SteeredQwen3.Path is not { } path) return null;   // offline: see NpmTokenizerFixtures
        var model = LanguageModel.Load(path);
        var chat = new ChatEngine(model, new SessionOptions { ContextSize = 512, Threads = 2 }, template is null ? null : ChatTemplate.Parse(template), budgets);
        var steer = new Steering(model.Tokenizer);
        steer.Attach(chat.Session);
        return new Harness(model, chat, steer);
    }

    private static ChatCompletion Run(ChatEngine chat, Steering steer, ChatRequest request, List<ChatDelta>? deltas = null)
    {
        steer.Begin(chat.Tokenize(chat.RenderPrompt(request, out _)).Length);
        var result = new ChatCompletion();
        foreach (var d in chat.Stream(request, result)) deltas?.Add(d);
        return result;
    }

    [Fact]
    public void TheModelsOwnTemplateAndVocabularyAreUsed()
    {
        using var h = Open();
        if (h is null) return;
        var (model, chat, steer) = (h.Model, h.Chat, h.Steer);
        Assert.False(chat.UsesFallbackTemplate);
        Assert.True(chat.IsReasoningModel);
        Assert.Equal(Qwen3, chat.Template.Source);
        Assert.True(model.Tokenizer.IsEndOfGeneration(model.Tokenizer.FindToken("<|im_end|>")!.Value));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20)]
    public void BudgetForcingClosesTheThinkingBlockAtExactlyTheBudget(int budget)
    {
        using var h = Open();
        if (h is null) return;
        var (model, chat, steer) = (h.Model, h.Chat, h.Steer);
        var deltas = new List<ChatDelta>();
        var r = Run(chat, steer, Ask("What is six times seven?", budget: budget), deltas);

        Assert.Equal(budget, r.ReasoningTokens);          // <think> and budget − 1 filler tokens
        Assert.True(r.ReasoningTruncated);
        Assert.Equal(string.Concat(Enumerable.Repeat(steer.FillerText, budget - 1)).Trim('\n'), r.Reasoning);
        Assert.Equal(steer.AnswerText, r.Content);      // the answer then continues normally...
        Assert.Equal(steer.Answer.Length, r.AnswerTokens);
        Assert.Equal("stop", r.FinishReason);              // ...and ends with the end-of-turn token
        Assert.Equal(steer.AnswerText, string.Concat(deltas.Where(d => d.Channel == TextChannel.Answer).Select(d => d.Text)));

        // In the context: prompt, <think>, budget − 1 fillers, then the forced "\n</think>\n\n", then the answer.
        int p = r.PromptTokens;
        var tokens = chat.Session.Tokens;
        int[] close = model.Tokenizer.Encode("\n</think>\n\n", addSpecial: false, parseSpecial: true);
        Assert.Equal(steer.ThinkOpen, tokens[p]);
        Assert.All(Enumerable.Range(p + 1, budget - 1), i => Assert.Equal(steer.Filler, tokens[i]));
        Assert.Equal(close, tokens.Skip(p + budget).Take(close.Length));
        Assert.Equal(steer.ThinkClose, tokens[p + budget + Array.IndexOf(close, steer.ThinkClose)]);
        Assert.Equal(steer.Answer, tokens.Skip(p + budget + close.Length).Take(steer.Answer.Length));
        Assert.Single(tokens, t => t == steer.ThinkClose);
    }

    [Theory]
    [InlineData(ReasoningEffort.Low, 5)]
    [InlineData(ReasoningEffort.Medium, 9)]
    public void EffortsMapToTheEnginesBudgets(ReasoningEffort effort, int expected)
    {
        using var h = Open(budgets: new ReasoningBudgets(Low: 5, Medium: 9, High: 30));
        if (h is null) return;
        var (model, chat, steer) = (h.Model, h.Chat, h.Steer);
        var r = Run(chat, steer, Ask("Think about it.", effort: effort));
        Assert.Equal(expected, r.ReasoningTokens);
        Assert.True(r.ReasoningTruncated);
        Assert.Equal(steer.AnswerText, r.Content);
        // An explicit budget wins over the effort.
        chat.Reset();
        r = Run(chat, steer, Ask("Think about it.", budget: 3, effort: effort));
        Assert.Equal(3, r.ReasoningTokens);
    }

    [Fact]
    public void ThinkingThatEndsWithinTheBudgetIsNotTruncated()
    {
        using var h = Open();
        if (h is null) return;
        var (model, chat, steer) = (h.Model, h.Chat, h.Steer);
        steer.ThinkTokens = 4;
        var r = Run(chat, steer, Ask("Quick one.", budget: 50));
        Assert.False(r.ReasoningTruncated);
        Assert.Equal(6, r.ReasoningTokens);   // <think>, 4 fillers, </think>
        Assert.Equal(string.Concat(Enumerable.Repeat(steer.FillerText, 4)), r.Reasoning);
        Assert.Equal(steer.AnswerText, r.Content.TrimStart('\n'));
    }

    [Fact]
    public void EffortNoneWithQwen3RendersEnableThinkingFalse()
    {
        using var h = Open();
        if (h is null) return;
        var (model, chat, steer) = (h.Model, h.Chat, h.Steer);
        var request = Ask("Hi", effort: ReasoningEffort.None);
        string prompt = chat.RenderPrompt(request, out bool opens);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", prompt);
        Assert.False(opens);
        // The same text the template itself writes for enable_thinking=false: not a pre-fill of ours.
        Assert.Equal(prompt, chat.Template.RenderPrompt(request.Messages, true, variables: new Dictionary<string, object?> { ["enable_thinking"] = false }));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", chat.RenderPrompt(Ask("Hi"), out _));

        steer.NoThinking = true;
        var r = Run(chat, steer, request);
        Assert.Null(r.Reasoning);
        Assert.Equal(0, r.ReasoningTokens);
        Assert.Equal(steer.AnswerText, r.Content);
    }

    [Fact]
    public void EffortNoneWithDeepSeekR1ClosesTheOpenedThinkBlock()
    {
        using var h = Open(DeepSeekR1);
        if (h is null) return;
        var (model, chat, steer) = (h.Model, h.Chat, h.Steer);
        string normal = chat.RenderPrompt(Ask("Hi"), out bool opens);
        Assert.True(opens);
        Assert.EndsWith("<｜User｜>Hi<｜Assistant｜><think>\n", normal);
        string none = chat.RenderPrompt(Ask("Hi", effort: ReasoningEffort.None), out bool opensNone);
        Assert.False(opensNone);
        Assert.Equal(normal.TrimEnd() + "\n\n</think>\n\n", none);
        Assert.Equal(none, chat.RenderPrompt(Ask("Hi", budget: 0), out _));

        steer.NoThinking = true;
        var r = Run(chat, steer, Ask("Hi", effort: ReasoningEffort.None));
        Assert.Null(r.Reasoning);
        Assert.Equal(0, r.ReasoningTokens);
        Assert.Equal(steer.AnswerText, r.Content);
    }

    [Fact]
    public void APromptThatOpensThinkingStartsTheReplyInReasoning()
    {
        using var h = Open(DeepSeekR1);
        if (h is null) return;
        var (model, chat, steer) = (h.Model, h.Chat, h.Steer);
        steer.OpenThinking = false;   // the template already wrote <think>
        steer.ThinkTokens = 3;
        var deltas = new List<ChatDelta>();
        var r = Run(chat, steer, Ask("Why?"), deltas);
        Assert.Equal(TextChannel.Reasoning, deltas.First(d => d.Text.Length > 0).Channel);
        Assert.Equal(string.Concat(Enumerable.Repeat(steer.FillerText, 3)), r.Reasoning);
        Assert.Equal(4, r.ReasoningTokens);   // 3 fillers and </think>
        Assert.Equal(steer.AnswerText, r.Content);
        Assert.DoesNotContain("<think>", r.Content + r.Reasoning);
        Assert.DoesNotContain("</think>", r.Content + r.Reasoning);

        // With a budget the block the prompt opened is closed at exactly the budget as well.
        chat.Reset();
        steer.ThinkTokens = null;
        r = Run(chat, steer, Ask("Why?", budget: 6));
        Assert.Equal(6, r.ReasoningTokens);
        Assert.True(r.ReasoningTruncated);
        Assert.Equal(string.Concat(Enumerable.Repeat(steer.FillerText, 6)), r.Reasoning);
        Assert.Equal(steer.AnswerText, r.Content);
    }

    [Fact]
    public void EarlierTurnsReasoningIsDroppedAsTheTemplateSays()
    {
        using var h = Open();
        if (h is null) return;
        var (model, chat, steer) = (h.Model, h.Chat, h.Steer);
        var first = Run(chat, steer, Ask("What is six times seven?", budget: 5));
        Assert.NotNull(first.Reasoning);
        int firstPrompt = first.PromptTokens;

        var history = new List<ChatMessage>
        {
            new("user", "What is six times seven?"),
            new("assistant", first.Content) { ReasoningContent = first.Reasoning },
            new("user", "And seven times six?"),
        };
        var second = new ChatRequest { Messages = history, Sampling = SamplerOptions.Greedy, ThinkBudget = 5, MaxTokens = 200 };
        string prompt = chat.RenderPrompt(second, out _);
        Assert.DoesNotContain("hmm", prompt);   // Qwen3 drops reasoning before the last user message
        Assert.DoesNotContain("<think>", prompt);
        Assert.Contains("<|im_start|>assistant\n" + first.Content + "<|im_end|>", prompt);

        var r = Run(chat, steer, second);
        // The first turn's prompt is still cached; its thinking is not part of the new prompt, so reuse stops there.
        Assert.Equal(firstPrompt, r.CachedPromptTokens);
        Assert.Equal(5, r.ReasoningTokens);

        // The reasoning of an assistant turn after the last user message (a tool-call step) is kept.
        var toolStep = new List<ChatMessage>
        {
            new("user", "Weather?"),
            new("assistant", "") { ReasoningContent = "I should call the tool", ToolCalls = [new ToolCall("1", "weather", "{}")] },
            new("tool", "sunny"),
        };
        Assert.Contains("<think>\nI should call the tool\n</think>", chat.RenderPrompt(new ChatRequest { Messages = toolStep }, out _));
    }
}
