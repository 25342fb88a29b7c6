using System.Text;
using PocketLM.Tensors;

namespace PocketLM.Gguf;

/// <summary>
/// Writes GGUF version 3 files: metadata in insertion order, tensor infos, then the tensor data, each aligned to
/// <c>general.alignment</c> (32 unless set). Used by tests to synthesize models and by the quantizer.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = new();
    private readonly List<PendingTensor> _tensors = new();

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, ReadOnlyMemory<byte> Data);

    public GgufWriter Set(string key, GgufValue value)
    {
        int i = _metadata.FindIndex(kv => kv.Key == key);
        if (i >= 0) _metadata[i] = new(key, value);
        else _metadata.Add(new(key, value));
        return this;
    }

    public GgufWriter Set(string key, string value) => Set(key, GgufValue.String(value));
    public GgufWriter Set(string key, uint value) => Set(key, GgufValue.UInt32(value));
    public GgufWriter Set(string key, int value) => Set(key, GgufValue.Int32(value));
    public GgufWriter Set(string key, float value) => Set(key, GgufValue.Float32(value));
    public GgufWriter Set(string key, bool value) => Set(key, GgufValue.Bool(value));

    /// <summary>Copies every metadata entry of an existing file (in its order).</summary>
    public GgufWriter CopyMetadataFrom(GgufFile file)
    {
        foreach (string key in file.MetadataKeys) Set(key, file.Metadata[key]);
        return this;
    }

    /// <summary>Adds a tensor. <paramref name="dimensions"/> are in ggml order (row length first).</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dimensions, ReadOnlyMemory<byte> data)
    {
        long elements = dimensions.Aggregate(1L, (a, b) => a * b);
        if (dimensions.Length == 0 || dimensions[0] % GgmlTypeInfo.BlockSize(type) != 0)
            throw new ArgumentException($"tensor '{name}': row length must be a multiple of the {type} block size");
        long expected = elements / GgmlTypeInfo.BlockSize(type) * GgmlTypeInfo.BlockBytes(type);
        if (data.Length != expected)
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes given, {expected} expected for {type} [{string.Join(", ", dimensions)}]");
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"duplicate tensor name '{name}'");
        _tensors.Add(new PendingTensor(name, type, dimensions, data));
        return this;
    }

    /// <summary>Adds an F32 tensor from floats.</summary>
    public GgufWriter AddTensor(string name, long[] dimensions, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes);
        return AddTensor(name, GgmlType.F32, dimensions, bytes);
    }

    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Write(stream);
    }

    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        Write(stream);
        return stream.ToArray();
    }

    public void Write(Stream stream)
    {
        int alignment = GgufFile.DefaultAlignment;
        var alignEntry = _metadata.FirstOrDefault(kv => kv.Key == "general.alignment");
        if (alignEntry.Key != null && alignEntry.Value.TryGetInt64(out long a)) alignment = (int)a;

        var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value.Type, value.Value);
        }

        long offset = 0;
        var offsets = new long[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            WriteString(w, t.Name);
            w.Write((uint)t.Dimensions.Length);
            foreach (long d in t.Dimensions) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offsets[i] = offset;
            offset = GgufFile.AlignUp(offset + t.Data.Length, alignment);
        }
        w.Flush();
        Pad(stream, alignment);
        for (int i = 0; i < _tensors.Count; i++)
        {
            stream.Write(_tensors[i].Data.Span);
            Pad(stream, alignment);
        }
        stream.Flush();
    }

    private static void Pad(Stream stream, int alignment)
    {
        long pad = GgufFile.AlignUp(stream.Position, alignment) - stream.Position;
        for (long i = 0; i < pad; i++) stream.WriteByte(0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write(Convert.ToByte(value)); break;
            case GgufValueType.Int8: w.Write(Convert.ToSByte(value)); break;
            case GgufValueType.UInt16: w.Write(Convert.ToUInt16(value)); break;
            case GgufValueType.Int16: w.Write(Convert.ToInt16(value)); break;
            case GgufValueType.UInt32: w.Write(Convert.ToUInt32(value)); break;
            case GgufValueType.Int32: w.Write(Convert.ToInt32(value)); break;
            case GgufValueType.Float32: w.Write(Convert.ToSingle(value)); break;
            case GgufValueType.Bool: w.Write((byte)(Convert.ToBoolean(value) ? 1 : 0)); break;
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.UInt64: w.Write(Convert.ToUInt64(value)); break;
            case GgufValueType.Int64: w.Write(Convert.ToInt64(value)); break;
            case GgufValueType.Float64: w.Write(Convert.ToDouble(value)); break;
            case GgufValueType.Array:
                var array = (GgufArray)value;
                w.Write((uint)array.ElementType);
                w.Write((ulong)array.Count);
                foreach (object item in array.Items) WriteValue(w, array.ElementType, item);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "unknown GGUF value type");
        }
    }

}
