using System.Runtime.InteropServices;
using LLama.Native;
using PocketLM.Gguf;
using PocketLM.Tensors;

namespace PocketLM.Bench;

/// <summary>A real model's shape (llama architecture, tied embeddings).</summary>
internal sealed record Shape(string Name, int Dim, int Layers, int Heads, int KvHeads, int FeedForward, int Vocab)
{
    public int HeadDim => Dim / Heads;

    public static readonly Shape[] All =
    [
        new("SmolLM2-135M", 576, 30, 9, 3, 1536, 49152),
        new("Qwen2.5-0.5B", 896, 24, 14, 2, 4864, 151936),
        new("Llama-3.2-1B", 2048, 16, 32, 8, 8192, 128256),
    ];
}

/// <summary>
/// Random-weight GGUFs in real shapes: an F16 file written here, then quantized by llama.cpp's own quantizer, so both
/// engines read the identical file. Files are cached (never in git).
/// </summary>
internal static class BenchModels
{
    public static string Path(string cacheDir, Shape s, string type) => System.IO.Path.Combine(cacheDir, $"{s.Name}-{type}.gguf");

    /// <summary>The files the command line selects (<c>--models a,b</c>, <c>--types X,Y</c>, <c>--cache DIR</c>), made where
    /// missing, in model-then-type order.</summary>
    public static IEnumerable<(Shape Shape, string Type, string Path)> Selected(string[] args, string[] defaultModels, string[] defaultTypes)
    {
        var models = Compare.Opt(args, "--models")?.Split(',') ?? defaultModels;
        var types = Compare.Opt(args, "--types")?.Split(',') ?? defaultTypes;
        string cache = Compare.Opt(args, "--cache") ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pocketlm-bench");
        foreach (var name in models)
        {
            var shape = Shape.All.First(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            foreach (var type in types) yield return (shape, type, Ensure(cache, shape, type));
        }
    }

    public static string Ensure(string cacheDir, Shape s, string type)
    {
        Directory.CreateDirectory(cacheDir);
        string dst = Path(cacheDir, s, type);
        if (File.Exists(dst)) return dst;
        string f16 = Path(cacheDir, s, "F16");
        if (!File.Exists(f16))
        {
            Console.Error.WriteLine($"writing {f16}");
            WriteF16(s, f16 + ".tmp");
            File.Move(f16 + ".tmp", f16);
        }
        if (type == "F16") return f16;
        if (Enum.TryParse<GgmlType>(type, out var pure) && PocketLM.Tests.Oracle.ImatrixQuantizer.Needed(pure))
        {
            // llama.cpp makes these only with an importance matrix: every matrix in the type, by its row quantizer
            Console.Error.WriteLine($"quantizing {dst} (every matrix {type}, stand-in importance matrix)");
            PocketLM.Tests.Oracle.ImatrixQuantizer.Quantize(f16, dst + ".tmp", pure);
            File.Move(dst + ".tmp", dst);
            return dst;
        }
        var ftype = type switch
        {
            "Q8_0" => LLamaFtype.MOSTLY_Q8_0,
            "Q4_0" => LLamaFtype.MOSTLY_Q4_0,
            "Q5_0" => LLamaFtype.MOSTLY_Q5_0,
            "Q4_K_M" => LLamaFtype.MOSTLY_Q4_K_M,
            "Q5_K_M" => LLamaFtype.MOSTLY_Q5_K_M,
            "Q6_K" => LLamaFtype.MOSTLY_Q6_K,
            "Q3_K_M" => LLamaFtype.MOSTLY_Q3_K_M,
            "Q2_K" => LLamaFtype.MOSTLY_Q2_K,
            "IQ4_NL" => LLamaFtype.MOSTLY_IQ4_NL,
            "IQ4_XS" => LLamaFtype.MOSTLY_IQ4_XS,
            "IQ3_S" => LLamaFtype.MOSTLY_IQ3_S,
            "IQ3_M" => LLamaFtype.MOSTLY_IQ3_M,
            _ => throw new ArgumentException($"unknown type {type}"),
        };
        Console.Error.WriteLine($"quantizing {dst}");
        LlamaRunner.EnsureLoaded();
        if (!LLama.LLamaQuantizer.Quantize(f16, dst + ".tmp", ftype, Environment.ProcessorCount, allowRequantize: true, quantizeOutputTensor: true))
            throw new InvalidOperationException($"llama.cpp failed to quantize {f16} to {type}");
        File.Move(dst + ".tmp", dst);
        return dst;
    }

    private static void WriteF16(Shape s, string path)
    {
        var w = new GgufWriter();
        w.Set("general.architecture", "llama");
        w.Set("general.name", $"{s.Name} (random weights)");
        w.Set("llama.context_length", 4096u);
        w.Set("llama.embedding_length", (uint)s.Dim);
        w.Set("llama.block_count", (uint)s.Layers);
        w.Set("llama.feed_forward_length", (uint)s.FeedForward);
        w.Set("llama.attention.head_count", (uint)s.Heads);
        w.Set("llama.attention.head_count_kv", (uint)s.KvHeads);
        w.Set("llama.rope.dimension_count", (uint)s.HeadDim);
        w.Set("llama.rope.freq_base", 10000f);
        w.Set("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        w.Set("llama.vocab_size", (uint)s.Vocab);
        // Minimal SentencePiece vocab: <unk> <s> </s>, 256 byte tokens, then filler pieces.
        var tokens = new string[s.Vocab];
        var scores = new float[s.Vocab];
        var types = new int[s.Vocab];
        tokens[0] = "<unk>"; types[0] = 2;
        tokens[1] = "<s>"; types[1] = 3;
        tokens[2] = "</s>"; types[2] = 3;
        for (int i = 0; i < 256; i++) { tokens[3 + i] = $"<0x{i:X2}>"; types[3 + i] = 6; }
        for (int i = 259; i < s.Vocab; i++) { tokens[i] = $"\u2581t{i}"; types[i] = 1; scores[i] = -i; }
        w.Set("tokenizer.ggml.model", "llama");
        w.Set("tokenizer.ggml.tokens", GgufValue.Strings(tokens));
        w.Set("tokenizer.ggml.scores", GgufValue.Float32s(scores));
        w.Set("tokenizer.ggml.token_type", GgufValue.Int32s(types));
        w.Set("tokenizer.ggml.bos_token_id", 1u);
        w.Set("tokenizer.ggml.eos_token_id", 2u);
        w.Set("tokenizer.ggml.unknown_token_id", 0u);

        ulong seed = 0x9E3779B97F4A7C15UL;
        int d = s.Dim, kv = s.KvHeads * s.HeadDim, ff = s.FeedForward;
        w.AddTensor("token_embd.weight", GgmlType.F16, [d, s.Vocab], Random(ref seed, (long)d * s.Vocab, 0.05f));
        var ones = Enumerable.Repeat(1f, d).ToArray();
        for (int l = 0; l < s.Layers; l++)
        {
            string p = $"blk.{l}.";
            w.AddTensor(p + "attn_norm.weight", [d], ones);
            w.AddTensor(p + "attn_q.weight", GgmlType.F16, [d, d], Random(ref seed, (long)d * d, Scale(d)));
            w.AddTensor(p + "attn_k.weight", GgmlType.F16, [d, kv], Random(ref seed, (long)d * kv, Scale(d)));
            w.AddTensor(p + "attn_v.weight", GgmlType.F16, [d, kv], Random(ref seed, (long)d * kv, Scale(d)));
            w.AddTensor(p + "attn_output.weight", GgmlType.F16, [d, d], Random(ref seed, (long)d * d, Scale(d)));
            w.AddTensor(p + "ffn_norm.weight", [d], ones);
            w.AddTensor(p + "ffn_gate.weight", GgmlType.F16, [d, ff], Random(ref seed, (long)d * ff, Scale(d)));
            w.AddTensor(p + "ffn_up.weight", GgmlType.F16, [d, ff], Random(ref seed, (long)d * ff, Scale(d)));
            w.AddTensor(p + "ffn_down.weight", GgmlType.F16, [ff, d], Random(ref seed, (long)ff * d, Scale(ff)));
        }
        w.AddTensor("output_norm.weight", [d], ones);
        w.Write(path);
    }

    private static float Scale(int fanIn) => MathF.Sqrt(3f / fanIn);

    /// <summary>Uniform halves in ±<paramref name="amp"/> (xorshift64*; fast, deterministic).</summary>
    private static byte[] Random(ref ulong state, long count, float amp)
    {
        var bytes = new byte[count * 2];
        var h = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
        // A table of 4096 halves covers the range finely enough for a benchmark and avoids a conversion per element.
        Span<ushort> table = stackalloc ushort[4096];
        for (int i = 0; i < 4096; i++) table[i] = BitConverter.HalfToUInt16Bits((Half)((i / 4095f * 2 - 1) * amp));
        ulong x = state;
        for (long i = 0; i < count; i += 4)
        {
            x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
            ulong r = x * 0x2545F4914F6CDD1DUL;
            for (int k = 0; k < 4 && i + k < count; k++) h[(int)(i + k)] = table[(int)((r >> (16 * k)) & 4095)];
        }
        state = x;
        return bytes;
    }

    /// <summary>Bytes of weights one decode step reads: every 2-D matrix of the blocks plus the output (= the tied embedding).</summary>
    public static long BytesPerToken(GgufFile file)
    {
        long sum = 0;
        bool hasOutput = file.Tensors.Any(t => t.Name == "output.weight");
        foreach (var t in file.Tensors)
        {
            if (t.Name.StartsWith("blk.") && t.Dimensions.Count == 2) sum += t.ByteSize;
            else if (t.Name == "output.weight" || (!hasOutput && t.Name == "token_embd.weight")) sum += t.ByteSize;
        }
        return sum;
    }
}
