using System.Runtime.InteropServices;

namespace PocketLM.Inference;

/// <summary>
/// Keys and values of every layer for up to <see cref="Capacity"/> positions, allocated once per session.
/// Layout [layer][kv head][position][head dim]: one head's keys are contiguous, so attention streams them in order.
/// </summary>
public sealed unsafe class KvCache : IDisposable
{
    private float* _keys;
    private float* _values;
    private readonly long _layerKeyStride;
    private readonly long _layerValueStride;

    public KvCache(int layers, int kvHeads, int keyDim, int valueDim, int capacity)
    {
        Layers = layers;
        KvHeads = kvHeads;
        KeyDim = keyDim;
        ValueDim = valueDim;
        Capacity = capacity;
        _layerKeyStride = (long)kvHeads * capacity * keyDim;
        _layerValueStride = (long)kvHeads * capacity * valueDim;
        _keys = (float*)NativeMemory.AlignedAlloc((nuint)(layers * _layerKeyStride * sizeof(float)), 64);
        _values = (float*)NativeMemory.AlignedAlloc((nuint)(layers * _layerValueStride * sizeof(float)), 64);
    }

    public int Layers { get; }
    public int KvHeads { get; }
    public int KeyDim { get; }
    public int ValueDim { get; }
    public int Capacity { get; }
    public long Bytes => Layers * (_layerKeyStride + _layerValueStride) * sizeof(float);

    /// <summary>Keys of one head: Capacity rows of KeyDim floats.</summary>
    public float* Keys(int layer, int kvHead) => _keys + layer * _layerKeyStride + (long)kvHead * Capacity * KeyDim;

    /// <summary>Values of one head: Capacity rows of ValueDim floats.</summary>
    public float* Values(int layer, int kvHead) => _values + layer * _layerValueStride + (long)kvHead * Capacity * ValueDim;

    public void Dispose()
    {
        if (_keys == null) return;
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = _values = null;
    }
}
