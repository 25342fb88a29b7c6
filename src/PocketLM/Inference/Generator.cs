using System.Diagnostics;
using PocketLM.Sampling;

namespace PocketLM.Inference;

/// <summary>Why generation ended.</summary>
public enum StopReason { None, EndOfGeneration, MaxTokens, ContextFull, Cancelled }

/// <summary>Timings and counts of the last generation, as llama.cpp prints them.</summary>
public sealed class GenerationStats
{
    public int PromptTokens { get; internal set; }
    /// <summary>Prompt tokens taken from the cache instead of being recomputed.</summary>
    public int ReusedPromptTokens { get; internal set; }
    public TimeSpan PromptTime { get; internal set; }
    public int GeneratedTokens { get; internal set; }
    public TimeSpan GenerationTime { get; internal set; }
    public StopReason StopReason { get; internal set; }

    public double PromptTokensPerSecond => (PromptTokens - ReusedPromptTokens) / Math.Max(PromptTime.TotalSeconds, 1e-9);
    /// <summary>Decode speed: the first token comes from the prompt's logits, so it is not counted as a decode step.</summary>
    public double GenerationTokensPerSecond => Math.Max(GeneratedTokens - 1, 0) / Math.Max(GenerationTime.TotalSeconds, 1e-9);
}

/// <summary>
/// The generation loop: prefill the prompt (keeping whatever prefix the session already holds), then sample one token
/// at a time until an end-of-generation token, the token limit, the context end or cancellation.
/// </summary>
public sealed class Generator(InferenceSession session, Sampler sampler, Func<int, bool> isEndOfGeneration)
{
    public GenerationStats Stats { get; private set; } = new();

    /// <summary>Yields generated token ids (an end-of-generation token is not yielded). maxTokens &lt; 0: no limit but the context.</summary>
    public IEnumerable<int> Generate(int[] prompt, int maxTokens = -1, CancellationToken cancellation = default)
    {
        var stats = Stats = new GenerationStats { PromptTokens = prompt.Length };
        if (prompt.Length == 0) throw new ArgumentException("the prompt is empty (no tokens)");
        if (prompt.Length >= session.ContextSize)
            throw new ContextOverflowException($"the prompt has {prompt.Length} tokens but the context holds {session.ContextSize} (use a larger --ctx or a shorter prompt)");

        var clock = Stopwatch.StartNew();
        int reused = session.ReusePrefix(prompt);
        stats.ReusedPromptTokens = reused;
        sampler.Reset();
        foreach (int t in prompt) sampler.Accept(t);
        session.Prefill(prompt.AsSpan(reused));
        stats.PromptTime = clock.Elapsed;
        clock.Restart();

        while (true)
        {
            if (cancellation.IsCancellationRequested) { stats.StopReason = StopReason.Cancelled; break; }
            if (maxTokens >= 0 && stats.GeneratedTokens >= maxTokens) { stats.StopReason = StopReason.MaxTokens; break; }
            int next = sampler.Sample(session.Logits);
            sampler.Accept(next);
            if (isEndOfGeneration(next)) { stats.StopReason = StopReason.EndOfGeneration; break; }
            stats.GeneratedTokens++;
            stats.GenerationTime = clock.Elapsed;
            yield return next;
            if (session.Position >= session.ContextSize) { stats.StopReason = StopReason.ContextFull; break; }
            if (maxTokens >= 0 && stats.GeneratedTokens >= maxTokens) { stats.StopReason = StopReason.MaxTokens; break; }
            session.Decode(next);
        }
        stats.GenerationTime = clock.Elapsed;
    }
}
