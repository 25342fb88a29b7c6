using System.Runtime.InteropServices;

namespace PocketLM.Tensors;

/// <summary>Matrix × activations with llama.cpp's numerics: activations quantized once to the weight's vec_dot type, fused integer dots.</summary>
public static unsafe class MatMul
{
    // Rows per work item: 16 rows of a 4096-wide Q8_0 matrix are ~70 KB, which stay in L2 while every activation row of a
    // prefill batch passes over them, so weights stream from memory once per tile instead of once per token.
    internal const int RowsPerChunk = 16;

    /// <summary>Use the SIMD kernels (default where supported); tests switch it off to run the scalar reference everywhere.</summary>
    public static bool UseSimd { get; set; } = VecDotAvx2.IsSupported;

    internal static delegate*<byte*, byte*, int, float> Kernel(GgmlType type, bool simd)
    {
        if (simd && VecDotAvx2.IsSupported)
        {
            var k = VecDotAvx2.For(type);
            if (k != null) return k;
        }
        return VecDotScalar.For(type);
    }

    /// <summary>Four-rows-at-once kernel (rows at a stride, outputs at a stride), or null.</summary>
    internal static delegate*<byte*, long, byte*, int, float*, long, void> Kernel4(GgmlType type, bool simd) =>
        simd && VecDotAvx2.IsSupported
            ? type switch { GgmlType.Q8_0 => &VecDotAvx2.Q8_0x4, GgmlType.Q4_0 => &VecDotAvx2.Q4_0x4, _ => null }
            : null;

    /// <summary>
    /// y[b*w.Rows + r] = Σ_k W[r,k]·x[b*w.Cols + k] for b &lt; batch. x is quantized once per call to the weight's vec_dot
    /// type; work is split by output rows in chunks over the pool. No allocation.
    /// </summary>
    public static void Multiply(ComputeContext ctx, in WeightMatrix w, float* x, float* y, int batch)
    {
        if (w.Cols > ctx.MaxCols) throw new ArgumentException($"Matrix has {w.Cols} columns; the context was sized for {ctx.MaxCols}.");
        if (batch < 1 || batch > ctx.MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch));
        GgmlType at = ActivationQuantizer.VecDotType(w.Type);
        byte* act;
        long actRow;
        if (at == GgmlType.F32)
        {
            act = (byte*)x;
            actRow = (long)w.Cols * 4;
        }
        else
        {
            act = ctx.Activations;
            actRow = ctx.ActivationRowCapacity;
            if (batch == 1) ActivationQuantizer.Row(at, x, act, w.Cols);
            else
            {
                var q = ctx.QuantizeWork;
                q.Set(at, x, w.Cols, act, actRow);
                ctx.Pool.Run(q, batch);
            }
        }
        var job = ctx.RowsWork;
        job.Set(w, act, actRow, y, batch, UseSimd);
        ctx.Pool.Run(job, (w.Rows + RowsPerChunk - 1) / RowsPerChunk);
    }

    /// <summary>The plain scalar path, on the same quantization of x; single-threaded; for tests and checks.</summary>
    public static void MultiplyReference(in WeightMatrix w, float* x, float* y, int batch)
    {
        GgmlType at = ActivationQuantizer.VecDotType(w.Type);
        long actRow = GgmlTypeInfo.RowBytes(at, w.Cols);
        byte* act = (byte*)NativeMemory.AlignedAlloc((nuint)(actRow * batch), 64);
        try
        {
            var dot = VecDotScalar.For(w.Type);
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
        private float* _x;
        private int _cols;
        private byte* _dst;
        private long _dstRow;

        public void Set(GgmlType type, float* x, int cols, byte* dst, long dstRow)
        {
            _type = type; _x = x; _cols = cols; _dst = dst; _dstRow = dstRow;
        }

        public void Execute(int start, int end, int thread)
        {
            for (int b = start; b < end; b++) ActivationQuantizer.Row(_type, _x + (long)b * _cols, _dst + b * _dstRow, _cols);
        }
    }

    /// <summary>Output rows in chunks of <see cref="RowsPerChunk"/>; within a chunk every activation row passes over the same weights.</summary>
    internal sealed class RowsWork : IParallelWork
    {
        private byte* _w;
        private long _rowBytes;
        private int _rows, _cols, _batch;
        private byte* _act;
        private long _actRow;
        private float* _y;
        private delegate*<byte*, byte*, int, float> _dot;
        private delegate*<byte*, long, byte*, int, float*, long, void> _dot4;

        public void Set(in WeightMatrix w, byte* act, long actRow, float* y, int batch, bool simd)
        {
            _w = w.Data; _rowBytes = w.RowBytes; _rows = w.Rows; _cols = w.Cols;
            _act = act; _actRow = actRow; _y = y; _batch = batch;
            _dot = Kernel(w.Type, simd);
            _dot4 = Kernel4(w.Type, simd);
        }

        public void Execute(int start, int end, int thread)
        {
            for (int c = start; c < end; c++)
            {
                int r0 = c * RowsPerChunk, r1 = Math.Min(_rows, r0 + RowsPerChunk);
                for (int b = 0; b < _batch; b++)
                {
                    byte* a = _act + b * _actRow;
                    float* yb = _y + (long)b * _rows;
                    int r = r0;
                    if (_dot4 != null)
                        for (; r + 4 <= r1; r += 4) _dot4(_w + r * _rowBytes, _rowBytes, a, _cols, yb + r, 1);
                    for (; r < r1; r++) yb[r] = _dot(_w + r * _rowBytes, a, _cols);
                }
            }
        }
    }
}
