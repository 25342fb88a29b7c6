using System.Runtime.InteropServices;
using PocketLM.Tensors;

namespace PocketLM.Inference;

/// <summary>
/// Keys and values of every layer for up to <see cref="Capacity"/> positions, allocated once per session.
/// Layout [layer][kv head][position][head dim]: one head's keys are contiguous, so attention streams them in order.
/// Keys and values each have a type, as llama.cpp's <c>--cache-type-k</c> / <c>--cache-type-v</c>: F16 (the default:
/// half the memory of F32, llama.cpp's flash-attention numerics), F32 for both (full precision, plain softmax
/// attention), or a quantized type (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) or BF16, stored a head row at a time in that type's
/// blocks: a Q8_0 cache takes 53 % of an F16 one.
/// </summary>
public sealed unsafe class KvCache : IDisposable
{
    private byte* _keys;
    private byte* _values;
    private readonly long _layerKeyBytes;
    private readonly long _layerValueBytes;

    /// <summary>The types llama.cpp accepts for a K or V cache that PocketLM implements too.</summary>
    public static IReadOnlyList<GgmlType> SupportedTypes { get; } =
        [GgmlType.F16, GgmlType.F32, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1];

    public KvCache(int layers, int kvHeads, int keyDim, int valueDim, int capacity, GgmlType keyType = GgmlType.F16, GgmlType? valueType = null)
    {
        GgmlType vt = valueType ?? keyType;
        if (Check(keyType, vt, keyDim, valueDim) is { } error) throw new ArgumentException(error);
        KeyType = keyType;
        ValueType = vt;
        Layers = layers;
        KvHeads = kvHeads;
        KeyDim = keyDim;
        ValueDim = valueDim;
        Capacity = capacity;
        KeyRowBytes = GgmlTypeInfo.RowBytes(keyType, keyDim);
        ValueRowBytes = GgmlTypeInfo.RowBytes(vt, valueDim);
        _layerKeyBytes = kvHeads * capacity * KeyRowBytes;
        _layerValueBytes = kvHeads * capacity * ValueRowBytes;
        _keys = (byte*)NativeMemory.AlignedAlloc((nuint)(layers * _layerKeyBytes), 64);
        _values = (byte*)NativeMemory.AlignedAlloc((nuint)(layers * _layerValueBytes), 64);
    }

    private static string Name(GgmlType t) => t.ToString().ToLowerInvariant();

    /// <summary>Bytes of a cache of these shapes and types (for memory estimates before one is made).</summary>
    public static long BytesFor(int layers, int kvHeads, int keyDim, int valueDim, int capacity, GgmlType keyType, GgmlType valueType) =>
        (long)layers * kvHeads * capacity * (GgmlTypeInfo.RowBytes(keyType, keyDim) + GgmlTypeInfo.RowBytes(valueType, valueDim));

    /// <summary>Why a cache of these types cannot be made for heads of these sizes, or null when it can.</summary>
    public static string? Check(GgmlType keyType, GgmlType valueType, int keyDim, int valueDim)
    {
        foreach (var t in (ReadOnlySpan<GgmlType>)[keyType, valueType])
            if (!SupportedTypes.Contains(t))
                return $"KV cache type {Name(t)} is not supported (one of {string.Join(", ", SupportedTypes).ToLowerInvariant()})";
        if ((keyType == GgmlType.F32) != (valueType == GgmlType.F32))
            return $"an F32 KV cache must be F32 for both keys and values (got K {Name(keyType)}, V {Name(valueType)})";
        if (keyDim % GgmlTypeInfo.BlockSize(keyType) != 0)
            return $"K cache type {Name(keyType)} needs a head size that is a multiple of {GgmlTypeInfo.BlockSize(keyType)}; this model's is {keyDim}";
        if (valueDim % GgmlTypeInfo.BlockSize(valueType) != 0)
            return $"V cache type {Name(valueType)} needs a head size that is a multiple of {GgmlTypeInfo.BlockSize(valueType)}; this model's is {valueDim}";
        return null;
    }

    public int Layers { get; }
    public int KvHeads { get; }
    public int KeyDim { get; }
    public int ValueDim { get; }
    public int Capacity { get; }
    public GgmlType KeyType { get; }
    public GgmlType ValueType { get; }
    /// <summary>Bytes of one position's key (value) in one head.</summary>
    public long KeyRowBytes { get; }
    public long ValueRowBytes { get; }
    public long Bytes => Layers * (_layerKeyBytes + _layerValueBytes);

    /// <summary>Keys of one head: Capacity rows of <see cref="KeyRowBytes"/>.</summary>
    public byte* Keys(int layer, int kvHead) => _keys + layer * _layerKeyBytes + (long)kvHead * Capacity * KeyRowBytes;

    /// <summary>Values of one head: Capacity rows of <see cref="ValueRowBytes"/>.</summary>
    public byte* Values(int layer, int kvHead) => _values + layer * _layerValueBytes + (long)kvHead * Capacity * ValueRowBytes;

    /// <summary>
    /// Writes n floats as one row of <paramref name="type"/>, converting as llama.cpp's CPU backend does when it copies
    /// a computed key or value into its cache (the type's <c>from_float</c>): the AVX2 quantizer for Q8_0, the reference
    /// quantizers for the 4- and 5-bit types, round-to-nearest-even for F16 and BF16.
    /// </summary>
    public static void Store(GgmlType type, float* x, byte* row, int n)
    {
        switch (type)
        {
            case GgmlType.F32: Buffer.MemoryCopy(x, row, n * sizeof(float), n * sizeof(float)); break;
            case GgmlType.F16: Attention.ToF16(x, (ushort*)row, n); break;
            case GgmlType.Q8_0: ActivationQuantizer.Row(GgmlType.Q8_0, x, row, n); break;
            default: Quantizer.Row(type, x, row, n); break;
        }
    }

    public void Dispose()
    {
        if (_keys == null) return;
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = _values = null;
    }
}
