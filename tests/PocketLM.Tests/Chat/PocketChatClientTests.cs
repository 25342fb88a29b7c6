using Microsoft.Extensions.AI;
using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Sampling;
using Xunit;
using AI = Microsoft.Extensions.AI;
using PChat = PocketLM.Chat;

namespace PocketLM.Tests.Chat;

public class PocketChatClientTests
{
    private static readonly SessionOptions Small = new() { ContextSize = 512, Threads = 2 };

    private static ChatOptions Greedy(int max = 16) => new() { Temperature = 0, MaxOutputTokens = max };

    private static List<AI.ChatMessage> Ask(string text) => [new(ChatRole.User, text)];

    [Fact]
    public async Task GetResponseAsyncMatchesTheEngine()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var client = new PocketChatClient(model, new PocketChatClientOptions { Session = Small });
        var response = await client.GetResponseAsync(Ask("Once upon a time"), Greedy());

        using var engine = new ChatEngine(model, Small);
        var expected = engine.Complete(new ChatRequest { Messages = [new PChat.ChatMessage("user", "Once upon a time")], Sampling = SamplerOptions.Greedy, MaxTokens = 16 });
        Assert.Equal(expected.Content, response.Text);
        Assert.NotEmpty(response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.DoesNotContain(response.Messages[0].Contents, c => c is TextReasoningContent);
        Assert.Equal(expected.PromptTokens, response.Usage!.InputTokenCount);
        Assert.Equal(16, response.Usage.OutputTokenCount);
        Assert.Equal(expected.PromptTokens + 16, response.Usage.TotalTokenCount);
        Assert.Equal(0, response.Usage.ReasoningTokenCount);
        Assert.Equal(model.Name, response.ModelId);
        Assert.Same(client, client.GetService<PocketChatClient>());
        Assert.Equal("pocketlm", client.GetService<ChatClientMetadata>()!.ProviderName);
    }

    [Fact]
    public async Task StreamingUpdatesAddUpToTheResponse()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var client = new PocketChatClient(model, new PocketChatClientOptions { Session = Small });
        var whole = await client.GetResponseAsync(Ask("Once upon a time"), Greedy(20));
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(Ask("Once upon a time"), Greedy(20))) updates.Add(u);
        Assert.True(updates.Count > 2);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Length, last.FinishReason);
        var usage = Assert.IsType<UsageContent>(Assert.Single(last.Contents)).Details;
        Assert.Equal(20, usage.OutputTokenCount);
        Assert.All(updates, u => Assert.Equal(updates[0].ResponseId, u.ResponseId));

        var merged = updates.ToChatResponse();
        Assert.Equal(whole.Text, merged.Text);
        Assert.Equal(20, merged.Usage!.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, merged.FinishReason);
    }

    [Fact]
    public async Task StopSequencesEndTheReply()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var client = new PocketChatClient(model, new PocketChatClientOptions { Session = Small });
        string full = (await client.GetResponseAsync(Ask("Once upon a time"), Greedy(40))).Text;
        int at = full.IndexOf(' ', 10);
        Assert.True(at > 0, full);
        string stop = full.Substring(at, 3);
        var options = Greedy(40);
        options.StopSequences = [stop];
        var r = await client.GetResponseAsync(Ask("Once upon a time"), options);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], r.Text);
        Assert.Equal(ChatFinishReason.Stop, r.FinishReason);
    }

    [Fact]
    public void OptionsMapToTheRequest()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var client = new PocketChatClient(model, new PocketChatClientOptions { Session = Small });
        var options = new ChatOptions
        {
            Instructions = "Be brief.", Temperature = 0.5f, TopP = 0.9f, TopK = 20, Seed = 42, MaxOutputTokens = 99, StopSequences = ["END"],
            FrequencyPenalty = 0.25f, PresencePenalty = 0.5f, Reasoning = new ReasoningOptions { Effort = AI.ReasoningEffort.Low },
            AdditionalProperties = new() { ["min_p"] = 0.1, ["repeat_penalty"] = "1.1" },
        };
        var history = new List<AI.ChatMessage>
        {
            new(ChatRole.System, "You are a storyteller."),
            new(ChatRole.User, "Hi"),
            new(ChatRole.Assistant, [new TextReasoningContent("greet back"), new TextContent("Hello!")]),
            new(ChatRole.Assistant, [new FunctionCallContent("c1", "weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]),
            new(ChatRole.Tool, [new FunctionResultContent("c1", "sunny")]),
        };
        var r = client.ToRequest(history, options);
        Assert.Equal(["system", "system", "user", "assistant", "assistant", "tool"], r.Messages.Select(m => m.Role));
        Assert.Equal("Be brief.", r.Messages[0].Content);
        Assert.Equal("greet back", r.Messages[3].ReasoningContent);
        Assert.Equal("Hello!", r.Messages[3].Content);
        Assert.Equal(new ToolCall("c1", "weather", "{\"city\":\"Oslo\"}"), r.Messages[4].ToolCalls!.Single());
        Assert.Equal(("sunny", "c1"), (r.Messages[5].Content, r.Messages[5].ToolCallId));
        var s = r.Sampling;
        Assert.Equal((0.5f, 0.9f, 20, 42ul, 0.25f, 0.5f), (s.Temperature, s.TopP, s.TopK, s.Seed!.Value, s.FrequencyPenalty, s.PresencePenalty));
        Assert.Equal(0.1f, s.MinP, 1e-6f);
        Assert.Equal(1.1f, s.RepeatPenalty, 1e-6f);
        Assert.Equal(99, r.MaxTokens);
        Assert.Equal(["END"], r.Stop!);
        Assert.Equal(PChat.ReasoningEffort.Low, r.ReasoningEffort);
        Assert.Null(r.ThinkBudget);

        // The additional property wins over ChatOptions.Reasoning; ExtraHigh is unbounded; think_budget is exact.
        options.AdditionalProperties["reasoning_effort"] = "medium";
        Assert.Equal(PChat.ReasoningEffort.Medium, client.ToRequest(history, options).ReasoningEffort);
        var extra = new ChatOptions { Reasoning = new ReasoningOptions { Effort = AI.ReasoningEffort.ExtraHigh } };
        Assert.Equal(-1, client.ToRequest(history, extra).ThinkBudget);
        extra.AdditionalProperties = new() { ["think_budget"] = 128 };
        Assert.Equal(128, client.ToRequest(history, extra).ThinkBudget);
        // Defaults are the engine's sampler defaults, with no stop strings of our own.
        var plain = client.ToRequest(Ask("Hi"));
        Assert.Equal(new SamplerOptions(), plain.Sampling);
        Assert.Null(plain.Stop);
        Assert.Equal(-1, plain.MaxTokens);
        Assert.Throws<ArgumentException>(() => client.ToRequest(Ask("Hi"), new ChatOptions { AdditionalProperties = new() { ["reasoning_effort"] = "extreme" } }));
        Assert.Throws<ArgumentException>(() => client.ToRequest(Ask("Hi"), new ChatOptions { Temperature = -1 }));
    }

    [Fact]
    public async Task ConcurrentConversationsEachKeepTheirCache()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var client = new PocketChatClient(model, new PocketChatClientOptions { Session = Small, MaxConcurrency = 2 });
        using var reference = new PocketChatClient(model, new PocketChatClientOptions { Session = Small });
        var a = Ask("Once upon a time");
        var b = Ask("The little dog");
        var results = await Task.WhenAll(client.GetResponseAsync(a, Greedy()), client.GetResponseAsync(b, Greedy()));
        Assert.Equal(2, client.EngineCount);
        Assert.Equal((await reference.GetResponseAsync(a, Greedy())).Text, results[0].Text);
        Assert.Equal((await reference.GetResponseAsync(b, Greedy())).Text, results[1].Text);

        // Second turns, again at once: each goes to the engine holding its conversation and reuses it.
        a.AddMessages(results[0]);
        a.Add(new AI.ChatMessage(ChatRole.User, "What next?"));
        b.AddMessages(results[1]);
        b.Add(new AI.ChatMessage(ChatRole.User, "Go on."));
        var second = await Task.WhenAll(client.GetResponseAsync(a, Greedy(8)), client.GetResponseAsync(b, Greedy(8)));
        Assert.True(second[0].Usage!.CachedInputTokenCount >= results[0].Usage!.InputTokenCount, $"A reused {second[0].Usage!.CachedInputTokenCount}");
        Assert.True(second[1].Usage!.CachedInputTokenCount >= results[1].Usage!.InputTokenCount, $"B reused {second[1].Usage!.CachedInputTokenCount}");
        Assert.Equal(2, client.EngineCount);

        // More requests than engines wait their turn.
        var many = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.GetResponseAsync(Ask("Once upon a time"), Greedy(4))));
        Assert.All(many, r => Assert.Equal(many[0].Text, r.Text));
        Assert.Equal(2, client.EngineCount);
    }

    [Fact]
    public async Task CancellingStopsTheReplyAndFreesTheEngine()
    {
        using var model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        using var client = new PocketChatClient(model, new PocketChatClientOptions { Session = Small });
        using var cts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var u in client.GetStreamingResponseAsync(Ask("Once upon a time"), Greedy(400), cts.Token))
                if (++seen == 3) cts.Cancel();
        });
        Assert.True(seen >= 3);
        // Breaking out of the enumeration early also gives the engine back.
        await foreach (var u in client.GetStreamingResponseAsync(Ask("Once upon a time"), Greedy(400))) break;
        var r = await client.GetResponseAsync(Ask("Once upon a time"), Greedy(4));
        Assert.Equal(4, r.Usage!.OutputTokenCount);
        Assert.Equal(1, client.EngineCount);
    }

    [Fact]
    public async Task ThinkingComesBackAsReasoningContent()
    {
        if (SteeredQwen3.Path is not { } path) return;   // offline: see NpmTokenizerFixtures
        using var model = LanguageModel.Load(path);
        var steer = new Steering(model.Tokenizer);
        using var client = new PocketChatClient(model, new PocketChatClientOptions
        {
            Session = Small,
            Budgets = new ReasoningBudgets(Low: 6, Medium: 10, High: 14),
            EngineCreated = e => steer.Attach(e.Session),
        });
        using var renderer = new ChatEngine(model, new SessionOptions { ContextSize = 64, Threads = 1 });
        int PromptLength(ChatOptions o) => renderer.Tokenize(renderer.RenderPrompt(client.ToRequest(Ask("Six times seven?"), o), out _)).Length;

        var options = new ChatOptions { Temperature = 0, Reasoning = new ReasoningOptions { Effort = AI.ReasoningEffort.Low } };
        steer.Begin(PromptLength(options));
        var r = await client.GetResponseAsync(Ask("Six times seven?"), options);
        var contents = r.Messages.Single().Contents;
        var reasoning = Assert.IsType<TextReasoningContent>(contents[0]);
        Assert.Equal(string.Concat(Enumerable.Repeat(steer.FillerText, 5)), reasoning.Text);
        Assert.Equal(steer.AnswerText, r.Text);   // Text is the answer only
        Assert.Equal(6, r.Usage!.ReasoningTokenCount);
        Assert.Equal(6 + steer.Answer.Length, r.Usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Stop, r.FinishReason);   // ended by <|im_end|>, an end-of-generation token

        options = new ChatOptions { Temperature = 0, AdditionalProperties = new() { ["reasoning_effort"] = "medium" } };
        steer.Begin(PromptLength(options));
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(Ask("Six times seven?"), options)) updates.Add(u);
        string streamedReasoning = string.Concat(updates.SelectMany(u => u.Contents).OfType<TextReasoningContent>().Select(c => c.Text));
        Assert.Equal(string.Concat(Enumerable.Repeat(steer.FillerText, 9)).Trim('\n'), streamedReasoning.Trim('\n'));
        Assert.Equal(steer.AnswerText, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(10, updates.ToChatResponse().Usage!.ReasoningTokenCount);

        // Reasoning.Output = None hides the thinking but still counts it.
        options = new ChatOptions { Temperature = 0, Reasoning = new ReasoningOptions { Effort = AI.ReasoningEffort.Low, Output = ReasoningOutput.None } };
        steer.Begin(PromptLength(options));
        r = await client.GetResponseAsync(Ask("Six times seven?"), options);
        Assert.DoesNotContain(r.Messages[0].Contents, c => c is TextReasoningContent);
        Assert.Equal(6, r.Usage!.ReasoningTokenCount);
    }
}
