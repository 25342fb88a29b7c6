using System.Runtime.InteropServices;

namespace PocketLM.Tensors;

/// <summary>Matrix × activations with llama.cpp's numerics: activations quantized once to the weight's vec_dot type, fused integer dots.</summary>
public static unsafe class MatMul
{
    // Rows per work item: 16 rows of a 4096-wide Q8_0 matrix are ~70 KB, which stay in L2 while every activation row of a
    // prefill batch passes over them, so weights stream from memory once per tile instead of once per token.
    internal const int RowsPerChunk = 16;

    /// <summary>Multi-token tiles for batches (benchmarks switch them off to measure what they bring).</summary>
    internal static bool UseTiles { get; set; } = true;

    /// <summary>The one-row kernel for a matrix: a repacked matrix computes with its own numerics on every path.</summary>
    internal static delegate*<byte*, byte*, int, float> Kernel(in WeightMatrix w, bool simd) =>
        w.Packed != null ? PackedWeights.Reference(w.Type)
        : simd && VecDotAvx2.IsSupported && w.Type == GgmlType.Q5_0 ? &VecDotAvx2.Q5_0Extras // activations carry Q8_0Extras here
        : Kernel(w.Type, simd);

    internal static delegate*<byte*, byte*, int, float> Kernel(GgmlType type, bool simd)
    {
        if (simd)
        {
            var k = VecDotAvx2.IsSupported ? VecDotAvx2.For(type) : VecDotNeon.IsSupported ? VecDotNeon.For(type) : null;
            if (k != null) return k;
        }
        return VecDotScalar.For(type);
    }

    /// <summary>Four-rows-at-once kernel (rows at a stride, outputs at a stride), or null.</summary>
    internal static delegate*<byte*, long, byte*, int, float*, long, void> Kernel4(GgmlType type, bool simd) =>
        simd && VecDotAvx2.IsSupported
            ? type switch
            {
                GgmlType.Q8_0 => &VecDotTiles.Q0x4<Q8_0Format>,
                GgmlType.Q4_0 => &VecDotTiles.Q0x4<Q4_0Format>,
                GgmlType.Q5_0 => &VecDotTiles.Q0x4<Q5_0Format>,
                _ => null,
            }
            : null;

    /// <summary>Rows × tokens tile kernel (prefill) and its shape, or null: y[t·yStride + k] for row k, token t.</summary>
    internal static delegate*<byte*, long, byte*, long, int, float*, long, void> Tile(GgmlType type, bool simd, out int rows, out int tokens)
    {
        rows = 4; tokens = 2;
        if (!simd || !UseTiles) return null;
        if (!VecDotAvx2.IsSupported) return VecDotNeon.IsSupported ? NeonTile(type, out rows, out tokens) : null;
        if (Avx512.Enabled)
            switch (type)
            {
                case GgmlType.Q8_0: rows = 8; return &VecDotTiles.Q8_0Tile82;
                case GgmlType.Q4_0: tokens = 4; return &VecDotTiles.Q0Tile44<Q4_0Format>;
                case GgmlType.Q5_0: tokens = 4; return &VecDotTiles.Q0Tile44<Q5_0Format>;
                case GgmlType.Q6_K: rows = 2; return &VecDotTiles.Q6KTile22;
            }
        switch (type)
        {
            case GgmlType.Q8_0: return &VecDotTiles.Q8_0Tile42;
            case GgmlType.Q4_0: rows = 2; tokens = 4; return &VecDotTiles.Q0Tile24<Q4_0Format>;
            case GgmlType.Q5_0: rows = 2; tokens = 4; return &VecDotTiles.Q0Tile24<Q5_0Format>;
            case GgmlType.Q4_1: rows = 2; tokens = 4; return &VecDotTiles.Q1Tile24<Q4_1Format>;
            case GgmlType.Q5_1: rows = 2; tokens = 4; return &VecDotTiles.Q1Tile24<Q5_1Format>;
            case GgmlType.Q4_K: rows = 1; return &VecDotTiles.Q4KTile12;
            case GgmlType.Q6_K: rows = 1; return &VecDotTiles.Q6KTile12;
            case GgmlType.IQ4_NL: rows = 1; tokens = 4; return &VecDotTiles.IQ4NLTile14;
            case GgmlType.IQ4_XS: rows = 1; tokens = 4; return &VecDotTiles.IQ4XSTile14;
            case GgmlType.Q5_K: rows = 1; return &VecDotTiles.Q5KTile12;
            case GgmlType.Q3_K: rows = 1; return &VecDotTiles.Q3KTile12;
            case GgmlType.Q2_K: rows = 1; return &VecDotTiles.Q2KTile12;
            case GgmlType.IQ3_XXS: rows = 1; tokens = 4; return &VecDotTiles.IQ3XXSTile14;
            case GgmlType.IQ3_S: rows = 1; tokens = 4; return &VecDotTiles.IQ3STile14;
            case GgmlType.IQ2_XXS: rows = 1; tokens = 4; return &VecDotTiles.IQ2XXSTile14;
            case GgmlType.IQ2_S: rows = 1; tokens = 4; return &VecDotTiles.IQ2STile14;
            case GgmlType.IQ2_XS: rows = 1; tokens = 4; return &VecDotTiles.IQ2XSTile14;
            case GgmlType.IQ1_S: rows = 1; tokens = 4; return &VecDotTiles.IQ1STile14;
            case GgmlType.IQ1_M: rows = 1; tokens = 4; return &VecDotTiles.IQ1MTile14;
            default: return null;
        }
    }

    private static delegate*<byte*, long, byte*, long, int, float*, long, void> NeonTile(GgmlType type, out int rows, out int tokens)
    {
        rows = 2; tokens = 4;
        switch (type)
        {
            case GgmlType.Q8_0: return &VecDotNeon.Block32Tile24<VecDotNeon.Q8_0Quants>;
            case GgmlType.Q4_0: return &VecDotNeon.Block32Tile24<VecDotNeon.Q4_0Quants>;
            case GgmlType.Q5_0: return &VecDotNeon.Block32Tile24<VecDotNeon.Q5_0Quants>;
            case GgmlType.Q4_1: return &VecDotNeon.Block32Tile24<VecDotNeon.Q4_1Quants>;
            case GgmlType.Q5_1: return &VecDotNeon.Block32Tile24<VecDotNeon.Q5_1Quants>;
            case GgmlType.Q4_K: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.Q4KTile14;
            case GgmlType.Q6_K: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.Q6KTile14;
            case GgmlType.Q5_K: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.Q5KTile14;
            case GgmlType.Q3_K: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.Q3KTile14;
            case GgmlType.Q2_K: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.Q2KTile14;
            case GgmlType.IQ4_NL: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ4NLTile14;
            case GgmlType.IQ4_XS: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ4XSTile14;
            case GgmlType.IQ1_S: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ1STile14;
            case GgmlType.IQ1_M: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ1MTile14;
            case GgmlType.IQ2_XXS: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ2XXSTile14;
            case GgmlType.IQ2_XS: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ2XSTile14;
            case GgmlType.IQ2_S: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ2STile14;
            case GgmlType.IQ3_XXS: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ3XXSTile14;
            case GgmlType.IQ3_S: rows = 1; tokens = VecDotNeon.KTileTokens; return &VecDotNeon.IQ3STile14;
            default: return null;
        }
    }

    /// <summary>
    /// y[b*w.Rows + r] = Σ_k W[r,k]·x[b*w.Cols + k] for b &lt; batch. x is quantized once per call to the weight's vec_dot
    /// type; work is split by output rows in chunks over the pool. No allocation.
    /// </summary>
    public static void Multiply(ComputeContext ctx, in WeightMatrix w, float* x, float* y, int batch)
    {
        var job = ctx.RowsWork;
        job.Begin(batch, ctx.Simd);
        Add(ctx, job, w, x, y, batch);
        ctx.Pool.Run(job, job.Chunks);
    }

    /// <summary>
    /// Two or three products of the same input (Q, K, V projections; gate and up) in one pass over the pool: the input is
    /// quantized once per activation format and the threads synchronise once instead of once per matrix.
    /// <paramref name="w2"/> may be skipped with <paramref name="y2"/> = null.
    /// </summary>
    public static void Multiply(ComputeContext ctx, float* x, int batch, in WeightMatrix w0, float* y0, in WeightMatrix w1, float* y1,
                                in WeightMatrix w2 = default, float* y2 = null)
    {
        if (w1.Cols != w0.Cols || (y2 != null && w2.Cols != w0.Cols)) throw new ArgumentException("Grouped matrices must share the input width.");
        var job = ctx.RowsWork;
        job.Begin(batch, ctx.Simd);
        Add(ctx, job, w0, x, y0, batch);
        Add(ctx, job, w1, x, y1, batch);
        if (y2 != null) Add(ctx, job, w2, x, y2, batch);
        ctx.Pool.Run(job, job.Chunks);
    }

    private static void Add(ComputeContext ctx, RowsWork job, in WeightMatrix w, float* x, float* y, int batch)
    {
        if (w.Cols > ctx.MaxCols) throw new ArgumentException($"Matrix has {w.Cols} columns; the context was sized for {ctx.MaxCols}.");
        if (batch < 1 || batch > ctx.MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch));
        GgmlType at = ActivationQuantizer.VecDotType(w.Type);
        // F16 weights on AVX2: activations as the floats of their halves (the same values the kernel would widen per row);
        // BF16 weights in a batch likewise (widening BF16 is a shift, so their decode keeps the BF16 kernel)
        bool wide = (at == GgmlType.F16 || (at == GgmlType.BF16 && batch > 1)) && ctx.WideHalves && ctx.Simd;
        byte* act;
        long actRow;
        if (at == GgmlType.F32)
        {
            act = (byte*)x;
            actRow = (long)w.Cols * 4;
        }
        else
        {
            actRow = ctx.ActivationRowCapacity;
            // One buffer per activation format within a group: a format already made for this input is reused.
            act = job.FindActivations(at, x);
            if (act == null)
            {
                act = ctx.ActivationBuffer(job.Segments);
                if (batch == 1)
                    QuantizeWork.Row(at, wide, x, act, w.Cols);
                else
                {
                    var q = ctx.QuantizeWork;
                    q.Set(at, wide, x, w.Cols, act, actRow);
                    ctx.Pool.Run(q, batch);
                }
            }
        }
        job.Add(w, act, actRow, y, at, x, wide);
    }

    /// <summary>The plain scalar path, on the same quantization of x; single-threaded; for tests and checks.</summary>
    public static void MultiplyReference(in WeightMatrix w, float* x, float* y, int batch)
    {
        GgmlType at = ActivationQuantizer.VecDotType(w.Type);
        long actRow = GgmlTypeInfo.RowBytes(at, w.Cols);
        byte* act = (byte*)NativeMemory.AlignedAlloc((nuint)(actRow * batch), 64);
        try
        {
            var dot = w.Packed != null ? PackedWeights.Reference(w.Type) : VecDotScalar.For(w.Type);
            for (int b = 0; b < batch; b++)
            {
                ActivationQuantizer.Row(at, x + (long)b * w.Cols, act + b * actRow, w.Cols);
                for (int r = 0; r < w.Rows; r++)
                    y[(long)b * w.Rows + r] = dot(w.Data + r * w.RowBytes, act + b * actRow, w.Cols);
            }
        }
        finally
        {
            NativeMemory.AlignedFree(act);
        }
    }

    /// <summary>Quantizes activation rows [start, end).</summary>
    internal sealed class QuantizeWork : IParallelWork
    {
        private GgmlType _type;
        private bool _wide;
        private float* _x;
        private int _cols;
        private byte* _dst;
        private long _dstRow;

        public void Set(GgmlType type, bool wide, float* x, int cols, byte* dst, long dstRow)
        {
            _type = type; _wide = wide; _x = x; _cols = cols; _dst = dst; _dstRow = dstRow;
        }

        public void Execute(int start, int end, int thread)
        {
            for (int b = start; b < end; b++) Row(_type, _wide, _x + (long)b * _cols, _dst + b * _dstRow, _cols);
        }

        /// <summary>One activation row in the kernels' format.</summary>
        internal static void Row(GgmlType type, bool wide, float* x, byte* row, int cols)
        {
            if (wide)
            {
                if (type == GgmlType.F16) Fp16.WidenRow(x, (float*)row, cols);
                else Fp16.WidenRowBf16(x, (float*)row, cols);
                return;
            }
            ActivationQuantizer.Row(type, x, row, cols);
            // Q8_0 rows carry per-block extras for the kernels (negligible next to any matmul).
            if (type == GgmlType.Q8_0) Q8_0Extras.Write(row, cols);
        }
    }

    /// <summary>Output rows in chunks of <see cref="RowsPerChunk"/> over up to three matrices; within a chunk every
    /// activation row passes over the same weights.</summary>
    internal sealed class RowsWork : IParallelWork
    {
        internal const int MaxSegments = 3;

        private struct Segment
        {
            public byte* W;
            public long RowBytes;
            public int Rows, Cols, FirstChunk;
            public byte* Act;
            public long ActRow;
            public float* Y;
            public delegate*<byte*, byte*, int, float> Dot;
            public delegate*<byte*, long, byte*, int, float*, long, void> Dot4;
            public delegate*<byte*, long, byte*, long, int, float*, long, void> Tile;
            public int TileRows, TileTokens;
            public byte* Packed;
            public long PackedGroupBytes;
            public delegate*<byte*, byte*, int, float*, void> Gemv;
            public delegate*<byte*, byte*, long, int, float*, long, void> Gemm4;
            public delegate*<byte*, long, byte*, long, int, float*, long, void> Gemm16x4; // null without AVX-512
            public GgmlType ActType;
            public float* ActSource;
            public bool Wide; // F16/BF16 weights, activations widened (QuantizeWork.Row)
            public GgmlType Type;
        }

        private readonly Segment[] _segments = new Segment[MaxSegments];
        private int _count, _chunks, _batch;
        private bool _simd;
        private float* _wideRows;
        private long _wideStride;

        public int Chunks => _chunks;
        public int Segments => _count;

        public void Begin(int batch, bool simd)
        {
            _count = 0; _chunks = 0; _batch = batch; _simd = simd;
        }

        /// <summary>Activations already made from <paramref name="x"/> in format <paramref name="type"/> in this group, or null.</summary>
        public byte* FindActivations(GgmlType type, float* x)
        {
            for (int i = 0; i < _count; i++)
                if (_segments[i].ActType == type && _segments[i].ActSource == x) return _segments[i].Act;
            return null;
        }

        /// <summary>Per-thread buffers for widened F16 rows (<see cref="ComputeContext"/>; null when it has none).</summary>
        internal void SetWideRows(float* rows, long stride)
        {
            _wideRows = rows; _wideStride = stride;
        }

        public void Add(in WeightMatrix w, byte* act, long actRow, float* y, GgmlType actType, float* actSource, bool wide = false)
        {
            ref var s = ref _segments[_count++];
            s.ActType = actType; s.ActSource = actSource;
            s.W = w.Data; s.RowBytes = w.RowBytes; s.Rows = w.Rows; s.Cols = w.Cols;
            s.Act = act; s.ActRow = actRow; s.Y = y;
            s.Wide = wide; s.Type = w.Type;
            s.Dot = wide && w.Type == GgmlType.F16 ? &VecDotAvx2.F16Wide : Kernel(w, _simd); // (wide BF16: batches only, below)
            bool packed = w.Packed != null;
            s.Packed = packed && _simd ? w.Packed : null;
            if (s.Packed != null)
            {
                s.PackedGroupBytes = PackedWeights.GroupBytes(w.Type, w.Cols);
                s.Gemv = PackedWeights.Gemv(w.Type);
                s.Gemm4 = PackedWeights.Gemm4(w.Type);
                s.Gemm16x4 = Avx512.Enabled ? PackedWeights.Gemm16x4(w.Type) : null;
            }
            s.Dot4 = packed ? null : Kernel4(w.Type, _simd);
            s.Tile = packed ? null : Tile(w.Type, _simd, out s.TileRows, out s.TileTokens);
            s.FirstChunk = _chunks;
            _chunks += (w.Rows + RowsPerChunk - 1) / RowsPerChunk;
        }

        public void Execute(int start, int end, int thread)
        {
            int si = 0;
            for (int c = start; c < end; c++)
            {
                while (si + 1 < _count && c >= _segments[si + 1].FirstChunk) si++;
                Chunk(ref _segments[si], c - _segments[si].FirstChunk, thread);
            }
        }

        private void Chunk(ref Segment s, int c, int thread)
        {
            int rows = s.Rows, cols = s.Cols, batch = _batch;
            byte* w = s.W;
            long rb = s.RowBytes, actRow = s.ActRow;
            int r0 = c * RowsPerChunk, r1 = Math.Min(rows, r0 + RowsPerChunk);
            if (s.Wide && batch > 1)
            {
                // The chunk's rows widened once, then every token against them: the F16/BF16 kernel's products and sums on
                // both operands already widened (the same bits), with the conversions paid once per chunk, not per token.
                float* f = _wideRows + thread * _wideStride;
                bool half = s.Type == GgmlType.F16;
                for (int r = r0; r < r1; r++)
                {
                    if (half) Fp16.WidenHalves((ushort*)(w + r * rb), f + (long)(r - r0) * cols, cols);
                    else Fp16.WidenBf16((ushort*)(w + r * rb), f + (long)(r - r0) * cols, cols);
                }
                int t = 0;
                for (; t + 2 <= batch; t += 2)
                {
                    float* a = (float*)(s.Act + t * actRow), a1 = (float*)(s.Act + (t + 1) * actRow);
                    float* yt = s.Y + (long)t * rows;
                    for (int r = r0; r < r1; r++)
                    {
                        float* fr = f + (long)(r - r0) * cols;
                        if (half) VecDotAvx2.Widened2<VecDotAvx2.F32Chains>(fr, a, a1, cols, yt + r, yt + rows + r);
                        else VecDotAvx2.Widened2<VecDotAvx2.Bf16Chains>(fr, a, a1, cols, yt + r, yt + rows + r);
                    }
                }
                for (; t < batch; t++)
                {
                    float* a = (float*)(s.Act + t * actRow);
                    float* yt = s.Y + (long)t * rows;
                    for (int r = r0; r < r1; r++)
                    {
                        float* fr = f + (long)(r - r0) * cols;
                        yt[r] = half ? VecDotAvx2.Widened<VecDotAvx2.F32Chains>(fr, a, cols) : VecDotAvx2.Widened<VecDotAvx2.Bf16Chains>(fr, a, cols);
                    }
                }
                return;
            }
            if (s.Packed != null)
            {
                // Whole groups of eight rows (RowsPerChunk is a multiple of eight), two at a time with 512-bit vectors;
                // four tokens at a time, then one.
                for (int r = r0; r < r1;)
                {
                    byte* g = s.Packed + r / PackedWeights.Rows * s.PackedGroupBytes;
                    float* yr = s.Y + r;
                    int t = 0;
                    if (s.Gemm16x4 != null && batch >= 4 && r + 2 * PackedWeights.Rows <= r1)
                    {
                        for (; t + 4 <= batch; t += 4) s.Gemm16x4(g, s.PackedGroupBytes, s.Act + t * actRow, actRow, cols, yr + (long)t * rows, rows);
                        for (; t < batch; t++)
                        {
                            s.Gemv(g, s.Act + t * actRow, cols, yr + (long)t * rows);
                            s.Gemv(g + s.PackedGroupBytes, s.Act + t * actRow, cols, yr + (long)t * rows + PackedWeights.Rows);
                        }
                        r += 2 * PackedWeights.Rows;
                        continue;
                    }
                    for (; t + 4 <= batch; t += 4) s.Gemm4(g, s.Act + t * actRow, actRow, cols, yr + (long)t * rows, rows);
                    for (; t < batch; t++) s.Gemv(g, s.Act + t * actRow, cols, yr + (long)t * rows);
                    r += PackedWeights.Rows;
                }
                return;
            }
            int b = 0;
            if (s.Tile != null)
            {
                // A few tokens at a time over the chunk's rows (which stay in cache for the whole batch).
                int tt = s.TileTokens;
                for (; b + tt <= batch; b += tt)
                {
                    byte* a = s.Act + b * actRow;
                    float* yb = s.Y + (long)b * rows;
                    int r = r0;
                    for (; r + s.TileRows <= r1; r += s.TileRows) s.Tile(w + r * rb, rb, a, actRow, cols, yb + r, rows);
                    for (; r < r1; r++)
                        for (int t = 0; t < tt; t++) yb[(long)t * rows + r] = s.Dot(w + r * rb, a + t * actRow, cols);
                }
            }
            // Four rows at a time share the activation loads, but four interleaved row streams defeat the hardware
            // prefetcher when the rows come from memory: a single token (decode) walks its rows one after another, as
            // ggml does (measured on Qwen2.5-0.5B Q8_0, 2 threads, AVX2 EPYC: 66 → 40 ms per token; 896-wide rows
            // went from 6–7 to 9–14 GB/s). Within a prefill chunk the rows are already in cache.
            bool four = s.Dot4 != null && batch > 1;
            for (; b < batch; b++)
            {
                byte* a = s.Act + b * actRow;
                float* yb = s.Y + (long)b * rows;
                int r = r0;
                if (four)
                    for (; r + 4 <= r1; r += 4) s.Dot4(w + r * rb, rb, a, cols, yb + r, 1);
                for (; r < r1; r++) yb[r] = s.Dot(w + r * rb, a, cols);
            }
        }
    }
}
