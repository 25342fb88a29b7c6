using Xunit;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PocketLM.Tests.Server;

/// <summary>The HTTP surface with a plain HttpClient: completions, llama-server's utility routes, errors, auth, metrics, logs.</summary>
[Collection("Server")]
public sealed class HttpApiTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Http;

    private static object Chat(string content, int maxTokens = 8, object? extra = null)
    {
        var d = new Dictionary<string, object?>
        {
            ["model"] = ServerFixture.ModelId,
            ["messages"] = new[] { new { role = "user", content } },
            ["temperature"] = 0,
            ["max_tokens"] = maxTokens,
        };
        if (extra != null)
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject()) d[p.Name] = p.Value;
        return d;
    }

    private static void AssertError(int expectedStatus, (int Status, JsonElement Json, HttpResponseMessage _) r, string? param = null, string? code = null)
    {
        Assert.Equal(expectedStatus, r.Status);
        var error = r.Json.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out var p));
        Assert.True(error.TryGetProperty("code", out var c));
        if (param != null) Assert.Equal(param, p.GetString());
        if (code != null) Assert.Equal(code, c.GetString());
    }

    [Fact]
    public async Task Completions_RawPrompt_NonStreamingAndStreamingAgree()
    {
        var body = new { model = ServerFixture.ModelId, prompt = "Once upon a time", temperature = 0, max_tokens = 20, logprobs = 2 };
        var r = await Api.PostAsync(Client, "v1/completions", body);
        Assert.Equal(200, r.Status);
        Assert.Equal("text_completion", r.Json.GetProperty("object").GetString());
        var choice = r.Json.GetProperty("choices")[0];
        string text = choice.GetProperty("text").GetString()!;
        Assert.StartsWith(", there was", text); // TinyStories
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var lp = choice.GetProperty("logprobs");
        Assert.Equal(20, lp.GetProperty("tokens").GetArrayLength());
        Assert.Equal(20, lp.GetProperty("token_logprobs").GetArrayLength());
        Assert.Equal(2, lp.GetProperty("top_logprobs")[0].EnumerateObject().Count());
        Assert.Equal(20, r.Json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var s = await Client.PostAsync("v1/completions", Api.Body(new { prompt = "Once upon a time", temperature = 0, max_tokens = 20, stream = true, stream_options = new { include_usage = true } }));
        Assert.Equal("text/event-stream", s.Content.Headers.ContentType!.MediaType);
        var (events, done) = Api.ParseEvents(await s.Content.ReadAsStringAsync());
        Assert.True(done);
        string streamed = string.Concat(events.Where(e => e.GetProperty("choices").GetArrayLength() > 0)
            .Select(e => e.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(text, streamed);
        Assert.Equal(20, events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Completions_StopStringsEndTheText()
    {
        var r = await Api.PostAsync(Client, "v1/completions", new { prompt = "Once upon a time", temperature = 0, max_tokens = 40, stop = new[] { "Lily" } });
        Assert.Equal(200, r.Status);
        var choice = r.Json.GetProperty("choices")[0];
        Assert.Equal(", there was a little girl named ", choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var t = await Api.PostAsync(Client, "v1/completions", new { prompt = new[] { 1, 403 }, temperature = 0, max_tokens = 3 });
        Assert.Equal(200, t.Status);
        Assert.Equal(2, t.Json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Chat_StreamingDeltasEndWithDone()
    {
        var s = await Client.PostAsync("v1/chat/completions", Api.Body(Chat("Hello there", 10, new { stream = true })));
        Assert.Equal(HttpStatusCode.OK, s.StatusCode);
        var (events, done) = Api.ParseEvents(await s.Content.ReadAsStringAsync());
        Assert.True(done);
        Assert.All(events, e => Assert.Equal("chat.completion.chunk", e.GetProperty("object").GetString()));
        Assert.Equal("assistant", events[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("length", events[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.False(events[^1].TryGetProperty("usage", out _)); // not asked for
    }

    [Fact]
    public async Task Chat_AcceptsToolRolesAndToolCalls()
    {
        var body = new
        {
            messages = new object[]
            {
                new { role = "system", content = "You can call tools." },
                new { role = "user", content = "Weather in Paris?" },
                new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = "call_1", type = "function", function = new { name = "weather", arguments = "{\"city\":\"Paris\"}" } } } },
                new { role = "tool", tool_call_id = "call_1", content = "sunny" },
            },
            tools = new[] { new { type = "function", function = new { name = "weather", parameters = new { type = "object" } } } },
            temperature = 0, max_tokens = 4, unknown_field = new { whatever = 1 },
        };
        var r = await Api.PostAsync(Client, "v1/chat/completions", body);
        Assert.Equal(200, r.Status);
        var t = await Api.PostAsync(Client, "apply-template", body);
        Assert.Equal(200, t.Status);
        string prompt = t.Json.GetProperty("prompt").GetString()!;
        Assert.Contains("<|im_start|>tool\nsunny<|im_end|>", prompt);
        Assert.EndsWith("<|im_start|>assistant\n", prompt);
    }

    [Fact]
    public async Task TokenizeDetokenize_RoundTrip()
    {
        var t = await Api.PostAsync(Client, "tokenize", new { content = "Once upon a time", with_pieces = true });
        Assert.Equal(200, t.Status);
        var tokens = t.Json.GetProperty("tokens").EnumerateArray().ToArray();
        Assert.Equal("Once", tokens[0].GetProperty("piece").GetString());
        var ids = tokens.Select(x => x.GetProperty("id").GetInt32()).ToArray();
        var plain = await Api.PostAsync(Client, "tokenize", new { content = "Once upon a time", add_special = true });
        Assert.Equal(new[] { 1 }.Concat(ids), plain.Json.GetProperty("tokens").EnumerateArray().Select(x => x.GetInt32()));
        var d = await Api.PostAsync(Client, "detokenize", new { tokens = ids });
        Assert.Equal("Once upon a time", d.Json.GetProperty("content").GetString());
        AssertError(400, await Api.PostAsync(Client, "detokenize", new { tokens = new[] { 999999 } }), "tokens");
    }

    [Fact]
    public async Task Reasoning_ContentAppearsInMessageAndDeltas()
    {
        var http = fixture.ThinkingHttp;
        // No effort: the template leaves the thinking block open and the model never closes it.
        var open = await Api.PostAsync(http, "v1/chat/completions", Chat("Think about cats.", 12));
        Assert.Equal(200, open.Status);
        var msg = open.Json.GetProperty("choices")[0].GetProperty("message");
        Assert.False(string.IsNullOrEmpty(msg.GetProperty("reasoning_content").GetString()));
        Assert.Equal("", msg.GetProperty("content").GetString());
        var usage = open.Json.GetProperty("usage");
        Assert.Equal(12, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());

        // Low effort: a budget of 8 thinking tokens, then the block is closed and the answer follows.
        var low = await Api.PostAsync(http, "v1/chat/completions", Chat("Think about dogs.", 40, new { reasoning_effort = "low" }));
        Assert.Equal(8, low.Json.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.False(string.IsNullOrEmpty(low.Json.GetProperty("choices")[0].GetProperty("message").GetProperty("reasoning_content").GetString()));

        // None: no thinking at all.
        var none = await Api.PostAsync(http, "v1/chat/completions", Chat("Think about birds.", 10, new { reasoning_effort = "none" }));
        Assert.False(none.Json.GetProperty("choices")[0].GetProperty("message").TryGetProperty("reasoning_content", out _));
        Assert.Equal(0, none.Json.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());

        // Streaming: reasoning_content deltas (DeepSeek's convention), then content deltas.
        var s = await http.PostAsync("v1/chat/completions", Api.Body(Chat("Think about dogs.", 40, new { reasoning_effort = "low", stream = true })));
        var (events, done) = Api.ParseEvents(await s.Content.ReadAsStringAsync());
        Assert.True(done);
        var deltas = events.Select(e => e.GetProperty("choices")[0].GetProperty("delta")).ToList();
        string reasoning = string.Concat(deltas.Select(d => d.TryGetProperty("reasoning_content", out var r) ? r.GetString() : ""));
        string content = string.Concat(deltas.Select(d => d.TryGetProperty("content", out var c) ? c.GetString() : ""));
        var lowMsg = low.Json.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(lowMsg.GetProperty("reasoning_content").GetString(), reasoning.Trim('\n'));
        Assert.Equal(lowMsg.GetProperty("content").GetString(), content);
    }

    [Fact]
    public async Task BadRequests_GetOpenAIErrorBodies_AndTheServerStaysHealthy()
    {
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Api.Raw("{\"messages\": [")), code: "invalid_json");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Api.Raw("")), code: "invalid_json");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Api.Raw("[1,2]")), code: "invalid_json");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", new { messages = "hello" }), "messages");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", new { messages = Array.Empty<object>() }), "messages");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", new { messages = new[] { new { role = "wizard", content = "x" } } }), "messages");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { temperature = "hot" })), "temperature");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { temperature = 7 })), "temperature");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { top_p = 1.5 })), "top_p");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { max_tokens = "many" })), "max_tokens");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { max_completion_tokens = 0 })), "max_completion_tokens");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { stop = 5 })), "stop");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { n = 2 })), "n");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { stream = "yes" })), "stream");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { top_logprobs = 2 })), "top_logprobs");
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat("x", 4, new { reasoning_effort = "extreme" })), "reasoning_effort");
        AssertError(404, await Api.PostAsync(Client, "v1/chat/completions", new { model = "gpt-4o", messages = new[] { new { role = "user", content = "x" } } }), "model", "model_not_found");
        AssertError(400, await Api.PostAsync(Client, "v1/completions", new { prompt = 42 }), "prompt");
        AssertError(400, await Api.PostAsync(Client, "v1/completions", new { prompt = new[] { "a", "b" } }), "prompt");

        string longText = string.Join(' ', Enumerable.Repeat("The cat sat on the mat.", 200));
        AssertError(400, await Api.PostAsync(Client, "v1/chat/completions", Chat(longText)), "messages", "context_length_exceeded");
        AssertError(400, await Api.PostAsync(Client, "v1/completions", new { prompt = longText }), "prompt", "context_length_exceeded");

        var notFound = await Client.GetAsync("v1/engines");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("not_found", JsonDocument.Parse(await notFound.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Client.GetAsync("v1/chat/completions")).StatusCode);

        // 9 MiB: over the 8 MiB limit. Refused before the upload (the client waits for 100-continue, as curl does).
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Api.Body(Chat(new string('a', 9 * 1024 * 1024))) };
        request.Headers.ExpectContinue = true;
        var response = await Client.SendAsync(request);
        AssertError(413, ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone(), response), code: "request_too_large");

        var (status, health) = await Api.GetAsync(Client, "health");
        Assert.Equal(200, status);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(200, (await Api.PostAsync(Client, "v1/chat/completions", Chat("Still there?", 4))).Status);
    }

    [Fact]
    public async Task ApiKey_IsRequiredEverywhereButHealth()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Main.BaseAddress };
        AssertError(401, await Api.PostAsync(anonymous, "v1/chat/completions", Chat("x")), code: "invalid_api_key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health")).StatusCode);

        using var wrong = new HttpClient { BaseAddress = fixture.Main.BaseAddress };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFixture.Key + "x");
        AssertError(401, await Api.PostAsync(wrong, "v1/chat/completions", Chat("x")), code: "invalid_api_key");
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", ServerFixture.Key);
        AssertError(401, await Api.PostAsync(wrong, "v1/chat/completions", Chat("x")), code: "invalid_api_key");
    }

    [Fact]
    public async Task Metrics_AreInPrometheusFormat()
    {
        await Api.PostAsync(Client, "v1/chat/completions", Chat("Count me.", 3));
        var response = await Client.GetAsync("metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Matches(@"pocket_requests_total\{route=""/v1/chat/completions"",status=""200""\} [1-9]", text);
        Assert.Matches(@"\npocket_completion_tokens_total [1-9]", text);
        Assert.Matches(@"\npocket_prompt_tokens_total [1-9]", text);
        Assert.Contains("\npocket_slots 4\n", text);
        Assert.Contains("\npocket_queue_depth ", text);
        Assert.Contains("\npocket_slots_busy ", text);
        Assert.Contains("\npocket_tokens_per_second ", text);
        Assert.Contains("# TYPE pocket_requests_total counter", text);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.Matches(@"^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[0-9.eE+-]+)$", line);
    }

    [Fact]
    public async Task RequestLogs_HaveCountsButNoText()
    {
        const string secret = "zebra-umbrella-secret";
        var r = await Api.PostAsync(Client, "v1/chat/completions", Chat(secret, 6));
        string id = r.Response.Headers.GetValues("X-Request-Id").Single();
        var line = await fixture.MainLog.RequestLineAsync(id);
        Assert.Equal("/v1/chat/completions", line.GetProperty("route").GetString());
        Assert.Equal(200, line.GetProperty("status").GetInt32());
        Assert.Equal(ServerFixture.ModelId, line.GetProperty("model").GetString());
        Assert.True(line.GetProperty("prompt_tokens").GetInt32() > 5);
        Assert.Equal(6, line.GetProperty("completion_tokens").GetInt32());
        Assert.True(line.GetProperty("duration_ms").GetDouble() > 0);
        string answer = r.Json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        string all = string.Join('\n', fixture.MainLog.Lines);
        Assert.DoesNotContain(secret, all);
        if (answer.Length >= 8) Assert.DoesNotContain(answer, all);
        Assert.Contains(fixture.MainLog.Lines, l => l.Contains("\"event\":\"template\"") && l.Contains("ChatML"));
    }
}
