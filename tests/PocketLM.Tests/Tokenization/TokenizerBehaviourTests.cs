using System.Text;
using PocketLM.Gguf;
using PocketLM.Tokenization;
using Xunit;

namespace PocketLM.Tests.Tokenization;

public class TokenizerBehaviourTests
{
    private static Tokenizer Spm => VocabVectors.Gguf("llama-spm");
    private static Tokenizer Gpt2 => VocabVectors.Gguf("gpt-2");

    [Fact]
    public void SentencePieceBasics()
    {
        Tokenizer tok = Spm;
        Assert.Equal("llama", tok.Model);
        Assert.Null(tok.Pre);
        Assert.Equal(32000, tok.VocabSize);
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
        Assert.True(tok.AddBos);
        Assert.False(tok.AddEos);
        Assert.Equal([1, 15043, 3186], tok.Encode("Hello world"));
        Assert.Equal([15043, 3186], tok.Encode("Hello world", addSpecial: false));
        Assert.Equal([1], tok.Encode(""));
        Assert.Empty(tok.Encode("", addSpecial: false));
        Assert.Equal(TokenType.Control, tok.GetTokenType(1));
        Assert.Equal(TokenType.Byte, tok.GetTokenType(tok.FindToken("<0x0A>")!.Value));
        Assert.Equal(TokenType.Normal, tok.GetTokenType(15043));
        Assert.Equal("▁Hello", tok.GetTokenText(15043));
        Assert.Equal(" Hello"u8.ToArray(), tok.TokenToBytes(15043));
        Assert.Equal([(byte)'\n'], tok.TokenToBytes(tok.FindToken("<0x0A>")!.Value));
        Assert.Empty(tok.TokenToBytes(1));
        Assert.Equal("<s>"u8.ToArray(), tok.TokenToBytes(1, renderSpecial: true));
        Assert.True(tok.IsEndOfGeneration(2));
        Assert.Contains(2, tok.EndOfGenerationIds);
    }

    [Fact]
    public void SentencePieceDecodeFollowsLlamaCpp()
    {
        Tokenizer tok = Spm;
        // the first token's leading space (the added space prefix) is dropped...
        Assert.Equal("Hello world", tok.Decode([15043, 3186]));
        // ...but not when BOS comes first (llama.cpp strips only the very first piece)
        Assert.Equal(" Hello world", tok.Decode([1, 15043, 3186]));
        Assert.Equal("<s> Hello world", tok.Decode([1, 15043, 3186], renderSpecial: true));
        Assert.Equal(" Hello world", tok.Decode([1, 15043, 3186], removeSpecial: true, unparseSpecial: false));
        Assert.Equal("Hello world</s>", tok.Decode([15043, 3186, 2], renderSpecial: true));
    }

    [Fact]
    public void ParseSpecialOnAndOff()
    {
        Tokenizer tok = Spm;
        int[] on = tok.Encode("<s>Hi</s>", addSpecial: false, parseSpecial: true);
        Assert.Equal(1, on[0]);
        Assert.Equal(2, on[^1]);
        Assert.Equal(tok.Encode("Hi", addSpecial: false), on[1..^1]);   // text after a special token gets the space prefix again
        int[] off = tok.Encode("<s>Hi</s>", addSpecial: false, parseSpecial: false);
        Assert.DoesNotContain(1, off);
        Assert.DoesNotContain(2, off);
        Assert.Equal("<s>Hi</s>", tok.Decode(off));

        Tokenizer g = Gpt2;
        int eot = g.FindToken("<|endoftext|>")!.Value;
        Assert.Equal([eot], g.Encode("<|endoftext|>", addSpecial: false, parseSpecial: true));
        Assert.True(g.Encode("<|endoftext|>", addSpecial: false, parseSpecial: false).Length > 1);
        Assert.Equal("a<|endoftext|>b", g.Decode(g.Encode("a<|endoftext|>b", addSpecial: false, parseSpecial: true), renderSpecial: true));
        Assert.Equal("ab", g.Decode(g.Encode("a<|endoftext|>b", addSpecial: false, parseSpecial: true)));
    }

    [Fact]
    public void EndOfGenerationFromMetadataAndText()
    {
        Tokenizer phi3 = VocabVectors.Gguf("phi-3");
        int end = phi3.FindToken("<|end|>")!.Value;
        int eot = phi3.FindToken("<|endoftext|>")!.Value;
        Assert.True(phi3.IsEndOfGeneration(end));
        Assert.True(phi3.IsEndOfGeneration(eot));
        Assert.True(phi3.IsEndOfGeneration(phi3.EosId));
        Assert.False(phi3.IsEndOfGeneration(phi3.FindToken("<|user|>")!.Value));
        // phi-3's special tokens swallow the whitespace after them (llama.cpp's RSTRIP for phi-3)
        int user = phi3.FindToken("<|user|>")!.Value;
        int[] ids = phi3.Encode("<|user|>\nHi", addSpecial: false, parseSpecial: true);
        Assert.Equal(user, ids[0]);
        Assert.Equal(phi3.Encode("Hi", addSpecial: false), ids[1..]);

        Tokenizer g = Gpt2;
        Assert.True(g.IsEndOfGeneration(g.FindToken("<|endoftext|>")!.Value));
        Assert.Equal(TokenType.Control, g.GetTokenType(g.FindToken("<|endoftext|>")!.Value));
    }

    public static TheoryData<string> Vocabs() => new(VocabVectorTests.GgufVocabs);

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void RoundTripsWhereLossless(string vocab)
    {
        Tokenizer tok = VocabVectors.Gguf(vocab);
        var (inputs, _) = VocabVectors.Load(vocab);
        string[] extra = ["Hello world", "int main() { return 0; }", "naïve café — “quotes”", "🦙 llamas 🦙🦙", "日本語のテキスト", "tabs\tand\nnewlines\r\n", "  leading and trailing  "];
        foreach (string s in inputs.Concat(extra))
        {
            int[] ids = tok.Encode(s, addSpecial: false);
            string back = tok.Decode(ids);
            string expected = s;
            if (tok.AddSpacePrefix && s.StartsWith(' ')) expected = s;   // prefix space is added then removed: lossless
            if (tok.CleanSpaces) expected = Encoding.UTF8.GetString(Tokenizer.CleanUp(Encoding.UTF8.GetBytes(s)));
            Assert.True(expected == back, $"{vocab}: {VocabVectors.Escape(s)} decoded as {VocabVectors.Escape(back)}");
        }
    }

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void StreamingEqualsOneShotDecode(string vocab)
    {
        Tokenizer tok = VocabVectors.Gguf(vocab);
        var rng = new Random(42);
        var (inputs, _) = VocabVectors.Load(vocab);
        var sequences = new List<int[]>();
        foreach (string s in inputs) sequences.Add(tok.Encode(s, addSpecial: true));
        sequences.Add(tok.Encode("🦙 llamas, 日本語 ' s 're . ! ?  ,x 'm 've", addSpecial: false));
        for (int i = 0; i < 300; i++)
        {
            // random id sequences: byte-fallback fragments of multibyte characters, specials, spaces, punctuation
            int len = rng.Next(0, 40);
            var ids = new int[len];
            for (int k = 0; k < len; k++) ids[k] = rng.Next(4) == 0 ? PickInteresting(tok, rng) : rng.Next(tok.VocabSize);
            sequences.Add(ids);
        }
        foreach (int[] ids in sequences)
        {
            foreach (bool special in new[] { false, true })
            {
                var dec = tok.CreateStreamingDecoder(special);
                var sb = new StringBuilder();
                foreach (int id in ids)
                {
                    string part = dec.Append(id);
                    Assert.False(part.Length > 0 && char.IsHighSurrogate(part[^1]), "emitted half a surrogate pair");
                    sb.Append(part);
                }
                sb.Append(dec.Flush());
                string oneShot = tok.Decode(ids, renderSpecial: special);
                Assert.True(oneShot == sb.ToString(), $"{vocab} [{string.Join(" ", ids)}]\n one-shot {VocabVectors.Escape(oneShot)}\n streamed {VocabVectors.Escape(sb.ToString())}");
            }
        }
    }

    private static readonly string[] s_interesting = [" ", ".", ",", "!", "?", "'", "s", "m", "re", "ve", "t", "\u2581", "Ġ", "Ġ'", "'s", "<s>", "</s>", "<|endoftext|>"];

    private static int PickInteresting(Tokenizer tok, Random rng)
    {
        if (rng.Next(2) == 0)
        {
            // a byte token or a byte-level single-byte token of a multibyte UTF-8 sequence
            byte b = (byte)rng.Next(0x80, 0x100);
            int? id = tok.FindToken($"<0x{b:X2}>") ?? tok.FindToken(ByteLevelChar(b));
            if (id != null) return id.Value;
        }
        string t = s_interesting[rng.Next(s_interesting.Length)];
        return tok.FindToken(t) ?? rng.Next(tok.VocabSize);
    }

    private static string ByteLevelChar(byte b)
    {
        int n = 0;
        for (int x = 0; x < 256; x++)
        {
            bool direct = x is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            if (x == b) return ((char)(direct ? x : 256 + n)).ToString();
            if (!direct) n++;
        }
        return "";
    }

    [Fact]
    public void StreamingHoldsBackSplitUtf8()
    {
        Tokenizer tok = Spm;
        int[] ids = tok.Encode("🦙", addSpecial: false);   // byte fallback: ▁ then four <0xNN> tokens
        Assert.True(ids.Length >= 4);
        var dec = tok.CreateStreamingDecoder();
        var parts = ids.Select(dec.Append).ToList();
        Assert.Equal("🦙", string.Concat(parts) + dec.Flush());
        Assert.All(parts.Take(parts.Count - 1), p => Assert.DoesNotContain('\uFFFD', p));
    }

    [Fact]
    public void UnknownModelOrPreIsAClearError()
    {
        var baseMeta = new Dictionary<string, GgufValue>
        {
            ["tokenizer.ggml.model"] = GgufValue.String("t5-unigram-of-the-future"),
            ["tokenizer.ggml.tokens"] = GgufValue.Strings(["a", "b"]),
        };
        var ex = Assert.Throws<TokenizerException>(() => Tokenizer.FromMetadata(baseMeta));
        Assert.Contains("t5-unigram-of-the-future", ex.Message);

        var bpe = new Dictionary<string, GgufValue>(baseMeta)
        {
            ["tokenizer.ggml.model"] = GgufValue.String("gpt2"),
            ["tokenizer.ggml.pre"] = GgufValue.String("no-such-pre"),
            ["tokenizer.ggml.merges"] = GgufValue.Strings(["a b"]),
        };
        ex = Assert.Throws<TokenizerException>(() => Tokenizer.FromMetadata(bpe));
        Assert.Contains("no-such-pre", ex.Message);

        var noModel = new Dictionary<string, GgufValue> { ["tokenizer.ggml.tokens"] = GgufValue.Strings(["a"]) };
        Assert.Throws<TokenizerException>(() => Tokenizer.FromMetadata(noModel));
    }

    [Fact]
    public void ModelFixturesLoad()
    {
        foreach (string name in Fixtures.ModelFiles)
        {
            using var f = GgufFile.Open(Fixtures.Model(name));
            Tokenizer tok = Tokenizer.FromGguf(f);
            Assert.Equal("llama", tok.Model);
            int[] ids = tok.Encode("Once upon a time, there was a little girl.");
            Assert.Equal(tok.BosId, ids[0]);
            Assert.Equal("Once upon a time, there was a little girl.", tok.Decode(ids.AsSpan(1)));
        }
    }

    [Fact]
    public void CleanUpPassesAsLlamaCpp()
    {
        static string C(string s) => Encoding.UTF8.GetString(Tokenizer.CleanUp(Encoding.UTF8.GetBytes(s)));
        Assert.Equal("Hello, world. Is it? Yes!", C("Hello , world . Is it ? Yes !"));
        Assert.Equal("it's I'm we're they've don 't I 'll", C("it 's I 'm we 're they 've don 't I 'll"));
        Assert.Equal("a'b", C("a ' b"));
        Assert.Equal(" ", C(" "));
        Assert.Equal(".", C(" ."));
    }
}
