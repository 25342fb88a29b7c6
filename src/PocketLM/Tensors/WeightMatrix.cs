namespace PocketLM.Tensors;

/// <summary>A row-major weight matrix inside the memory-mapped file: Rows rows of Cols elements each, stored as quantized blocks.</summary>
public readonly unsafe struct WeightMatrix
{
    public WeightMatrix(byte* data, GgmlType type, int cols, int rows)
    {
        if (!GgmlTypeInfo.IsSupported(type)) throw new NotSupportedException($"{type} weights are not supported.");
        if (cols <= 0 || rows <= 0) throw new ArgumentOutOfRangeException(nameof(cols), "A matrix needs at least one row and column.");
        if (cols % GgmlTypeInfo.BlockSize(type) != 0)
            throw new ArgumentException($"{cols} columns is not a whole number of {type} blocks.", nameof(cols));
        Data = data;
        Type = type;
        Cols = cols;
        Rows = rows;
        RowBytes = GgmlTypeInfo.RowBytes(type, cols);
    }

    public byte* Data { get; }
    public GgmlType Type { get; }
    public int Cols { get; }
    public int Rows { get; }
    public long RowBytes { get; }
    /// <summary>The same matrix repacked for the SIMD kernels (<see cref="PackedWeights"/>), or null; owned by whoever made it.
    /// <see cref="Data"/> stays valid (embedding lookups read rows from it).</summary>
    public byte* Packed { get; init; }
}
