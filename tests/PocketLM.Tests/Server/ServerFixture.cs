using Xunit;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Server;

namespace PocketLM.Tests.Server;

[CollectionDefinition("Server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;

/// <summary>
/// Servers shared by the server tests, on 127.0.0.1 with a free port: the main one (stories260K, 4 slots, a queue of 32,
/// an API key, context 512) and one whose chat template opens a thinking block (no key, tiny thinking budgets).
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string Key = "test-key-0123456789";
    public const string ModelId = "stories260K";
    public const int Context = 512;

    /// <summary>ChatML whose generation prompt opens a thinking block, as DeepSeek-R1's does.</summary>
    public const string ThinkingTemplate =
        @"{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endfor %}" +
        @"{% if add_generation_prompt %}{{ '<|im_start|>assistant\n<think>\n' }}{% endif %}";

    public LanguageModel Model { get; private set; } = null!;
    public PocketServer Main { get; private set; } = null!;
    public PocketServer Thinking { get; private set; } = null!;
    public LogCapture MainLog { get; } = new();
    public HttpClient Http { get; private set; } = null!;
    public HttpClient ThinkingHttp { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Model = LanguageModel.Load(Fixtures.Model("stories260K.gguf"));
        Main = await PocketServer.StartAsync(new ServerOptions
        {
            Model = Model, Port = 0, Slots = 4, QueueSize = 32, ContextSize = Context, Threads = 4, ApiKey = Key, Log = MainLog,
        });
        Thinking = await PocketServer.StartAsync(new ServerOptions
        {
            Model = Model, Port = 0, Slots = 1, ContextSize = Context, Threads = 1, ChatTemplate = ThinkingTemplate,
            ReasoningBudgets = new ReasoningBudgets(Low: 8, Medium: 16, High: 32), Log = TextWriter.Null,
        });
        Http = new HttpClient { BaseAddress = Main.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        ThinkingHttp = new HttpClient { BaseAddress = Thinking.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        ThinkingHttp.Dispose();
        await Main.DisposeAsync();
        await Thinking.DisposeAsync();
        Model.Dispose();
    }

    /// <summary>The OpenAI SDK's base address for this server ("…/v1").</summary>
    public Uri OpenAIEndpoint => new(Main.BaseAddress, "v1");
}

/// <summary>A log writer tests can read while the server writes to it.</summary>
public sealed class LogCapture : TextWriter
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _partial = new();

    public override Encoding Encoding => Encoding.UTF8;
    public IReadOnlyList<string> Lines => _lines.ToArray();

    public override void WriteLine(string? value) => _lines.Enqueue(value ?? "");

    public override void Write(char value)
    {
        lock (_partial)
        {
            if (value == '\n') { _lines.Enqueue(_partial.ToString()); _partial.Clear(); }
            else if (value != '\r') _partial.Append(value);
        }
    }

    /// <summary>The request log line of a response's X-Request-Id, waiting for it briefly (it is written after the response).</summary>
    public async Task<JsonElement> RequestLineAsync(string id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            foreach (string line in _lines)
            {
                if (!line.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal)) continue;
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty("event").GetString() == "request") return doc.RootElement.Clone();
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no log line for {id}");
            await Task.Delay(20);
        }
    }
}

internal static class Api
{
    public static StringContent Body(object value) =>
        new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    public static StringContent Raw(string text) => new(text, Encoding.UTF8, "application/json");

    public static async Task<(int Status, JsonElement Json, HttpResponseMessage Response)> PostAsync(HttpClient client, string path, HttpContent body)
    {
        var response = await client.PostAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement json = default;
        if (text.Length > 0 && (text[0] == '{' || text[0] == '[')) json = JsonDocument.Parse(text).RootElement.Clone();
        return ((int)response.StatusCode, json, response);
    }

    public static Task<(int Status, JsonElement Json, HttpResponseMessage Response)> PostAsync(HttpClient client, string path, object body) =>
        PostAsync(client, path, Body(body));

    public static async Task<(int Status, JsonElement Json)> GetAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    /// <summary>The JSON payloads of a server-sent event stream, up to (not including) [DONE]; Done tells whether it came.</summary>
    public static (List<JsonElement> Events, bool Done) ParseEvents(string sse)
    {
        var events = new List<JsonElement>();
        foreach (string line in sse.Split('\n'))
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            string data = line[6..].Trim();
            if (data == "[DONE]") return (events, true);
            events.Add(JsonDocument.Parse(data).RootElement.Clone());
        }
        return (events, false);
    }
}
