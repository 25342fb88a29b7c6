namespace PocketLM.Chat;

/// <summary>How long a reasoning model may think, in the style of OpenAI's <c>reasoning_effort</c>.</summary>
public enum ReasoningEffort { None, Low, Medium, High }

/// <summary>
/// Thinking budgets (in tokens) for each effort. <c>None</c> turns thinking off (the template's own switch, e.g. Qwen3's
/// <c>enable_thinking=false</c>, else an empty think block pre-filled after the generation prompt). When a budget is
/// spent the closing marker is forced (budget forcing, s1: arXiv 2501.19393) and the answer follows. −1 = unbounded.
/// The defaults follow the ratio s1 studied (512 → 2048 → 8192 thinking tokens) and can be changed per engine.
/// </summary>
public sealed record ReasoningBudgets(int Low = 512, int Medium = 2048, int High = 8192)
{
    public static ReasoningBudgets Default { get; } = new();

    /// <summary>Token budget for an effort: 0 for None, −1 for unbounded.</summary>
    public int For(ReasoningEffort effort) => effort switch
    {
        ReasoningEffort.None => 0,
        ReasoningEffort.Low => Low,
        ReasoningEffort.Medium => Medium,
        _ => High,
    };

    /// <summary>Parses none/low/medium/high (case-insensitive), or returns null.</summary>
    public static ReasoningEffort? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "none" or "off" => ReasoningEffort.None,
        "low" => ReasoningEffort.Low,
        "medium" => ReasoningEffort.Medium,
        "high" => ReasoningEffort.High,
        _ => null,
    };
}
