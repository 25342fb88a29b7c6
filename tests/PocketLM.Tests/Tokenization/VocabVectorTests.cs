using PocketLM.Tokenization;
using Xunit;

namespace PocketLM.Tests.Tokenization;

/// <summary>Every string of llama.cpp's test vectors for the vocabularies whose GGUF is in fixtures/vocab.</summary>
public class VocabVectorTests
{
    public static readonly string[] GgufVocabs = ["llama-spm", "phi-3", "gpt-2", "deepseek-coder", "falcon"];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in GgufVocabs)
        {
            var (inputs, _) = VocabVectors.Load(name);
            for (int i = 0; i < inputs.Length; i++) data.Add(name, i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLlamaCpp(string vocab, int index)
    {
        var (inputs, expected) = VocabVectors.Load(vocab);
        Tokenizer tok = VocabVectors.Gguf(vocab);
        int[] actual = tok.Encode(inputs[index], addSpecial: false, parseSpecial: false);
        Assert.True(expected[index].AsSpan().SequenceEqual(actual), VocabVectors.Describe(tok, inputs[index], expected[index], actual));
    }

    [Theory]
    [MemberData(nameof(FileCases))]
    public void WholeFileMatches(string vocab)
    {
        var (inputs, expected) = VocabVectors.Load(vocab);
        Tokenizer tok = VocabVectors.Gguf(vocab);
        var failures = new List<string>();
        for (int i = 0; i < inputs.Length; i++)
        {
            int[] actual = tok.Encode(inputs[i], addSpecial: false);
            if (!expected[i].AsSpan().SequenceEqual(actual)) failures.Add($"#{i}: " + VocabVectors.Describe(tok, inputs[i], expected[i], actual));
        }
        Assert.True(failures.Count == 0, $"{vocab}: {failures.Count}/{inputs.Length} strings differ\n" + string.Join("\n", failures));
    }

    public static TheoryData<string> FileCases() => new(GgufVocabs);
}
