using System.Text;
using System.Text.Json;

namespace PocketLM.Chat;

/// <summary>One chat message, OpenAI style. Templates see it as a dict: role, content (None when null), and
/// reasoning_content, tool_calls, tool_call_id, name only when set.</summary>
public sealed record ChatMessage(string Role, string? Content)
{
    public string? ReasoningContent { get; init; }
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
    public string? Name { get; init; }

    /// <summary>
    /// Reads OpenAI-style messages: a JSON array of {role, content, reasoning_content?, tool_calls?, tool_call_id?, name?},
    /// or an object with such a "messages" array. Content given as an array of parts keeps the text parts, joined by "\n".
    /// Tool-call arguments may be a JSON string or an object. Throws <see cref="FormatException"/> on malformed input.
    /// </summary>
    public static IReadOnlyList<ChatMessage> ListFromJson(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out var inner)) root = inner;
            if (root.ValueKind != JsonValueKind.Array) throw new FormatException("expected a JSON array of messages");
            var list = new List<ChatMessage>();
            int index = 0;
            foreach (var m in root.EnumerateArray())
            {
                list.Add(FromJson(m, index));
                index++;
            }
            return list;
        }
        catch (JsonException e)
        {
            throw new FormatException($"messages are not valid JSON: {e.Message}", e);
        }
    }

    private static ChatMessage FromJson(JsonElement m, int index)
    {
        if (m.ValueKind != JsonValueKind.Object) throw new FormatException($"message {index} is not a JSON object");
        string role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
            ? r.GetString()!
            : throw new FormatException($"message {index} has no string 'role'");
        string? content = null;
        if (m.TryGetProperty("content", out var c))
        {
            content = c.ValueKind switch
            {
                JsonValueKind.String => c.GetString(),
                JsonValueKind.Null => null,
                JsonValueKind.Array => JoinTextParts(c),
                _ => throw new FormatException($"message {index}: 'content' must be a string, null or an array of parts"),
            };
        }
        List<ToolCall>? calls = null;
        if (m.TryGetProperty("tool_calls", out var tcs) && tcs.ValueKind == JsonValueKind.Array)
        {
            calls = [];
            foreach (var tc in tcs.EnumerateArray())
            {
                var fn = tc.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : tc;
                string name = Str(fn, "name") ?? throw new FormatException($"message {index}: a tool call has no function name");
                string args = "{}";
                if (fn.TryGetProperty("arguments", out var a))
                    args = a.ValueKind == JsonValueKind.String ? a.GetString()! : a.GetRawText();
                calls.Add(new ToolCall(Str(tc, "id") ?? "", name, args));
            }
        }
        return new ChatMessage(role, content)
        {
            ReasoningContent = Str(m, "reasoning_content"),
            ToolCalls = calls,
            ToolCallId = Str(m, "tool_call_id"),
            Name = Str(m, "name"),
        };
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string JoinTextParts(JsonElement parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts.EnumerateArray())
        {
            string? text = p.ValueKind == JsonValueKind.String ? p.GetString()
                : p.ValueKind == JsonValueKind.Object && Str(p, "type") is null or "text" ? Str(p, "text") : null;
            if (text is null) continue;
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(text);
        }
        return sb.ToString();
    }
}

/// <summary>A function call made by the assistant. <see cref="ArgumentsJson"/> is the arguments as JSON text;
/// templates see them parsed into an object when they parse, else as the string.</summary>
public sealed record ToolCall(string Id, string Name, string ArgumentsJson);
