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
        var stop = new StopFilter(stops);
        while (true)
        {
            if (cancellation.IsCancellationRequested) { result.Cancelled = true; break; }
            if (maxTokens >= 0 && result.CompletionTokens >= maxTokens) { result.FinishReason = "length"; break; }
            if (session.Position >= session.ContextSize) { result.FinishReason = "length"; break; }
            int next = sampler.Sample(session.Logits);
            TokenLogprobs? lp = topLogprobs >= 0 ? Logprobs.Of(tokenizer, session.Logits, next, topLogprobs) : null;
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

/// <summary>Log-probabilities of a sampled token and the most likely alternatives (softmax of the raw logits).</summary>
internal static class Logprobs
{
    public static TokenLogprobs Of(Tokenizer tokenizer, ReadOnlySpan<float> logits, int chosen, int top)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = MathF.Max(max, l);
        double sum = 0;
        foreach (float l in logits) sum += Math.Exp(l - max);
        float lse = max + (float)Math.Log(sum);
        var alternatives = new List<TokenLogprob>(Math.Max(top, 0));
        if (top > 0)
        {
            var best = new PriorityQueue<int, float>();
            for (int i = 0; i < logits.Length; i++)
            {
                if (best.Count < top) best.Enqueue(i, logits[i]);
                else if (logits[i] > logits[best.Peek()]) best.EnqueueDequeue(i, logits[i]);
            }
            while (best.Count > 0)
            {
                int id = best.Dequeue();
                alternatives.Add(new TokenLogprob(id, Piece(tokenizer, id), logits[id] - lse));
            }
            alternatives.Reverse();
        }
        return new TokenLogprobs(new TokenLogprob(chosen, Piece(tokenizer, chosen), logits[chosen] - lse), alternatives);
    }

    /// <summary>A token's own text, leading space included (what OpenAI's "token" fields show).</summary>
    public static string Piece(Tokenizer tokenizer, int id) => Encoding.UTF8.GetString(tokenizer.TokenToBytes(id, renderSpecial: true));
}

/// <summary>Cuts streamed text at the first stop string; text that may still start one is held back.</summary>
internal sealed class StopFilter(IReadOnlyList<string>? stops)
{
    private readonly string[] _stops = stops?.Where(s => !string.IsNullOrEmpty(s)).ToArray() ?? [];
    private readonly StringBuilder _held = new();

    public bool Stopped { get; private set; }

    public string Push(string text)
    {
        if (Stopped) return "";
        if (_stops.Length == 0) return text;
        _held.Append(text);
        string s = _held.ToString();
        int cut = -1;
        foreach (string stop in _stops)
        {
            int at = s.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _held.Clear();
            return s[..cut];
        }
        int keep = 0;
        foreach (string stop in _stops)
            for (int n = Math.Min(stop.Length - 1, s.Length); n > keep; n--)
                if (string.CompareOrdinal(s, s.Length - n, stop, 0, n) == 0) { keep = n; break; }
        _held.Clear().Append(s, s.Length - keep, keep);
        return s[..^keep];
    }

    public string Flush()
    {
        string s = Stopped ? "" : _held.ToString();
        _held.Clear();
        return s;
    }
}
