using PocketLM.Tensors;

namespace PocketLM.Gguf;

/// <summary>
/// One tensor's entry in the GGUF header. <see cref="Dimensions"/> lists ggml's ne[] order: element 0 is the row length
/// (the fastest-varying axis), so a [rows × cols] matrix has Dimensions = { cols, rows }.
/// </summary>
public sealed class GgufTensorInfo(string name, GgmlType type, long[] dimensions, long offset, long byteSize)
{
    public string Name { get; } = name;
    public GgmlType Type { get; } = type;
    public IReadOnlyList<long> Dimensions { get; } = dimensions;
    /// <summary>Offset of the data from the start of the tensor-data section.</summary>
    public long Offset { get; } = offset;
    public long ByteSize { get; } = byteSize;

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dimensions) n *= d;
            return n;
        }
    }

    /// <summary>Rows of a matrix view: the product of every dimension after the first.</summary>
    public long Rows => ElementCount / Math.Max(1, Dimensions.Count > 0 ? Dimensions[0] : 1);

    public string ShapeText => "[" + string.Join(", ", Dimensions) + "]";
}
