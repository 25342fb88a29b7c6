using Xunit;
using System.ClientModel;
using System.Text;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Sampling;
using ChatMessage = OpenAI.Chat.ChatMessage;
using ChatCompletion = OpenAI.Chat.ChatCompletion;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;
using ChatResponse = Microsoft.Extensions.AI.ChatResponse;

namespace PocketLM.Tests.Server;

/// <summary>The official OpenAI .NET SDK (and Microsoft.Extensions.AI over it) against the server, unchanged but for endpoint and key.</summary>
[Collection("Server")]
public sealed class OpenAISdkTests(ServerFixture fixture)
{
    private ChatClient Client(string? key = null, string model = ServerFixture.ModelId) =>
        new(model, new ApiKeyCredential(key ?? ServerFixture.Key), new OpenAIClientOptions { Endpoint = fixture.OpenAIEndpoint, NetworkTimeout = TimeSpan.FromSeconds(60) });

    private static ChatCompletionOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokenCount = maxTokens };

    [Fact]
    public async Task ChatCompletion_NonStreaming_ReturnsTextUsageAndFinishReason()
    {
        ChatCompletion c = await Client().CompleteChatAsync(
            [new SystemChatMessage("You tell stories."), new UserChatMessage("Tell me about a cat.")], Greedy(24));
        Assert.Equal(ChatMessageRole.Assistant, c.Role);
        Assert.False(string.IsNullOrEmpty(c.Content[0].Text));
        Assert.Equal(ServerFixture.ModelId, c.Model);
        Assert.StartsWith("chatcmpl-", c.Id);
        Assert.True(c.Usage.InputTokenCount > 10);
        Assert.InRange(c.Usage.OutputTokenCount, 1, 24);
        Assert.Equal(c.Usage.InputTokenCount + c.Usage.OutputTokenCount, c.Usage.TotalTokenCount);
        Assert.Equal(c.Usage.OutputTokenCount == 24 ? ChatFinishReason.Length : ChatFinishReason.Stop, c.FinishReason);
    }

    [Fact]
    public async Task ChatCompletion_Streaming_MatchesNonStreamingAndReportsUsage()
    {
        var client = Client();
        ChatMessage[] messages = [new UserChatMessage("Once there was a dog.")];
        ChatCompletion whole = await client.CompleteChatAsync(messages, Greedy(30));
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync(messages, Greedy(30)))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(whole.FinishReason, finish);
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
    }

    [Fact]
    public async Task Logprobs_ComeWithEachTokenAndTheAskedAlternatives()
    {
        var options = Greedy(12);
        options.IncludeLogProbabilities = true;
        options.TopLogProbabilityCount = 3;
        ChatCompletion c = await Client().CompleteChatAsync([new UserChatMessage("A bird sang.")], options);
        var lps = c.ContentTokenLogProbabilities;
        Assert.Equal(c.Usage.OutputTokenCount, lps.Count);
        foreach (var lp in lps)
        {
            Assert.True(lp.LogProbability <= 0);
            Assert.Equal(3, lp.TopLogProbabilities.Count);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(lp.TopLogProbabilities[0].LogProbability, lp.LogProbability, 4);
            Assert.Equal(lp.Token, Encoding.UTF8.GetString(lp.Utf8Bytes!.Value.Span));
        }
        Assert.Equal(c.Content[0].Text, string.Concat(lps.Select(l => l.Token)).TrimStart(' '));
    }

    [Fact]
    public async Task SamePromptTwice_ReusesTheCachedPrefix()
    {
        var client = Client();
        ChatMessage[] messages = [new UserChatMessage("The little robot wanted a friend.")];
        await client.CompleteChatAsync(messages, Greedy(4));
        ChatCompletion second = await client.CompleteChatAsync(messages, Greedy(4));
        Assert.Equal(second.Usage.InputTokenCount - 1, second.Usage.InputTokenDetails.CachedTokenCount);
    }

    [Fact]
    public async Task Seed_MakesSamplingReproducible()
    {
        var client = Client();
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK
        var options = new ChatCompletionOptions { Temperature = 0.9f, Seed = 1234, MaxOutputTokenCount = 20 };
#pragma warning restore OPENAI001
        ChatMessage[] messages = [new UserChatMessage("Sing a song.")];
        string a = (await client.CompleteChatAsync(messages, options)).Value.Content[0].Text;
        string b = (await client.CompleteChatAsync(messages, options)).Value.Content[0].Text;
        Assert.Equal(a, b);
    }

    [Fact]
    public async Task ModelsList_NamesTheServedModel()
    {
        var models = new OpenAIModelClient(new ApiKeyCredential(ServerFixture.Key), new OpenAIClientOptions { Endpoint = fixture.OpenAIEndpoint });
        OpenAIModelCollection list = await models.GetModelsAsync();
        Assert.Equal(ServerFixture.ModelId, Assert.Single(list).Id);
        OpenAIModel one = await models.GetModelAsync(ServerFixture.ModelId);
        Assert.Equal("pocketlm", one.OwnedBy);
    }

    [Fact]
    public async Task Errors_SurfaceAsClientResultExceptions()
    {
        var wrongModel = await Assert.ThrowsAsync<ClientResultException>(() => Client(model: "gpt-4o").CompleteChatAsync([new UserChatMessage("hi")], Greedy(2)));
        Assert.Equal(404, wrongModel.Status);
        Assert.Contains("model_not_found", wrongModel.Message);
        var wrongKey = await Assert.ThrowsAsync<ClientResultException>(() => Client(key: "not-the-key").CompleteChatAsync([new UserChatMessage("hi")], Greedy(2)));
        Assert.Equal(401, wrongKey.Status);
    }

    [Fact]
    public async Task MicrosoftExtensionsAI_ChatClient_Works()
    {
        IChatClient chat = Client().AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 20 };
        ChatResponse response = await chat.GetResponseAsync("Tell me about the sun.", options);
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(ServerFixture.ModelId, response.ModelId);
        Assert.NotNull(response.Usage);
        Assert.InRange(response.Usage.OutputTokenCount ?? 0, 1, 20);

        var streamed = new StringBuilder();
        await foreach (var update in chat.GetStreamingResponseAsync("Tell me about the sun.", options)) streamed.Append(update.Text);
        Assert.Equal(response.Text, streamed.ToString());
    }

    [Fact]
    public async Task SixteenConcurrentStreams_GiveTheSameGreedyTextAsOneClientAlone()
    {
        const int clients = 16, maxTokens = 24;
        string[] prompts = Enumerable.Range(0, clients).Select(i => $"Story number {i}: a {Animals[i % Animals.Length]} went to the park.").ToArray();

        // Reference: one chat engine, one request at a time, with the slots' settings (context 512, one thread).
        var reference = new string[clients];
        using (var engine = new ChatEngine(fixture.Model, new SessionOptions { ContextSize = ServerFixture.Context, Threads = 1 }))
            for (int i = 0; i < clients; i++)
                reference[i] = engine.Complete(new ChatRequest
                {
                    Messages = [new PocketLM.Chat.ChatMessage("user", prompts[i])], Sampling = SamplerOptions.Greedy, MaxTokens = maxTokens,
                }).Content;

        var client = Client();
        async Task<string> StreamOne(string prompt)
        {
            var sb = new StringBuilder();
            await foreach (var u in client.CompleteChatStreamingAsync([new UserChatMessage(prompt)], Greedy(maxTokens)))
                foreach (var part in u.ContentUpdate) sb.Append(part.Text);
            return sb.ToString();
        }

        var alone = new string[clients];
        for (int i = 0; i < clients; i++) alone[i] = await StreamOne(prompts[i]);
        string[] together = await Task.WhenAll(prompts.Select(p => Task.Run(() => StreamOne(p))));

        Assert.Equal(reference, alone);
        Assert.Equal(reference, together);
        Assert.True(reference.Distinct().Count() > 1, "the prompts should not all give the same text");
    }

    private static readonly string[] Animals = ["cat", "dog", "bird", "fish", "frog", "bear", "duck", "lion"];
}
