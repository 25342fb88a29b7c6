using System.Text;

namespace PocketLM.Chat;

/// <summary>Which stream a piece of generated text belongs to.</summary>
public enum TextChannel { Answer, Reasoning }

/// <summary>A piece of generated text and the stream it belongs to.</summary>
public readonly record struct ChannelText(TextChannel Channel, string Text);

/// <summary>The markers a model wraps its chain of thought in (DeepSeek-R1, Qwen3, QwQ: <c>&lt;think&gt;</c>…<c>&lt;/think&gt;</c>).</summary>
public sealed record ReasoningMarkers(string Open, string Close)
{
    public static ReasoningMarkers Think { get; } = new("<think>", "</think>");
}

/// <summary>
/// Splits streamed text into reasoning and answer, safe against a marker split across chunks (text that could be the
/// start of a marker is held back until it is decided), a prompt that already opened the thinking block (DeepSeek-R1's
/// template ends with <c>&lt;think&gt;\n</c>), and a model that never closes it (everything stays reasoning).
/// Only the first reasoning block is recognised, at the start of the answer (leading whitespace allowed), as llama.cpp's
/// reasoning parser does; a later "&lt;think&gt;" is ordinary answer text.
/// </summary>
public sealed class ReasoningParser
{
    private enum State { BeforeOpen, InReasoning, Answer }

    private readonly ReasoningMarkers _markers;
    private readonly StringBuilder _pending = new();
    private State _state;
    private bool _reasoningStarted;

    public ReasoningParser(ReasoningMarkers? markers = null, bool startInReasoning = false)
    {
        _markers = markers ?? ReasoningMarkers.Think;
        _state = startInReasoning ? State.InReasoning : State.BeforeOpen;
    }

    public bool InReasoning => _state == State.InReasoning;
    /// <summary>True once the closing marker has been seen (or reasoning never started and the answer began).</summary>
    public bool ReasoningEnded => _state == State.Answer;

    /// <summary>Feeds a chunk; returns the pieces that are decided (possibly none).</summary>
    public IReadOnlyList<ChannelText> Push(string chunk)
    {
        var output = new List<ChannelText>(2);
        _pending.Append(chunk);
        Drain(output, final: false);
        return output;
    }

    /// <summary>End of stream: whatever is held back is emitted in the current channel.</summary>
    public IReadOnlyList<ChannelText> Flush()
    {
        var output = new List<ChannelText>(2);
        Drain(output, final: true);
        return output;
    }

    private void Drain(List<ChannelText> output, bool final)
    {
        while (_pending.Length > 0)
        {
            string text = _pending.ToString();
            switch (_state)
            {
                case State.BeforeOpen:
                {
                    int start = 0;
                    while (start < text.Length && char.IsWhiteSpace(text[start])) start++;
                    string rest = text[start..];
                    if (rest.StartsWith(_markers.Open, StringComparison.Ordinal))
                    {
                        _state = State.InReasoning;
                        _reasoningStarted = true;
                        _pending.Clear().Append(rest[_markers.Open.Length..]);
                        continue;
                    }
                    if (!final && (rest.Length == 0 || _markers.Open.StartsWith(rest, StringComparison.Ordinal))) return; // undecided
                    _state = State.Answer;
                    continue;
                }
                case State.InReasoning:
                {
                    int close = text.IndexOf(_markers.Close, StringComparison.Ordinal);
                    if (close >= 0)
                    {
                        Emit(output, TextChannel.Reasoning, text[..close]);
                        _state = State.Answer;
                        // The templates put a blank line after the closing marker; it belongs to neither stream.
                        string after = text[(close + _markers.Close.Length)..];
                        _pending.Clear().Append(after.TrimStart('\n'));
                        _trimAnswerStart = after.Length == 0 || after.TrimStart('\n').Length == 0;
                        continue;
                    }
                    int keep = final ? 0 : PartialSuffix(text, _markers.Close);
                    Emit(output, TextChannel.Reasoning, text[..^keep]);
                    _pending.Clear().Append(text[^keep..]);
                    return;
                }
                default:
                {
                    if (_trimAnswerStart)
                    {
                        string trimmed = text.TrimStart('\n');
                        if (trimmed.Length == 0 && !final) { _pending.Clear(); return; }
                        _trimAnswerStart = false;
                        text = trimmed;
                    }
                    Emit(output, TextChannel.Answer, text);
                    _pending.Clear();
                    return;
                }
            }
        }
    }

    private bool _trimAnswerStart;

    private static void Emit(List<ChannelText> output, TextChannel channel, string text)
    {
        if (text.Length == 0) return;
        if (output.Count > 0 && output[^1].Channel == channel) output[^1] = new ChannelText(channel, output[^1].Text + text);
        else output.Add(new ChannelText(channel, text));
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of <paramref name="marker"/>.</summary>
    private static int PartialSuffix(string text, string marker)
    {
        for (int n = Math.Min(marker.Length - 1, text.Length); n > 0; n--)
            if (string.CompareOrdinal(text, text.Length - n, marker, 0, n) == 0) return n;
        return 0;
    }

    /// <summary>Splits a complete text in one go: (reasoning or null, answer).</summary>
    public static (string? Reasoning, string Answer) Split(string text, ReasoningMarkers? markers = null, bool startInReasoning = false)
    {
        var parser = new ReasoningParser(markers, startInReasoning);
        var reasoning = new StringBuilder();
        var answer = new StringBuilder();
        var pieces = parser.Push(text).ToList();
        pieces.AddRange(parser.Flush());
        foreach (var piece in pieces)
            (piece.Channel == TextChannel.Reasoning ? reasoning : answer).Append(piece.Text);
        bool had = parser._reasoningStarted || startInReasoning;
        return (had ? reasoning.ToString().Trim('\n') : null, answer.ToString());
    }
}
