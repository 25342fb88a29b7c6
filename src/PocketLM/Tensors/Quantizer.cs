namespace PocketLM.Tensors;

/// <summary>
/// Weight quantization: float rows → blocks of a GGML type. Each block type follows ggml's reference quantizer
/// (<c>quantize_row_*_ref</c> in ggml-quants.c, which is also what llama.cpp's quantizer runs when it has no
/// importance matrix): the same search, the same float operations in the same order, so the bytes are identical.
/// F16 and BF16 are round-to-nearest-even conversions (ggml's <c>GGML_FP32_TO_FP16</c> / <c>GGML_FP32_TO_BF16</c>).
/// </summary>
public static unsafe partial class Quantizer
{
    /// <summary>True for the types this class can write.</summary>
    public static bool CanQuantize(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1
        or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>
    /// Quantizes <c>src.Length</c> elements (a whole number of <paramref name="type"/> blocks) into
    /// <paramref name="dst"/>, which must hold <see cref="GgmlTypeInfo.RowBytes"/> bytes. Single-threaded.
    /// </summary>
    public static void QuantizeRow(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        Check(type, src.Length, src.Length, dst.Length);
        fixed (float* x = src)
        fixed (byte* y = dst)
            Row(type, x, y, src.Length);
    }

    /// <summary>
    /// Quantizes a matrix of rows of <paramref name="rowLength"/> elements (src.Length / rowLength rows), the rows in
    /// parallel on up to <paramref name="threads"/> threads (0: all cores). The result does not depend on the thread count.
    /// </summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst, int rowLength, int threads = 0)
    {
        Check(type, src.Length, rowLength, dst.Length);
        fixed (float* x = src)
        fixed (byte* y = dst)
            Quantize(type, x, y, src.Length / rowLength, rowLength, threads);
    }

    /// <summary>Pointer form of <see cref="Quantize(GgmlType, ReadOnlySpan{float}, Span{byte}, int, int)"/>; no checks.</summary>
    public static void Quantize(GgmlType type, float* src, byte* dst, long rows, int rowLength, int threads = 0)
    {
        long rowBytes = GgmlTypeInfo.RowBytes(type, rowLength);
        int workers = threads > 0 ? threads : Environment.ProcessorCount;
        // Chunks of rows (at least ~16K elements each, like llama.cpp) so tiny rows do not pay one task each.
        long rowsPerChunk = Math.Max(1, 16384 / rowLength);
        long chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        if (workers <= 1 || chunks <= 1)
        {
            for (long r = 0; r < rows; r++) Row(type, src + r * rowLength, dst + r * rowBytes, rowLength);
            return;
        }
        nint s = (nint)src, d = (nint)dst;
        Parallel.For(0L, chunks, new ParallelOptions { MaxDegreeOfParallelism = workers }, c =>
        {
            long end = Math.Min(rows, (c + 1) * rowsPerChunk);
            for (long r = c * rowsPerChunk; r < end; r++)
                Row(type, (float*)s + r * rowLength, (byte*)d + r * rowBytes, rowLength);
        });
    }

    private static void Check(GgmlType type, int elements, int rowLength, int dstBytes)
    {
        if (!CanQuantize(type)) throw new NotSupportedException($"quantizing to {type} is not supported");
        int block = GgmlTypeInfo.BlockSize(type);
        if (rowLength <= 0 || rowLength % block != 0)
            throw new ArgumentException($"row length {rowLength} is not a multiple of the {type} block size {block}");
        if (elements % rowLength != 0) throw new ArgumentException($"{elements} elements is not a whole number of rows of {rowLength}");
        long need = GgmlTypeInfo.RowBytes(type, elements);
        if (dstBytes < need) throw new ArgumentException($"destination holds {dstBytes} bytes; {need} needed for {elements} {type} elements");
    }

    /// <summary>One run of whole blocks (no checks).</summary>
    internal static void Row(GgmlType type, float* x, byte* y, int n)
    {
        switch (type)
        {
            case GgmlType.F32: Buffer.MemoryCopy(x, y, (long)n * 4, (long)n * 4); break;
            case GgmlType.F16: for (int i = 0; i < n; i++) ((ushort*)y)[i] = Fp16.FromSingle(x[i]); break;
            case GgmlType.BF16: for (int i = 0; i < n; i++) ((ushort*)y)[i] = Fp16.SingleToBf16(x[i]); break;
            case GgmlType.Q4_0: Q4_0(x, (Q4_0Block*)y, n); break;
            case GgmlType.Q4_1: Q4_1(x, (Q4_1Block*)y, n); break;
            case GgmlType.Q5_0: Q5_0(x, (Q5_0Block*)y, n); break;
            case GgmlType.Q5_1: Q5_1(x, (Q5_1Block*)y, n); break;
            case GgmlType.Q8_0: Q8_0(x, (Q8_0Block*)y, n); break;
            case GgmlType.Q2_K: Q2K(x, (Q2KBlock*)y, n); break;
            case GgmlType.Q3_K: Q3K(x, (Q3KBlock*)y, n); break;
            case GgmlType.Q4_K: Q4K(x, (Q4KBlock*)y, n); break;
            case GgmlType.Q5_K: Q5K(x, (Q5KBlock*)y, n); break;
            case GgmlType.Q6_K: Q6K(x, (Q6KBlock*)y, n); break;
            default: throw new NotSupportedException($"quantizing to {type} is not supported");
        }
    }

    /// <summary>Float → half bits, round to nearest even (GGML_FP32_TO_FP16).</summary>
    private static ushort H(float f) => Fp16.FromSingle(f);

    /// <summary>Half bits → float (GGML_FP16_TO_FP32).</summary>
    private static float F(ushort h) => Fp16.ToSingle(h);

}
