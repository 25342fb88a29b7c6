using System.Globalization;
using System.Text;

namespace PocketLM.Chat.Jinja;

// Runtime values follow Python as Jinja sees it:
//   None -> null, bool -> bool, int -> long, float -> double, str -> string,
//   list/tuple -> PyList, dict -> PyDict, undefined -> Undefined, callables -> PyFunc,
//   namespace() -> Namespace, the for-loop variable -> LoopInfo.

/// <summary>An error without a position; the innermost AST node that sees it adds line and column.</summary>
internal sealed class JinjaError(string message) : Exception(message);

/// <summary>Jinja's undefined: prints as "", iterates as empty, is falsy; most other uses are errors.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new("value is undefined");
    public Undefined(string hint) => Hint = hint;
    /// <summary>What was undefined, for error messages ("'x' is undefined").</summary>
    public string Hint { get; }
    public static Undefined Name(string name) => new($"'{name}' is undefined");
    public static Undefined Attr(object? obj, string name) => new($"'{Py.TypeName(obj)} object' has no attribute '{name}'");
}

/// <summary>Jinja's Markup (from |safe or |escape): a str whose + escapes a plain str operand, as HF renders it.</summary>
internal sealed class Markup(string value)
{
    public string Value { get; } = value;
    public override string ToString() => Value;
}

internal sealed class PyList : List<object?>
{
    public PyList() { }
    public PyList(IEnumerable<object?> items) : base(items) { }
    public bool IsTuple { get; init; }
    public static PyList Tuple(params object?[] items) => new(items) { IsTuple = true };
}

internal sealed class PyDict : OrderedDictionary<object, object?>
{
    public PyDict() : base(PyKeyComparer.Instance) { }
}

/// <summary>Python hashing equality for dict keys: 1 == 1.0 == True.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();
    public new bool Equals(object? x, object? y) => Py.Eq(x, y);
    public int GetHashCode(object obj) => obj switch
    {
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e18 => ((long)d).GetHashCode(),
        string s => StringComparer.Ordinal.GetHashCode(s),
        _ => obj.GetHashCode(),
    };
}

internal sealed class Namespace
{
    public readonly PyDict Attrs = new();
}

internal delegate object? NativeFn(Ctx ctx, CallArgs args);

internal sealed class PyFunc(string name, NativeFn fn)
{
    public string Name { get; } = name;
    public object? Invoke(Ctx ctx, CallArgs args) => fn(ctx, args);
}

internal sealed class CallArgs
{
    public static readonly CallArgs Empty = new([], []);
    public CallArgs(List<object?> pos, List<KeyValuePair<string, object?>> kw) { Pos = pos; Kw = kw; }
    public List<object?> Pos { get; }
    public List<KeyValuePair<string, object?>> Kw { get; }

    public bool TryGet(int index, string name, out object? value)
    {
        if (index >= 0 && index < Pos.Count) { value = Pos[index]; return true; }
        foreach (var kv in Kw)
            if (kv.Key == name) { value = kv.Value; return true; }
        value = null;
        return false;
    }

    public object? Get(int index, string name, object? fallback = null) => TryGet(index, name, out var v) ? v : fallback;

    public object? Required(int index, string name, string fn) =>
        TryGet(index, name, out var v) ? v : throw new JinjaError($"{fn}() missing required argument '{name}'");
}

internal sealed class LoopInfo
{
    public required List<object?> Items { get; init; }
    public int Index0 { get; set; }
    public int Depth0 { get; init; }
    public object? LastChanged { get; set; } = Undefined.Instance;

    public object? Get(string name)
    {
        int n = Items.Count;
        return name switch
        {
            "index" => (long)(Index0 + 1),
            "index0" => (long)Index0,
            "revindex" => (long)(n - Index0),
            "revindex0" => (long)(n - Index0 - 1),
            "first" => Index0 == 0,
            "last" => Index0 == n - 1,
            "length" => (long)n,
            "depth" => (long)(Depth0 + 1),
            "depth0" => (long)Depth0,
            "previtem" => Index0 > 0 ? Items[Index0 - 1] : Undefined.Name("previtem"),
            "nextitem" => Index0 + 1 < n ? Items[Index0 + 1] : Undefined.Name("nextitem"),
            "cycle" => new PyFunc("loop.cycle", (_, a) =>
                a.Pos.Count == 0 ? throw new JinjaError("no items for cycling given") : a.Pos[Index0 % a.Pos.Count]),
            "changed" => new PyFunc("loop.changed", (_, a) =>
            {
                var val = new PyList(a.Pos);
                if (LastChanged is PyList prev && Py.Eq(prev, val)) return false;
                LastChanged = val;
                return true;
            }),
            _ => Undefined.Attr(this, name),
        };
    }
}

/// <summary>Python semantics for the operations templates use.</summary>
internal static class Py
{
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        Markup => "Markup",
        PyList l => l.IsTuple ? "tuple" : "list",
        PyDict => "dict",
        Namespace => "Namespace",
        PyFunc => "function",
        LoopInfo => "LoopContext",
        _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        Markup m => m.Value.Length > 0,
        PyList l => l.Count > 0,
        PyDict d => d.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new JinjaError($"expected a number, got {TypeName(v)}"),
    };

    /// <summary>int or bool as long; null if not an integer.</summary>
    public static long? AsInt(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => null,
    };

    public static long ToInt(object? v, string what) =>
        AsInt(v) ?? throw new JinjaError($"{what} must be an integer, not {TypeName(v)}");

    // ---------------- str() and repr() ----------------

    public static object? Unwrap(object? v) => v is Markup m ? m.Value : v;

    public static string Str(object? v) => v switch
    {
        string s => s,
        Markup m => m.Value,
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        Repr(sb, v, 0);
        return sb.ToString();
    }

    private static void Repr(StringBuilder sb, object? v, int depth)
    {
        if (depth > 100) throw new JinjaError("value is nested too deeply to print");
        switch (v)
        {
            case string s:
                StrRepr(sb, s);
                break;
            case Undefined:
                sb.Append("Undefined");
                break;
            case Markup m:
                sb.Append("Markup(");
                StrRepr(sb, m.Value);
                sb.Append(')');
                break;
            case PyList l:
                sb.Append(l.IsTuple ? '(' : '[');
                for (int i = 0; i < l.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Repr(sb, l[i], depth + 1);
                }
                if (l.IsTuple && l.Count == 1) sb.Append(',');
                sb.Append(l.IsTuple ? ')' : ']');
                break;
            case PyDict d:
                sb.Append('{');
                bool first = true;
                foreach (var kv in d)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    Repr(sb, kv.Key, depth + 1);
                    sb.Append(": ");
                    Repr(sb, kv.Value, depth + 1);
                }
                sb.Append('}');
                break;
            case Namespace ns:
                sb.Append("<Namespace ");
                Repr(sb, ns.Attrs, depth + 1);
                sb.Append('>');
                break;
            case PyFunc f:
                sb.Append("<function ").Append(f.Name).Append('>');
                break;
            case LoopInfo:
                sb.Append("<LoopContext>");
                break;
            default:
                sb.Append(Str(v));
                break;
        }
    }

    private static void StrRepr(StringBuilder sb, string s)
    {
        char q = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(q);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == q) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append(q);
    }

    /// <summary>Python's repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    /// <summary>markupsafe.escape: Markup passes through, anything else is str()-ed and HTML-escaped.</summary>
    public static string Escape(object? v) => v is Markup m ? m.Value
        : Str(v).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        bool neg = r[0] == '-';
        if (neg) r = r[1..];
        int exp = 0;
        int ei = r.IndexOfAny(['E', 'e']);
        string mant = r;
        if (ei >= 0)
        {
            exp = int.Parse(r[(ei + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mant = r[..ei];
        }
        int dot = mant.IndexOf('.');
        string digits = dot >= 0 ? mant[..dot] + mant[(dot + 1)..] : mant;
        int pointPos = dot >= 0 ? dot : mant.Length;
        int lz = 0;
        while (lz < digits.Length - 1 && digits[lz] == '0') lz++;
        digits = digits[lz..];
        pointPos -= lz;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int decExp = pointPos + exp; // value = 0.DIGITS * 10^decExp
        int sciExp = decExp - 1;
        string body;
        if (sciExp < -4 || sciExp >= 16)
            body = digits[0] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (sciExp < 0 ? "-" : "+")
                   + Math.Abs(sciExp).ToString("00", CultureInfo.InvariantCulture);
        else if (decExp <= 0) body = "0." + new string('0', -decExp) + digits;
        else if (decExp >= digits.Length) body = digits + new string('0', decExp - digits.Length) + ".0";
        else body = digits[..decExp] + "." + digits[decExp..];
        return neg ? "-" + body : body;
    }

    // ---------------- comparison ----------------

    public static bool Eq(object? a, object? b)
    {
        a = Unwrap(a);
        b = Unwrap(b);
        if (ReferenceEquals(a, b)) return true;
        switch (a)
        {
            case null: return b is null;
            case Undefined: return b is Undefined;
            case string s: return b is string t && string.Equals(s, t, StringComparison.Ordinal);
            case long or double or bool:
                if (!IsNumber(b)) return false;
                if (a is double || b is double) return ToDouble(a) == ToDouble(b);
                return AsInt(a) == AsInt(b);
            case PyList l:
                if (b is not PyList m || l.IsTuple != m.IsTuple || l.Count != m.Count) return false;
                for (int i = 0; i < l.Count; i++)
                    if (!Eq(l[i], m[i])) return false;
                return true;
            case PyDict d:
                if (b is not PyDict e || d.Count != e.Count) return false;
                foreach (var kv in d)
                    if (!e.TryGetValue(kv.Key, out var ev) || !Eq(kv.Value, ev)) return false;
                return true;
            default: return a.Equals(b);
        }
    }

    /// <summary>Ordering as Python's &lt;: numbers, strings, lists lexicographically; anything else is a TypeError.</summary>
    public static int Compare(object? a, object? b, string op = "<")
    {
        a = Unwrap(a);
        b = Unwrap(b);
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return AsInt(a)!.Value.CompareTo(AsInt(b)!.Value);
        }
        if (a is string s && b is string t) return Math.Sign(string.CompareOrdinal(s, t));
        if (a is PyList l && b is PyList m)
        {
            for (int i = 0; i < Math.Min(l.Count, m.Count); i++)
            {
                if (Eq(l[i], m[i])) continue;
                return Compare(l[i], m[i], op);
            }
            return l.Count.CompareTo(m.Count);
        }
        throw new JinjaError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    // ---------------- arithmetic ----------------

    private static JinjaError BadOperands(string op, object? a, object? b)
    {
        if (a is Undefined ua) return new JinjaError(ua.Hint);
        if (b is Undefined ub) return new JinjaError(ub.Hint);
        return new JinjaError($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static object? Add(object? a, object? b)
    {
        if ((a is Markup || b is Markup) && a is string or Markup && b is string or Markup)
            return new Markup(Escape(a) + Escape(b));
        if (a is string s && b is string t) return s + t;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) + ToDouble(b);
            long x = AsInt(a)!.Value, y = AsInt(b)!.Value;
            long r = unchecked(x + y);
            return ((x ^ r) & (y ^ r)) < 0 ? (object)((double)x + y) : r;
        }
        if (a is PyList l && b is PyList m && l.IsTuple == m.IsTuple)
        {
            var res = new PyList(l) { IsTuple = l.IsTuple };
            res.AddRange(m);
            return res;
        }
        if (a is string && b is not string) throw new JinjaError(b is Undefined u ? u.Hint : $"can only concatenate str (not \"{TypeName(b)}\") to str");
        throw BadOperands("+", a, b);
    }

    public static object? Sub(object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b)) throw BadOperands("-", a, b);
        if (a is double || b is double) return ToDouble(a) - ToDouble(b);
        long x = AsInt(a)!.Value, y = AsInt(b)!.Value;
        long r = unchecked(x - y);
        return ((x ^ y) & (x ^ r)) < 0 ? (object)((double)x - y) : r;
    }

    public static object? Mul(object? a, object? b)
    {
        a = Unwrap(a);
        b = Unwrap(b);
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) * ToDouble(b);
            long x = AsInt(a)!.Value, y = AsInt(b)!.Value;
            try { return checked(x * y); } catch (OverflowException) { return (double)x * y; }
        }
        if (a is string s && AsInt(b) is long n) return Repeat(s, n);
        if (b is string t && AsInt(a) is long k) return Repeat(t, k);
        if (a is PyList l && AsInt(b) is long c) return RepeatList(l, c);
        if (b is PyList m && AsInt(a) is long c2) return RepeatList(m, c2);
        throw BadOperands("*", a, b);
    }

    private static string Repeat(string s, long n)
    {
        if (n <= 0 || s.Length == 0) return "";
        if (n * s.Length > 100_000_000) throw new JinjaError("string repetition result is too large");
        return new StringBuilder(s.Length * (int)n).Insert(0, s, (int)n).ToString();
    }

    private static PyList RepeatList(PyList l, long n)
    {
        var res = new PyList { IsTuple = l.IsTuple };
        if (n * l.Count > 10_000_000) throw new JinjaError("list repetition result is too large");
        for (long i = 0; i < n; i++) res.AddRange(l);
        return res;
    }

    public static object? Div(object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b)) throw BadOperands("/", a, b);
        double y = ToDouble(b);
        if (y == 0) throw new JinjaError("division by zero");
        return ToDouble(a) / y;
    }

    public static object? FloorDiv(object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b)) throw BadOperands("//", a, b);
        if (a is double || b is double)
        {
            double y = ToDouble(b);
            if (y == 0) throw new JinjaError("float floor division by zero");
            return Math.Floor(ToDouble(a) / y);
        }
        long x = AsInt(a)!.Value, d = AsInt(b)!.Value;
        if (d == 0) throw new JinjaError("integer division or modulo by zero");
        long q = x / d;
        if ((x % d != 0) && ((x < 0) != (d < 0))) q--;
        return q;
    }

    public static object? Mod(object? a, object? b)
    {
        a = Unwrap(a);
        if (a is string fmt) return Builtins.PercentFormat(fmt, b);
        if (!IsNumber(a) || !IsNumber(b)) throw BadOperands("%", a, b);
        if (a is double || b is double)
        {
            double x = ToDouble(a), y = ToDouble(b);
            if (y == 0) throw new JinjaError("float modulo");
            double r = x % y;
            if (r != 0 && (r < 0) != (y < 0)) r += y;
            return r;
        }
        long xi = AsInt(a)!.Value, yi = AsInt(b)!.Value;
        if (yi == 0) throw new JinjaError("integer division or modulo by zero");
        long m = xi % yi;
        if (m != 0 && (m < 0) != (yi < 0)) m += yi;
        return m;
    }

    public static object? Pow(object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b)) throw BadOperands("**", a, b);
        if (a is not double && b is not double && AsInt(b) >= 0)
        {
            long x = AsInt(a)!.Value, e = AsInt(b)!.Value, r = 1;
            try
            {
                checked
                {
                    while (e > 0)
                    {
                        if ((e & 1) != 0) r *= x;
                        e >>= 1;
                        if (e > 0) x *= x;
                    }
                }
                return r;
            }
            catch (OverflowException) { return Math.Pow(ToDouble(a), ToDouble(b)); }
        }
        return Math.Pow(ToDouble(a), ToDouble(b));
    }

    public static object? Neg(object? a) => a switch
    {
        long l => (object)(-l),
        double d => -d,
        bool b => b ? -1L : 0L,
        Undefined u => throw new JinjaError(u.Hint),
        _ => throw new JinjaError($"bad operand type for unary -: '{TypeName(a)}'"),
    };

    // ---------------- containers ----------------

    public static bool Contains(object? container, object? item) => ContainsCore(Unwrap(container), Unwrap(item));

    private static bool ContainsCore(object? container, object? item) => container switch
    {
        string s => item is string t ? s.Contains(t, StringComparison.Ordinal)
            : throw new JinjaError($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        PyList l => l.Exists(x => Eq(x, item)),
        PyDict d => item is not null && d.ContainsKey(item),
        Namespace ns => item is not null && ns.Attrs.ContainsKey(item),
        Undefined or null => false,
        _ => throw new JinjaError($"argument of type '{TypeName(container)}' is not iterable"),
    };

    public static IEnumerable<object?> Iterate(object? v) => Unwrap(v) switch
    {
        PyList l => l,
        PyDict d => d.Keys,
        string s => s.Select(c => (object?)c.ToString()),
        Undefined => [],
        _ => throw new JinjaError($"'{TypeName(v)}' object is not iterable"),
    };

    public static List<object?> ToList(object? v) => v is PyList l ? l : Iterate(v).ToList();

    public static long Len(object? v) => Unwrap(v) switch
    {
        string s => s.Length,
        PyList l => l.Count,
        PyDict d => d.Count,
        Undefined => 0,
        _ => throw new JinjaError($"object of type '{TypeName(v)}' has no len()"),
    };

    public static object? GetAttr(object? obj, string name)
    {
        obj = Unwrap(obj);
        switch (obj)
        {
            case PyDict d:
                if (name is "items" or "keys" or "values" or "get") return Builtins.DictMethod(d, name);
                return d.TryGetValue(name, out var v) ? v : Undefined.Attr(obj, name);
            case Namespace ns:
                return ns.Attrs.TryGetValue(name, out var nv) ? nv : Undefined.Attr(obj, name);
            case string s:
                return (object?)Builtins.StrMethod(s, name) ?? Undefined.Attr(obj, name);
            case LoopInfo loop:
                return loop.Get(name);
            case Undefined u:
                return u;
            default:
                return Undefined.Attr(obj, name);
        }
    }

    public static object? GetItem(object? obj, object? key)
    {
        obj = Unwrap(obj);
        key = Unwrap(key);
        switch (obj)
        {
            case PyDict d:
                if (key is not null && d.TryGetValue(key, out var v)) return v;
                break;
            case PyList l when AsInt(key) is long i:
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l[(int)i] : Undefined.Instance;
            case string s when AsInt(key) is long j:
                if (j < 0) j += s.Length;
                return j >= 0 && j < s.Length ? s[(int)j].ToString() : Undefined.Instance;
            case Undefined u:
                return u;
        }
        if (key is string name) return GetAttr(obj, name);
        return Undefined.Instance;
    }

    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        obj = Unwrap(obj);
        long? Opt(object? x) => x is null or Undefined ? null : ToInt(x, "slice indices");
        long? st = Opt(step);
        if (st == 0) throw new JinjaError("slice step cannot be zero");
        switch (obj)
        {
            case string s:
            {
                var sb = new StringBuilder();
                foreach (int i in SliceIndices(s.Length, Opt(start), Opt(stop), st ?? 1)) sb.Append(s[i]);
                return sb.ToString();
            }
            case PyList l:
            {
                var res = new PyList { IsTuple = l.IsTuple };
                foreach (int i in SliceIndices(l.Count, Opt(start), Opt(stop), st ?? 1)) res.Add(l[i]);
                return res;
            }
            case Undefined u:
                return u;
            default:
                throw new JinjaError($"'{TypeName(obj)}' object is not subscriptable");
        }
    }

    public static IEnumerable<int> SliceIndices(int len, long? start, long? stop, long step)
    {
        long lower = step > 0 ? 0 : -1, upper = step > 0 ? len : len - 1;
        long Fix(long? v, long dflt)
        {
            if (v is not long x) return dflt;
            if (x < 0) { x += len; return x < lower ? lower : x; }
            return x > upper ? upper : x;
        }
        long a = Fix(start, step > 0 ? lower : upper), b = Fix(stop, step > 0 ? upper : lower);
        if (step > 0) for (long i = a; i < b; i += step) yield return (int)i;
        else for (long i = a; i > b; i += step) yield return (int)i;
    }
}
