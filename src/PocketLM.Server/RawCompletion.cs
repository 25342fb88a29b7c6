using System.Diagnostics;
using System.Text;
using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Sampling;
using PocketLM.Tokenization;

namespace PocketLM.Server;

/// <summary>A piece of a raw completion: the text that became final with one token, and that token's log-probabilities.</summary>
internal readonly record struct RawDelta(string Text, TokenLogprobs? Logprobs);

/// <summary>The outcome of a raw completion.</summary>
internal sealed class RawResult
{
    public string FinishReason { get; set; } = "stop";
    public bool Cancelled { get; set; }
    public int PromptTokens { get; set; }
    public int CachedPromptTokens { get; set; }
    public int CompletionTokens { get; set; }
    public TimeSpan PromptTime { get; set; }
    public TimeSpan GenerationTime { get; set; }
}

/// <summary>
/// Text completion of a raw prompt (no template) on a slot's session: the loop of <see cref="Generator"/> plus stop
/// strings and log-probabilities, keeping the slot's cached prefix.
/// </summary>
internal static class RawCompletion
{
    public static IEnumerable<RawDelta> Run(InferenceSession session, Tokenizer tokenizer, int[] prompt, SamplerOptions options,
        int maxTokens, IReadOnlyList<string>? stops, int topLogprobs, RawResult result, CancellationToken cancellation)
    {
        if (prompt.Length >= session.ContextSize)
            throw new ContextOverflowException($"the prompt has {prompt.Length} tokens but the context holds {session.ContextSize}");
        var sampler = new Sampler(session.Model.Config.VocabSize, options, session.ContextSize);
        var clock = Stopwatch.StartNew();
        int kept = session.ReusePrefix(prompt);
        sampler.Reset();
        foreach (int t in prompt) sampler.Accept(t);
        session.Prefill(prompt.AsSpan(kept));
        result.PromptTokens = prompt.Length;
        result.CachedPromptTokens = kept;
        result.PromptTime = clock.Elapsed;
        clock.Restart();

        var decoder = tokenizer.CreateStreamingDecoder();
        var stop = new StopMatcher(stops);
        while (true)
        {
            if (cancellation.IsCancellationRequested) { result.Cancelled = true; break; }
            if (maxTokens >= 0 && result.CompletionTokens >= maxTokens) { result.FinishReason = "length"; break; }
            if (session.Position >= session.ContextSize) { result.FinishReason = "length"; break; }
            int next = sampler.Sample(session.Logits);
            TokenLogprobs? lp = topLogprobs >= 0 ? TokenLogprobs.Of(tokenizer, session.Logits, next, topLogprobs) : null;
            sampler.Accept(next);
            if (tokenizer.IsEndOfGeneration(next)) { result.FinishReason = "stop"; break; }
            result.CompletionTokens++;
            yield return new RawDelta(stop.Push(decoder.Append(next)), lp);
            if (stop.Stopped) { result.FinishReason = "stop"; break; }
            if (maxTokens >= 0 && result.CompletionTokens >= maxTokens) { result.FinishReason = "length"; break; }
            if (session.Position >= session.ContextSize) { result.FinishReason = "length"; break; }
            session.Decode(next);
        }
        string tail = stop.Stopped ? "" : stop.Push(decoder.Flush());
        tail += stop.Flush();
        if (tail.Length > 0) yield return new RawDelta(tail, null);
        result.GenerationTime = clock.Elapsed;
    }
}
