using System.Text.Json;

namespace PocketLM.Server;

/// <summary>
/// Typed access to the fields of a JSON request object. A field that is absent or null reads as "not given"; a field
/// of the wrong type or out of range is a 400 naming it. Fields nobody asks for are ignored.
/// </summary>
internal readonly struct RequestReader(JsonElement root)
{
    public JsonElement Root { get; } = root;

    public bool TryGet(string name, out JsonElement value)
    {
        if (Root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null) return true;
        value = default;
        return false;
    }

    public bool Has(string name) => TryGet(name, out _);

    public string? String(string name)
    {
        if (!TryGet(name, out var v)) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Type(name, "a string");
    }

    public bool? Bool(string name)
    {
        if (!TryGet(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Type(name, "a boolean"),
        };
    }

    public double? Number(string name, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d)) throw Type(name, "a number");
        if (d < min || d > max) throw ApiException.Invalid($"'{name}' must be between {Show(min)} and {Show(max)} (got {v.GetRawText()})", name);
        return d;
    }

    public long? Integer(string name, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number) throw Type(name, "an integer");
        if (!v.TryGetInt64(out long l))
        {
            // 5.0 is an integer too; 5.5 is not.
            if (v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) l = (long)d;
            else throw Type(name, "an integer");
        }
        if (l < min || l > max) throw ApiException.Invalid($"'{name}' must be between {Show(min)} and {Show(max)} (got {l})", name);
        return l;
    }

    /// <summary>"stop": a string or an array of strings.</summary>
    public IReadOnlyList<string>? Strings(string name)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind != JsonValueKind.Array) throw Type(name, "a string or an array of strings");
        var list = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw Type(name, "a string or an array of strings");
            list.Add(item.GetString()!);
        }
        return list;
    }

    public static ApiException Type(string name, string what) => ApiException.Invalid($"'{name}' must be {what}", name);

    private static string Show(double d) => double.IsInfinity(d) ? (d > 0 ? "∞" : "-∞") : d.ToString(System.Globalization.CultureInfo.InvariantCulture);
    private static string Show(long l) => l == long.MaxValue ? "∞" : l == long.MinValue ? "-∞" : l.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
