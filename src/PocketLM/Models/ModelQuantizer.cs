using System.Buffers;
using System.Globalization;
using PocketLM.Gguf;
using PocketLM.Tensors;

namespace PocketLM.Models;

/// <summary>
/// A file type <c>pocket quantize</c> can produce: its name as llama-quantize spells it, the <c>LLAMA_FTYPE</c> number
/// written to <c>general.file_type</c>, and the type most matrices get.
/// </summary>
public sealed record QuantFileType(string Name, uint LlamaFtype, GgmlType DefaultType, string Description)
{
    public static QuantFileType F32 { get; } = new("F32", 0, GgmlType.F32, "32-bit floats");
    public static QuantFileType F16 { get; } = new("F16", 1, GgmlType.F16, "16-bit half floats");
    public static QuantFileType BF16 { get; } = new("BF16", 32, GgmlType.BF16, "16-bit bfloats");
    public static QuantFileType Q8_0 { get; } = new("Q8_0", 7, GgmlType.Q8_0, "8.5 bits/weight");
    public static QuantFileType Q4_0 { get; } = new("Q4_0", 2, GgmlType.Q4_0, "4.5 bits/weight, symmetric");
    public static QuantFileType Q4_1 { get; } = new("Q4_1", 3, GgmlType.Q4_1, "5.0 bits/weight, with minimum");
    public static QuantFileType Q5_0 { get; } = new("Q5_0", 8, GgmlType.Q5_0, "5.5 bits/weight, symmetric");
    public static QuantFileType Q5_1 { get; } = new("Q5_1", 9, GgmlType.Q5_1, "6.0 bits/weight, with minimum");
    public static QuantFileType Q2_K { get; } = new("Q2_K", 10, GgmlType.Q2_K, "k-quant mix around Q2_K (attn_v/ffn_down/attn_output Q3_K-Q4_K)");
    public static QuantFileType Q3_K_S { get; } = new("Q3_K_S", 11, GgmlType.Q3_K, "Q3_K everywhere but the output (Q6_K)");
    public static QuantFileType Q3_K_M { get; } = new("Q3_K_M", 12, GgmlType.Q3_K, "k-quant mix around Q3_K (attn_v Q5_K/Q4_K, ffn_down/attn_output Q4_K)");
    public static QuantFileType Q3_K_L { get; } = new("Q3_K_L", 13, GgmlType.Q3_K, "k-quant mix around Q3_K (attn_v/ffn_down/attn_output Q5_K)");
    public static QuantFileType Q4_K_S { get; } = new("Q4_K_S", 14, GgmlType.Q4_K, "k-quant mix around Q4_K (first attn_v and ffn_down Q5_K)");
    public static QuantFileType Q4_K_M { get; } = new("Q4_K_M", 15, GgmlType.Q4_K, "k-quant mix around Q4_K (half of attn_v and ffn_down Q6_K)");
    public static QuantFileType Q5_K_S { get; } = new("Q5_K_S", 16, GgmlType.Q5_K, "Q5_K everywhere but the output (Q6_K)");
    public static QuantFileType Q5_K_M { get; } = new("Q5_K_M", 17, GgmlType.Q5_K, "k-quant mix around Q5_K (half of attn_v and ffn_down Q6_K)");
    public static QuantFileType Q6_K { get; } = new("Q6_K", 18, GgmlType.Q6_K, "6.6 bits/weight");

    public static IReadOnlyList<QuantFileType> All { get; } =
        [Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q5_1, Q5_0, Q4_K_M, Q4_K_S, Q4_1, Q4_0, Q3_K_L, Q3_K_M, Q3_K_S, Q2_K, F16, BF16, F32];

    /// <summary>A file type by name (case-insensitive; "Q4_K" means Q4_K_M and "Q5_K" Q5_K_M, as in llama-quantize), or null.</summary>
    public static QuantFileType? Find(string name)
    {
        string n = name.Trim().ToUpperInvariant();
        if (n == "Q4_K") n = "Q4_K_M";
        if (n == "Q5_K") n = "Q5_K_M";
        if (n == "Q3_K") n = "Q3_K_M";
        return All.FirstOrDefault(t => t.Name == n);
    }

    public bool IsQuantized => GgmlTypeInfo.BlockSize(DefaultType) > 1;

    public override string ToString() => Name;
}

/// <summary>What happens to one tensor.</summary>
/// <param name="Fallback">The mixture's type did not fit the row length and a compatible one was used (llama.cpp's fallback).</param>
public sealed record TensorPlan(string Name, long[] Dimensions, GgmlType From, GgmlType To, bool Fallback)
{
    public long Elements => Dimensions.Aggregate(1L, (a, b) => a * b);
    public long BytesIn => GgmlTypeInfo.RowBytes(From, Elements);
    public long BytesOut => GgmlTypeInfo.RowBytes(To, Elements);
    /// <summary>The data changes type (else it is copied as is).</summary>
    public bool Converts => From != To;
    /// <summary>Converted from an already quantized type: through dequantization, so quality is lost twice.</summary>
    public bool Requantizes => Converts && GgmlTypeInfo.BlockSize(From) > 1;
}

public sealed record QuantizeOptions
{
    /// <summary>Threads for quantizing (0: all cores).</summary>
    public int Threads { get; init; }
    /// <summary>Every quantizable matrix gets the file type's default type (llama-quantize --pure): no mixture, no special output.</summary>
    public bool Pure { get; init; }
    /// <summary>Called once with the whole plan, before anything is written.</summary>
    public Action<IReadOnlyList<TensorPlan>>? OnPlan { get; init; }
    /// <summary>Called after each tensor is converted, in file order.</summary>
    public Action<TensorPlan>? OnTensor { get; init; }
}

/// <summary>
/// Quantizes a whole GGUF model the way llama.cpp's <c>llama-quantize</c> does (without an importance matrix): the same
/// choice of type per tensor (<c>llama_tensor_get_type</c>: the _S/_M/_L mixtures, output and tied embeddings to Q6_K,
/// attn_v/ffn_down getting more bits on the layers <c>use_more_bits</c> picks, and the fallbacks when a row is not a
/// multiple of 256), the same tensor order (layer by layer), the same quantized bytes (<see cref="Quantizer"/> is
/// bit-identical to ggml's reference quantizers), metadata copied with <c>general.file_type</c> and
/// <c>general.quantization_version</c> = 2. Tensors are converted one at a time while the output is written.
/// </summary>
public static class ModelQuantizer
{
    /// <summary>GGML_QNT_VERSION.</summary>
    public const uint QuantizationVersion = 2;

    private enum Category { TokenEmbd, AttnQ, AttnV, AttnK, AttnQkv, AttnKvB, AttnOutput, FfnUp, FfnGate, FfnDown, Output, Other }

    /// <summary>The type each tensor of <paramref name="file"/> gets, in the order the output file lists them.
    /// Throws <see cref="NotSupportedException"/> when a tensor cannot be converted.</summary>
    public static IReadOnlyList<TensorPlan> Plan(GgufFile file, QuantFileType fileType, bool pure = false)
    {
        var tensors = file.Tensors.OrderBy(t => t, Comparer<GgufTensorInfo>.Create(CompareNames)).ToList();
        string arch = file.GetString("general.architecture") ?? "";
        var hp = new HyperParams(
            Arch: arch,
            Layers: (int)(file.GetInteger($"{arch}.block_count") ?? 0),
            Heads: (int)(file.GetInteger($"{arch}.attention.head_count") ?? 0),
            KvHeads: (int)(file.GetInteger($"{arch}.attention.head_count_kv") ?? file.GetInteger($"{arch}.attention.head_count") ?? 0),
            Experts: (int)(file.GetInteger($"{arch}.expert_count") ?? 0));
        var state = new State
        {
            AttnVCount = tensors.Count(t => IsAttnV(CategoryOf(t.Name))),
            FfnCount = hp.Layers,
            TiedEmbeddings = tensors.All(t => t.Name != "output.weight"),
        };

        var plans = new List<TensorPlan>(tensors.Count);
        foreach (var t in tensors)
        {
            long[] dims = t.Dimensions.ToArray();
            GgmlType to = t.Type;
            bool fallback = false;
            if (AllowsQuantization(t.Name, dims))
                (to, fallback) = ChooseType(state, hp, fileType, pure, t.Name, dims);
            if (to != t.Type)
            {
                if (!GgmlTypeInfo.IsSupported(t.Type))
                    throw new NotSupportedException($"tensor '{t.Name}' is {t.Type}, which cannot be converted (supported inputs: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K-Q6_K)");
                if (!Quantizer.CanQuantize(to))
                    throw new NotSupportedException($"tensor '{t.Name}' would need type {to}, which this quantizer cannot write");
            }
            plans.Add(new TensorPlan(t.Name, dims, t.Type, to, fallback));
        }
        return plans;
    }

    /// <summary>Quantizes <paramref name="inputPath"/> into <paramref name="outputPath"/> (written to a temporary name,
    /// then moved into place). Returns the plan that was carried out.</summary>
    public static IReadOnlyList<TensorPlan> Quantize(string inputPath, string outputPath, QuantFileType fileType, QuantizeOptions? options = null)
    {
        var o = options ?? new QuantizeOptions();
        if (Path.GetFullPath(inputPath) == Path.GetFullPath(outputPath))
            throw new ArgumentException("the output file must differ from the input file");
        using var file = GgufFile.Open(inputPath);
        var plans = Plan(file, fileType, o.Pure);
        o.OnPlan?.Invoke(plans);

        var w = new GgufWriter().CopyMetadataFrom(file)
            .Set("general.quantization_version", QuantizationVersion)
            .Set("general.file_type", fileType.LlamaFtype);
        foreach (var p in plans)
        {
            var info = file.GetTensor(p.Name);
            w.AddTensor(p.Name, p.To, p.Dimensions, LazyBytes.Create(p.BytesOut, () =>
            {
                byte[] bytes = Convert(file, info, p, o.Threads);
                o.OnTensor?.Invoke(p);
                return bytes;
            }));
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        string temp = Path.Combine(dir, $".{Path.GetFileName(outputPath)}.{Environment.ProcessId}.partial");
        try
        {
            w.Write(temp);
            File.Move(temp, outputPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return plans;
    }

    /// <summary>One tensor's output bytes: a copy, or rows converted to float (chunk by chunk) and quantized.</summary>
    private static unsafe byte[] Convert(GgufFile file, GgufTensorInfo info, TensorPlan p, int threads)
    {
        long outBytes = p.BytesOut;
        if (outBytes > Array.MaxLength) throw new NotSupportedException($"tensor '{p.Name}' would take {outBytes} bytes; at most {Array.MaxLength} per tensor");
        var result = GC.AllocateUninitializedArray<byte>((int)outBytes);
        byte* src = file.GetTensorPointer(info);
        if (!p.Converts)
        {
            new ReadOnlySpan<byte>(src, (int)outBytes).CopyTo(result);
            return result;
        }
        int rowLength = (int)p.Dimensions[0];
        long rows = p.Elements / rowLength;
        long srcRowBytes = GgmlTypeInfo.RowBytes(p.From, rowLength), dstRowBytes = GgmlTypeInfo.RowBytes(p.To, rowLength);
        // Floats for about 16M elements at a time (64 MiB), at least one row.
        long chunkRows = Math.Max(1, (1L << 24) / rowLength);
        float[]? buffer = p.From == GgmlType.F32 ? null : new float[Math.Min(rows, chunkRows) * rowLength];
        fixed (byte* dst = result)
        fixed (float* buf = buffer)
        {
            for (long r0 = 0; r0 < rows; r0 += chunkRows)
            {
                long n = Math.Min(chunkRows, rows - r0);
                float* x;
                if (p.From == GgmlType.F32) x = (float*)(src + r0 * srcRowBytes);
                else
                {
                    x = buf;
                    long rr0 = r0;
                    nint s = (nint)src, b = (nint)buf;
                    Parallel.For(0L, n, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount },
                        r => Dequantize.Row(p.From, (byte*)s + (rr0 + r) * srcRowBytes, (float*)b + r * rowLength, rowLength));
                }
                Quantizer.Quantize(p.To, x, dst + r0 * dstRowBytes, n, rowLength, threads);
            }
        }
        return result;
    }

    // ---- llama.cpp's per-tensor type choice (llama-quant.cpp: tensor_allows_quantization, llama_tensor_get_type_impl,
    // tensor_type_fallback), for the file types above and an importance-matrix-free run.

    private sealed record HyperParams(string Arch, int Layers, int Heads, int KvHeads, int Experts)
    {
        public int Gqa => KvHeads > 0 ? Heads / KvHeads : 0;
        /// <summary>llama.cpp's LLM_TYPE_70B (80 llama layers with grouped-query attention): attn_v gets Q5_K.</summary>
        public bool Is70B => Arch == "llama" && Layers == 80 && Heads != KvHeads;
    }

    private sealed class State
    {
        public int AttnVCount, AttnVIndex, FfnCount, FfnDownIndex;
        public bool TiedEmbeddings;
    }

    /// <summary>llama.cpp's weight_name_comparer: tensors outside blocks first, then block by block, each by name.</summary>
    private static int CompareNames(GgufTensorInfo a, GgufTensorInfo b)
    {
        int la = LayerOf(a.Name), lb = LayerOf(b.Name);
        return la != lb ? la.CompareTo(lb) : string.CompareOrdinal(a.Name, b.Name);
    }

    private static int LayerOf(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return -1;
        int i = 4, v = 0;
        bool any = false;
        while (i < name.Length && char.IsAsciiDigit(name[i])) { v = v * 10 + (name[i++] - '0'); any = true; }
        return any ? v : -1;
    }

    private static Category CategoryOf(string name)
    {
        if (name == "output.weight") return Category.Output;
        if (name is "token_embd.weight" or "per_layer_token_embd.weight") return Category.TokenEmbd;
        if (name.Contains("attn_qkv.weight", StringComparison.Ordinal)) return Category.AttnQkv;
        if (name.Contains("attn_kv_b.weight", StringComparison.Ordinal)) return Category.AttnKvB;
        if (name.Contains("attn_v.weight", StringComparison.Ordinal)) return Category.AttnV;
        if (name.Contains("attn_k.weight", StringComparison.Ordinal)) return Category.AttnK;
        if (name.Contains("attn_q.weight", StringComparison.Ordinal)) return Category.AttnQ;
        if (name.Contains("attn_output.weight", StringComparison.Ordinal)) return Category.AttnOutput;
        if (name.Contains("ffn_up", StringComparison.Ordinal)) return Category.FfnUp;
        if (name.Contains("ffn_gate", StringComparison.Ordinal)) return Category.FfnGate;
        if (name.Contains("ffn_down", StringComparison.Ordinal)) return Category.FfnDown;
        return Category.Other;
    }

    private static bool IsAttnV(Category c) => c is Category.AttnV or Category.AttnQkv or Category.AttnKvB;

    private static readonly string[] NeverQuantized =
    [
        "_norm.weight", "ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight",
        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight",
        "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight",
        "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
        "time_mix_lerp_fused.weight", "attn_rel_b.weight",
    ];

    /// <summary>tensor_allows_quantization: matrices (2 or more dimensions, trailing 1s not counted) named *weight,
    /// except norms, MoE gates, positional embeddings and a few small special tensors. Everything else is copied.</summary>
    private static bool AllowsQuantization(string name, long[] dims)
    {
        int nDims = 1;
        for (int i = dims.Length - 1; i >= 1; i--) if (dims[i] != 1) { nDims = i + 1; break; }
        if (nDims < 2) return false;
        if (!name.EndsWith("weight", StringComparison.Ordinal)) return false;
        if (name is "position_embd.weight" or "token_types.weight") return false;
        return !NeverQuantized.Any(s => name.Contains(s, StringComparison.Ordinal));
    }

    private static bool UseMoreBits(int i, int n) => i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;

    private static (GgmlType Type, bool Fallback) ChooseType(State s, HyperParams hp, QuantFileType ft, bool pure, string name, long[] dims)
    {
        GgmlType t = ft.DefaultType;
        if (!ft.IsQuantized) return (t, false);
        if (!pure) t = Mixture(s, hp, ft, t, name, dims);
        // tensor_type_fallback
        long cols = dims[0];
        if (cols % GgmlTypeInfo.BlockSize(t) == 0) return (t, false);
        GgmlType f = t switch
        {
            GgmlType.Q2_K or GgmlType.Q3_K => GgmlType.Q4_0,
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => throw new NotSupportedException(
                $"tensor '{name}' has rows of {cols}, not a multiple of the {t} block size {GgmlTypeInfo.BlockSize(t)}, and {t} has no fallback type (as in llama.cpp)"),
        };
        if (cols % GgmlTypeInfo.BlockSize(f) != 0) f = GgmlType.F16;
        return (f, true);
    }

    /// <summary>llama_tensor_get_type_impl for the k-quant mixtures and the legacy types.</summary>
    private static GgmlType Mixture(State s, HyperParams hp, QuantFileType ft, GgmlType t, string name, long[] dims)
    {
        var c = CategoryOf(name);
        uint f = ft.LlamaFtype;
        bool falcon = hp.Arch == "falcon";
        if (c == Category.Output || (s.TiedEmbeddings && c == Category.TokenEmbd))
        {
            if (falcon || dims[0] % GgmlTypeInfo.BlockSize(t) != 0) return GgmlType.Q8_0;
            return t != GgmlType.Q8_0 ? GgmlType.Q6_K : t;
        }
        if (c == Category.TokenEmbd) return t;
        if (IsAttnV(c))
        {
            if (f == QuantFileType.Q2_K.LlamaFtype) t = hp.Gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (f == QuantFileType.Q3_K_M.LlamaFtype) t = s.AttnVIndex < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (f == QuantFileType.Q3_K_L.LlamaFtype) t = GgmlType.Q5_K;
            else if ((f == QuantFileType.Q4_K_M.LlamaFtype || f == QuantFileType.Q5_K_M.LlamaFtype) && UseMoreBits(s.AttnVIndex, s.AttnVCount)) t = GgmlType.Q6_K;
            else if (f == QuantFileType.Q4_K_S.LlamaFtype && s.AttnVIndex < 4) t = GgmlType.Q5_K;
            if (hp.Is70B && t is GgmlType.Q3_K or GgmlType.Q4_K) t = GgmlType.Q5_K;
            if (hp.Experts == 8) t = GgmlType.Q8_0;
            s.AttnVIndex++;
            return t;
        }
        if (c == Category.AttnK)
            return hp.Experts == 8 ? GgmlType.Q8_0 : t;
        if (c == Category.FfnDown)
        {
            int i = s.FfnDownIndex, n = s.FfnCount;
            if (hp.Experts > 1) i = LayerOf(name);
            if (f == QuantFileType.Q2_K.LlamaFtype) t = GgmlType.Q3_K;
            else if (f == QuantFileType.Q3_K_M.LlamaFtype)
                t = i < n / 16 ? GgmlType.Q5_K : !falcon || UseMoreBits(i, n) ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (f == QuantFileType.Q3_K_L.LlamaFtype) t = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
            else if (f == QuantFileType.Q4_K_M.LlamaFtype)
            {
                if (falcon) t = i < n / 16 ? GgmlType.Q6_K : UseMoreBits(i, n) ? GgmlType.Q5_K : GgmlType.Q4_K;
                else if (UseMoreBits(i, n)) t = GgmlType.Q6_K;
            }
            else if (f == QuantFileType.Q5_K_M.LlamaFtype && UseMoreBits(i, n)) t = GgmlType.Q6_K;
            else if (f == QuantFileType.Q4_K_S.LlamaFtype && !falcon && i < n / 8) t = GgmlType.Q5_K;
            s.FfnDownIndex++;
            return t;
        }
        if (c == Category.AttnOutput)
        {
            if (!falcon)
            {
                if (hp.Experts == 8)
                {
                    if (f == QuantFileType.Q2_K.LlamaFtype || f == QuantFileType.Q3_K_S.LlamaFtype || f == QuantFileType.Q3_K_M.LlamaFtype
                        || f == QuantFileType.Q4_K_S.LlamaFtype || f == QuantFileType.Q4_K_M.LlamaFtype) t = GgmlType.Q5_K;
                }
                else if (f == QuantFileType.Q2_K.LlamaFtype) t = GgmlType.Q3_K;
                else if (f == QuantFileType.Q3_K_M.LlamaFtype) t = GgmlType.Q4_K;
                else if (f == QuantFileType.Q3_K_L.LlamaFtype) t = GgmlType.Q5_K;
            }
            else if (f == QuantFileType.Q3_K_L.LlamaFtype) t = GgmlType.Q4_K;
            return t;
        }
        if (c == Category.AttnQkv)
        {
            if (f == QuantFileType.Q3_K_M.LlamaFtype || f == QuantFileType.Q3_K_L.LlamaFtype) t = GgmlType.Q4_K;
            else if (f == QuantFileType.Q4_K_M.LlamaFtype) t = GgmlType.Q5_K;
            else if (f == QuantFileType.Q5_K_M.LlamaFtype) t = GgmlType.Q6_K;
        }
        return t;
    }

    /// <summary>Formats a byte count as llama-quantize does (MiB with two decimals).</summary>
    public static string Mib(long bytes) => (bytes / 1048576.0).ToString("F2", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>
    /// Bytes produced on demand: <see cref="GgufWriter"/> needs a tensor's length when it is added and its bytes only
    /// when the file is written, so each tensor is converted just before it is written and dropped right after.
    /// </summary>
    internal sealed class LazyBytes : MemoryManager<byte>
    {
        private readonly int _length;
        private readonly Func<byte[]> _generate;

        private LazyBytes(int length, Func<byte[]> generate) { _length = length; _generate = generate; }

        public static ReadOnlyMemory<byte> Create(long length, Func<byte[]> generate)
        {
            if (length > Array.MaxLength) throw new NotSupportedException($"a tensor of {length} bytes is too large (at most {Array.MaxLength})");
            return new LazyBytes((int)length, generate).Memory;
        }

        public override Memory<byte> Memory => CreateMemory(_length);

        public override Span<byte> GetSpan()
        {
            byte[] bytes = _generate();
            if (bytes.Length != _length) throw new InvalidOperationException($"generated {bytes.Length} bytes, {_length} expected");
            return bytes;
        }

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("lazily generated tensor data cannot be pinned");
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
