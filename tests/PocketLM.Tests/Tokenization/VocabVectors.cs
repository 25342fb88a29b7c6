using System.Collections.Concurrent;
using PocketLM.Gguf;
using PocketLM.Tokenization;

namespace PocketLM.Tests.Tokenization;

/// <summary>llama.cpp's tokenizer test vectors (fixtures/vocab): NAME.gguf.inp strings and NAME.gguf.out expected ids.</summary>
internal static class VocabVectors
{
    public const string Separator = "\n__ggml_vocab_test__\n";

    public static (string[] Inputs, int[][] Expected) Load(string name)
    {
        string inp = File.ReadAllText(Fixtures.Vocab($"ggml-vocab-{name}.gguf.inp"));
        string outp = File.ReadAllText(Fixtures.Vocab($"ggml-vocab-{name}.gguf.out"));
        var inputs = inp.Split(Separator).ToList();
        if (inputs.Count > 0 && inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
        var lines = outp.Split('\n').ToList();
        if (outp.EndsWith('\n')) lines.RemoveAt(lines.Count - 1);
        var expected = lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToArray();
        if (inputs.Count != expected.Length) throw new InvalidDataException($"{name}: {inputs.Count} inputs but {expected.Length} expected lines");
        return (inputs.ToArray(), expected);
    }

    private static readonly ConcurrentDictionary<string, Tokenizer> s_tokenizers = new();

    public static Tokenizer Gguf(string name) => s_tokenizers.GetOrAdd(name, n =>
    {
        using var f = GgufFile.Open(Fixtures.Vocab($"ggml-vocab-{n}.gguf"));
        return Tokenizer.FromGguf(f);
    });

    public static string Describe(Tokenizer tok, string input, int[] expected, int[] actual)
    {
        int first = 0;
        while (first < expected.Length && first < actual.Length && expected[first] == actual[first]) first++;
        string Show(int[] ids) => string.Join(" ", ids.Select(i => i >= 0 && i < tok.VocabSize ? $"{i}:'{tok.GetTokenText(i)}'" : i.ToString()));
        return $"input {Escape(input)}\n first difference at index {first}\n expected [{string.Join(" ", expected)}]\n actual   [{string.Join(" ", actual)}]\n" +
               $" expected tokens {Show(expected.Skip(first).Take(6).ToArray())}\n actual tokens   {Show(actual.Skip(first).Take(6).ToArray())}";
    }

    public static string Escape(string s) =>
        "\"" + string.Concat(s.Select(c => c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", < ' ' => $"\\x{(int)c:X2}", _ => c.ToString() })) + "\"";
}
