using PocketLM.Models;
using PocketLM.Tensors;

namespace PocketLM.Inference;

/// <summary>How a session is sized. Zero means "choose": the context defaults to min(model context, 4096).</summary>
public sealed record SessionOptions
{
    public int ContextSize { get; init; }
    /// <summary>Compute threads (the calling thread included); 0 = one per physical core (<see cref="CpuTopology.DefaultThreads"/>).</summary>
    public int Threads { get; init; }
    /// <summary>
    /// Most tokens one forward pass processes; longer prompts run in chunks of this size. It plays llama.cpp's n_ubatch
    /// (default 512 there too): a chunk of 64 or more tokens takes llama.cpp's tiled attention, so the logits match a
    /// llama.cpp run with the same micro-batch size.
    /// </summary>
    public int BatchSize { get; init; } = 512;
    /// <summary>
    /// Type of the K cache, as llama.cpp's <c>--cache-type-k</c>: F16 (default, as llama.cpp: half the memory, and
    /// llama.cpp's flash-attention numerics), Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 or BF16 (less memory again, the numerics of
    /// llama.cpp with that cache type), or F32 for both K and V (plain softmax attention in full precision, as llama.cpp
    /// with an F32 cache and flash attention off). See <see cref="KvCache"/>.
    /// </summary>
    public GgmlType KeyCacheType { get; init; } = GgmlType.F16;
    /// <summary>Type of the V cache (<c>--cache-type-v</c>); the same choices as <see cref="KeyCacheType"/>.</summary>
    public GgmlType ValueCacheType { get; init; } = GgmlType.F16;
    /// <summary>
    /// Rotate queries, keys and values by a Hadamard matrix around a quantized K or V cache, as llama.cpp does by
    /// default for head sizes that are a multiple of 64 (less quantization error; false = its LLAMA_ATTN_ROT_DISABLE=1).
    /// </summary>
    public bool RotateQuantizedCache { get; init; } = true;
    /// <summary>Sets <see cref="KeyCacheType"/> and <see cref="ValueCacheType"/> together; reads the K type.</summary>
    public GgmlType KvCacheType
    {
        get => KeyCacheType;
        init { KeyCacheType = value; ValueCacheType = value; }
    }
    /// <summary>
    /// The thread count of the llama.cpp run whose numerics long decodes reproduce: past 256 cells llama.cpp splits a
    /// one-token decode's attention into one chunk per thread (see <see cref="Attention.F16Split"/>), so its output then
    /// depends on its thread count. 0 = <see cref="Threads"/> when that is set, else max(cores / 2, 1), which is what
    /// LLamaSharp picks by default and what llama.cpp's tools pick on CPUs with two threads per core.
    /// </summary>
    public int LlamaCppThreads { get; init; }

    /// <summary>The llama.cpp thread count these options stand for (see <see cref="LlamaCppThreads"/>).</summary>
    public int EffectiveLlamaCppThreads =>
        LlamaCppThreads > 0 ? LlamaCppThreads : Threads > 0 ? Threads : Math.Max(Environment.ProcessorCount / 2, 1);
}

/// <summary>A prompt or generation that would not fit the session's context.</summary>
public sealed class ContextOverflowException(string message) : InvalidOperationException(message);

/// <summary>
/// One stream of tokens through a model: its KV cache, buffers and hook points. Prefill runs a prompt as matrix
/// products, Decode adds one token; an unchanged prompt prefix can be kept across turns. Not thread-safe.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    public const int DefaultContext = 4096;
    private readonly Transformer _transformer;
    private readonly List<int> _tokens = new();

    internal InferenceSession(LanguageModel model, SessionOptions options)
    {
        Model = model;
        int ctx = options.ContextSize > 0 ? options.ContextSize : Math.Min(model.Config.ContextLength, DefaultContext);
        if (options.ContextSize < 0) throw new ArgumentOutOfRangeException(nameof(options), "context size must be positive");
        int threads = options.Threads > 0 ? options.Threads : CpuTopology.DefaultThreads;
        int batch = Math.Clamp(options.BatchSize, 1, ctx);
        if (options.LlamaCppThreads < 0) throw new ArgumentOutOfRangeException(nameof(options), "LlamaCppThreads must be 0 (auto) or positive");
        if (KvCache.Check(options.KeyCacheType, options.ValueCacheType, model.Config.HeadDim, model.Config.ValueHeadDim) is { } cacheError)
            throw new ArgumentException(cacheError);
        _transformer = new Transformer(model.Config, model.Weights, ctx, batch, threads, options.KeyCacheType, options.ValueCacheType,
                                       options.EffectiveLlamaCppThreads, options.RotateQuantizedCache);
        _tokens.Capacity = ctx;
    }

    public LanguageModel Model { get; }
    public int ContextSize => _transformer.ContextSize;
    public int Threads => _transformer.Compute.Pool.Threads;
    /// <summary>How many tokens the KV cache holds.</summary>
    public int Position => _tokens.Count;
    public IReadOnlyList<int> Tokens => _tokens;
    public HookRegistry Hooks => _transformer.Hooks;
    public long KvCacheBytes => _transformer.Cache.Bytes;
    public GgmlType KeyCacheType => _transformer.Cache.KeyType;
    public GgmlType ValueCacheType => _transformer.Cache.ValueType;

    /// <summary>Logits of the last token processed.</summary>
    public ReadOnlySpan<float> Logits => _transformer.LastLogits;

    /// <summary>Appends <paramref name="tokens"/> and returns the logits of the last one.</summary>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length == 0) throw new ArgumentException("nothing to prefill: the prompt has no tokens", nameof(tokens));
        EnsureRoom(tokens.Length);
        for (int at = 0; at < tokens.Length; at += _transformer.MaxBatch)
        {
            var chunk = tokens.Slice(at, Math.Min(_transformer.MaxBatch, tokens.Length - at));
            _transformer.Forward(chunk, _tokens.Count);
            foreach (int t in chunk) _tokens.Add(t);
        }
        return Logits;
    }

    /// <summary>Like <see cref="Prefill"/>, but returns logits for every token ([tokens × vocab]); the prompt must fit one batch.</summary>
    public ReadOnlySpan<float> PrefillAllLogits(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length == 0 || tokens.Length > _transformer.MaxBatch)
            throw new ArgumentException($"all-logits prefill takes 1..{_transformer.MaxBatch} tokens", nameof(tokens));
        EnsureRoom(tokens.Length);
        _transformer.Forward(tokens, _tokens.Count, allLogits: true);
        foreach (int t in tokens) _tokens.Add(t);
        return _transformer.Logits;
    }

    /// <summary>Appends one token and returns its logits. Allocates nothing.</summary>
    public ReadOnlySpan<float> Decode(int token)
    {
        EnsureRoom(1);
        _transformer.Forward(new ReadOnlySpan<int>(in token), _tokens.Count);
        _tokens.Add(token);
        return Logits;
    }

    /// <summary>
    /// Keeps the longest cached prefix shared with <paramref name="prompt"/> (at most prompt.Length − 1 tokens, so the
    /// caller still evaluates the last one and gets fresh logits) and drops the rest. Returns how many tokens were kept.
    /// </summary>
    public int ReusePrefix(ReadOnlySpan<int> prompt)
    {
        int keep = 0, limit = Math.Min(_tokens.Count, prompt.Length - 1);
        while (keep < limit && _tokens[keep] == prompt[keep]) keep++;
        TruncateTo(keep);
        return keep;
    }

    /// <summary>Forgets every token from <paramref name="length"/> on (their cache entries are overwritten later).</summary>
    public void TruncateTo(int length)
    {
        if (length < 0 || length > _tokens.Count) throw new ArgumentOutOfRangeException(nameof(length));
        _tokens.RemoveRange(length, _tokens.Count - length);
    }

    public void Reset() => _tokens.Clear();

    private void EnsureRoom(int more)
    {
        if (_tokens.Count + more > ContextSize)
            throw new ContextOverflowException(_tokens.Count == 0
                ? $"the prompt has {more} tokens but the context holds {ContextSize}"
                : $"{_tokens.Count} tokens in context + {more} more exceed the context size of {ContextSize}");
    }

    public void Dispose() => _transformer.Dispose();
}
