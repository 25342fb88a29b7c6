using System.Text.Json;
using PocketLM.Inference;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Inference;

/// <summary>The greedy continuations llama.cpp computed for the fixture models (fixtures/expected/greedy.json), reproduced exactly.</summary>
public class GreedyFixtureTests
{
    public sealed record GreedyCase(string Model, string Prompt, int MaxTokens, int[] PromptIds, int[] GreedyIds, string GreedyText)
    {
        public override string ToString() => $"{Model} \"{Prompt}\"";
    }

    public static IReadOnlyList<GreedyCase> LoadCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Expected("greedy.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new GreedyCase(
            c.GetProperty("model").GetString()!,
            c.GetProperty("prompt").GetString()!,
            c.GetProperty("max_tokens").GetInt32(),
            c.GetProperty("prompt_ids_with_bos").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("greedy_text").GetString()!)).ToList();
    }

    public static TheoryData<int> CaseIndices() => new(Enumerable.Range(0, LoadCases().Count));

    /// <summary>Greedy decoding from the given prompt ids, stopping at the model's end-of-sequence token.</summary>
    internal static int[] Greedy(InferenceSession s, int[] promptIds, int maxTokens, int eos)
    {
        var output = new List<int>();
        var logits = s.Prefill(promptIds);
        while (output.Count < maxTokens)
        {
            int next = Ops.ArgMax(logits);
            output.Add(next);
            if (next == eos || output.Count == maxTokens) break;
            logits = s.Decode(next);
        }
        return output.ToArray();
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void GreedyIdsMatchLlamaCpp(int index)
    {
        var c = LoadCases()[index];
        using var model = LanguageModel.Load(Fixtures.Model(c.Model));
        using var session = model.CreateSession(new SessionOptions { ContextSize = 512, Threads = 2 });
        int eos = (int)(model.File.GetInteger("tokenizer.ggml.eos_token_id") ?? 2);
        var ids = Greedy(session, c.PromptIds, c.MaxTokens, eos);
        Assert.Equal(c.GreedyIds, ids);
    }
}
