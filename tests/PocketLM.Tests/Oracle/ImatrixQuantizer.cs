using PocketLM.Gguf;
using PocketLM.Tensors;

namespace PocketLM.Tests.Oracle;

/// <summary>
/// Writes a GGUF whose matrices are quantized by llama.cpp's own quantizer (<c>ggml_quantize_chunk</c>) with an importance
/// matrix. llama.cpp's whole-model quantizer refuses IQ1_S, IQ1_M, the IQ2 types and IQ3_XXS without an imatrix ("this
/// quantization requires an imatrix!"), and the imatrix it takes is a C++ map LLamaSharp cannot pass, so for those
/// types the file is built here: same metadata and tensor order as the source (F32, F16 or BF16 matrices), every 2-D
/// tensor in <c>type</c> (llama.cpp's <c>pure</c>; IQ4_NL where a row is not whole super-blocks, as llama.cpp falls back),
/// the rest copied. Also linked into the bench project.
/// </summary>
internal static unsafe class ImatrixQuantizer
{
    /// <summary>Types llama.cpp will only quantize with an importance matrix.</summary>
    public static bool Needed(GgmlType type) => type is GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S or GgmlType.IQ3_XXS
        or GgmlType.IQ1_S or GgmlType.IQ1_M;

    public static void Quantize(string source, string destination, GgmlType type)
    {
        if (!GgmlNative.Available) throw new InvalidOperationException("llama.cpp's native library is not available");
        using var src = GgufFile.Open(source);
        var writer = new GgufWriter().CopyMetadataFrom(src);
        foreach (var t in src.Tensors)
        {
            long[] dims = t.Dimensions.ToArray();
            if (dims.Count(d => d > 1) < 2)
            {
                writer.AddTensor(t.Name, t.Type, dims, src.GetTensorBytes(t).ToArray());
                continue;
            }
            if (t.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16)) throw new InvalidOperationException($"{t.Name}: cannot requantize {t.Type}");
            int perRow = (int)dims[0];
            // llama.cpp's fallback for rows that are not whole 256-element super-blocks (Qwen2.5-0.5B's 896, SmolLM2's 576)
            GgmlType to = perRow % GgmlTypeInfo.BlockSize(type) == 0 ? type : GgmlType.IQ4_NL;
            long rows = t.ElementCount / perRow, srcRow = GgmlTypeInfo.RowBytes(t.Type, perRow), dstRow = GgmlTypeInfo.RowBytes(to, perRow);
            var bytes = new byte[dstRow * rows];
            float[] importance = GgmlNative.Importance(perRow);
            const int Chunk = 64;
            byte* from = src.GetTensorPointer(t);
            // the low-bit quantizers search their grids and are slow: chunks of rows in parallel (ggml's are thread-safe)
            fixed (byte* pinned = bytes)
            fixed (float* pinnedW = importance)
            {
                byte* dst = pinned;
                float* w = pinnedW;
                Parallel.For(0, (int)((rows + Chunk - 1) / Chunk), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
                {
                    long r = (long)c * Chunk;
                    int n = (int)Math.Min(Chunk, rows - r);
                    var floats = new float[n * perRow];
                    fixed (float* f = floats)
                    {
                        for (int i = 0; i < n; i++) Dequantize.Row(t.Type, from + (r + i) * srcRow, f + (long)i * perRow, perRow);
                        GgmlNative.QuantizeChunk(to, f, dst + r * dstRow, n, perRow, w);
                    }
                });
            }
            writer.AddTensor(t.Name, to, dims, bytes);
        }
        writer.Write(destination);
    }
}
