using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PocketLM.Chat.Jinja;

/// <summary>Conversions between JSON / .NET values and template values, and Python's json.dumps.</summary>
internal static class Json
{
    public static object? FromElement(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => FromObject(e),
        JsonValueKind.Array => new PyList(e.EnumerateArray().Select(FromElement)),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => Number(e.GetRawText()),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static PyDict FromObject(JsonElement e)
    {
        var d = new PyDict();
        foreach (var p in e.EnumerateObject()) d[p.Name] = FromElement(p.Value);
        return d;
    }

    /// <summary>Python's json.loads number rule: an int unless it has a fraction or exponent.</summary>
    private static object Number(string raw)
    {
        if (raw.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
            return l;
        return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    public static object? Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return FromElement(doc.RootElement);
    }

    /// <summary>Plain .NET values (and JsonElement / JsonNode) to template values.</summary>
    public static object? FromNet(object? v, int depth = 0)
    {
        if (depth > 64) throw new ArgumentException("value nests too deeply");
        switch (v)
        {
            case null: return null;
            case string or bool or long or double or PyList or PyDict or Namespace or PyFunc or Undefined: return v;
            case int or short or sbyte or byte or ushort or uint: return Convert.ToInt64(v, CultureInfo.InvariantCulture);
            case ulong ul: return ul <= long.MaxValue ? (object)(long)ul : (double)ul;
            case float f: return (double)f;
            case decimal m: return (double)m;
            case char ch: return ch.ToString();
            case JsonElement je: return FromElement(je);
            case JsonNode jn: return Parse(jn.ToJsonString());
            case ChatMessage msg: return MessageToValue(msg);
            case IDictionary dict:
            {
                var d = new PyDict();
                foreach (DictionaryEntry kv in dict) d[FromNet(kv.Key, depth + 1) ?? "None"] = FromNet(kv.Value, depth + 1);
                return d;
            }
            case IEnumerable<KeyValuePair<string, object?>> pairs:
            {
                var d = new PyDict();
                foreach (var kv in pairs) d[kv.Key] = FromNet(kv.Value, depth + 1);
                return d;
            }
            case IEnumerable list:
            {
                var l = new PyList();
                foreach (var x in list) l.Add(FromNet(x, depth + 1));
                return l;
            }
            default: return v.ToString();
        }
    }

    /// <summary>The message dict a template sees, as Hugging Face passes OpenAI-style messages.</summary>
    public static PyDict MessageToValue(ChatMessage m, bool objectArguments = true)
    {
        var d = new PyDict { ["role"] = m.Role, ["content"] = m.Content };
        if (m.ReasoningContent is not null) d["reasoning_content"] = m.ReasoningContent;
        if (m.ToolCalls is not null)
        {
            var calls = new PyList();
            foreach (var tc in m.ToolCalls)
            {
                object? args = tc.ArgumentsJson;
                if (objectArguments)
                try
                {
                    var parsed = Parse(tc.ArgumentsJson);
                    if (parsed is PyDict or PyList) args = parsed;
                }
                catch (JsonException) { }
                calls.Add(new PyDict
                {
                    ["id"] = tc.Id,
                    ["type"] = "function",
                    ["function"] = new PyDict { ["name"] = tc.Name, ["arguments"] = args },
                });
            }
            d["tool_calls"] = calls;
        }
        if (m.ToolCallId is not null) d["tool_call_id"] = m.ToolCallId;
        if (m.Name is not null) d["name"] = m.Name;
        return d;
    }

    // ------------------------------------------------------------------------------------ json.dumps

    public static string Dumps(object? v, string? indent, string itemSep, string keySep, bool sortKeys, bool ensureAscii)
    {
        var sb = new StringBuilder();
        Write(sb, v, indent, itemSep, keySep, sortKeys, ensureAscii, 0);
        return sb.ToString();
    }

    private static void Newline(StringBuilder sb, string indent, int level)
    {
        sb.Append('\n');
        for (int i = 0; i < level; i++) sb.Append(indent);
    }

    private static void Write(StringBuilder sb, object? v, string? indent, string itemSep, string keySep, bool sortKeys, bool ascii, int level)
    {
        if (level > 200) throw new JinjaError("value nests too deeply for tojson");
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FloatJson(d)); break;
            case string s: WriteString(sb, s, ascii); break;
            case Markup m: WriteString(sb, m.Value, ascii); break;
            case PyList list:
                if (list.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(itemSep);
                    if (indent is not null) Newline(sb, indent, level + 1);
                    Write(sb, list[i], indent, itemSep, keySep, sortKeys, ascii, level + 1);
                }
                if (indent is not null) Newline(sb, indent, level);
                sb.Append(']');
                break;
            case PyDict dict:
            {
                if (dict.Count == 0) { sb.Append("{}"); break; }
                var entries = dict.Select(kv => (Key: KeyString(kv.Key), kv.Value)).ToList();
                if (sortKeys) entries = entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
                sb.Append('{');
                for (int i = 0; i < entries.Count; i++)
                {
                    if (i > 0) sb.Append(itemSep);
                    if (indent is not null) Newline(sb, indent, level + 1);
                    WriteString(sb, entries[i].Key, ascii);
                    sb.Append(keySep);
                    Write(sb, entries[i].Value, indent, itemSep, keySep, sortKeys, ascii, level + 1);
                }
                if (indent is not null) Newline(sb, indent, level);
                sb.Append('}');
                break;
            }
            default:
                throw new JinjaError($"Object of type {Py.TypeName(v)} is not JSON serializable");
        }
    }

    private static string KeyString(object k) => k switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatJson(d),
        _ => throw new JinjaError($"keys must be str, int, float, bool or None, not {Py.TypeName(k)}"),
    };

    private static string FloatJson(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : Py.FloatRepr(d);

    private static void WriteString(StringBuilder sb, string s, bool ascii)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7e))
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
