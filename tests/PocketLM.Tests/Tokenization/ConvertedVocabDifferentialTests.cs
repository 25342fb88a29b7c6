using System.Text;
using PocketLM.Gguf;
using PocketLM.Tests.Cli;
using PocketLM.Tests.Oracle;
using PocketLM.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Tokenization;

/// <summary>
/// Hugging Face tokenizers (npm fixtures) converted with <c>pocket convert-tokenizer</c> and loaded — the same file — by
/// llama.cpp (vocab only) and by PocketLM: llama.cpp accepting the file and agreeing on every id shows the GGUF is right,
/// and the ids, the detokenized bytes and (for lossless vocabularies) decode(encode(s)) == s are checked on ≥ 2,000
/// strings per vocabulary (see <see cref="TokenizerStrings"/>). The two GGUF fixtures of llama.cpp's own converter
/// (gpt-2, llama-spm) get the same strings.
/// </summary>
[Collection(LlamaCppCollection.Name)]
public class ConvertedVocabDifferentialTests(ITestOutputHelper output)
{
    private const int Strings = 2000;

    private static readonly Dictionary<string, string> s_converted = new();

    /// <summary>Converts the npm package's tokenizer with the real CLI (once per run); null when the fixture is offline.</summary>
    internal static string? Converted(string package)
    {
        lock (s_converted)
        {
            if (s_converted.TryGetValue(package, out string? done)) return done;
            var files = NpmTokenizerFixtures.Get(package);
            if (files == null) return null;
            string path = Path.Combine(Fixtures.TempDir(), $"{package}-vocab.gguf");
            var r = PocketProcess.Run("convert-tokenizer", Path.GetDirectoryName(files.TokenizerJson)!, "-o", path);
            Assert.True(r.ExitCode == 0, $"convert-tokenizer failed: {r.Stderr}");
            s_converted[package] = path;
            return path;
        }
    }

    [Theory]
    [InlineData("qwen3", "qwen2")]
    [InlineData("llama3", "llama-bpe")]
    [InlineData("deepseek_v3", "deepseek-v3")]
    public void ConvertedVocabularyMatchesLlamaCpp(string package, string expectedPre)
    {
        string? path = Converted(package);
        if (path == null) return;   // offline: see NpmTokenizerFixtures
        using (var f = GgufFile.Open(path)) Assert.Equal(expectedPre, f.GetString("tokenizer.ggml.pre"));
        Compare(path);
    }

    [Theory]
    [InlineData("gpt-2")]
    [InlineData("llama-spm")]
    public void LlamaCppGgufVocabularyMatchesLlamaCpp(string vocab) => Compare(Fixtures.Vocab($"ggml-vocab-{vocab}.gguf"));

    private void Compare(string path)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var llama = LlamaCppModel.Load(path, vocabOnly: true);
        Tokenizer tok;
        using (var f = GgufFile.Open(path)) tok = Tokenizer.FromGguf(f);

        Assert.Equal(llama.VocabSize, tok.VocabSize);
        Assert.Equal(llama.Bos, tok.BosId);
        Assert.Equal(llama.Eos, tok.EosId);
        Assert.Equal(llama.AddsBos, tok.AddBos);
        Assert.Equal(llama.AddsEos, tok.AddEos);

        var specials = Enumerable.Range(0, tok.VocabSize)
            .Where(id => tok.GetTokenType(id) is TokenType.Control or TokenType.UserDefined)
            .Select(tok.GetTokenText).Where(t => t.Length > 0).Take(300).ToList();
        var strings = TokenizerStrings.Generate(Strings, specials);
        Assert.True(strings.Count >= Strings);
        bool lossless = tok.Model == "gpt2" && !tok.CleanSpaces;

        var failures = new List<string>();
        int roundTrips = 0, specialOn = 0;
        var perCategory = new Dictionary<TokenizerStrings.Category, int>();
        for (int i = 0; i < strings.Count && failures.Count < 10; i++)
        {
            var (category, text) = strings[i];
            perCategory[category] = perCategory.GetValueOrDefault(category) + 1;
            bool parseSpecial = category == TokenizerStrings.Category.Special ? i % 2 == 0 : i % 3 == 0;
            bool addSpecial = i % 4 == 0;
            if (parseSpecial) specialOn++;
            int[] expected = llama.Tokenize(text, addSpecial, parseSpecial);
            int[] actual = tok.Encode(text, addSpecial, parseSpecial);
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                failures.Add($"#{i} {category} (addSpecial {addSpecial}, parseSpecial {parseSpecial}) " + VocabVectors.Describe(tok, text, expected, actual));
                continue;
            }
            byte[] mineBytes = tok.DecodeToBytes(actual, removeSpecial: false, unparseSpecial: parseSpecial);
            byte[] theirBytes = llama.DetokenizeBytes(actual, removeSpecial: false, unparseSpecial: parseSpecial);
            if (!mineBytes.AsSpan().SequenceEqual(theirBytes))
            {
                failures.Add($"#{i} {category}: detokenize differs for {VocabVectors.Escape(text)}: llama.cpp [{Convert.ToHexString(theirBytes)}] mine [{Convert.ToHexString(mineBytes)}]");
                continue;
            }
            if (lossless)
            {
                ReadOnlySpan<int> body = addSpecial && tok.AddBos && actual.Length > 0 && actual[0] == tok.BosId ? actual.AsSpan(1) : actual;
                string back = tok.Decode(body, renderSpecial: true);
                string asUtf8 = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));   // lone surrogates → U+FFFD, as both engines see them
                if (back != asUtf8) failures.Add($"#{i} {category}: decode(encode(s)) != s for {VocabVectors.Escape(text)}: got {VocabVectors.Escape(back)}");
                else roundTrips++;
            }
        }
        output.WriteLine($"{Path.GetFileName(path)}: {strings.Count} strings ({string.Join(", ", perCategory.Select(kv => $"{kv.Key} {kv.Value}"))}); " +
                         $"parseSpecial on {specialOn}; {roundTrips} lossless round trips; {started.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"{Path.GetFileName(path)}:\n" + string.Join("\n", failures));
    }
}
