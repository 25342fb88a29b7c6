// INTERIM: stand-ins for the kernels being written on the `kernels` branch; deleted when that branch is merged.
namespace PocketLM.Tensors
{

public readonly unsafe struct WeightMatrix(byte* data, GgmlType type, int cols, int rows)
{
    public byte* Data { get; } = data;
    public GgmlType Type { get; } = type;
    public int Cols { get; } = cols;
    public int Rows { get; } = rows;
    public long RowBytes => GgmlTypeInfo.RowBytes(Type, Cols);
}

public interface IParallelWork { void Execute(int start, int end, int thread); }

public sealed class WorkerPool(int threads) : IDisposable
{
    public int Threads { get; } = threads;
    public void Run(IParallelWork work, int count) => work.Execute(0, count, 0);
    public void Dispose() { }
}

public sealed class ComputeContext(int threads, int maxCols, int maxBatch) : IDisposable
{
    public WorkerPool Pool { get; } = new(threads);
    public int MaxCols { get; } = maxCols;
    public int MaxBatch { get; } = maxBatch;
    public void Dispose() => Pool.Dispose();
}

public static class Dequantize
{
    public static unsafe void Row(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (type)
        {
            case GgmlType.F32: System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(src)[..dst.Length].CopyTo(dst); break;
            case GgmlType.F16:
                var h = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(src);
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)h[i];
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < dst.Length / 32; b++)
                {
                    var blk = src.Slice(b * 34, 34);
                    float d = (float)System.Runtime.InteropServices.MemoryMarshal.Read<Half>(blk);
                    for (int j = 0; j < 32; j++) dst[b * 32 + j] = (sbyte)blk[2 + j] * d;
                }
                break;
            default: throw new NotSupportedException(type.ToString());
        }
    }
}

public static class MatMul
{
    public static bool UseSimd { get; set; } = true;

    [ThreadStatic] private static float[]? t_row;

    public static unsafe void Multiply(ComputeContext ctx, in WeightMatrix w, float* x, float* y, int batch) => MultiplyReference(w, x, y, batch);

    public static unsafe void MultiplyReference(in WeightMatrix w, float* x, float* y, int batch)
    {
        var row = t_row is { } r && r.Length >= w.Cols ? r : (t_row = new float[w.Cols]);
        for (int i = 0; i < w.Rows; i++)
        {
            Dequantize.Row(w.Type, new ReadOnlySpan<byte>(w.Data + i * w.RowBytes, (int)w.RowBytes), row.AsSpan(0, w.Cols));
            for (int b = 0; b < batch; b++)
            {
                float s = 0;
                float* xb = x + (long)b * w.Cols;
                for (int k = 0; k < w.Cols; k++) s += row[k] * xb[k];
                y[(long)b * w.Rows + i] = s;
            }
        }
    }
}

}

namespace PocketLM.Tokenization
{
    // INTERIM: the real tokenizer is being written on the `tokenizer` branch.
    public sealed class Tokenizer
    {
        public static Tokenizer FromGguf(PocketLM.Gguf.GgufFile file) => throw new NotImplementedException();
        public int VocabSize => 0;
        public int BosId => 0;
        public int EosId => 0;
        public bool AddBos => false;
        public bool IsEndOfGeneration(int id) => false;
        public string GetTokenText(int id) => "";
        public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false) => throw new NotImplementedException();
        public string Decode(ReadOnlySpan<int> ids, bool renderSpecial = false) => throw new NotImplementedException();
        public StreamingDecoder CreateStreamingDecoder(bool renderSpecial = false) => throw new NotImplementedException();
    }

    public sealed class StreamingDecoder
    {
        public string Append(int id) => "";
        public string Flush() => "";
    }
}
