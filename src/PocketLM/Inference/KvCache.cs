using System.Runtime.InteropServices;
using PocketLM.Tensors;

namespace PocketLM.Inference;

/// <summary>
/// Keys and values of every layer for up to <see cref="Capacity"/> positions, allocated once per session.
/// Layout [layer][kv head][position][head dim]: one head's keys are contiguous, so attention streams them in order.
/// Elements are F16 (llama.cpp's default: half the memory) or F32.
/// </summary>
public sealed unsafe class KvCache : IDisposable
{
    private byte* _keys;
    private byte* _values;
    private readonly long _layerKeyStride;
    private readonly long _layerValueStride;

    public KvCache(int layers, int kvHeads, int keyDim, int valueDim, int capacity, GgmlType elementType = GgmlType.F16)
    {
        if (elementType is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException($"KV cache type {elementType} is not supported (F16 or F32)");
        ElementType = elementType;
        ElementSize = elementType == GgmlType.F16 ? 2 : 4;
        Layers = layers;
        KvHeads = kvHeads;
        KeyDim = keyDim;
        ValueDim = valueDim;
        Capacity = capacity;
        _layerKeyStride = (long)kvHeads * capacity * keyDim;
        _layerValueStride = (long)kvHeads * capacity * valueDim;
        _keys = (byte*)NativeMemory.AlignedAlloc((nuint)(layers * _layerKeyStride * ElementSize), 64);
        _values = (byte*)NativeMemory.AlignedAlloc((nuint)(layers * _layerValueStride * ElementSize), 64);
    }

    public int Layers { get; }
    public int KvHeads { get; }
    public int KeyDim { get; }
    public int ValueDim { get; }
    public int Capacity { get; }
    public GgmlType ElementType { get; }
    public int ElementSize { get; }
    public long Bytes => Layers * (_layerKeyStride + _layerValueStride) * ElementSize;

    /// <summary>Keys of one head: Capacity rows of KeyDim elements.</summary>
    public byte* Keys(int layer, int kvHead) => _keys + (layer * _layerKeyStride + (long)kvHead * Capacity * KeyDim) * ElementSize;

    /// <summary>Values of one head: Capacity rows of ValueDim elements.</summary>
    public byte* Values(int layer, int kvHead) => _values + (layer * _layerValueStride + (long)kvHead * Capacity * ValueDim) * ElementSize;

    public void Dispose()
    {
        if (_keys == null) return;
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = _values = null;
    }
}
