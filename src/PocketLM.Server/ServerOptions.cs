using PocketLM.Chat;
using PocketLM.Inference;

namespace PocketLM.Server;

/// <summary>How a <see cref="PocketServer"/> is set up. Defaults are the safe ones: loopback only, no key, 8 MiB bodies.</summary>
public sealed record ServerOptions
{
    /// <summary>A GGUF file to load (ignored when <see cref="Model"/> is given).</summary>
    public string? ModelPath { get; init; }
    /// <summary>An already loaded model; the server does not dispose it.</summary>
    public LanguageModel? Model { get; init; }
    /// <summary>The id clients use in "model" (default: the file name without .gguf).</summary>
    public string? ModelId { get; init; }
    /// <summary>Address to bind: an IP address or "localhost". Default 127.0.0.1 (loopback only).</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>Port to bind; 0 picks a free one (see <see cref="PocketServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Requests generated at the same time; each slot has its own KV cache of <see cref="ContextSize"/> tokens.</summary>
    public int Slots { get; init; } = 1;
    /// <summary>Requests that may wait for a slot; more get 503 with Retry-After.</summary>
    public int QueueSize { get; init; } = 32;
    /// <summary>Context per slot; 0 = min(model context, 4096).</summary>
    public int ContextSize { get; init; }
    /// <summary>Total compute threads (0 = one per core), split evenly across the slots (at least one each).</summary>
    public int Threads { get; init; }
    /// <summary>K and V cache types of every slot (see <see cref="PocketLM.Inference.SessionOptions.KeyCacheType"/>).</summary>
    public PocketLM.Tensors.GgmlType KeyCacheType { get; init; } = PocketLM.Tensors.GgmlType.F16;
    public PocketLM.Tensors.GgmlType ValueCacheType { get; init; } = PocketLM.Tensors.GgmlType.F16;
    /// <summary>Bearer key every route but /health requires; null = open.</summary>
    public string? ApiKey { get; init; }
    /// <summary>Jinja chat template text overriding the model's own (null: the model's, else ChatML).</summary>
    public string? ChatTemplate { get; init; }
    /// <summary>Thinking budgets behind reasoning_effort low/medium/high.</summary>
    public ReasoningBudgets? ReasoningBudgets { get; init; }
    /// <summary>Largest request body accepted (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; init; } = 8 * 1024 * 1024;
    /// <summary>Where the structured logs go (one JSON object a line); default stderr. Prompts and completions are never logged.</summary>
    public TextWriter? Log { get; init; }
    /// <summary>Seconds a client is told to wait (Retry-After) when the queue is full.</summary>
    public int RetryAfterSeconds { get; init; } = 1;
}
