using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using PocketLM.Gguf;
using PocketLM.Tensors;

namespace PocketLM.Models;

/// <summary>
/// Llama 3's rope frequency scaling (HF <c>rope_scaling</c> with <c>rope_type: "llama3"</c>). GGUF converters turn it
/// into per-frequency divisors stored as <c>rope_freqs.weight</c>; <see cref="SyntheticModel"/> does the same.
/// </summary>
public sealed record Llama3RopeScaling(float Factor, float LowFreqFactor, float HighFreqFactor, int OriginalContextLength)
{
    /// <summary>The divisors convert_hf_to_gguf.py writes: 1 for short wavelengths, <see cref="Factor"/> for long ones,
    /// a smooth blend between (one per rotated pair: ropeDims / 2 values).</summary>
    public float[] RopeFactors(int ropeDims, float ropeBase)
    {
        double lowWavelen = OriginalContextLength / (double)LowFreqFactor;
        double highWavelen = OriginalContextLength / (double)HighFreqFactor;
        var factors = new float[ropeDims / 2];
        for (int i = 0; i < factors.Length; i++)
        {
            double freq = 1.0 / Math.Pow(ropeBase, 2.0 * i / ropeDims);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) factors[i] = 1f;
            else if (wavelen > lowWavelen) factors[i] = Factor;
            else
            {
                double smooth = (OriginalContextLength / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                factors[i] = (float)(1.0 / ((1 - smooth) / Factor + smooth));
            }
        }
        return factors;
    }
}

/// <summary>
/// The shape of a decoder-only model (llama / qwen2 / qwen3): everything <see cref="SyntheticModel"/> needs to write a
/// random-weight GGUF of it. Presets reproduce real models' hyper-parameters; <see cref="TestShapes"/> are tiny shapes
/// for differential tests (every matrix row a multiple of 256 so k-quants apply).
/// </summary>
public sealed record SyntheticShape
{
    public required string Name { get; init; }
    /// <summary>GGUF <c>general.architecture</c>: llama, qwen2 or qwen3.</summary>
    public required string Architecture { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int BlockCount { get; init; }
    public required int HeadCount { get; init; }
    public required int KvHeadCount { get; init; }
    /// <summary>Query/key/value head size; null means EmbeddingLength / HeadCount. When it differs from that,
    /// <c>attention.key_length</c> and <c>attention.value_length</c> are written.</summary>
    public int? HeadDim { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int VocabSize { get; init; }
    public int ContextLength { get; init; } = 2048;
    public float RopeBase { get; init; } = 10000f;
    public float RmsEpsilon { get; init; } = 1e-5f;
    /// <summary>No <c>output.weight</c>: the unembedding is the token embedding.</summary>
    public bool TiedEmbeddings { get; init; }
    /// <summary>Llama 3 rope scaling, written as <c>rope_freqs.weight</c> (llama only).</summary>
    public Llama3RopeScaling? RopeScaling { get; init; }

    public int EffectiveHeadDim => HeadDim ?? EmbeddingLength / HeadCount;

    /// <summary>Weights in the model (matrices, norms, biases, rope factors).</summary>
    public long ParameterCount
    {
        get
        {
            long d = EmbeddingLength, hd = EffectiveHeadDim, q = HeadCount * hd, kv = KvHeadCount * hd, ff = FeedForwardLength;
            long perLayer = d * q + 2 * d * kv + q * d + 3 * d * ff + 2 * d;
            if (Architecture == "qwen2") perLayer += q + 2 * kv;
            if (Architecture == "qwen3") perLayer += 2 * hd;
            long total = perLayer * BlockCount + (long)VocabSize * d * (TiedEmbeddings ? 1 : 2) + d;
            if (RopeScaling is not null) total += hd / 2;
            return total;
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> for a shape no engine could run.</summary>
    public void Validate()
    {
        if (Architecture is not ("llama" or "qwen2" or "qwen3"))
            throw new ArgumentException($"{Name}: architecture '{Architecture}' is not one of llama, qwen2, qwen3");
        if (EmbeddingLength <= 0 || BlockCount <= 0 || HeadCount <= 0 || KvHeadCount <= 0 || FeedForwardLength <= 0 || ContextLength <= 0)
            throw new ArgumentException($"{Name}: sizes must be positive");
        if (HeadCount % KvHeadCount != 0)
            throw new ArgumentException($"{Name}: {HeadCount} heads cannot be grouped over {KvHeadCount} KV heads");
        if (EffectiveHeadDim <= 0 || EffectiveHeadDim % 2 != 0)
            throw new ArgumentException($"{Name}: head size {EffectiveHeadDim} must be positive and even");
        if (HeadDim is null && EmbeddingLength % HeadCount != 0)
            throw new ArgumentException($"{Name}: embedding {EmbeddingLength} is not a multiple of {HeadCount} heads; give HeadDim");
        if (VocabSize < SyntheticModel.MinVocabSize)
            throw new ArgumentException($"{Name}: vocabulary of {VocabSize} is smaller than the {SyntheticModel.MinVocabSize} special and byte tokens");
        if (RopeScaling is not null && Architecture != "llama")
            throw new ArgumentException($"{Name}: rope_freqs (Llama 3 rope scaling) is only written for llama");
    }

    // ---- Real models. Hyper-parameters from each model's Hugging Face config.json (huggingface.co/<repo>/blob/main/config.json):
    // HuggingFaceTB/SmolLM2-135M, HuggingFaceTB/SmolLM2-360M, Qwen/Qwen2.5-0.5B, Qwen/Qwen2.5-1.5B, Qwen/Qwen3-0.6B,
    // meta-llama/Llama-3.2-1B, meta-llama/Llama-3.2-3B (hidden_size, num_hidden_layers, num_attention_heads,
    // num_key_value_heads, head_dim, intermediate_size, vocab_size, max_position_embeddings, rope_theta, rms_norm_eps,
    // tie_word_embeddings, rope_scaling). All seven tie their embeddings.

    public static SyntheticShape SmolLM2_135M { get; } = new()
    {
        Name = "SmolLM2-135M", Architecture = "llama", EmbeddingLength = 576, BlockCount = 30, HeadCount = 9, KvHeadCount = 3,
        FeedForwardLength = 1536, VocabSize = 49152, ContextLength = 8192, RopeBase = 100000f, RmsEpsilon = 1e-5f, TiedEmbeddings = true,
    };

    public static SyntheticShape SmolLM2_360M { get; } = new()
    {
        Name = "SmolLM2-360M", Architecture = "llama", EmbeddingLength = 960, BlockCount = 32, HeadCount = 15, KvHeadCount = 5,
        FeedForwardLength = 2560, VocabSize = 49152, ContextLength = 8192, RopeBase = 100000f, RmsEpsilon = 1e-5f, TiedEmbeddings = true,
    };

    public static SyntheticShape Qwen25_05B { get; } = new()
    {
        Name = "Qwen2.5-0.5B", Architecture = "qwen2", EmbeddingLength = 896, BlockCount = 24, HeadCount = 14, KvHeadCount = 2,
        FeedForwardLength = 4864, VocabSize = 151936, ContextLength = 32768, RopeBase = 1000000f, RmsEpsilon = 1e-6f, TiedEmbeddings = true,
    };

    public static SyntheticShape Qwen25_15B { get; } = new()
    {
        Name = "Qwen2.5-1.5B", Architecture = "qwen2", EmbeddingLength = 1536, BlockCount = 28, HeadCount = 12, KvHeadCount = 2,
        FeedForwardLength = 8960, VocabSize = 151936, ContextLength = 131072, RopeBase = 1000000f, RmsEpsilon = 1e-6f, TiedEmbeddings = true,
    };

    /// <summary>Qwen3-0.6B: head_dim 128 with 16 heads over a 1024-wide model (queries are 2048 wide).</summary>
    public static SyntheticShape Qwen3_06B { get; } = new()
    {
        Name = "Qwen3-0.6B", Architecture = "qwen3", EmbeddingLength = 1024, BlockCount = 28, HeadCount = 16, KvHeadCount = 8, HeadDim = 128,
        FeedForwardLength = 3072, VocabSize = 151936, ContextLength = 40960, RopeBase = 1000000f, RmsEpsilon = 1e-6f, TiedEmbeddings = true,
    };

    public static SyntheticShape Llama32_1B { get; } = new()
    {
        Name = "Llama-3.2-1B", Architecture = "llama", EmbeddingLength = 2048, BlockCount = 16, HeadCount = 32, KvHeadCount = 8, HeadDim = 64,
        FeedForwardLength = 8192, VocabSize = 128256, ContextLength = 131072, RopeBase = 500000f, RmsEpsilon = 1e-5f, TiedEmbeddings = true,
        RopeScaling = new Llama3RopeScaling(32f, 1f, 4f, 8192),
    };

    public static SyntheticShape Llama32_3B { get; } = new()
    {
        Name = "Llama-3.2-3B", Architecture = "llama", EmbeddingLength = 3072, BlockCount = 28, HeadCount = 24, KvHeadCount = 8, HeadDim = 128,
        FeedForwardLength = 8192, VocabSize = 128256, ContextLength = 131072, RopeBase = 500000f, RmsEpsilon = 1e-5f, TiedEmbeddings = true,
        RopeScaling = new Llama3RopeScaling(32f, 1f, 4f, 8192),
    };

    public static IReadOnlyList<SyntheticShape> Presets { get; } =
        [SmolLM2_135M, SmolLM2_360M, Qwen25_05B, Qwen25_15B, Qwen3_06B, Llama32_1B, Llama32_3B];

    // ---- Small shapes for differential tests: d_model 256, every row length (256, d_ff, heads·head_dim) a multiple of
    // 256, two layers, a 320-token vocabulary (3 special + 256 byte + 61 pieces).

    /// <summary>llama, multi-head attention (4 of 64), untied output, Llama 3 rope factors (rope_freqs.weight) chosen so
    /// that all three regimes (1, blended, factor) occur over the 32 frequencies.</summary>
    public static SyntheticShape TestLlamaMha { get; } = new()
    {
        Name = "llama-mha-untied-ropefreqs", Architecture = "llama", EmbeddingLength = 256, BlockCount = 2, HeadCount = 4, KvHeadCount = 4,
        FeedForwardLength = 512, VocabSize = 320, ContextLength = 256, RopeBase = 10000f, TiedEmbeddings = false,
        RopeScaling = new Llama3RopeScaling(8f, 1f, 4f, 64),
    };

    /// <summary>llama, multi-query attention (8 query heads of 32 over one KV head), tied output, d_ff 768.</summary>
    public static SyntheticShape TestLlamaMqa { get; } = new()
    {
        Name = "llama-mqa-tied", Architecture = "llama", EmbeddingLength = 256, BlockCount = 2, HeadCount = 8, KvHeadCount = 1,
        FeedForwardLength = 768, VocabSize = 320, ContextLength = 256, RopeBase = 10000f, TiedEmbeddings = true,
    };

    /// <summary>qwen2 (Q/K/V biases, NeoX rope), grouped-query attention (8 heads over 2), untied output.</summary>
    public static SyntheticShape TestQwen2Gqa { get; } = new()
    {
        Name = "qwen2-gqa-untied", Architecture = "qwen2", EmbeddingLength = 256, BlockCount = 2, HeadCount = 8, KvHeadCount = 2,
        FeedForwardLength = 512, VocabSize = 320, ContextLength = 256, RopeBase = 1000000f, RmsEpsilon = 1e-6f, TiedEmbeddings = false,
    };

    /// <summary>qwen3 (per-head Q/K RMSNorm, NeoX rope), head size 128 ≠ 256/4 (queries 512 wide), GQA 4 over 2, tied.</summary>
    public static SyntheticShape TestQwen3WideHeads { get; } = new()
    {
        Name = "qwen3-gqa-hd128-tied", Architecture = "qwen3", EmbeddingLength = 256, BlockCount = 2, HeadCount = 4, KvHeadCount = 2, HeadDim = 128,
        FeedForwardLength = 512, VocabSize = 320, ContextLength = 256, RopeBase = 1000000f, RmsEpsilon = 1e-6f, TiedEmbeddings = true,
    };

    public static IReadOnlyList<SyntheticShape> TestShapes { get; } = [TestLlamaMha, TestLlamaMqa, TestQwen2Gqa, TestQwen3WideHeads];

    /// <summary>A preset or test shape by name (case-insensitive), or null.</summary>
    public static SyntheticShape? Find(string name) =>
        Presets.Concat(TestShapes).FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    public override string ToString() =>
        $"{Name} ({Architecture}, d={EmbeddingLength}, L={BlockCount}, heads={HeadCount}/{KvHeadCount}x{EffectiveHeadDim}, ff={FeedForwardLength}, vocab={VocabSize}{(TiedEmbeddings ? ", tied" : "")}{(RopeScaling is null ? "" : ", rope_freqs")})";
}

/// <summary>How <see cref="SyntheticModel"/> fills the tensors.</summary>
public sealed record SyntheticOptions
{
    /// <summary>Type of every 2-D matrix: F32, F16 or BF16. Norms, biases and rope factors are always F32.</summary>
    public GgmlType WeightType { get; init; } = GgmlType.F32;
    public ulong Seed { get; init; } = 1;
    /// <summary>Standard deviation of the logits (the unembedding's scale × √d). Large enough that the top token usually
    /// leads the runner-up by a clear margin, so greedy decoding is robust to rounding.</summary>
    public float LogitScale { get; init; } = 4f;
    /// <summary>
    /// A real vocabulary to write instead of the synthetic one: <c>tokenizer.*</c> metadata (from
    /// <c>HuggingFaceTokenizer.ToGgufMetadata</c> or <see cref="SyntheticModel.VocabularyFrom"/>). Its token count
    /// must equal the shape's <see cref="SyntheticShape.VocabSize"/>; other keys are ignored.
    /// </summary>
    public IReadOnlyDictionary<string, GgufValue>? Vocabulary { get; init; }
}

/// <summary>
/// Writes random-weight GGUF models of a <see cref="SyntheticShape"/> that both PocketLM and llama.cpp load: weights
/// N(0, 1/fan_in) so activations stay near unit scale through any depth (RMSNorm before every sub-layer), norm weights
/// 1 ± 0.1, Qwen2 biases N(0, 0.5²), an unembedding scaled so logits have a clear spread (control tokens' rows damped),
/// and a minimal SentencePiece
/// vocabulary (&lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte tokens, then letter pieces). Deterministic for a given seed:
/// each tensor has its own generator seeded from (seed, tensor name), so tensors can be produced in any order.
/// Tensors are generated lazily while the file is written, so even the large presets need memory for one tensor only.
/// </summary>
public static class SyntheticModel
{
    /// <summary>&lt;unk&gt;, &lt;s&gt;, &lt;/s&gt; and the 256 byte tokens.</summary>
    public const int MinVocabSize = 3 + 256;
    public const int UnknownId = 0, BosId = 1, EosId = 2;

    /// <summary>Writes the model to <paramref name="path"/>.</summary>
    public static void Write(SyntheticShape shape, string path, SyntheticOptions? options = null) =>
        Build(shape, options).Write(path);

    /// <summary>A writer holding the metadata and (lazily generated) tensors of the model.</summary>
    public static GgufWriter Build(SyntheticShape shape, SyntheticOptions? options = null)
    {
        shape.Validate();
        var o = options ?? new SyntheticOptions();
        if (o.WeightType is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
            throw new ArgumentException($"synthetic weights are written as F32, F16 or BF16, not {o.WeightType} (quantize afterwards)");

        string arch = shape.Architecture;
        int d = shape.EmbeddingLength, hd = shape.EffectiveHeadDim, ff = shape.FeedForwardLength, vocab = shape.VocabSize;
        int qWidth = shape.HeadCount * hd, kvWidth = shape.KvHeadCount * hd;

        var w = new GgufWriter()
            .Set("general.architecture", arch)
            .Set("general.name", $"synthetic {shape.Name}")
            .Set("general.file_type", o.WeightType switch { GgmlType.F16 => 1u, GgmlType.BF16 => 32u, _ => 0u })
            .Set($"{arch}.context_length", (uint)shape.ContextLength)
            .Set($"{arch}.embedding_length", (uint)d)
            .Set($"{arch}.block_count", (uint)shape.BlockCount)
            .Set($"{arch}.feed_forward_length", (uint)ff)
            .Set($"{arch}.attention.head_count", (uint)shape.HeadCount)
            .Set($"{arch}.attention.head_count_kv", (uint)shape.KvHeadCount)
            .Set($"{arch}.rope.freq_base", shape.RopeBase)
            .Set($"{arch}.rope.dimension_count", (uint)hd)
            .Set($"{arch}.attention.layer_norm_rms_epsilon", shape.RmsEpsilon)
            .Set($"{arch}.vocab_size", (uint)vocab);
        if (hd * shape.HeadCount != d)
        {
            w.Set($"{arch}.attention.key_length", (uint)hd);
            w.Set($"{arch}.attention.value_length", (uint)hd);
        }
        if (o.Vocabulary is { } real)
        {
            int count = real.TryGetValue("tokenizer.ggml.tokens", out var t) && t.Value is GgufArray a ? a.Count
                : throw new ArgumentException("the vocabulary has no tokenizer.ggml.tokens");
            if (count != vocab) throw new ArgumentException($"{shape.Name}: the vocabulary has {count} tokens but the shape {vocab}");
            foreach (var (key, value) in real)
                if (key.StartsWith("tokenizer.", StringComparison.Ordinal)) w.Set(key, value);
        }
        else AddVocabulary(w, vocab);

        float logitStd = o.LogitScale / MathF.Sqrt(d);
        void Matrix(string name, int cols, int rows, float std) =>
            AddLazy(w, name, o.WeightType, [cols, rows], () => Gaussian(o.Seed, name, (long)cols * rows, 0f, std));
        void Norm(string name, int length) =>
            AddLazy(w, name, GgmlType.F32, [length], () => Gaussian(o.Seed, name, length, 1f, 0.1f));
        void Bias(string name, int length) =>
            AddLazy(w, name, GgmlType.F32, [length], () => Gaussian(o.Seed, name, length, 0f, 0.5f));

        // Untied: embeddings of unit scale (the first RMSNorm rescales them anyway). Tied: one matrix serves both, at the
        // unembedding's scale. The rows of <unk>, <s> and </s> are 10× smaller in the unembedding, so their logits stay
        // near 0, far below the top: like a trained model, a random one then rarely stops or emits control tokens.
        void Vocab(string name, float std) => AddLazy(w, name, o.WeightType, [d, vocab], () =>
        {
            float[] values = Gaussian(o.Seed, name, (long)d * vocab, 0f, std);
            for (int i = 0; i < 3 * d; i++) values[i] *= 0.1f;
            return values;
        });
        if (shape.TiedEmbeddings) Vocab("token_embd.weight", logitStd);
        else Matrix("token_embd.weight", d, vocab, 1f);
        Norm("output_norm.weight", d);
        if (!shape.TiedEmbeddings) Vocab("output.weight", logitStd);
        if (shape.RopeScaling is { } rs)
        {
            float[] factors = rs.RopeFactors(hd, shape.RopeBase);
            AddLazy(w, "rope_freqs.weight", GgmlType.F32, [factors.Length], () => factors);
        }

        float inD = 1f / MathF.Sqrt(d), inQ = 1f / MathF.Sqrt(qWidth), inFf = 1f / MathF.Sqrt(ff);
        for (int i = 0; i < shape.BlockCount; i++)
        {
            string p = $"blk.{i}.";
            Norm(p + "attn_norm.weight", d);
            Matrix(p + "attn_q.weight", d, qWidth, inD);
            Matrix(p + "attn_k.weight", d, kvWidth, inD);
            Matrix(p + "attn_v.weight", d, kvWidth, inD);
            if (arch == "qwen2")
            {
                Bias(p + "attn_q.bias", qWidth);
                Bias(p + "attn_k.bias", kvWidth);
                Bias(p + "attn_v.bias", kvWidth);
            }
            if (arch == "qwen3")
            {
                Norm(p + "attn_q_norm.weight", hd);
                Norm(p + "attn_k_norm.weight", hd);
            }
            Matrix(p + "attn_output.weight", qWidth, d, inQ);
            Norm(p + "ffn_norm.weight", d);
            Matrix(p + "ffn_gate.weight", d, ff, inD);
            Matrix(p + "ffn_up.weight", d, ff, inD);
            Matrix(p + "ffn_down.weight", ff, d, inFf);
        }
        return w;
    }

    /// <summary>The <c>tokenizer.*</c> metadata of a GGUF (e.g. a vocab-only file), for <see cref="SyntheticOptions.Vocabulary"/>.</summary>
    public static Dictionary<string, GgufValue> VocabularyFrom(GgufFile file) =>
        file.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>
    /// The piece texts of the synthetic vocabulary: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, &lt;0x00&gt;..&lt;0xFF&gt;, then "▁a", "a", "▁b",
    /// "b", …, "▁aa", "aa", … until <paramref name="size"/> tokens.
    /// </summary>
    public static string[] VocabularyPieces(int size)
    {
        if (size < MinVocabSize) throw new ArgumentOutOfRangeException(nameof(size), $"at least {MinVocabSize} tokens");
        var pieces = new string[size];
        pieces[UnknownId] = "<unk>";
        pieces[BosId] = "<s>";
        pieces[EosId] = "</s>";
        for (int b = 0; b < 256; b++) pieces[3 + b] = $"<0x{b:X2}>";
        int next = MinVocabSize;
        var letters = new char[8];
        for (int len = 1; next < size; len++)
        {
            long combos = (long)Math.Pow(26, len);
            for (long c = 0; c < combos && next < size; c++)
            {
                long v = c;
                for (int k = len - 1; k >= 0; k--) { letters[k] = (char)('a' + v % 26); v /= 26; }
                string s = new(letters, 0, len);
                pieces[next++] = "\u2581" + s;
                if (next < size) pieces[next++] = s;
            }
        }
        return pieces;
    }

    private static void AddVocabulary(GgufWriter w, int size)
    {
        string[] pieces = VocabularyPieces(size);
        var scores = new float[size];
        var types = new int[size];
        types[UnknownId] = 2; // LLAMA_TOKEN_TYPE_UNKNOWN
        types[BosId] = types[EosId] = 3; // CONTROL
        for (int b = 0; b < 256; b++) types[3 + b] = 6; // BYTE
        for (int i = MinVocabSize; i < size; i++)
        {
            types[i] = 1; // NORMAL
            scores[i] = -(i - MinVocabSize); // earlier pieces are preferred, like a trained SentencePiece model's
        }
        w.Set("tokenizer.ggml.model", "llama")
            .Set("tokenizer.ggml.tokens", GgufValue.Strings(pieces))
            .Set("tokenizer.ggml.scores", GgufValue.Float32s(scores))
            .Set("tokenizer.ggml.token_type", GgufValue.Int32s(types))
            .Set("tokenizer.ggml.unknown_token_id", (uint)UnknownId)
            .Set("tokenizer.ggml.bos_token_id", (uint)BosId)
            .Set("tokenizer.ggml.eos_token_id", (uint)EosId)
            .Set("tokenizer.ggml.add_bos_token", true)
            .Set("tokenizer.ggml.add_eos_token", false);
    }

    private static void AddLazy(GgufWriter w, string name, GgmlType type, long[] dims, Func<float[]> values)
    {
        long elements = dims.Aggregate(1L, (a, b) => a * b);
        long bytes = GgmlTypeInfo.RowBytes(type, elements);
        if (bytes > int.MaxValue) throw new ArgumentException($"tensor '{name}' would take {bytes} bytes; at most 2 GiB per tensor");
        w.AddTensor(name, type, dims, new LazyBytes((int)bytes, () => Encode(values(), type)).Memory);
    }

    private static byte[] Encode(float[] values, GgmlType type)
    {
        switch (type)
        {
            case GgmlType.F32:
                return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            case GgmlType.F16:
            {
                var bytes = new byte[values.Length * 2];
                var h = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
                for (int i = 0; i < values.Length; i++) h[i] = (Half)values[i];
                return bytes;
            }
            case GgmlType.BF16:
            {
                var bytes = new byte[values.Length * 2];
                var h = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
                for (int i = 0; i < values.Length; i++) h[i] = ToBf16(values[i]);
                return bytes;
            }
            default: throw new ArgumentException($"cannot encode {type}");
        }
    }

    /// <summary>float → bfloat16, round to nearest even (ggml's GGML_FP32_TO_BF16 for finite values).</summary>
    public static ushort ToBf16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64); // NaN stays (quiet) NaN
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    /// <summary><paramref name="count"/> samples of N(mean, std²) from the tensor's own generator.</summary>
    private static float[] Gaussian(ulong seed, string tensor, long count, float mean, float std)
    {
        ulong state = seed * 0x9E3779B97F4A7C15UL ^ Fnv1a(tensor);
        var v = new float[count];
        for (long i = 0; i < count; i += 2)
        {
            // Box-Muller on two 53-bit uniforms; u1 in (0, 1] so the log is finite.
            double u1 = ((SplitMix64(ref state) >> 11) + 1) * (1.0 / (1UL << 53));
            double u2 = (SplitMix64(ref state) >> 11) * (1.0 / (1UL << 53));
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            v[i] = mean + std * (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < count) v[i + 1] = mean + std * (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        return v;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(s)) { h ^= b; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>
    /// Bytes produced on demand: <see cref="GgufWriter"/> only needs a tensor's length when it is added and its bytes
    /// when the file is written, so each tensor is generated just before it is written and dropped right after.
    /// </summary>
    private sealed class LazyBytes(int length, Func<byte[]> generate) : MemoryManager<byte>
    {
        public override Memory<byte> Memory => CreateMemory(length);

        public override Span<byte> GetSpan()
        {
            byte[] bytes = generate();
            if (bytes.Length != length) throw new InvalidOperationException($"generated {bytes.Length} bytes, {length} expected");
            return bytes;
        }

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("lazily generated tensor data cannot be pinned");
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
