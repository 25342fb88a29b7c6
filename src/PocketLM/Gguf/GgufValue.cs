using System.Globalization;

namespace PocketLM.Gguf;

/// <summary>Metadata value types, numbered as in the GGUF specification.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>
/// An array value. <see cref="Items"/> is a typed .NET array (byte[], int[], float[], string[], GgufArray[] for nested
/// arrays…) so large vocabularies stay compact and need no boxing per element.
/// </summary>
public sealed class GgufArray(GgufValueType elementType, Array items)
{
    public GgufValueType ElementType { get; } = elementType;
    public Array Items { get; } = items;
    public int Count => Items.Length;

    public override string ToString() => $"[{ElementType} × {Count}]";
}

/// <summary>A typed metadata value: <see cref="Value"/> holds the matching .NET type (uint for UInt32, string, GgufArray…).</summary>
public readonly record struct GgufValue(GgufValueType Type, object Value)
{
    public static GgufValue String(string s) => new(GgufValueType.String, s);
    public static GgufValue UInt32(uint v) => new(GgufValueType.UInt32, v);
    public static GgufValue Int32(int v) => new(GgufValueType.Int32, v);
    public static GgufValue Float32(float v) => new(GgufValueType.Float32, v);
    public static GgufValue Bool(bool v) => new(GgufValueType.Bool, v);
    public static GgufValue UInt64(ulong v) => new(GgufValueType.UInt64, v);
    public static GgufValue Array(GgufValueType elementType, Array items) => new(GgufValueType.Array, new GgufArray(elementType, items));
    public static GgufValue Strings(IEnumerable<string> items) => Array(GgufValueType.String, items.ToArray());
    public static GgufValue Float32s(IEnumerable<float> items) => Array(GgufValueType.Float32, items.ToArray());
    public static GgufValue Int32s(IEnumerable<int> items) => Array(GgufValueType.Int32, items.ToArray());

    /// <summary>The value as a 64-bit integer when it is any integer type (or a bool).</summary>
    public bool TryGetInt64(out long value)
    {
        switch (Value)
        {
            case byte b: value = b; return true;
            case sbyte sb: value = sb; return true;
            case ushort us: value = us; return true;
            case short s: value = s; return true;
            case uint ui: value = ui; return true;
            case int i: value = i; return true;
            case ulong ul when ul <= long.MaxValue: value = (long)ul; return true;
            case long l: value = l; return true;
            case bool bo: value = bo ? 1 : 0; return true;
            default: value = 0; return false;
        }
    }

    /// <summary>The value as a double when it is any number.</summary>
    public bool TryGetDouble(out double value)
    {
        switch (Value)
        {
            case float f: value = f; return true;
            case double d: value = d; return true;
            default:
                bool ok = TryGetInt64(out long l);
                value = l;
                return ok;
        }
    }

    /// <summary>A short human-readable rendering (long arrays are abbreviated), for <c>pocket info</c>.</summary>
    public string Describe(int maxItems = 8)
    {
        return Value switch
        {
            string s => Quote(s),
            GgufArray a => DescribeArray(a, maxItems),
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            _ => Convert.ToString(Value, CultureInfo.InvariantCulture) ?? "",
        };
    }

    private static string DescribeArray(GgufArray a, int maxItems)
    {
        var parts = new List<string>();
        for (int i = 0; i < Math.Min(a.Count, maxItems); i++)
        {
            object item = a.Items.GetValue(i)!;
            parts.Add(item is GgufArray nested ? DescribeArray(nested, maxItems) : new GgufValue(a.ElementType, item).Describe(maxItems));
        }
        string more = a.Count > maxItems ? $", … ({a.Count} items)" : "";
        return "[" + string.Join(", ", parts) + more + "]";
    }

    private static string Quote(string s)
    {
        string shown = s.Length > 80 ? s[..80] + "…" : s;
        return "\"" + shown.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t") + "\"";
    }
}
