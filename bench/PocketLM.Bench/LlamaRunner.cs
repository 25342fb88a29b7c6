using LLama.Native;

namespace PocketLM.Bench;

/// <summary>
/// llama.cpp through LLamaSharp's native API, run like llama-bench: tgN decodes N tokens one at a time from an empty
/// cache, ppN evaluates N tokens as one batch. Settings are llama.cpp's defaults (F16 KV cache, flash attention auto =
/// on for CPU), which is what PocketLM's default F16 cache emulates.
/// </summary>
internal sealed class LlamaRunner : IDisposable
{
    private static readonly NativeLogConfig.LLamaLogCallback Quiet = (_, _) => { };
    private static int _loaded;
    private readonly SafeLlamaModelHandle _model;
    private readonly SafeLLamaContextHandle _ctx;
    private readonly LLamaBatch _batch = new();

    public static void EnsureLoaded()
    {
        if (Interlocked.Exchange(ref _loaded, 1) == 1) return;
        NativeLogConfig.llama_log_set(Quiet);
        NativeApi.llama_empty_call();
        NativeLogConfig.llama_log_set(Quiet);
    }

    /// <summary>llama.cpp's own list of the CPU features its loaded build uses (which of LLamaSharp's builds was picked).</summary>
    public static string SystemInfo()
    {
        EnsureLoaded();
        return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info()) ?? "?";
    }

    public LlamaRunner(string path, int threads, int contextSize, GGMLType cacheType = GGMLType.GGML_TYPE_F16)
    {
        EnsureLoaded();
        var mp = LLamaModelParams.Default();
        mp.n_gpu_layers = 0;
        mp.check_tensors = false;
        _model = SafeLlamaModelHandle.LoadFromFile(path, mp);
        var cp = LLamaContextParams.Default();
        cp.n_ctx = (uint)contextSize;
        cp.n_batch = (uint)contextSize;
        cp.n_ubatch = (uint)contextSize;
        cp.n_seq_max = 1;
        cp.n_threads = threads;
        cp.n_threads_batch = threads;
        cp.type_k = cacheType;
        cp.type_v = cacheType;
        cp.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_AUTO;
        cp.offload_kqv = false;
        cp.op_offload = false;
        cp.no_perf = true;
        _ctx = SafeLLamaContextHandle.Create(_model, cp);
    }

    public void Generate(int[] tokens, int n)
    {
        _ctx.MemoryClear(true);
        for (int i = 0; i < n; i++)
        {
            _batch.Clear();
            _batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
            Check(_ctx.Decode(_batch));
        }
    }

    public void Prompt(int[] tokens, int n)
    {
        _ctx.MemoryClear(true);
        _batch.Clear();
        for (int i = 0; i < n; i++) _batch.Add(tokens[i], i, LLamaSeqId.Zero, i == n - 1);
        Check(_ctx.Decode(_batch));
    }

    /// <summary>Decodes <paramref name="tokens"/> one at a time at positions <paramref name="start"/>.. (after a
    /// <see cref="Prompt"/> of <paramref name="start"/> tokens), keeping what is cached before them.</summary>
    public void DecodeFrom(int start, int[] tokens)
    {
        _ctx.MemorySequenceRemove(LLamaSeqId.Zero, start, -1);
        for (int i = 0; i < tokens.Length; i++)
        {
            _batch.Clear();
            _batch.Add(tokens[i], start + i, LLamaSeqId.Zero, true);
            Check(_ctx.Decode(_batch));
        }
    }

    /// <summary>The greedy choice after the last <see cref="Prompt"/> (reads the logits, as a first token needs).</summary>
    public int ArgMaxLast(int vocab)
    {
        var logits = _ctx.GetLogitsIth(-1);
        int best = 0;
        for (int i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    private static void Check(DecodeResult r)
    {
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {r}");
    }

    public void Dispose()
    {
        _ctx.Dispose();
        _model.Dispose();
    }
}
