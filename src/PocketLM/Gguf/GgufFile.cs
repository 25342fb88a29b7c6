using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using PocketLM.Tensors;

namespace PocketLM.Gguf;

/// <summary>
/// A GGUF file (versions 1–3), memory-mapped: the header is parsed into managed objects, the tensor data stays in the
/// mapping and is handed out as zero-copy pointers/spans. Any malformed input raises <see cref="GgufFormatException"/>.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    public const int DefaultAlignment = 32;
    private const int MaxDimensions = 4; // GGML_MAX_DIMS
    private const int MaxNesting = 8;

    private readonly IDisposable? _owner;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    private byte* _base;

    private GgufFile(string name, byte* basePtr, long length, IDisposable? owner)
    {
        Name = name;
        _base = basePtr;
        Length = length;
        _owner = owner;
        try
        {
            var reader = new HeaderReader(name, basePtr, length);
            Version = reader.ReadVersion();
            long tensorCount = reader.ReadCount("tensor count", 8 + 4 + 4 + 8);
            long kvCount = reader.ReadCount("metadata count", 8 + 4 + 1);

            var metadata = new Dictionary<string, GgufValue>((int)Math.Min(kvCount, 4096), StringComparer.Ordinal);
            var order = new List<string>();
            for (long i = 0; i < kvCount; i++)
            {
                long at = reader.Position;
                string key = reader.ReadString("metadata key");
                var type = reader.ReadValueType("metadata value type");
                GgufValue value = reader.ReadValue(type, depth: 0);
                if (!metadata.TryAdd(key, value))
                    throw new GgufFormatException(name, at, $"duplicate metadata key '{key}'");
                order.Add(key);
            }
            Metadata = metadata;
            MetadataKeys = order;

            Alignment = DefaultAlignment;
            if (metadata.TryGetValue("general.alignment", out var alignValue))
            {
                if (!alignValue.TryGetInt64(out long a) || a <= 0 || a > 1 << 20 || (a & (a - 1)) != 0)
                    throw new GgufFormatException(name, reader.Position, $"general.alignment must be a power of two, got {alignValue.Describe()}");
                Alignment = (int)a;
            }

            var infos = new List<(string Name, GgmlType Type, long[] Dims, long Offset, long At)>((int)Math.Min(tensorCount, 65536));
            for (long i = 0; i < tensorCount; i++)
            {
                long at = reader.Position;
                string tname = reader.ReadString("tensor name");
                uint nDims = reader.ReadUInt32("tensor dimension count");
                if (nDims == 0 || nDims > MaxDimensions)
                    throw new GgufFormatException(name, at, $"tensor '{tname}' has {nDims} dimensions (1 to {MaxDimensions} allowed)");
                var dims = new long[nDims];
                for (int d = 0; d < nDims; d++)
                {
                    long dimAt = reader.Position;
                    ulong dim = Version == 1 ? reader.ReadUInt32("tensor dimension") : reader.ReadUInt64("tensor dimension");
                    if (dim == 0 || dim > int.MaxValue)
                        throw new GgufFormatException(name, dimAt, $"tensor '{tname}' has dimension {d} = {dim}");
                    dims[d] = (long)dim;
                }
                long typeAt = reader.Position;
                uint rawType = reader.ReadUInt32("tensor type");
                var type = (GgmlType)rawType;
                if (!GgmlTypeInfo.IsKnown(type))
                    throw new GgufFormatException(name, typeAt, $"tensor '{tname}' has unknown type {rawType}");
                long offAt = reader.Position;
                ulong offset = reader.ReadUInt64("tensor data offset");
                if (offset > (ulong)length)
                    throw new GgufFormatException(name, offAt, $"tensor '{tname}' data offset {offset} is past the end of the file ({length} bytes)");
                infos.Add((tname, type, dims, (long)offset, at));
            }

            long dataStart = AlignUp(reader.Position, Alignment);
            if (tensorCount > 0 && dataStart > length)
                throw new GgufFormatException(name, reader.Position, $"tensor data section starts at {dataStart}, past the end of the file ({length} bytes)");
            DataOffset = Math.Min(dataStart, length);

            var tensors = new List<GgufTensorInfo>(infos.Count);
            _tensorsByName = new Dictionary<string, GgufTensorInfo>(infos.Count, StringComparer.Ordinal);
            foreach (var (tname, type, dims, offset, at) in infos)
            {
                int block = GgmlTypeInfo.BlockSize(type);
                if (dims[0] % block != 0)
                    throw new GgufFormatException(name, at, $"tensor '{tname}' row length {dims[0]} is not a multiple of the {type} block size {block}");
                long elements = 1;
                foreach (long d in dims)
                {
                    if (elements > long.MaxValue / d)
                        throw new GgufFormatException(name, at, $"tensor '{tname}' shape [{string.Join(", ", dims)}] overflows");
                    elements *= d;
                }
                long bytes = elements / block * GgmlTypeInfo.BlockBytes(type);
                if (offset % Alignment != 0)
                    throw new GgufFormatException(name, DataOffset + offset, $"tensor '{tname}' data offset {offset} is not aligned to {Alignment} bytes");
                if (DataOffset + offset > length || bytes > length - DataOffset - offset)
                    throw new GgufFormatException(name, DataOffset + offset, $"tensor '{tname}' data ({bytes} bytes at {DataOffset + offset}) runs past the end of the file ({length} bytes)");
                var info = new GgufTensorInfo(tname, type, dims, offset, bytes);
                if (!_tensorsByName.TryAdd(tname, info))
                    throw new GgufFormatException(name, at, $"duplicate tensor name '{tname}'");
                tensors.Add(info);
            }
            Tensors = tensors;
        }
        catch
        {
            owner?.Dispose();
            throw;
        }
    }

    /// <summary>File name (or label) used in error messages.</summary>
    public string Name { get; }
    /// <summary>Full path of a mapped file; null for images parsed from memory or a stream.</summary>
    public string? Path { get; private init; }
    public long Length { get; }
    public int Version { get; }
    public int Alignment { get; }
    /// <summary>Absolute offset of the tensor-data section.</summary>
    public long DataOffset { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }
    /// <summary>Metadata keys in file order.</summary>
    public IReadOnlyList<string> MetadataKeys { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Maps a file read-only. Missing or unreadable files raise IOException-derived errors; malformed ones GgufFormatException.</summary>
    public static GgufFile Open(string path)
    {
        var fileInfo = new FileInfo(path);
        if (!fileInfo.Exists) throw new FileNotFoundException($"{path}: no such file", path);
        string label = path;
        long length = fileInfo.Length;
        if (length == 0) throw new GgufFormatException(label, 0, "file is empty");
        var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = mmf.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            return new GgufFile(label, p, length, new MappingOwner(mmf, view)) { Path = System.IO.Path.GetFullPath(path) };
        }
        catch (GgufFormatException)
        {
            throw; // the constructor already released the mapping
        }
        catch
        {
            view?.Dispose();
            mmf.Dispose();
            throw;
        }
    }

    /// <summary>Parses an in-memory GGUF image (copied once into native memory so it can be used like a mapping).</summary>
    public static GgufFile FromBytes(ReadOnlySpan<byte> bytes, string label)
    {
        if (bytes.Length == 0) throw new GgufFormatException(label, 0, "file is empty");
        var owner = new NativeOwner(bytes.Length);
        bytes.CopyTo(new Span<byte>(owner.Pointer, bytes.Length));
        return new GgufFile(label, owner.Pointer, bytes.Length, owner);
    }

    /// <summary>Reads a whole stream (e.g. an embedded resource) into native memory and parses it.</summary>
    public static GgufFile FromStream(Stream stream, string label)
    {
        long length = stream.Length - stream.Position;
        if (length == 0) throw new GgufFormatException(label, 0, "file is empty");
        var owner = new NativeOwner(length);
        var span = new Span<byte>(owner.Pointer, checked((int)length));
        stream.ReadExactly(span);
        return new GgufFile(label, owner.Pointer, length, owner);
    }

    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    public GgufTensorInfo GetTensor(string name) =>
        FindTensor(name) ?? throw new GgufFormatException(Name, DataOffset, $"required tensor '{name}' is missing");

    /// <summary>Where a tensor's data starts in the file.</summary>
    public long GetTensorFileOffset(GgufTensorInfo tensor) => DataOffset + tensor.Offset;

    /// <summary>Pointer to a tensor's data inside the mapping (valid until the file is disposed).</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + DataOffset + tensor.Offset;
    }

    /// <summary>A zero-copy span over a tensor's bytes (tensors over 2 GiB must use <see cref="GetTensorPointer"/>).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor) => new(GetTensorPointer(tensor), checked((int)tensor.ByteSize));

    // ---- metadata accessors ----

    public bool Has(string key) => Metadata.ContainsKey(key);

    public string? GetString(string key) => Metadata.TryGetValue(key, out var v) && v.Value is string s ? s : null;

    public long? GetInteger(string key) => Metadata.TryGetValue(key, out var v) && v.TryGetInt64(out long l) ? l : null;

    public double? GetNumber(string key) => Metadata.TryGetValue(key, out var v) && v.TryGetDouble(out double d) ? d : null;

    public bool? GetBool(string key) => Metadata.TryGetValue(key, out var v) && v.Value is bool b ? b : null;

    public GgufArray? GetArray(string key) => Metadata.TryGetValue(key, out var v) && v.Value is GgufArray a ? a : null;

    /// <summary>A typed array (e.g. string[], float[], int[]), or null when absent or of another element type.</summary>
    public T[]? GetArray<T>(string key) => GetArray(key)?.Items as T[];

    public void Dispose()
    {
        _base = null;
        _owner?.Dispose();
    }

    internal static long AlignUp(long x, int alignment) => (x + alignment - 1) / alignment * alignment;

    private sealed class MappingOwner(MemoryMappedFile file, MemoryMappedViewAccessor view) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file.Dispose();
        }
    }

    private sealed class NativeOwner : IDisposable
    {
        public NativeOwner(long length) => Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 64);
        public byte* Pointer { get; private set; }

        public void Dispose()
        {
            if (Pointer == null) return;
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }

    /// <summary>Bounds-checked cursor over the header: every read names what it was reading when it fails.</summary>
    private struct HeaderReader(string file, byte* basePtr, long length)
    {
        private int _version;
        public long Position { get; private set; }

        private readonly GgufFormatException Fail(long at, string problem) => new(file, at, problem);

        private void Need(long bytes, string what)
        {
            if (bytes < 0 || bytes > length - Position)
                throw Fail(Position, $"file ends while reading {what} (needs {bytes} bytes, {length - Position} left)");
        }

        public int ReadVersion()
        {
            if (length < 4) throw Fail(0, $"file is too short to be GGUF ({length} bytes)");
            uint magic = ReadUInt32("magic");
            if (magic != Magic)
            {
                string seen = Encoding.ASCII.GetString(new ReadOnlySpan<byte>(basePtr, 4)).Replace('\0', '.');
                throw Fail(0, $"wrong magic '{seen}' (0x{magic:X8}); expected 'GGUF'");
            }
            uint version = ReadUInt32("version");
            if (version is 0x01000000 or 0x02000000 or 0x03000000)
                throw Fail(4, "big-endian GGUF files are not supported");
            if (version is < 1 or > 3)
                throw Fail(4, $"unsupported GGUF version {version} (1, 2 and 3 are supported)");
            _version = (int)version;
            return _version;
        }

        public uint ReadUInt32(string what)
        {
            Need(4, what);
            uint v = *(uint*)(basePtr + Position); // GGUF is little-endian, as is every platform .NET runs on here
            Position += 4;
            return v;
        }

        public ulong ReadUInt64(string what)
        {
            Need(8, what);
            ulong v = *(ulong*)(basePtr + Position);
            Position += 8;
            return v;
        }

        /// <summary>A count (32-bit in v1, 64-bit after) that must be satisfiable by the bytes left, at minBytesEach per item.</summary>
        public long ReadCount(string what, long minBytesEach)
        {
            long at = Position;
            ulong n = _version == 1 ? ReadUInt32(what) : ReadUInt64(what);
            long left = length - Position;
            if (n > (ulong)(left / Math.Max(1, minBytesEach)))
                throw Fail(at, $"{what} {n} is larger than the {left} bytes left in the file can hold");
            return (long)n;
        }

        public string ReadString(string what)
        {
            long at = Position;
            ulong n = _version == 1 ? ReadUInt32(what + " length") : ReadUInt64(what + " length");
            if (n > (ulong)(length - Position))
                throw Fail(at, $"{what} length {n} runs past the end of the file ({length - Position} bytes left)");
            var s = Encoding.UTF8.GetString(basePtr + Position, (int)n);
            Position += (long)n;
            return s;
        }

        public GgufValueType ReadValueType(string what)
        {
            long at = Position;
            uint t = ReadUInt32(what);
            if (t > (uint)GgufValueType.Float64) throw Fail(at, $"unknown metadata value type {t}");
            return (GgufValueType)t;
        }

        private static int FixedSize(GgufValueType t) => t switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            _ => 0,
        };

        public GgufValue ReadValue(GgufValueType type, int depth)
        {
            int size = FixedSize(type);
            if (size > 0)
            {
                Need(size, type + " value");
                byte* p = basePtr + Position;
                long at = Position;
                Position += size;
                return type switch
                {
                    GgufValueType.UInt8 => new(type, *p),
                    GgufValueType.Int8 => new(type, *(sbyte*)p),
                    GgufValueType.Bool => *p <= 1 ? new(type, *p != 0) : throw Fail(at, $"bool value {*p} is neither 0 nor 1"),
                    GgufValueType.UInt16 => new(type, *(ushort*)p),
                    GgufValueType.Int16 => new(type, *(short*)p),
                    GgufValueType.UInt32 => new(type, *(uint*)p),
                    GgufValueType.Int32 => new(type, *(int*)p),
                    GgufValueType.Float32 => new(type, *(float*)p),
                    GgufValueType.UInt64 => new(type, *(ulong*)p),
                    GgufValueType.Int64 => new(type, *(long*)p),
                    _ => new(type, *(double*)p),
                };
            }
            if (type == GgufValueType.String) return new(type, ReadString("string value"));

            // Array
            if (depth >= MaxNesting) throw Fail(Position, $"arrays nested deeper than {MaxNesting} levels");
            var elementType = ReadValueType("array element type");
            int elementSize = FixedSize(elementType);
            long minEach = elementSize > 0 ? elementSize : elementType == GgufValueType.String ? (_version == 1 ? 4 : 8) : 4 + (_version == 1 ? 4 : 8);
            long count = ReadCount("array length", minEach);
            if (count > int.MaxValue) throw Fail(Position, $"array length {count} is too large");
            int n = (int)count;
            if (elementSize > 0)
            {
                var bytes = new ReadOnlySpan<byte>(basePtr + Position, checked(n * elementSize));
                Array items = elementType switch
                {
                    GgufValueType.UInt8 => bytes.ToArray(),
                    GgufValueType.Int8 => MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(),
                    GgufValueType.Bool => ReadBools(bytes),
                    GgufValueType.UInt16 => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray(),
                    GgufValueType.Int16 => MemoryMarshal.Cast<byte, short>(bytes).ToArray(),
                    GgufValueType.UInt32 => MemoryMarshal.Cast<byte, uint>(bytes).ToArray(),
                    GgufValueType.Int32 => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
                    GgufValueType.Float32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
                    GgufValueType.UInt64 => MemoryMarshal.Cast<byte, ulong>(bytes).ToArray(),
                    GgufValueType.Int64 => MemoryMarshal.Cast<byte, long>(bytes).ToArray(),
                    _ => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
                };
                Position += bytes.Length;
                return GgufValue.Array(elementType, items);
            }
            if (elementType == GgufValueType.String)
            {
                var strings = new string[n];
                for (int i = 0; i < n; i++) strings[i] = ReadString("array string");
                return GgufValue.Array(elementType, strings);
            }
            var nested = new GgufArray[n];
            // Each element of an array of arrays is itself {element type, count, items}.
            for (int i = 0; i < n; i++) nested[i] = (GgufArray)ReadValue(GgufValueType.Array, depth + 1).Value;
            return GgufValue.Array(elementType, nested);
        }

        private readonly bool[] ReadBools(ReadOnlySpan<byte> bytes)
        {
            var result = new bool[bytes.Length];
            for (int i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] > 1) throw Fail(Position + i, $"bool value {bytes[i]} is neither 0 nor 1");
                result[i] = bytes[i] != 0;
            }
            return result;
        }
    }
}
