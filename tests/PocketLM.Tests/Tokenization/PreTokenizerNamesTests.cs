using PocketLM.Gguf;
using PocketLM.Tokenization;
using Xunit;

namespace PocketLM.Tests.Tokenization;

/// <summary>Every tokenizer.ggml.pre name this library accepts builds and splits text (its regexes compile).</summary>
public class PreTokenizerNamesTests
{
    public static TheoryData<string> Names() => new(PreTokenizerType.KnownNames.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Names))]
    public void BuildsAndRoundTrips(string pre)
    {
        Dictionary<string, GgufValue> meta;
        using (var f = GgufFile.Open(Fixtures.Vocab("ggml-vocab-gpt-2.gguf"))) meta = new(f.Metadata);
        meta["tokenizer.ggml.pre"] = GgufValue.String(pre);
        Tokenizer tok = Tokenizer.FromMetadata(meta);
        const string text = "Hello world! Ὗώ ΐΊ ΩK 你好 123456 \n\n  x 🦙 it's";
        int[] ids = tok.Encode(text, addSpecial: false);
        Assert.NotEmpty(ids);
        if (!tok.CleanSpaces) Assert.Equal(text, tok.Decode(ids));
    }
}
