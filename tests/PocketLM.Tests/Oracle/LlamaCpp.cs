using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using LLama;
using LLama.Native;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Oracle;

// llama.cpp (through LLamaSharp 0.30.0's low-level native API) as a test oracle.
//
// Default settings (LlamaCppSettings.Exact) make llama.cpp compute as plainly as possible:
//  - KV cache K and V in F32: with F16 the cached keys/values are rounded, and on random-weight models (flat
//    distributions) that rounding flips greedy picks.
//  - Flash attention DISABLED (llama.cpp's and LLamaSharp's default is AUTO, which on the CPU backend turns it on).
//    With flash attention llama.cpp casts K and V to F16 even when the cache is F32 (llama-graph.cpp: "if (k->type ==
//    GGML_TYPE_F32) k = ggml_cast(ctx0, k, GGML_TYPE_F16)"), and ggml's CPU kernel also rounds Q to F16 for the dot
//    products and uses an online softmax. Disabled, llama.cpp computes KQ = K*Q in F32, soft_max_ext, then V*KQ.
//    This matters even for trained models: TinyStories-656K-Q8_0 "Once upon a time" diverges at the 6th generated
//    token between the two. fixtures/expected/greedy.json was made with the defaults (LlamaCppSettings.Defaults).
//  - n_batch = n_ubatch = context size, so a whole prompt is one batch and one graph evaluation.
//  - One sequence, CPU only, llama.cpp's log routed into an in-memory buffer (LlamaCppLog) instead of stderr.

/// <summary>Everything every test using llama.cpp shares: run them one at a time (see the thread-safety notes in
/// <see cref="LlamaCppModel"/>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LlamaCppCollection
{
    public const string Name = "llama.cpp";
}

/// <summary>llama.cpp's log output, captured instead of printed. llama.cpp's default logger writes to stderr;
/// passing a null callback restores that default, so a non-null no-op callback is required to keep it quiet.</summary>
public static class LlamaCppLog
{
    private const int MaxChars = 256 * 1024;
    private static readonly object Gate = new();
    private static readonly StringBuilder Buffer = new();
    private static int _loaded;
    private static long _total; // characters ever appended (a position that survives trimming)

    // Held in a static field so the delegate handed to native code is never collected.
    private static readonly NativeLogConfig.LLamaLogCallback Callback = OnLog;

    /// <summary>When true, messages are also echoed to stderr (for debugging a failing oracle run).</summary>
    public static bool Echo { get; set; }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        lock (Gate)
        {
            if (Buffer.Length > MaxChars) Buffer.Remove(0, Buffer.Length / 2);
            Buffer.Append(message);
            _total += message.Length;
        }
        if (Echo) Console.Error.Write(message);
    }

    /// <summary>Everything llama.cpp logged since the last <see cref="Clear"/>.</summary>
    public static string Text
    {
        get { lock (Gate) return Buffer.ToString(); }
    }

    /// <summary>A position in the log stream, for <see cref="Since"/>.</summary>
    public static long Position
    {
        get { lock (Gate) return _total; }
    }

    /// <summary>What llama.cpp logged after <paramref name="position"/> (as far as the buffer still holds it).</summary>
    public static string Since(long position)
    {
        lock (Gate)
        {
            long n = Math.Min(_total - position, Buffer.Length);
            return n <= 0 ? "" : Buffer.ToString(Buffer.Length - (int)n, (int)n);
        }
    }

    public static void Clear()
    {
        lock (Gate) Buffer.Clear();
    }

    /// <summary>Installs the log callback, then loads the native library (idempotent, thread-safe).</summary>
    internal static void EnsureNativeLoaded()
    {
        if (Volatile.Read(ref _loaded) == 1) return;
        lock (Gate)
        {
            if (_loaded == 1) return;
            // Before the library loads this registers the callback with LLamaSharp's loader, which installs it
            // right after loading (so even the loader's and backend-init messages are captured).
            NativeLogConfig.llama_log_set(Callback);
            NativeApi.llama_empty_call();
            // Now loaded: this goes straight to llama_log_set (which also sets ggml's logger).
            NativeLogConfig.llama_log_set(Callback);
            Volatile.Write(ref _loaded, 1);
        }
    }
}

/// <summary>The few llama.cpp exports LLamaSharp 0.30.0 does not expose publicly, resolved from the libllama it loaded.</summary>
internal static unsafe class LlamaCppExports
{
    private static readonly Lazy<nint> Library = new(FindLibrary);

    private static nint FindLibrary()
    {
        LlamaCppLog.EnsureNativeLoaded();
        string[] names = ["libllama.so", "llama.dll", "libllama.dylib"];
        foreach (ProcessModule m in Process.GetCurrentProcess().Modules)
        {
            if (Array.IndexOf(names, m.ModuleName) >= 0 && m.FileName is { Length: > 0 } path)
                return NativeLibrary.Load(path); // already mapped: just returns its handle
        }
        throw new InvalidOperationException("llama.cpp's native library is not loaded in this process");
    }

    private static nint Export(string name) => NativeLibrary.GetExport(Library.Value, name);

    // const struct llama_vocab * llama_model_get_vocab(const struct llama_model * model);
    private static readonly Lazy<nint> GetVocabFn = new(() => Export("llama_model_get_vocab"));

    // int32_t llama_detokenize(const llama_vocab *, const llama_token * tokens, int32_t n_tokens, char * text,
    //                          int32_t text_len_max, bool remove_special, bool unparse_special);
    private static readonly Lazy<nint> DetokenizeFn = new(() => Export("llama_detokenize"));

    public static nint GetVocab(SafeLlamaModelHandle model)
    {
        var fn = (delegate* unmanaged[Cdecl]<nint, nint>)GetVocabFn.Value;
        bool added = false;
        model.DangerousAddRef(ref added);
        try { return fn(model.DangerousGetHandle()); }
        finally { if (added) model.DangerousRelease(); }
    }

    public static byte[] Detokenize(nint vocab, ReadOnlySpan<int> tokens, bool removeSpecial, bool unparseSpecial)
    {
        var fn = (delegate* unmanaged[Cdecl]<nint, int*, int, byte*, int, byte, byte, int>)DetokenizeFn.Value;
        byte rs = removeSpecial ? (byte)1 : (byte)0, us = unparseSpecial ? (byte)1 : (byte)0;
        var buf = new byte[Math.Max(64, tokens.Length * 8)];
        fixed (int* tp = tokens)
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                int n;
                fixed (byte* bp = buf) n = fn(vocab, tp, tokens.Length, bp, buf.Length, rs, us);
                if (n >= 0) return buf.AsSpan(0, n).ToArray();
                if (n == int.MinValue) break;
                buf = new byte[-n];
            }
        }
        throw new InvalidOperationException("llama_detokenize failed");
    }
}

/// <summary>How llama.cpp stores the KV cache and computes attention.</summary>
/// <param name="KvType">Type of the K cache, and of the V cache unless <paramref name="ValueType"/> is given.</param>
/// <param name="FlashAttention">Flash attention: on the CPU backend ENABLED and AUTO mean the same (on).</param>
/// <param name="ValueType">Type of the V cache when it differs from the K cache's.</param>
public sealed record LlamaCppSettings(GGMLType KvType, LLamaFlashAttentionType FlashAttention, GGMLType? ValueType = null)
{
    /// <summary>llama.cpp's defaults with other cache types (<c>--cache-type-k</c>, <c>--cache-type-v</c>).</summary>
    public static LlamaCppSettings Caches(GGMLType keyType, GGMLType valueType) =>
        new(keyType, LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_AUTO, valueType);

    /// <summary>F32 KV cache, flash attention off: softmax(QK^T)V computed in F32 with nothing rounded to F16.
    /// The reference an F32 engine should match.</summary>
    public static LlamaCppSettings Exact { get; } =
        new(GGMLType.GGML_TYPE_F32, LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED);

    /// <summary>LLamaSharp's (and llama.cpp's) defaults: F16 KV cache, flash attention AUTO (= on for CPU). With
    /// flash attention on, llama.cpp rounds K, V (casting an F32 cache to F16) and Q to F16 before the dot products,
    /// so the KV type no longer matters. fixtures/expected/greedy.json was computed with these.</summary>
    public static LlamaCppSettings Defaults { get; } =
        new(GGMLType.GGML_TYPE_F16, LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_AUTO);
}

/// <summary>
/// A GGUF model loaded in llama.cpp, with one context (one sequence, CPU; by default F32 KV cache and flash
/// attention off, see <see cref="LlamaCppSettings"/>).
/// Thread-safety: llama.cpp contexts are not thread-safe; one instance must be used from one thread at a time.
/// LLamaSharp serializes every llama_decode through one global lock, so two models (or contexts) can coexist and be
/// used from different threads, but their decodes never overlap. Tests should still use
/// <c>[Collection(LlamaCppCollection.Name)]</c>: on the shared 2-core machines parallel oracle runs only thrash, and
/// llama.cpp's logger is process-global.
/// </summary>
public sealed class LlamaCppModel : IDisposable
{
    private readonly SafeLlamaModelHandle _model;
    private readonly SafeLLamaContextHandle? _ctx;
    private readonly nint _vocab;
    private readonly SafeLlamaModelHandle.Vocabulary _v;

    private LlamaCppModel(string path, LlamaCppSettings settings, SafeLlamaModelHandle model, SafeLLamaContextHandle? ctx)
    {
        Path = path;
        Settings = settings;
        _model = model;
        _ctx = ctx;
        _v = model.Vocab;
        _vocab = LlamaCppExports.GetVocab(model);
        VocabSize = _v.Count;
        Bos = _v.BOS is { } b ? (int)b : -1;
        Eos = _v.EOS is { } e ? (int)e : -1;
        AddsBos = _v.ShouldAddBOS;
        AddsEos = _v.ShouldAddEOS;
        ContextSize = ctx is null ? 0 : (int)ctx.ContextSize;
    }

    public string Path { get; }
    public LlamaCppSettings Settings { get; }
    public int VocabSize { get; }
    /// <summary>BOS token id, or -1 if the vocabulary has none.</summary>
    public int Bos { get; }
    /// <summary>EOS token id, or -1 if the vocabulary has none.</summary>
    public int Eos { get; }
    /// <summary>Whether llama.cpp adds BOS when tokenizing with addSpecial (llama_vocab_get_add_bos).</summary>
    public bool AddsBos { get; }
    /// <summary>Whether llama.cpp adds EOS when tokenizing with addSpecial (llama_vocab_get_add_eos).</summary>
    public bool AddsEos { get; }
    /// <summary>The context's size in tokens (0 for a vocab-only model).</summary>
    public int ContextSize { get; }
    /// <summary>llama.cpp's one-line description, e.g. "llama ?B all F32".</summary>
    public string Description => _model.Description;
    /// <summary>The file type llama.cpp reports (general.file_type, or guessed).</summary>
    public LLamaFtype FileType => _model.FileType;

    /// <summary>Loads a GGUF with <see cref="LlamaCppSettings.Exact"/> (F32 KV cache, no flash attention). With
    /// <paramref name="vocabOnly"/> only the tokenizer is loaded and no context is made.</summary>
    public static LlamaCppModel Load(string ggufPath, int contextSize = 512, int threads = 2, bool vocabOnly = false)
        => Load(ggufPath, LlamaCppSettings.Exact, contextSize, threads, vocabOnly);

    /// <summary>Loads a GGUF with the given attention settings.</summary>
    public static LlamaCppModel Load(string ggufPath, LlamaCppSettings settings, int contextSize = 512, int threads = 2, bool vocabOnly = false)
    {
        if (!File.Exists(ggufPath)) throw new FileNotFoundException("GGUF not found", ggufPath);
        LlamaCppLog.EnsureNativeLoaded();

        var mp = LLamaModelParams.Default();
        mp.n_gpu_layers = 0;
        mp.vocab_only = vocabOnly;
        mp.check_tensors = false;

        SafeLlamaModelHandle model;
        try
        {
            model = SafeLlamaModelHandle.LoadFromFile(ggufPath, mp);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"llama.cpp could not load {ggufPath}: {ex.Message}\n{Tail(LlamaCppLog.Text)}", ex);
        }

        SafeLLamaContextHandle? ctx = null;
        if (!vocabOnly)
        {
            var cp = LLamaContextParams.Default();
            cp.n_ctx = (uint)contextSize;
            cp.n_batch = (uint)contextSize;   // a whole prompt is one batch...
            cp.n_ubatch = (uint)contextSize;  // ...and one micro-batch (one graph evaluation)
            cp.n_seq_max = 1;
            cp.n_threads = threads;
            cp.n_threads_batch = threads;
            cp.type_k = settings.KvType;
            cp.type_v = settings.ValueType ?? settings.KvType;
            cp.llama_flash_attn_type = settings.FlashAttention;
            cp.embeddings = false;
            cp.offload_kqv = false;
            cp.op_offload = false;
            cp.no_perf = true;
            try
            {
                ctx = SafeLLamaContextHandle.Create(model, cp);
            }
            catch (Exception ex)
            {
                model.Dispose();
                throw new InvalidOperationException($"llama.cpp could not create a context for {ggufPath}: {ex.Message}\n{Tail(LlamaCppLog.Text)}", ex);
            }
        }
        return new LlamaCppModel(ggufPath, settings, model, ctx);
    }

    private static string Tail(string s) => s.Length <= 4000 ? s : s[^4000..];

    // ---- tokenizer ----

    /// <summary>llama_tokenize: <paramref name="addSpecial"/> adds BOS/EOS where the model says so,
    /// <paramref name="parseSpecial"/> lets special/control token texts in the input become those tokens.</summary>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        var tokens = _model.Tokenize(text, addSpecial, parseSpecial, Encoding.UTF8);
        var ids = new int[tokens.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = (int)tokens[i];
        return ids;
    }

    /// <summary>llama_token_to_piece's bytes (no lstrip). With <paramref name="special"/> (common_token_to_piece's
    /// default) control tokens render as their text; otherwise they render as nothing.</summary>
    public byte[] TokenToBytes(int id, bool special = true)
    {
        Span<byte> buf = stackalloc byte[256];
        uint n = _model.TokenToSpan(id, buf, 0, special);
        if (n > buf.Length)
        {
            var big = new byte[n];
            n = _model.TokenToSpan(id, big, 0, special);
            return big.AsSpan(0, (int)n).ToArray();
        }
        return buf[..(int)n].ToArray();
    }

    /// <summary><see cref="TokenToBytes"/> as UTF-8 text (a lone byte of a multi-byte character becomes U+FFFD).</summary>
    public string TokenToPiece(int id, bool special = true) => Encoding.UTF8.GetString(TokenToBytes(id, special));

    /// <summary>llama_detokenize's bytes. Note: for vocabularies with add_space_prefix (SentencePiece) llama.cpp drops
    /// the leading space of the first token unless <paramref name="removeSpecial"/> removed a leading BOS.</summary>
    public byte[] DetokenizeBytes(int[] ids, bool removeSpecial = false, bool unparseSpecial = false)
        => LlamaCppExports.Detokenize(_vocab, ids, removeSpecial, unparseSpecial);

    /// <summary>llama_detokenize as UTF-8 text (see <see cref="DetokenizeBytes"/>).</summary>
    public string Detokenize(int[] ids, bool removeSpecial = false, bool unparseSpecial = false)
        => Encoding.UTF8.GetString(DetokenizeBytes(ids, removeSpecial, unparseSpecial));

    /// <summary>Concatenated <see cref="TokenToBytes"/> of every id, decoded once (what a streaming printer shows).</summary>
    public string PiecesText(int[] ids, bool special = false)
    {
        var bytes = new List<byte>();
        foreach (var id in ids) bytes.AddRange(TokenToBytes(id, special));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>llama_vocab_is_eog: EOS, EOT and any other end-of-generation token.</summary>
    public bool IsEndOfGeneration(int id) => ((LLamaToken)id).IsEndOfGeneration(_v);

    // ---- inference ----

    private SafeLLamaContextHandle Ctx => _ctx ?? throw new InvalidOperationException("vocab-only model: no context");

    private void Decode(LLamaBatch batch)
    {
        var r = Ctx.Decode(batch);
        if (r != DecodeResult.Ok)
            throw new InvalidOperationException($"llama_decode returned {r} ({(int)r})\n{Tail(LlamaCppLog.Text)}");
    }

    private void CheckPrompt(int[] tokens, int extra)
    {
        if (tokens.Length == 0) throw new ArgumentException("empty prompt (llama.cpp cannot decode an empty batch)", nameof(tokens));
        if (tokens.Length + extra > ContextSize)
            throw new ArgumentException($"{tokens.Length} + {extra} tokens exceed the context ({ContextSize})", nameof(tokens));
        foreach (var t in tokens)
            if ((uint)t >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {t} outside the vocabulary");
    }

    /// <summary>Clears the KV cache, evaluates <paramref name="tokens"/> as one batch at positions 0..n-1, and
    /// returns a copy of the last position's logits.</summary>
    public float[] PromptLogits(int[] tokens)
    {
        CheckPrompt(tokens, 0);
        EvalPrompt(tokens, allLogits: false);
        return Ctx.GetLogitsIth(tokens.Length - 1).ToArray();
    }

    /// <summary>Clears the KV cache, evaluates <paramref name="tokens"/> as one batch, and returns the logits of
    /// every position.</summary>
    public float[][] AllLogits(int[] tokens)
    {
        CheckPrompt(tokens, 0);
        EvalPrompt(tokens, allLogits: true);
        var all = new float[tokens.Length][];
        for (int i = 0; i < tokens.Length; i++) all[i] = Ctx.GetLogitsIth(i).ToArray();
        return all;
    }

    private void EvalPrompt(int[] tokens, bool allLogits)
    {
        Ctx.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Length; i++)
            batch.Add(tokens[i], i, LLamaSeqId.Zero, allLogits || i == tokens.Length - 1);
        Decode(batch);
    }

    /// <summary>Clears the KV cache, evaluates <paramref name="prompt"/> as one batch, then each of <paramref name="next"/>
    /// as a one-token batch (as generation does), and returns the logits after each of those.</summary>
    public float[][] DecodeLogits(int[] prompt, int[] next)
    {
        CheckPrompt(prompt, next.Length);
        EvalPrompt(prompt, allLogits: false);
        var result = new float[next.Length][];
        var batch = new LLamaBatch();
        for (int i = 0; i < next.Length; i++)
        {
            batch.Clear();
            batch.Add(next[i], prompt.Length + i, LLamaSeqId.Zero, true);
            Decode(batch);
            result[i] = Ctx.GetLogitsIth(0).ToArray();
        }
        return result;
    }

    /// <summary>Index of the largest logit; ties go to the lowest id, exactly like llama.cpp's greedy sampler
    /// (<c>if (data[i].logit &gt; data[selected].logit) selected = i;</c> over the id-ordered candidates).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Greedy decoding: evaluates the prompt (one batch), then up to <paramref name="maxTokens"/> times takes
    /// the argmax, stops (without returning it) at an end-of-generation token, else feeds it back one token at a time.
    /// Returns the generated ids, not including the prompt.</summary>
    public int[] Greedy(int[] prompt, int maxTokens)
    {
        CheckPrompt(prompt, maxTokens);
        var output = new List<int>(maxTokens);
        EvalPrompt(prompt, allLogits: false);
        int pos = prompt.Length;
        int logitsIndex = prompt.Length - 1; // index, within the last batch, of the token whose logits we read
        var batch = new LLamaBatch();
        while (output.Count < maxTokens)
        {
            int next = ArgMax(Ctx.GetLogitsIth(logitsIndex));
            if (IsEndOfGeneration(next)) break;
            output.Add(next);
            if (output.Count == maxTokens) break;
            batch.Clear();
            batch.Add(next, pos++, LLamaSeqId.Zero, true);
            Decode(batch);
            logitsIndex = 0;
        }
        return output.ToArray();
    }

    public void Dispose()
    {
        _ctx?.Dispose();
        _model.Dispose();
    }
}

/// <summary>One tensor as a GGUF file's header describes it.</summary>
public sealed record GgufTensorInfo(string Name, long[] Shape, GgmlType Type)
{
    public override string ToString() => $"{Name} [{string.Join(",", Shape)}] {Type}";
}

/// <summary>What a quantization actually wrote.</summary>
/// <param name="Requested">The file type asked for.</param>
/// <param name="Tensors">Every tensor of the output file with the type it was written in.</param>
/// <param name="Log">What llama.cpp logged while quantizing.</param>
public sealed record LlamaCppQuantizeResult(LLamaFtype Requested, IReadOnlyList<GgufTensorInfo> Tensors, string Log)
{
    /// <summary>Tensor types present in the output, with counts.</summary>
    public IReadOnlyDictionary<GgmlType, int> TypeCounts =>
        Tensors.GroupBy(t => t.Type).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>llama.cpp's notes about tensors it could not give the type it wanted (rows not a multiple of the
    /// block size), e.g. "output.weight - ncols 64 not divisible by 256 (required for type q6_K) -> falling back to q8_0".</summary>
    public IReadOnlyList<string> Fallbacks =>
        Log.Split('\n').Where(l => l.Contains("fallback", StringComparison.OrdinalIgnoreCase)
            || l.Contains("falling back", StringComparison.OrdinalIgnoreCase)).Select(l => l.Trim()).ToArray();

    public override string ToString() =>
        $"{Requested}: " + string.Join(", ", TypeCounts.Select(kv => $"{kv.Key}x{kv.Value}"));
}

/// <summary>llama.cpp's quantizer (llama_model_quantize).</summary>
public static class LlamaCppQuantizer
{
    /// <summary>
    /// Quantizes <paramref name="src"/> into <paramref name="dst"/> and returns the tensor types actually written
    /// (read back from the output's GGUF header). llama.cpp does not quantize everything to the requested type:
    /// 1-D tensors (norms) stay F32; without <paramref name="pure"/> the "mostly" mixes pick other types for some
    /// tensors (output.weight, attn_v, ...); a tensor whose rows are not a multiple of a k-quant's 256 falls back
    /// (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, Q2_K/Q3_K→IQ4_NL, then F16 if still incompatible) with only a log line;
    /// and for the legacy types (Q4_0, Q8_0, ...) an incompatible row length is an error ("no tensor type fallback
    /// is defined"), thrown here as <see cref="InvalidOperationException"/> with llama.cpp's reason.
    /// </summary>
    public static LlamaCppQuantizeResult Quantize(string src, string dst, LLamaFtype type, bool pure = false, int threads = 2)
    {
        if (!File.Exists(src)) throw new FileNotFoundException("GGUF not found", src);
        LlamaCppLog.EnsureNativeLoaded();
        long mark = LlamaCppLog.Position;
        bool ok;
        if (!pure)
        {
            ok = LLamaQuantizer.Quantize(src, dst, type, threads, allowRequantize: true, quantizeOutputTensor: true);
        }
        else
        {
            var p = LLamaModelQuantizeParams.Default();
            p.nthread = threads;
            p.ftype = type;
            p.allow_requantize = true;
            p.quantize_output_tensor = true;
            p.pure = true;
            ok = NativeApi.llama_model_quantize(src, dst, ref p) == 0;
        }
        string log = LlamaCppLog.Since(mark);
        if (!ok)
        {
            var reasons = log.Split('\n').Where(l => l.Contains("failed", StringComparison.OrdinalIgnoreCase)
                || l.Contains("not divisible", StringComparison.OrdinalIgnoreCase)).Select(l => l.Trim());
            throw new InvalidOperationException($"llama.cpp failed to quantize {src} to {type}: {string.Join(" | ", reasons)}");
        }
        return new LlamaCppQuantizeResult(type, GgufHeader.ReadTensorInfos(dst), log);
    }
}

/// <summary>A minimal, independent GGUF header scan (v2/v3): skips the metadata, returns the tensor infos.</summary>
public static class GgufHeader
{
    public static IReadOnlyList<GgufTensorInfo> ReadTensorInfos(string path)
    {
        using var fs = File.OpenRead(path);
        using var r = new BinaryReader(fs, Encoding.UTF8);
        if (r.ReadUInt32() != 0x46554747) throw new InvalidDataException("not a GGUF file");
        uint version = r.ReadUInt32();
        if (version < 2) throw new InvalidDataException($"GGUF v{version} not supported by this scan");
        long nTensors = (long)r.ReadUInt64();
        long nKv = (long)r.ReadUInt64();
        for (long i = 0; i < nKv; i++)
        {
            ReadString(r);
            SkipValue(r, r.ReadUInt32());
        }
        var list = new List<GgufTensorInfo>((int)nTensors);
        for (long i = 0; i < nTensors; i++)
        {
            string name = ReadString(r);
            uint nDims = r.ReadUInt32();
            var shape = new long[nDims];
            for (int d = 0; d < nDims; d++) shape[d] = (long)r.ReadUInt64();
            var type = (GgmlType)r.ReadUInt32();
            r.ReadUInt64(); // offset
            list.Add(new GgufTensorInfo(name, shape, type));
        }
        return list;
    }

    private static string ReadString(BinaryReader r)
    {
        long n = (long)r.ReadUInt64();
        return Encoding.UTF8.GetString(r.ReadBytes(checked((int)n)));
    }

    private static void SkipValue(BinaryReader r, uint type)
    {
        switch (type)
        {
            case 0: case 1: case 7: r.BaseStream.Seek(1, SeekOrigin.Current); break;        // u8 i8 bool
            case 2: case 3: r.BaseStream.Seek(2, SeekOrigin.Current); break;                // u16 i16
            case 4: case 5: case 6: r.BaseStream.Seek(4, SeekOrigin.Current); break;        // u32 i32 f32
            case 10: case 11: case 12: r.BaseStream.Seek(8, SeekOrigin.Current); break;     // u64 i64 f64
            case 8: r.BaseStream.Seek((long)r.ReadUInt64(), SeekOrigin.Current); break;     // string
            case 9:                                                                         // array
                uint et = r.ReadUInt32();
                long n = (long)r.ReadUInt64();
                for (long i = 0; i < n; i++) SkipValue(r, et);
                break;
            default: throw new InvalidDataException($"unknown GGUF value type {type}");
        }
    }
}
