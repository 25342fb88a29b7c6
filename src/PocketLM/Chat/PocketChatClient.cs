using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using PocketLM.Inference;
using PocketLM.Sampling;
using AI = Microsoft.Extensions.AI;

namespace PocketLM.Chat;

/// <summary>How a <see cref="PocketChatClient"/> runs its model.</summary>
public sealed record PocketChatClientOptions
{
    /// <summary>Context size and threads of each engine's session.</summary>
    public SessionOptions? Session { get; init; }
    /// <summary>Chat template; null = the model's own (ChatML when it has none).</summary>
    public ChatTemplate? Template { get; init; }
    /// <summary>Thinking budgets for each effort; null = <see cref="ReasoningBudgets.Default"/>.</summary>
    public ReasoningBudgets? Budgets { get; init; }
    /// <summary>
    /// How many requests run at once, each on its own engine and KV cache (memory: one KV cache per engine). Further
    /// requests wait for a free engine. Default 1.
    /// </summary>
    public int MaxConcurrency { get; init; } = 1;
    /// <summary>Reported as the model id; null = the model's name.</summary>
    public string? ModelId { get; init; }
    /// <summary>Called for each engine the client creates, e.g. to attach hooks to its session.</summary>
    public Action<ChatEngine>? EngineCreated { get; init; }
}

/// <summary>
/// A Microsoft.Extensions.AI <see cref="IChatClient"/> over a loaded <see cref="LanguageModel"/>. Thinking comes back as
/// <see cref="TextReasoningContent"/>, token counts as <see cref="UsageDetails"/> (reasoning tokens in
/// <see cref="UsageDetails.ReasoningTokenCount"/>, reused KV entries in <see cref="UsageDetails.CachedInputTokenCount"/>).
/// <para>
/// Options: Temperature, TopP, TopK, Seed, MaxOutputTokens, StopSequences, FrequencyPenalty, PresencePenalty, and the
/// reasoning effort from <see cref="ChatOptions.Reasoning"/> (None, Low, Medium, High; ExtraHigh = unbounded) or
/// <c>AdditionalProperties["reasoning_effort"]</c> ("none", "low", "medium", "high"); <c>AdditionalProperties</c> also
/// takes "think_budget" (tokens), "min_p" and "repeat_penalty". Only end-of-generation tokens, the template and the
/// caller's stop sequences end a reply.
/// </para>
/// <para>
/// Thread-safe: a pool of up to <see cref="PocketChatClientOptions.MaxConcurrency"/> <see cref="ChatEngine"/>s, each
/// used by one request at a time. A request goes to the idle engine whose cache shares the longest prefix with its
/// prompt (a fresh engine while the pool is not full and none shares anything), so each conversation keeps reusing its
/// cached turns. The model itself is not disposed with the client.
/// </para>
/// </summary>
public sealed class PocketChatClient : IChatClient
{
    private readonly LanguageModel _model;
    private readonly PocketChatClientOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly object _lock = new();
    private readonly List<ChatEngine> _idle = new();
    private readonly List<ChatEngine> _all = new();
    private readonly ChatEngine _renderer;
    private bool _disposed;

    public PocketChatClient(LanguageModel model, PocketChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _options = options ?? new PocketChatClientOptions();
        if (_options.MaxConcurrency < 1) throw new ArgumentException("MaxConcurrency must be at least 1", nameof(options));
        _slots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        _renderer = NewEngine();
        _idle.Add(_renderer);
        Metadata = new ChatClientMetadata("pocketlm", null, _options.ModelId ?? model.Name);
    }

    public ChatClientMetadata Metadata { get; }

    /// <summary>The engines created so far (at most <see cref="PocketChatClientOptions.MaxConcurrency"/>).</summary>
    public int EngineCount { get { lock (_lock) return _all.Count; } }

    private ChatEngine NewEngine()
    {
        var engine = new ChatEngine(_model, _options.Session, _options.Template, _options.Budgets);
        _all.Add(engine);
        _options.EngineCreated?.Invoke(engine);
        return engine;
    }

    /// <summary>The PocketLM request a conversation and options map to (exposed for inspection and tests).</summary>
    public ChatRequest ToRequest(IEnumerable<AI.ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = new List<ChatMessage>();
        if (!string.IsNullOrEmpty(options?.Instructions)) list.Add(new ChatMessage("system", options.Instructions));
        foreach (var m in messages) list.AddRange(Convert(m));
        var props = options?.AdditionalProperties;
        var defaults = new SamplerOptions();
        var sampling = new SamplerOptions
        {
            Temperature = options?.Temperature ?? defaults.Temperature,
            TopP = options?.TopP ?? defaults.TopP,
            TopK = options?.TopK ?? defaults.TopK,
            MinP = Number(props, "min_p") is { } minP ? (float)minP : defaults.MinP,
            RepeatPenalty = Number(props, "repeat_penalty") is { } rp ? (float)rp : defaults.RepeatPenalty,
            FrequencyPenalty = options?.FrequencyPenalty ?? 0,
            PresencePenalty = options?.PresencePenalty ?? 0,
            Seed = options?.Seed is long seed ? unchecked((ulong)seed) : null,
        };
        sampling.Validate();

        ReasoningEffort? effort = null;
        int? budget = null;
        if (options?.Reasoning?.Effort is { } e)
        {
            if (e == AI.ReasoningEffort.ExtraHigh) budget = -1;
            else effort = e switch
            {
                AI.ReasoningEffort.None => ReasoningEffort.None,
                AI.ReasoningEffort.Low => ReasoningEffort.Low,
                AI.ReasoningEffort.Medium => ReasoningEffort.Medium,
                _ => ReasoningEffort.High,
            };
        }
        if (props != null && props.TryGetValue("reasoning_effort", out object? re) && re != null)
        {
            effort = re switch
            {
                ReasoningEffort r => r,
                AI.ReasoningEffort r => ReasoningBudgets.Parse(r.ToString()) ?? ReasoningEffort.High,
                _ => ReasoningBudgets.Parse(re is JsonElement { ValueKind: JsonValueKind.String } j ? j.GetString() : re.ToString())
                     ?? throw new ArgumentException($"reasoning_effort must be none, low, medium or high, not '{re}'"),
            };
            budget = null;
        }
        if (Number(props, "think_budget") is { } tb) budget = (int)tb;
        int maxTokens = options?.MaxOutputTokens ?? -1;
        if (maxTokens < -1) throw new ArgumentException("MaxOutputTokens must not be negative");
        return new ChatRequest
        {
            Messages = list,
            Sampling = sampling,
            MaxTokens = maxTokens,
            ReasoningEffort = effort,
            ThinkBudget = budget,
            Stop = options?.StopSequences is { Count: > 0 } stops ? stops.ToArray() : null,
        };
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = ToRequest(messages, options);
        var engine = await RentAsync(request, cancellationToken).ConfigureAwait(false);
        ChatCompletion result;
        try
        {
            result = await Task.Run(() => engine.Complete(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Return(engine);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var contents = new List<AIContent>();
        if (result.Reasoning != null && options?.Reasoning?.Output != ReasoningOutput.None) contents.Add(new TextReasoningContent(result.Reasoning));
        contents.Add(new TextContent(result.Content));
        string id = NewId();
        return new ChatResponse(new AI.ChatMessage(ChatRole.Assistant, contents) { MessageId = id })
        {
            ResponseId = id,
            ModelId = Metadata.DefaultModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = Finish(result),
            Usage = Usage(result),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AI.ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = ToRequest(messages, options);
        bool showReasoning = options?.Reasoning?.Output != ReasoningOutput.None;
        var engine = await RentAsync(request, cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateUnbounded<ChatDelta>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var result = new ChatCompletion();
        // The engine runs on a pool thread and hands deltas over; abandoning the enumeration cancels it, and the engine
        // goes back to the pool only once it has stopped.
        var producer = Task.Run(() =>
        {
            try
            {
                foreach (var d in engine.Stream(request, result, stop.Token)) channel.Writer.TryWrite(d);
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
            finally
            {
                Return(engine);
            }
        }, CancellationToken.None);

        string id = NewId();
        var created = DateTimeOffset.UtcNow;
        ChatResponseUpdate Update(IList<AIContent> contents) => new(ChatRole.Assistant, contents)
        {
            ResponseId = id, MessageId = id, ModelId = Metadata.DefaultModelId, CreatedAt = created,
        };
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var d))
                {
                    if (d.Text.Length == 0) continue;
                    if (d.Channel == TextChannel.Reasoning)
                    {
                        if (showReasoning) yield return Update([new TextReasoningContent(d.Text)]);
                    }
                    else yield return Update([new TextContent(d.Text)]);
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            var last = Update([new UsageContent(Usage(result))]);
            last.FinishReason = Finish(result);
            yield return last;
        }
        finally
        {
            stop.Cancel();
            await producer.ConfigureAwait(false);
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey != null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType == typeof(LanguageModel)) return _model;
        return null;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var e in _all) e.Dispose();
        }
    }

    private async Task<ChatEngine> RentAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Rendering and tokenizing touch no session state, so any engine can do it while others are busy.
        int[] prompt = _renderer.Tokenize(_renderer.RenderPrompt(request, out _));
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_disposed)
            {
                _slots.Release();
                throw new ObjectDisposedException(nameof(PocketChatClient));
            }
            ChatEngine? best = null;
            int bestShared = 0;
            foreach (var e in _idle)
            {
                int shared = SharedPrefix(e.Session.Tokens, prompt);
                if (best == null || shared > bestShared) { best = e; bestShared = shared; }
            }
            if ((best == null || bestShared == 0) && _all.Count < _options.MaxConcurrency) best = NewEngine();
            else _idle.Remove(best!);
            return best!;
        }
    }

    private void Return(ChatEngine engine)
    {
        lock (_lock) _idle.Add(engine);
        _slots.Release();
    }

    private static int SharedPrefix(IReadOnlyList<int> cached, int[] prompt)
    {
        int n = Math.Min(cached.Count, prompt.Length), i = 0;
        while (i < n && cached[i] == prompt[i]) i++;
        return i;
    }

    private static readonly JsonSerializerOptions Compact = MakeCompact();

    private static JsonSerializerOptions MakeCompact()
    {
        var o = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions) { WriteIndented = false };
        o.MakeReadOnly();
        return o;
    }

    private static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N");

    private static ChatFinishReason Finish(ChatCompletion r) => r.FinishReason == "length" ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(ChatCompletion r) => new()
    {
        InputTokenCount = r.PromptTokens,
        OutputTokenCount = r.CompletionTokens,
        TotalTokenCount = r.PromptTokens + r.CompletionTokens,
        CachedInputTokenCount = r.CachedPromptTokens,
        ReasoningTokenCount = r.ReasoningTokens,
    };

    private static double? Number(AdditionalPropertiesDictionary? props, string key)
    {
        if (props == null || !props.TryGetValue(key, out object? v) || v == null) return null;
        return v switch
        {
            JsonElement { ValueKind: JsonValueKind.Number } j => j.GetDouble(),
            JsonElement { ValueKind: JsonValueKind.String } j when double.TryParse(j.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
            IConvertible c when v is not string => c.ToDouble(CultureInfo.InvariantCulture),
            _ => throw new ArgumentException($"{key} must be a number, not '{v}'"),
        };
    }

    /// <summary>One M.E.AI message as PocketLM messages: text and reasoning joined, function calls as tool calls, each
    /// function result as its own tool message.</summary>
    private static IEnumerable<ChatMessage> Convert(AI.ChatMessage m)
    {
        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        List<ToolCall>? calls = null;
        var results = new List<ChatMessage>();
        foreach (var c in m.Contents)
        {
            switch (c)
            {
                case TextContent t: text.Append(t.Text); break;
                case TextReasoningContent r: reasoning.Append(r.Text); break;
                case FunctionCallContent f:
                    (calls ??= []).Add(new ToolCall(f.CallId, f.Name, JsonSerializer.Serialize(f.Arguments ?? new Dictionary<string, object?>(), Compact.GetTypeInfo(typeof(IDictionary<string, object?>)))));
                    break;
                case FunctionResultContent fr:
                    results.Add(new ChatMessage("tool", fr.Result switch
                    {
                        null => "",
                        string s => s,
                        JsonElement j => j.ValueKind == JsonValueKind.String ? j.GetString() : j.GetRawText(),
                        var o => JsonSerializer.Serialize(o, Compact.GetTypeInfo(typeof(object))),
                    }) { ToolCallId = fr.CallId });
                    break;
            }
        }
        if (text.Length > 0 || reasoning.Length > 0 || calls != null || results.Count == 0)
            yield return new ChatMessage(m.Role.Value, text.ToString())
            {
                ReasoningContent = reasoning.Length > 0 ? reasoning.ToString() : null,
                ToolCalls = calls,
                Name = m.AuthorName,
            };
        foreach (var r in results) yield return r;
    }
}
