using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using PocketLM.Tokenization;
using Xunit;

namespace PocketLM.Tests.Tokenization;

/// <summary>
/// Differential tests against llama.cpp itself (LLamaSharp's CPU backend, vocab-only load): random strings built from
/// tricky pieces (contractions, whitespace runs, digits, CJK, emoji, combining marks, control characters, special-token
/// texts) must tokenize identically, and every token's piece must be the same bytes.
/// </summary>
public class LlamaCppOracleTests
{
    private static readonly string[] s_pieces =
    [
        "Hello", "world", " the", "don't", "I'm", "we'll", "THEY'RE", "'s", "'S", "'ll", "'ve", "'", "''", " ' ", "a'b",
        " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n\n", " \n", "\t\n ", "0", "7", "42", "123", "2024", "1234567", "3.14", "1,000",
        ".", ",", "!", "?", "...", ";", ":", "-", "--", "(", ")", "[", "]", "{", "}", "\"", "`", "~", "@", "#", "$", "%", "^", "&", "*", "_",
        "+", "=", "<", ">", "/", "\\", "|", "é", "ñ", "ü", "ß", "Ω", "Привет", "мир", "你好", "世界", "日本語", "カタカナ", "ひらがな", "한국어",
        "العربية", "हिन्दी", "ไทย", "🦙", "😀", "👍🏽", "🇺🇸", "👨‍👩‍👧", "e\u0301", "\u00A0", "\u3000", "\u2003", "\u200B", "\uFEFF", "①", "½", "٣",
        "Ⅻ", "∑", "€", "©", "µ", "\u0085", "\u2028", "<s>", "</s>", "<unk>", "<|endoftext|>", "<|im_start|>", "<|end|>", "<0x0A>", "▁",
        "\u0000", "\u0007", "\u001F", "\u007F", "ǅ", "ʰ", "\U0001D400", "\U00020000", "𐐀", "ﬁ", "Ａ", "ｚ", "！", "。", "、",
    ];

    public static TheoryData<string> Vocabs() => new(VocabVectorTests.GgufVocabs);

    private static LLamaWeights Load(string name) =>
        LLamaWeights.LoadFromFile(new ModelParams(Fixtures.Vocab($"ggml-vocab-{name}.gguf")) { VocabOnly = true, GpuLayerCount = 0 });

    private static string RandomText(Random rng)
    {
        var sb = new StringBuilder();
        int count = rng.Next(1, 14);
        for (int i = 0; i < count; i++)
        {
            sb.Append(s_pieces[rng.Next(s_pieces.Length)]);
            if (rng.Next(3) == 0) sb.Append(' ');
        }
        return sb.ToString();
    }

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void RandomStringsTokenizeAsLlamaCpp(string vocab)
    {
        using LLamaWeights weights = Load(vocab);
        Tokenizer tok = VocabVectors.Gguf(vocab);
        var rng = new Random(1234);
        var failures = new List<string>();
        for (int i = 0; i < 2000 && failures.Count < 10; i++)
        {
            string text = RandomText(rng);
            bool special = i % 3 == 0;
            bool addBos = i % 5 == 0;
            int[] expected = weights.Tokenize(text, addBos, special, Encoding.UTF8).Select(t => (int)t).ToArray();
            int[] actual = tok.Encode(text, addSpecial: addBos, parseSpecial: special);
            if (!expected.AsSpan().SequenceEqual(actual))
                failures.Add($"(addSpecial {addBos}, parseSpecial {special}) " + VocabVectors.Describe(tok, text, expected, actual));
        }
        Assert.True(failures.Count == 0, $"{vocab}: \n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void PiecesMatchLlamaCpp(string vocab)
    {
        using LLamaWeights weights = Load(vocab);
        Tokenizer tok = VocabVectors.Gguf(vocab);
        Assert.Equal(weights.Vocab.Count, tok.VocabSize);
        var buffer = new byte[1024];
        var failures = new List<string>();
        for (int id = 0; id < tok.VocabSize && failures.Count < 10; id++)
        {
            foreach (bool special in new[] { false, true })
            {
                int n = (int)weights.NativeHandle.TokenToSpan((LLamaToken)id, buffer, 0, special);
                byte[] mine = tok.TokenToBytes(id, special);
                if (!buffer.AsSpan(0, n).SequenceEqual(mine))
                    failures.Add($"id {id} '{tok.GetTokenText(id)}' special={special}: llama.cpp [{Convert.ToHexString(buffer, 0, n)}] mine [{Convert.ToHexString(mine)}]");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal((int)(weights.Vocab.BOS ?? (LLamaToken)(-1)), tok.BosId);
        Assert.Equal((int)(weights.Vocab.EOS ?? (LLamaToken)(-1)), tok.EosId);
        Assert.Equal(weights.Vocab.ShouldAddBOS, tok.AddBos);
        Assert.Equal(weights.Vocab.ShouldAddEOS, tok.AddEos);
    }
}
