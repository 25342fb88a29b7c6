using System.Buffers.Binary;
using System.Text;
using PocketLM.Gguf;
using Xunit;

namespace PocketLM.Tests.Gguf;

/// <summary>Every malformed input must raise GgufFormatException naming the file, the offset and the problem — nothing else.</summary>
public class GgufFaultTests
{
    private static GgufFormatException AssertRejected(byte[] bytes, string? problemContains = null)
    {
        var ex = Assert.Throws<GgufFormatException>(() => { using var f = GgufFile.FromBytes(bytes, "bad.gguf"); });
        Assert.StartsWith("bad.gguf: invalid GGUF at offset ", ex.Message);
        if (problemContains != null) Assert.Contains(problemContains, ex.Problem);
        return ex;
    }

    /// <summary>Parses, accepting either success or GgufFormatException; anything else fails the test.</summary>
    private static void ParseOrReject(byte[] bytes)
    {
        try
        {
            using var f = GgufFile.FromBytes(bytes, "bad.gguf");
            foreach (var t in f.Tensors) _ = f.GetTensorBytes(t).Length;
        }
        catch (GgufFormatException ex)
        {
            Assert.StartsWith("bad.gguf: invalid GGUF at offset ", ex.Message);
        }
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void TruncationAnywhereIsAFormatError(string name)
    {
        byte[] full = File.ReadAllBytes(Fixtures.Model(name));
        var rng = new Random(1234);
        var cuts = new SortedSet<int>();
        for (int i = 1; i < 2048; i += 7) cuts.Add(i);        // all through the header
        for (int i = 0; i < 200; i++) cuts.Add(rng.Next(1, full.Length)); // and anywhere else
        cuts.Add(full.Length - 1);
        foreach (int cut in cuts)
        {
            var ex = AssertRejected(full[..cut]);
            Assert.InRange(ex.Offset, 0, full.Length);
        }
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void RandomByteFlipsNeverCrashOrHang(string name)
    {
        byte[] full = File.ReadAllBytes(Fixtures.Model(name));
        var rng = new Random(name.Length * 7919);
        using var f = GgufFile.FromBytes(full, name);
        int headerEnd = (int)f.DataOffset;
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] copy = (byte[])full.Clone();
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips; k++)
            {
                int at = rng.Next(headerEnd); // the data section is opaque bytes: flips there cannot be detected
                copy[at] ^= (byte)(1 << rng.Next(8));
            }
            ParseOrReject(copy);
        }
    }

    public static TheoryData<string> AllFixtures() => new(Fixtures.ModelFiles);

    private static byte[] Header(uint version = 3, ulong tensors = 0, ulong kvs = 0)
    {
        var b = new byte[24];
        Encoding.ASCII.GetBytes("GGUF").CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), version);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), tensors);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), kvs);
        return b;
    }

    [Fact]
    public void WrongMagic() => AssertRejected(Encoding.ASCII.GetBytes("GGML\x03\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), "wrong magic");

    [Fact]
    public void UnsupportedVersion() => AssertRejected(Header(version: 4), "unsupported GGUF version 4");

    [Fact]
    public void EmptyFile() => AssertRejected([], "empty");

    [Fact]
    public void AbsurdMetadataCount() => AssertRejected(Header(kvs: 1UL << 60), "metadata count");

    [Fact]
    public void AbsurdTensorCount() => AssertRejected(Header(tensors: 1UL << 60), "tensor count");

    private static byte[] WithKv(Action<BinaryWriter> writeKv, ulong tensors = 0)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(Header(tensors: tensors, kvs: 1));
        writeKv(w);
        return ms.ToArray();
    }

    private static void Key(BinaryWriter w, string key)
    {
        w.Write((ulong)key.Length);
        w.Write(Encoding.UTF8.GetBytes(key));
    }

    [Fact]
    public void AbsurdArrayLength() => AssertRejected(WithKv(w =>
    {
        Key(w, "a");
        w.Write((uint)GgufValueType.Array);
        w.Write((uint)GgufValueType.UInt32);
        w.Write(1UL << 60);
        w.Write(0u);
    }), "array length");

    [Fact]
    public void AbsurdStringLength() => AssertRejected(WithKv(w =>
    {
        Key(w, "s");
        w.Write((uint)GgufValueType.String);
        w.Write(1UL << 62);
    }), "length");

    [Fact]
    public void UnknownValueType() => AssertRejected(WithKv(w =>
    {
        Key(w, "x");
        w.Write(99u);
    }), "unknown metadata value type 99");

    private static byte[] OneTensor(uint type, ulong offset, ulong dim0 = 32, int dataBytes = 128, string name = "t", int count = 1)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(Header(tensors: (ulong)count));
        for (int i = 0; i < count; i++)
        {
            Key(w, name);
            w.Write(1u);
            w.Write(dim0);
            w.Write(type);
            w.Write(offset + (ulong)(i * 128));
        }
        while (ms.Length % 32 != 0) w.Write((byte)0);
        w.Write(new byte[dataBytes * count]);
        return ms.ToArray();
    }

    [Fact]
    public void ValidSyntheticTensorParses()
    {
        using var f = GgufFile.FromBytes(OneTensor(0, 0), "ok.gguf");
        Assert.Equal(128, f.Tensors[0].ByteSize);
    }

    [Fact]
    public void UnknownTensorType() => AssertRejected(OneTensor(type: 77, offset: 0), "unknown type 77");

    [Fact]
    public void MisalignedTensorData() => AssertRejected(OneTensor(type: 0, offset: 4), "not aligned");

    [Fact]
    public void TensorDataPastTheEnd() => AssertRejected(OneTensor(type: 0, offset: 0, dim0: 64), "past the end");

    [Fact]
    public void TensorOffsetPastTheEnd() => AssertRejected(OneTensor(type: 0, offset: 1UL << 40), "past the end");

    [Fact]
    public void DuplicateTensorNames() => AssertRejected(OneTensor(type: 0, offset: 0, count: 2), "duplicate tensor name");

    [Fact]
    public void RowNotAMultipleOfTheBlock() => AssertRejected(OneTensor(type: 8 /* Q8_0 */, offset: 0, dim0: 33), "block size");

    [Fact]
    public void MissingFileIsNotAFormatError()
    {
        Assert.Throws<FileNotFoundException>(() => GgufFile.Open(Path.Combine(Fixtures.TempDir(), "nope.gguf")));
    }
}
