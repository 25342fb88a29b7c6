using PocketLM.Gguf;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Gguf;

public class GgufReaderTests
{
    [Theory]
    [InlineData("stories260K.gguf", 3)]
    [InlineData("stories260K-gguf-v1.gguf", 1)]
    [InlineData("TinyStories-656K-Q8_0.gguf", 3)]
    [InlineData("llama-2-tiny-random.gguf", 3)]
    public void ReadsEveryFixture(string name, int version)
    {
        using var f = GgufFile.Open(Fixtures.Model(name));
        Assert.Equal(version, f.Version);
        Assert.Equal("llama", f.GetString("general.architecture"));
        Assert.NotEmpty(f.Tensors);
        Assert.NotNull(f.GetArray<string>("tokenizer.ggml.tokens"));
        foreach (var t in f.Tensors)
        {
            Assert.True(t.Offset % f.Alignment == 0);
            Assert.True(f.DataOffset + t.Offset + t.ByteSize <= f.Length);
        }
    }

    [Fact]
    public void VersionOneAndThreeOfTheSameModelAgree()
    {
        using var v1 = GgufFile.Open(Fixtures.Model("stories260K-gguf-v1.gguf"));
        using var v3 = GgufFile.Open(Fixtures.Model("stories260K.gguf"));
        Assert.Equal(v3.GetArray<string>("tokenizer.ggml.tokens"), v1.GetArray<string>("tokenizer.ggml.tokens"));
        Assert.Equal(v3.GetInteger("llama.embedding_length"), v1.GetInteger("llama.embedding_length"));
        foreach (var t3 in v3.Tensors)
        {
            var t1 = v1.GetTensor(t3.Name);
            Assert.Equal(t3.Dimensions, t1.Dimensions);
            Assert.Equal(t3.Type, t1.Type);
            Assert.True(v3.GetTensorBytes(t3).SequenceEqual(v1.GetTensorBytes(t1)), t3.Name);
        }
    }

    [Fact]
    public unsafe void TensorDataIsAViewIntoTheMapping()
    {
        using var f = GgufFile.Open(Fixtures.Model("stories260K.gguf"));
        var t = f.GetTensor("token_embd.weight");
        byte* p = f.GetTensorPointer(t);
        fixed (byte* s = f.GetTensorBytes(t)) Assert.True(p == s);
        Assert.Equal(GgmlType.F32, t.Type);
        Assert.Equal(new long[] { 64, 512 }, t.Dimensions);
    }

    [Fact]
    public void WriterRoundTripsEveryValueTypeAndTensors()
    {
        var nested = new[] { new GgufArray(GgufValueType.Int32, new[] { 1, 2 }), new GgufArray(GgufValueType.String, new[] { "a", "bé" }) };
        var w = new GgufWriter()
            .Set("general.architecture", "llama")
            .Set("u8", new GgufValue(GgufValueType.UInt8, (byte)200))
            .Set("i8", new GgufValue(GgufValueType.Int8, (sbyte)-5))
            .Set("u16", new GgufValue(GgufValueType.UInt16, (ushort)65000))
            .Set("i16", new GgufValue(GgufValueType.Int16, (short)-30000))
            .Set("u32", 4000000000u)
            .Set("i32", -7)
            .Set("f32", 1.5f)
            .Set("bool", true)
            .Set("u64", new GgufValue(GgufValueType.UInt64, ulong.MaxValue))
            .Set("i64", new GgufValue(GgufValueType.Int64, long.MinValue))
            .Set("f64", new GgufValue(GgufValueType.Float64, Math.PI))
            .Set("strings", GgufValue.Strings(["x", "", "日本語"]))
            .Set("floats", GgufValue.Float32s([1f, -2f]))
            .Set("nested", GgufValue.Array(GgufValueType.Array, nested))
            .Set("general.alignment", 64u);
        var data = new float[32 * 3];
        for (int i = 0; i < data.Length; i++) data[i] = i * 0.25f;
        w.AddTensor("a.weight", [32, 3], data);
        w.AddTensor("b.weight", GgmlType.Q8_0, [64], new byte[68]);
        using var f = GgufFile.FromBytes(w.ToArray(), "roundtrip");
        Assert.Equal(64, f.Alignment);
        Assert.Equal((byte)200, f.Metadata["u8"].Value);
        Assert.Equal((sbyte)-5, f.Metadata["i8"].Value);
        Assert.Equal((ushort)65000, f.Metadata["u16"].Value);
        Assert.Equal((short)-30000, f.Metadata["i16"].Value);
        Assert.Equal(4000000000u, f.Metadata["u32"].Value);
        Assert.Equal(-7, f.Metadata["i32"].Value);
        Assert.Equal(1.5f, f.Metadata["f32"].Value);
        Assert.Equal(true, f.GetBool("bool"));
        Assert.Equal(ulong.MaxValue, f.Metadata["u64"].Value);
        Assert.Equal(long.MinValue, f.Metadata["i64"].Value);
        Assert.Equal(Math.PI, f.Metadata["f64"].Value);
        Assert.Equal(new[] { "x", "", "日本語" }, f.GetArray<string>("strings"));
        Assert.Equal(new[] { 1f, -2f }, f.GetArray<float>("floats"));
        var readNested = f.GetArray<GgufArray>("nested")!;
        Assert.Equal(new[] { 1, 2 }, (int[])readNested[0].Items);
        Assert.Equal(new[] { "a", "bé" }, (string[])readNested[1].Items);
        Assert.Equal("general.architecture", f.MetadataKeys.First());
        var a = f.GetTensor("a.weight");
        Assert.Equal(data, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.GetTensorBytes(a)).ToArray());
        Assert.Equal(0, f.GetTensor("b.weight").Offset % 64);
    }
}
