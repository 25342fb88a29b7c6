using PocketLM.Gguf;

namespace PocketLM.Models;

/// <summary>How RoPE pairs dimensions: adjacent pairs (Llama's GGUF layout) or the two halves of a head (GPT-NeoX, Qwen).</summary>
public enum RopeStyle { Normal, NeoX }

/// <summary>A model's hyper-parameters, read from the GGUF metadata under the architecture's prefix.</summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }
    public required int ContextLength { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int BlockCount { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int HeadCount { get; init; }
    public required int KvHeadCount { get; init; }
    /// <summary>Size of each query/key head (<c>attention.key_length</c>, else embedding / heads).</summary>
    public required int HeadDim { get; init; }
    /// <summary>Size of each value head (<c>attention.value_length</c>, else the key size).</summary>
    public required int ValueHeadDim { get; init; }
    public required float RopeBase { get; init; }
    /// <summary>How many dimensions of each head RoPE rotates (the rest pass through unchanged).</summary>
    public required int RopeDimCount { get; init; }
    /// <summary>Positions are divided by this factor (linear rope scaling); 1 when unscaled.</summary>
    public float RopeLinearScale { get; init; } = 1f;
    public required RopeStyle RopeStyle { get; init; }
    public required float RmsEpsilon { get; init; }
    public required int VocabSize { get; init; }

    public int QueryWidth => HeadCount * HeadDim;
    public int KeyWidth => KvHeadCount * HeadDim;
    public int ValueWidth => KvHeadCount * ValueHeadDim;

    /// <summary>Reads the hyper-parameters for <paramref name="family"/>; missing required keys are a clear error.</summary>
    public static ModelConfig FromGguf(GgufFile file, ModelFamily family)
    {
        string arch = family.Architecture;
        int Required(string key)
        {
            long? v = file.GetInteger($"{arch}.{key}");
            if (v is null) throw new ModelLoadException($"{file.Name}: metadata key '{arch}.{key}' is missing");
            if (v <= 0 || v > int.MaxValue) throw new ModelLoadException($"{file.Name}: metadata key '{arch}.{key}' has invalid value {v}");
            return (int)v;
        }
        int? Optional(string key) => file.GetInteger($"{arch}.{key}") is long v && v > 0 && v <= int.MaxValue ? (int)v : null;

        int embd = Required("embedding_length");
        int heads = Required("attention.head_count");
        int kvHeads = Optional("attention.head_count_kv") ?? heads;
        if (file.GetArray($"{arch}.attention.head_count_kv") is { } perLayer)
            throw new ModelLoadException($"{file.Name}: per-layer KV head counts ({perLayer}) are not supported");
        if (heads % kvHeads != 0)
            throw new ModelLoadException($"{file.Name}: {heads} attention heads cannot be grouped over {kvHeads} KV heads");
        int headDim = Optional("attention.key_length") ?? embd / heads;
        int vocab = Optional("vocab_size") ?? file.GetArray("tokenizer.ggml.tokens")?.Count
            ?? (int?)file.FindTensor("token_embd.weight")?.Dimensions[1]
            ?? throw new ModelLoadException($"{file.Name}: cannot tell the vocabulary size");

        float linearScale = 1f;
        string? scalingType = file.GetString($"{arch}.rope.scaling.type");
        double? factor = file.GetNumber($"{arch}.rope.scaling.factor");
        if (scalingType == "linear" && factor is > 0) linearScale = (float)factor.Value;
        else if (scalingType is not (null or "none" or "linear") && scalingType != "llama3")
            throw new ModelLoadException($"{file.Name}: rope scaling type '{scalingType}' is not supported");

        return new ModelConfig
        {
            Architecture = arch,
            ContextLength = Optional("context_length") ?? 2048,
            EmbeddingLength = embd,
            BlockCount = Required("block_count"),
            FeedForwardLength = Required("feed_forward_length"),
            HeadCount = heads,
            KvHeadCount = kvHeads,
            HeadDim = headDim,
            ValueHeadDim = Optional("attention.value_length") ?? headDim,
            RopeBase = (float)(file.GetNumber($"{arch}.rope.freq_base") ?? 10000.0),
            RopeDimCount = Optional("rope.dimension_count") ?? headDim,
            RopeLinearScale = linearScale,
            RopeStyle = family.RopeStyle,
            RmsEpsilon = (float)(file.GetNumber($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5),
            VocabSize = vocab,
        };
    }
}

/// <summary>A model file that is valid GGUF but cannot be run (unknown architecture, missing tensor, wrong shape…).</summary>
public sealed class ModelLoadException(string message) : Exception(message);
