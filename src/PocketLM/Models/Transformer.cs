using System.Runtime.InteropServices;
using PocketLM.Inference;
using PocketLM.Tensors;

namespace PocketLM.Models;

/// <summary>
/// The decoder-only forward pass shared by the Llama and Qwen families, reading top to bottom like llama2.c's
/// <c>forward()</c>, but over a batch of tokens at once (prefill is matrix-matrix products). Every buffer is allocated
/// once here; a forward call allocates nothing.
/// </summary>
public sealed unsafe class Transformer : IDisposable
{
    private readonly ModelConfig _c;
    private readonly ModelWeights _w;
    private readonly ComputeContext _ctx;
    private readonly RopeTable _rope;
    private readonly AttentionWork _attention;
    private readonly List<nint> _buffers = new();

    // Activations for up to MaxBatch tokens, row-major [token × width].
    private readonly float* _x;      // residual stream
    private readonly float* _xb;     // normalised input of a sub-layer
    private readonly float* _q, _k, _v;
    private readonly float* _attnOut; // heads concatenated, before the output projection
    private readonly float* _proj;    // output of a sub-layer before the residual add
    private readonly float* _gate, _up;
    private float* _logits;
    private int _logitRows;
    private float* _pattern;
    private long _patternFloats;
    private readonly int _keyRotation, _valueRotation; // Hadamard sizes around a quantized cache, 0 = none

    public Transformer(ModelConfig config, ModelWeights weights, int contextSize, int maxBatch, int threads, GgmlType keyType = GgmlType.F16,
                       GgmlType? valueType = null, int llamaCppThreads = 0, bool rotateQuantizedCache = true)
    {
        LlamaCppThreads = llamaCppThreads > 0 ? llamaCppThreads : threads;
        _c = config;
        _w = weights;
        ContextSize = contextSize;
        MaxBatch = maxBatch;
        int d = config.EmbeddingLength;
        int widest = Math.Max(Math.Max(d, config.FeedForwardLength), Math.Max(config.QueryWidth, config.HeadCount * config.ValueHeadDim));
        static bool Half(in WeightMatrix m) => m.Type is GgmlType.F16 or GgmlType.BF16;
        bool halfWeights = Half(weights.Output) || weights.Layers.Any(l =>
            Half(l.Wq) || Half(l.Wk) || Half(l.Wv) || Half(l.Wo) || Half(l.Gate) || Half(l.Up) || Half(l.Down));
        _ctx = new ComputeContext(threads, widest, maxBatch, halfWeights);
        Cache = new KvCache(config.BlockCount, config.KvHeadCount, config.HeadDim, config.ValueHeadDim, contextSize, keyType, valueType);
        if (rotateQuantizedCache)
        {
            _keyRotation = Hadamard.KeySize(Cache.KeyType, config.HeadDim);
            _valueRotation = Hadamard.ValueSize(Cache.ValueType, config.ValueHeadDim);
        }
        _rope = new RopeTable(contextSize, config.RopeDimCount, config.RopeBase, config.RopeLinearScale, weights.RopeFreqs);
        Hooks = new HookRegistry(config.BlockCount);

        _x = Alloc((long)maxBatch * d);
        _xb = Alloc((long)maxBatch * d);
        _q = Alloc((long)maxBatch * config.QueryWidth);
        _k = Alloc((long)maxBatch * config.KeyWidth);
        _v = Alloc((long)maxBatch * config.ValueWidth);
        _attnOut = Alloc((long)maxBatch * config.HeadCount * config.ValueHeadDim);
        _proj = Alloc((long)maxBatch * d);
        _gate = Alloc((long)maxBatch * config.FeedForwardLength);
        _up = Alloc((long)maxBatch * config.FeedForwardLength);
        _logits = Alloc(config.VocabSize);
        _logitRows = 1;
        _attention = new AttentionWork(this, threads);
    }

    public int ContextSize { get; }
    public int MaxBatch { get; }
    /// <summary>Chunks of llama.cpp's split-KV decode attention (its thread count; see SessionOptions.LlamaCppThreads).</summary>
    public int LlamaCppThreads { get; }
    public KvCache Cache { get; }

    /// <summary>Keys and values both F16: llama.cpp's tiled and split-KV attention kernels apply (not to other types).</summary>
    private bool HalfCache => Cache.KeyType == GgmlType.F16 && Cache.ValueType == GgmlType.F16;
    public HookRegistry Hooks { get; }
    public ComputeContext Compute => _ctx;

    /// <summary>Logits of the rows computed by the last <see cref="Forward"/> ([rows × vocab], last row last).</summary>
    public ReadOnlySpan<float> Logits => new(_logits, _logitRows * _c.VocabSize);

    public ReadOnlySpan<float> LastLogits => new(_logits + (long)(_logitRows - 1) * _c.VocabSize, _c.VocabSize);

    /// <summary>
    /// Runs <paramref name="tokens"/> (at most MaxBatch) at positions start.. and stores their keys/values in the cache.
    /// Computes logits for the last token, or for every token when <paramref name="allLogits"/>.
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, int start, bool allLogits = false)
    {
        int n = tokens.Length;
        if (n == 0 || n > MaxBatch) throw new ArgumentOutOfRangeException(nameof(tokens), $"batch of {n} tokens (1..{MaxBatch})");
        if (start < 0 || start + n > ContextSize) throw new ArgumentOutOfRangeException(nameof(start), $"positions {start}..{start + n} exceed the context of {ContextSize}");
        int d = _c.EmbeddingLength, ff = _c.FeedForwardLength;
        bool hooks = Hooks.Any;

        // Token embeddings.
        var embd = _w.TokenEmbedding;
        for (int t = 0; t < n; t++)
        {
            if ((uint)tokens[t] >= (uint)embd.Rows) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[t]} is outside the vocabulary (0..{embd.Rows - 1})");
            Dequantize.Row(embd.Type, new ReadOnlySpan<byte>(embd.Data + tokens[t] * embd.RowBytes, (int)embd.RowBytes), new Span<float>(_x + (long)t * d, d));
        }
        if (hooks) Hooks.Fire(HookKind.Embed, 0, _x, n, d, start);

        for (int l = 0; l < _c.BlockCount; l++)
        {
            var L = _w.Layers[l];
            if (hooks) Hooks.Fire(HookKind.ResidPre, l, _x, n, d, start);

            // Attention: norm, project, (bias), (q/k norm), rope, cache, attend, project back, residual.
            for (int t = 0; t < n; t++) Ops.RmsNorm(_x + (long)t * d, L.AttnNorm, _xb + (long)t * d, d, _c.RmsEpsilon);
            MatMul.Multiply(_ctx, _xb, n, L.Wq, _q, L.Wk, _k, L.Wv, _v);
            if (L.BiasQ != null) AddRowBias(_q, L.BiasQ, n, _c.QueryWidth);
            if (L.BiasK != null) AddRowBias(_k, L.BiasK, n, _c.KeyWidth);
            if (L.BiasV != null) AddRowBias(_v, L.BiasV, n, _c.ValueWidth);
            if (hooks)
            {
                Hooks.Fire(HookKind.Q, l, _q, n, _c.QueryWidth, start);
                Hooks.Fire(HookKind.K, l, _k, n, _c.KeyWidth, start);
                Hooks.Fire(HookKind.V, l, _v, n, _c.ValueWidth, start);
            }
            PositionQueriesAndKeys(L, n, start);
            RotateForCache(n);
            StoreKeysValues(l, n, start);
            Attend(l, n, start);
            if (_valueRotation > 0) Hadamard.Rotate(_attnOut, (long)n * _c.HeadCount * _c.ValueHeadDim, _valueRotation);
            MatMul.Multiply(_ctx, L.Wo, _attnOut, _proj, n);
            if (hooks) Hooks.Fire(HookKind.AttnOut, l, _proj, n, d, start);
            Ops.Add(_x, _proj, n * d);
            if (hooks) Hooks.Fire(HookKind.ResidMid, l, _x, n, d, start);

            // Feed-forward: norm, SwiGLU, project back, residual.
            for (int t = 0; t < n; t++) Ops.RmsNorm(_x + (long)t * d, L.FfnNorm, _xb + (long)t * d, d, _c.RmsEpsilon);
            MatMul.Multiply(_ctx, _xb, n, L.Gate, _gate, L.Up, _up);
            for (int t = 0; t < n; t++) GgmlExp.SwiGlu(_gate + (long)t * ff, _up + (long)t * ff, _gate + (long)t * ff, ff);
            if (hooks) Hooks.Fire(HookKind.MlpPost, l, _gate, n, ff, start);
            MatMul.Multiply(_ctx, L.Down, _gate, _proj, n);
            Ops.Add(_x, _proj, n * d);
            if (hooks) Hooks.Fire(HookKind.ResidPost, l, _x, n, d, start);
        }

        // Final norm and unembedding, for the rows whose logits are wanted.
        bool everyRow = allLogits || Hooks.IsActive(HookKind.LnFinal, 0) || Hooks.IsActive(HookKind.Unembed, 0);
        int first = everyRow ? 0 : n - 1, rows = n - first;
        for (int t = first; t < n; t++) Ops.RmsNorm(_x + (long)t * d, _w.OutputNorm, _xb + (long)(t - first) * d, d, _c.RmsEpsilon);
        if (hooks) Hooks.Fire(HookKind.LnFinal, 0, _xb, rows, d, start + first);
        EnsureLogitRows(rows);
        MatMul.Multiply(_ctx, _w.Output, _xb, _logits, rows);
        _logitRows = rows;
        if (hooks) Hooks.Fire(HookKind.Unembed, 0, _logits, rows, _c.VocabSize, start + first);
    }

    private static void AddRowBias(float* m, float* bias, int rows, int width)
    {
        for (int t = 0; t < rows; t++) Ops.Add(m + (long)t * width, bias, width);
    }

    private void PositionQueriesAndKeys(LayerWeights L, int n, int start)
    {
        int hd = _c.HeadDim;
        bool neox = _c.RopeStyle == RopeStyle.NeoX;
        for (int t = 0; t < n; t++)
        {
            float* cos = _rope.Cos(start + t), sin = _rope.Sin(start + t);
            for (int h = 0; h < _c.HeadCount; h++)
            {
                float* q = _q + (long)t * _c.QueryWidth + h * hd;
                if (L.QNorm != null) Ops.RmsNorm(q, L.QNorm, q, hd, _c.RmsEpsilon);
                Ops.Rope(q, cos, sin, _c.RopeDimCount, neox);
            }
            for (int h = 0; h < _c.KvHeadCount; h++)
            {
                float* k = _k + (long)t * _c.KeyWidth + h * hd;
                if (L.KNorm != null) Ops.RmsNorm(k, L.KNorm, k, hd, _c.RmsEpsilon);
                Ops.Rope(k, cos, sin, _c.RopeDimCount, neox);
            }
        }
    }

    /// <summary>llama.cpp's Hadamard rotation around a quantized cache (see <see cref="Hadamard"/>): queries and keys for
    /// a quantized K cache, values for a quantized V cache (the attention output is rotated back after
    /// <see cref="Attend"/>). Applied after RoPE and the Q/K/V hooks, so hooks see the model's own activations.</summary>
    private void RotateForCache(int n)
    {
        if (_keyRotation > 0)
        {
            Hadamard.Rotate(_q, (long)n * _c.QueryWidth, _keyRotation);
            Hadamard.Rotate(_k, (long)n * _c.KeyWidth, _keyRotation);
        }
        if (_valueRotation > 0) Hadamard.Rotate(_v, (long)n * _c.ValueWidth, _valueRotation);
    }

    private void StoreKeysValues(int layer, int n, int start)
    {
        int hd = _c.HeadDim, vd = _c.ValueHeadDim;
        for (int h = 0; h < _c.KvHeadCount; h++)
        {
            byte* keys = Cache.Keys(layer, h), values = Cache.Values(layer, h);
            for (int t = 0; t < n; t++)
            {
                float* k = _k + (long)t * _c.KeyWidth + h * hd, v = _v + (long)t * _c.ValueWidth + h * vd;
                KvCache.Store(Cache.KeyType, k, keys + (start + t) * Cache.KeyRowBytes, hd);
                KvCache.Store(Cache.ValueType, v, values + (start + t) * Cache.ValueRowBytes, vd);
            }
        }
    }

    private void Attend(int layer, int n, int start)
    {
        bool wantPattern = Hooks.IsActive(HookKind.Pattern, layer);
        int keys = start + n;
        if (wantPattern)
        {
            long need = (long)_c.HeadCount * n * keys;
            if (need > _patternFloats)
            {
                if (_pattern != null) NativeMemory.AlignedFree(_pattern);
                _pattern = (float*)NativeMemory.AlignedAlloc((nuint)(need * sizeof(float)), 64);
                _patternFloats = need;
            }
            new Span<float>(_pattern, (int)need).Clear();
        }
        _attention.Layer = layer;
        _attention.Tokens = n;
        _attention.Start = start;
        _attention.Pattern = wantPattern ? _pattern : null;
        // llama.cpp switches kernels by micro-batch size (see TiledAttention); each batch here is one of its micro-batches
        _attention.Tiled = HalfCache && TiledAttention.Applies(n, _c.ValueHeadDim);
        _ctx.Pool.Run(_attention, _attention.Tiled ? _c.KvHeadCount * ((n + AttentionWork.TiledTokens - 1) / AttentionWork.TiledTokens)
                                  : Cache.KeyType == GgmlType.F32 ? _c.HeadCount * n : _c.KvHeadCount * _attention.Parts * n);
        if (wantPattern) Hooks.Fire(HookKind.Pattern, layer, _pattern, _c.HeadCount * n, keys, start);
    }

    /// <summary>
    /// Causal attention in the cache's numerics (see <see cref="Attention"/>): with an F32 cache one (head, query) pair per
    /// work item; with any other cache one query × a part of a KV head's group of query heads (<see cref="Parts"/> parts, so
    /// that there are enough items for the threads; each key and value is read once per part), or, when
    /// <see cref="Tiled"/>, one KV head × <see cref="TiledTokens"/> queries (every head of its group) per item.
    /// </summary>
    private sealed class AttentionWork : IParallelWork
    {
        public const int TiledTokens = 16;
        private readonly Transformer _t;
        private readonly float*[] _scores;
        private readonly ushort*[] _q16;
        private readonly float*[] _acc;
        private readonly float*[] _tileScratch;
        // the one-row kernels' scratch: F16Split's partials for an F16 cache, OneChunk's queries and accumulators otherwise
        private readonly float*[] _rowScratch;
        private readonly nint*[] _rowPointers;
        public int Layer, Tokens, Start;
        public float* Pattern;
        public bool Tiled;
        /// <summary>Parts each KV head's group of query heads is cut into for the one-row F16 kernels: enough items for two
        /// per thread where the group allows.</summary>
        public readonly int Parts;

        public AttentionWork(Transformer t, int threads)
        {
            _t = t;
            var c = t._c;
            int group = c.HeadCount / c.KvHeadCount;
            Parts = Math.Clamp((2 * threads + c.KvHeadCount - 1) / c.KvHeadCount, 1, group);
            int tiledRows = c.HeadCount / c.KvHeadCount * TiledTokens;
            bool tiles = t.HalfCache && t.MaxBatch >= TiledAttention.MinRows;
            _scores = new float*[threads];
            _q16 = new ushort*[threads];
            _acc = new float*[threads];
            _tileScratch = new float*[threads];
            _rowScratch = new float*[threads];
            _rowPointers = new nint*[threads];
            for (int i = 0; i < threads; i++)
            {
                _scores[i] = t.Alloc(Attention.ScoreCapacity(t.ContextSize));
                _q16[i] = (ushort*)t.Alloc((long)group * c.HeadDim);
                _acc[i] = t.Alloc((long)group * c.ValueHeadDim);
                _rowScratch[i] = t.HalfCache ? t.Alloc(Attention.SplitScratchFloats(group, c.ValueHeadDim))
                                 : t.Alloc(Attention.OneChunkScratchFloats(t.Cache.KeyType, group, c.HeadDim, c.ValueHeadDim));
                if (!tiles) continue;
                _tileScratch[i] = t.Alloc(TiledAttention.ScratchFloats(tiledRows, c.HeadDim, c.ValueHeadDim));
                _rowPointers[i] = (nint*)t.Alloc(tiledRows * 4L * 2); // q, output, probabilities pointers and positions
            }
        }

        public void Execute(int begin, int end, int thread)
        {
            var c = _t._c;
            int hd = c.HeadDim, vd = c.ValueHeadDim, group = c.HeadCount / c.KvHeadCount;
            float scale = 1.0f / MathF.Sqrt(hd);
            if (Tiled) { ExecuteTiled(begin, end, thread, hd, vd, group, scale); return; }
            if (_t.Cache.KeyType != GgmlType.F32) { ExecuteGrouped(begin, end, thread, hd, vd, group, scale); return; }
            float* scores = _scores[thread];
            for (int item = begin; item < end; item++)
            {
                int h = item / Tokens, t = item % Tokens;
                int kvh = h / group, len = Start + t + 1;
                float* q = _t._q + (long)t * c.QueryWidth + h * hd;
                float* o = _t._attnOut + (long)t * c.HeadCount * vd + h * vd;
                Attention.F32(q, (float*)_t.Cache.Keys(Layer, kvh), (float*)_t.Cache.Values(Layer, kvh), len, hd, vd, scale, o, scores, Tokens > 1);
                if (Pattern != null) new Span<float>(scores, len).CopyTo(new Span<float>(Pattern + ((long)h * Tokens + t) * (Start + Tokens), len));
            }
        }

        /// <summary>F16 cache with fewer than <see cref="TiledAttention.MinRows"/> rows, or a quantized or mixed cache: the
        /// one-row kernels, for the query heads of one part of a KV head's group at a time.</summary>
        private void ExecuteGrouped(int begin, int end, int thread, int hd, int vd, int group, float scale)
        {
            var c = _t._c;
            int perPart = (group + Parts - 1) / Parts;
            long patternStride = (long)Tokens * (Start + Tokens);
            for (int item = begin; item < end; item++)
            {
                int t = item % Tokens, kvh = item / Tokens / Parts, part = item / Tokens % Parts;
                int h = kvh * group + part * perPart, heads = Math.Min(perPart, group - part * perPart), len = Start + t + 1;
                if (heads <= 0) continue;
                float* q = _t._q + (long)t * c.QueryWidth + h * hd;
                float* o = _t._attnOut + (long)t * c.HeadCount * vd + h * vd;
                float* pattern = Pattern == null ? null : Pattern + ((long)h * Tokens + t) * (Start + Tokens);
                var cache = _t.Cache;
                if (!_t.HalfCache)
                {
                    Attention.OneChunk(cache.KeyType, cache.ValueType, q, heads, cache.Keys(Layer, kvh), cache.KeyRowBytes, cache.Values(Layer, kvh),
                                       cache.ValueRowBytes, len, hd, vd, scale, o, _rowScratch[thread], pattern, patternStride);
                    continue;
                }
                ushort* keys = (ushort*)cache.Keys(Layer, kvh), values = (ushort*)cache.Values(Layer, kvh);
                Attention.ToF16(q, _q16[thread], heads * hd);
                int cells = Attention.PaddedCells(len, _t.ContextSize);
                if (Tokens == 1 && cells >= Attention.SplitMinCells)
                    // llama.cpp splits a long decode's cells across its threads: this matches a run with LlamaCppThreads
                    Attention.F16Split(_q16[thread], heads, keys, values, len, cells, _t.LlamaCppThreads, hd, vd, scale, o, _acc[thread],
                                       _rowScratch[thread], pattern, patternStride);
                else
                    Attention.F16Online(_q16[thread], heads, keys, values, len, hd, vd, scale, o, _acc[thread], pattern, patternStride);
            }
        }

        private void ExecuteTiled(int begin, int end, int thread, int hd, int vd, int group, float scale)
        {
            var c = _t._c;
            int blocks = (Tokens + TiledTokens - 1) / TiledTokens;
            nint* ptrs = _rowPointers[thread];
            int capacity = group * TiledTokens;
            float** q = (float**)ptrs, o = (float**)(ptrs + capacity), probs = (float**)(ptrs + 2 * capacity);
            int* pos = (int*)(ptrs + 3 * capacity);
            for (int item = begin; item < end; item++)
            {
                int kvh = item / blocks, t0 = item % blocks * TiledTokens, t1 = Math.Min(Tokens, t0 + TiledTokens);
                int rows = 0;
                for (int h = kvh * group; h < (kvh + 1) * group; h++)
                    for (int t = t0; t < t1; t++, rows++)
                    {
                        q[rows] = _t._q + (long)t * c.QueryWidth + h * hd;
                        o[rows] = _t._attnOut + (long)t * c.HeadCount * vd + h * vd;
                        probs[rows] = Pattern == null ? null : Pattern + ((long)h * Tokens + t) * (Start + Tokens);
                        pos[rows] = Start + t;
                    }
                TiledAttention.Run(q, pos, o, rows, (ushort*)_t.Cache.Keys(Layer, kvh), (ushort*)_t.Cache.Values(Layer, kvh), hd, vd, scale,
                                   _tileScratch[thread], Pattern == null ? null : probs);
            }
        }
    }

    private void EnsureLogitRows(int rows)
    {
        if (rows <= _logitCapacity) return;
        NativeMemory.AlignedFree(_logits);
        _buffers.Remove((nint)_logits);
        _logits = Alloc((long)rows * _c.VocabSize);
        _logitCapacity = rows;
    }

    private int _logitCapacity = 1;

    private float* Alloc(long floats)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(floats, 16) * sizeof(float)), 64);
        new Span<float>(p, (int)Math.Min(floats, int.MaxValue)).Clear();
        _buffers.Add((nint)p);
        return p;
    }

    public void Dispose()
    {
        foreach (nint p in _buffers) NativeMemory.AlignedFree((void*)p);
        _buffers.Clear();
        if (_pattern != null) NativeMemory.AlignedFree(_pattern);
        _pattern = null;
        Cache.Dispose();
        _rope.Dispose();
        _ctx.Dispose();
    }
}
