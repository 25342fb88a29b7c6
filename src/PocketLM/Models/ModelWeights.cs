using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using PocketLM.Gguf;
using PocketLM.Tensors;

namespace PocketLM.Models;

/// <summary>One transformer block's weights: matrices stay quantized inside the mapping; small vectors are F32.</summary>
public sealed unsafe class LayerWeights
{
    public required float* AttnNorm { get; init; }
    public required WeightMatrix Wq { get; init; }
    public required WeightMatrix Wk { get; init; }
    public required WeightMatrix Wv { get; init; }
    public required WeightMatrix Wo { get; init; }
    public float* BiasQ { get; init; }
    public float* BiasK { get; init; }
    public float* BiasV { get; init; }
    public float* QNorm { get; init; }
    public float* KNorm { get; init; }
    public required float* FfnNorm { get; init; }
    public required WeightMatrix Gate { get; init; }
    public required WeightMatrix Up { get; init; }
    public required WeightMatrix Down { get; init; }
}

/// <summary>
/// All tensors a forward pass needs, bound by name and checked against the config's shapes. Large matrices are
/// zero-copy views into the GGUF mapping; 1-D vectors that are not F32 (rare) are converted once into native memory.
/// </summary>
public sealed unsafe class ModelWeights : IDisposable
{
    private readonly List<nint> _owned = new();
    private readonly bool _repack;
    private SafeFileHandle? _source;
    private byte* _arena; // repacked matrices, one after another, in one huge-page allocation
    private long _arenaLeft;

    /// <summary>Bytes of native memory holding repacked copies of matrices (0 when nothing was repacked).</summary>
    public long RepackedBytes { get; private set; }

    public WeightMatrix TokenEmbedding { get; }
    public float* OutputNorm { get; }
    /// <summary>The unembedding; the token embedding itself when the model ties them (no <c>output.weight</c>).</summary>
    public WeightMatrix Output { get; }
    public bool TiedEmbeddings { get; }
    /// <summary>Llama 3.1+ per-frequency rope divisors (<c>rope_freqs.weight</c>), or null.</summary>
    public float* RopeFreqs { get; }
    public LayerWeights[] Layers { get; }

    /// <param name="repack">Repack the matrices the SIMD kernels read faster in another layout (Q4_0 and Q4_K into eight-row
    /// groups, as llama.cpp does by default); costs a pass over them at load; they are then read from the copy, not the
    /// mapping (see <see cref="PackedWeights.Pack"/>).</param>
    public ModelWeights(GgufFile file, ModelConfig c, ModelFamily family, bool repack = true)
    {
        _repack = repack && VecDotAvx2.IsSupported;
        try
        {
            // Repacking reads rows from the file rather than the mapping (see PackedQ4_0.Pack).
            if (_repack && file.Path != null) _source = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (_repack) Reserve(PackableBytes(file));
            int d = c.EmbeddingLength;
            // The token embedding is read by row lookups and stays as stored, also when it doubles as the unembedding
            // (llama.cpp repacks only tensors whose first use is a matrix product).
            TokenEmbedding = Matrix(file, "token_embd.weight", d, c.VocabSize, pack: false);
            OutputNorm = Vector(file, "output_norm.weight", d)!;
            TiedEmbeddings = file.FindTensor("output.weight") is null;
            Output = TiedEmbeddings ? TokenEmbedding : Matrix(file, "output.weight", d, c.VocabSize);
            RopeFreqs = Vector(file, "rope_freqs.weight", c.RopeDimCount / 2, optional: true);
            if (file.FindTensor("blk.0.ffn_gate_inp.weight") is not null)
                throw new ModelLoadException($"{file.Name}: mixture-of-experts models are not supported yet");

            Layers = new LayerWeights[c.BlockCount];
            for (int i = 0; i < c.BlockCount; i++)
            {
                string p = $"blk.{i}.";
                Layers[i] = new LayerWeights
                {
                    AttnNorm = Vector(file, p + "attn_norm.weight", d)!,
                    Wq = Matrix(file, p + "attn_q.weight", d, c.QueryWidth),
                    Wk = Matrix(file, p + "attn_k.weight", d, c.KeyWidth),
                    Wv = Matrix(file, p + "attn_v.weight", d, c.ValueWidth),
                    Wo = Matrix(file, p + "attn_output.weight", c.HeadCount * c.ValueHeadDim, d),
                    BiasQ = Vector(file, p + "attn_q.bias", c.QueryWidth, optional: !family.HasQkvBias),
                    BiasK = Vector(file, p + "attn_k.bias", c.KeyWidth, optional: !family.HasQkvBias),
                    BiasV = Vector(file, p + "attn_v.bias", c.ValueWidth, optional: !family.HasQkvBias),
                    QNorm = Vector(file, p + "attn_q_norm.weight", c.HeadDim, optional: !family.HasQkNorm),
                    KNorm = Vector(file, p + "attn_k_norm.weight", c.HeadDim, optional: !family.HasQkNorm),
                    FfnNorm = Vector(file, p + "ffn_norm.weight", d)!,
                    Gate = Matrix(file, p + "ffn_gate.weight", d, c.FeedForwardLength),
                    Up = Matrix(file, p + "ffn_up.weight", d, c.FeedForwardLength),
                    Down = Matrix(file, p + "ffn_down.weight", c.FeedForwardLength, d),
                };
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        finally
        {
            _source?.Dispose();
            _source = null;
        }
    }

    private WeightMatrix Matrix(GgufFile file, string name, int cols, int rows, bool pack = true)
    {
        var t = file.FindTensor(name) ?? throw new ModelLoadException($"{file.Name}: required tensor '{name}' is missing");
        if (t.Dimensions.Count != 2 || t.Dimensions[0] != cols || t.Dimensions[1] != rows)
            throw new ModelLoadException($"{file.Name}: tensor '{name}' has shape {t.ShapeText}, expected [{cols}, {rows}]");
        if (!GgmlTypeInfo.IsSupported(t.Type))
            throw new ModelLoadException($"{file.Name}: tensor '{name}' has type {t.Type}, which PocketLM cannot compute with yet");
        var m = new WeightMatrix(file.GetTensorPointer(t), t.Type, cols, rows);
        return pack && _repack ? Repack(m, file.GetTensorFileOffset(t)) : m;
    }

    private WeightMatrix Repack(WeightMatrix m, long fileOffset)
    {
        if (!PackedWeights.CanPack(m)) return m;
        long bytes = PackedWeights.Bytes(m);
        if (Aligned(bytes) > _arenaLeft) Reserve(bytes); // not foreseen by PackableBytes; cannot happen for the bound names
        byte* dst = _arena;
        _arena += Aligned(bytes);
        _arenaLeft -= Aligned(bytes);
        PackedWeights.Pack(m, dst, _source, fileOffset);
        RepackedBytes += bytes;
        return m with { Packed = dst };
    }

    private static long Aligned(long bytes) => (bytes + 63) & ~63L;

    /// <summary>What repacking every packable 2-D tensor but the token embedding takes (an upper bound: all of them are
    /// matrices the model binds), so that the packed copies share one allocation.</summary>
    private static long PackableBytes(GgufFile file)
    {
        long total = 0;
        foreach (var t in file.Tensors)
            if (t.Dimensions.Count == 2 && t.Name != "token_embd.weight" && t.Type is GgmlType.Q4_0 or GgmlType.Q4_K
                && t.Dimensions[0] % GgmlTypeInfo.BlockSize(t.Type) == 0 && t.Dimensions[1] % PackedWeights.Rows == 0
                && t.Dimensions[1] <= int.MaxValue)
                total += Aligned(PackedWeights.GroupBytes(t.Type, (int)t.Dimensions[0]) * (t.Dimensions[1] / PackedWeights.Rows));
        return total;
    }

    private void Reserve(long bytes)
    {
        if (bytes == 0) return;
        _arena = HugePages.Alloc(bytes);
        _owned.Add((nint)_arena); // freed with the weights, also if packing throws
        _arenaLeft = bytes;
    }

    private float* Vector(GgufFile file, string name, int length, bool optional = false)
    {
        var t = file.FindTensor(name);
        if (t is null)
        {
            if (optional) return null;
            throw new ModelLoadException($"{file.Name}: required tensor '{name}' is missing");
        }
        if (t.ElementCount != length)
            throw new ModelLoadException($"{file.Name}: tensor '{name}' has shape {t.ShapeText}, expected [{length}]");
        if (t.Type == GgmlType.F32) return (float*)file.GetTensorPointer(t);
        if (!GgmlTypeInfo.IsSupported(t.Type))
            throw new ModelLoadException($"{file.Name}: tensor '{name}' has unsupported type {t.Type}");
        var dst = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), 64);
        _owned.Add((nint)dst);
        Dequantize.Row(t.Type, file.GetTensorBytes(t), new Span<float>(dst, length));
        return dst;
    }

    public void Dispose()
    {
        foreach (nint p in _owned) NativeMemory.AlignedFree((void*)p);
        _owned.Clear();
    }
}
