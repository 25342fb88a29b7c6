using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PocketLM.Chat.Jinja;

/// <summary>Jinja's filters and tests, the globals Hugging Face adds, and Python's str/dict methods.</summary>
internal static partial class Builtins
{
    private delegate object? FilterFn(Ctx c, object? value, CallArgs a);
    private delegate bool TestFn(object? value, CallArgs a);

    public static object? ApplyFilter(Ctx c, string name, object? value, CallArgs args) =>
        Filters.TryGetValue(name, out var f) ? f(c, value, args) : throw new JinjaError($"unknown filter '{name}'");

    public static bool ApplyTest(Ctx c, string name, object? value, CallArgs args) =>
        Tests.TryGetValue(name, out var t) ? t(value, args) : throw new JinjaError($"unknown test '{name}'");

    public static bool HasFilter(string name) => Filters.ContainsKey(name);

    private static string S(object? v) => Py.Str(v);

    private static JinjaError Err(string msg) => new(msg);

    // =================================================================================== globals

    public static void AddGlobals(Scope root)
    {
        root.Set("range", new PyFunc("range", (_, a) => Range(a)));
        root.Set("dict", new PyFunc("dict", (_, a) =>
        {
            var d = new PyDict();
            if (a.Pos.Count > 0)
            {
                if (a.Pos[0] is PyDict src) foreach (var kv in src) d[kv.Key] = kv.Value;
                else foreach (var pair in Py.Iterate(a.Pos[0])) { var p = Py.ToList(pair); d[p[0]!] = p[1]; }
            }
            foreach (var kv in a.Kw) d[kv.Key] = kv.Value;
            return d;
        }));
        root.Set("namespace", new PyFunc("namespace", (_, a) =>
        {
            var ns = new Namespace();
            if (a.Pos.Count > 0 && a.Pos[0] is PyDict src) foreach (var kv in src) ns.Attrs[kv.Key] = kv.Value;
            foreach (var kv in a.Kw) ns.Attrs[kv.Key] = kv.Value;
            return ns;
        }));
        root.Set("raise_exception", new PyFunc("raise_exception", (_, a) => throw new JinjaError(S(a.Get(0, "message", "")))));
        root.Set("strftime_now", new PyFunc("strftime_now", (_, a) => Strftime(DateTime.Now, S(a.Required(0, "format", "strftime_now")))));
    }

    private static PyList Range(CallArgs a)
    {
        long start = 0, stop, step = 1;
        if (a.Pos.Count == 1) stop = Py.ToInt(a.Pos[0], "range() argument");
        else if (a.Pos.Count is 2 or 3)
        {
            start = Py.ToInt(a.Pos[0], "range() argument");
            stop = Py.ToInt(a.Pos[1], "range() argument");
            if (a.Pos.Count == 3) step = Py.ToInt(a.Pos[2], "range() argument");
        }
        else throw Err($"range expected 1 to 3 arguments, got {a.Pos.Count}");
        if (step == 0) throw Err("range() arg 3 must not be zero");
        var l = new PyList();
        for (long x = start; step > 0 ? x < stop : x > stop; x += step)
        {
            if (l.Count >= 1_000_000) throw Err("range too big");
            l.Add(x);
        }
        return l;
    }

    // =================================================================================== tests

    private static readonly Dictionary<string, TestFn> Tests = new()
    {
        ["defined"] = (v, _) => v is not Undefined,
        ["undefined"] = (v, _) => v is Undefined,
        ["none"] = (v, _) => v is null,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["number"] = (v, _) => v is long or double or bool,
        ["string"] = (v, _) => v is string or Markup,
        ["mapping"] = (v, _) => v is PyDict,
        ["iterable"] = (v, _) => v is PyList or PyDict or string or Markup or Undefined,
        ["sequence"] = (v, _) => v is PyList or PyDict or string or Markup or Undefined,
        ["callable"] = (v, _) => v is PyFunc,
        ["odd"] = (v, _) => Py.ToInt(v, "odd test value") % 2 != 0,
        ["even"] = (v, _) => Py.ToInt(v, "even test value") % 2 == 0,
        ["divisibleby"] = (v, a) =>
        {
            long n = Py.ToInt(a.Required(0, "num", "divisibleby"), "divisibleby argument");
            return n != 0 ? Py.ToInt(v, "divisibleby test value") % n == 0 : throw Err("integer division or modulo by zero");
        },
        ["eq"] = (v, a) => Py.Eq(v, a.Required(0, "other", "eq")),
        ["equalto"] = (v, a) => Py.Eq(v, a.Required(0, "other", "equalto")),
        ["=="] = (v, a) => Py.Eq(v, a.Required(0, "other", "==")),
        ["ne"] = (v, a) => !Py.Eq(v, a.Required(0, "other", "ne")),
        ["!="] = (v, a) => !Py.Eq(v, a.Required(0, "other", "!=")),
        ["lt"] = (v, a) => Py.Compare(v, a.Required(0, "other", "lt")) < 0,
        ["lessthan"] = (v, a) => Py.Compare(v, a.Required(0, "other", "lessthan")) < 0,
        ["<"] = (v, a) => Py.Compare(v, a.Required(0, "other", "<")) < 0,
        ["le"] = (v, a) => Py.Compare(v, a.Required(0, "other", "le"), "<=") <= 0,
        ["<="] = (v, a) => Py.Compare(v, a.Required(0, "other", "<="), "<=") <= 0,
        ["gt"] = (v, a) => Py.Compare(v, a.Required(0, "other", "gt"), ">") > 0,
        ["greaterthan"] = (v, a) => Py.Compare(v, a.Required(0, "other", "greaterthan"), ">") > 0,
        [">"] = (v, a) => Py.Compare(v, a.Required(0, "other", ">"), ">") > 0,
        ["ge"] = (v, a) => Py.Compare(v, a.Required(0, "other", "ge"), ">=") >= 0,
        [">="] = (v, a) => Py.Compare(v, a.Required(0, "other", ">="), ">=") >= 0,
        ["in"] = (v, a) => Py.Contains(a.Required(0, "seq", "in"), v),
        ["sameas"] = (v, a) => SameAs(v, a.Required(0, "other", "sameas")),
        ["lower"] = (v, _) => S(v) is { } s && s == s.ToLowerInvariant(),
        ["upper"] = (v, _) => S(v) is { } s && s == s.ToUpperInvariant(),
        ["escaped"] = (v, _) => v is Markup,
        ["filter"] = (v, _) => v is string s && Filters!.ContainsKey(s),
        ["test"] = (v, _) => v is string s && Tests!.ContainsKey(s),
    };

    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        (Undefined, Undefined) => true,
        _ => ReferenceEquals(a, b),
    };

    // =================================================================================== filters

    private static readonly Dictionary<string, FilterFn> Filters = new()
    {
        ["abs"] = (_, v, _) => v switch
        {
            long l => (object)Math.Abs(l),
            double d => Math.Abs(d),
            bool b => b ? 1L : 0L,
            _ => throw Err($"bad operand type for abs(): '{Py.TypeName(v)}'"),
        },
        ["attr"] = (_, v, a) => S(a.Required(0, "name", "attr")) is var n && v is PyDict d && n is not ("items" or "keys" or "values" or "get")
            ? Undefined.Attr(d, n) // attr() looks up attributes only, never dict items
            : Py.GetAttr(v, n),
        ["batch"] = (_, v, a) => Batch(v, a),
        ["capitalize"] = (_, v, _) => Capitalize(S(v)),
        ["center"] = (_, v, a) => Center(S(v), (int)Py.ToInt(a.Get(0, "width", 80L), "width"), " "),
        ["count"] = (_, v, _) => Py.Len(v),
        ["length"] = (_, v, _) => Py.Len(v),
        ["d"] = (_, v, a) => Default(v, a),
        ["default"] = (_, v, a) => Default(v, a),
        ["dictsort"] = (_, v, a) => DictSort(v, a),
        ["e"] = (_, v, _) => new Markup(Py.Escape(v)),
        ["escape"] = (_, v, _) => new Markup(Py.Escape(v)),
        ["forceescape"] = (_, v, _) => new Markup(Py.Escape(S(v))),
        ["first"] = (_, v, _) => Py.Iterate(v).Take(1).ToList() is [var f] ? f : Undefined.Name("first"),
        ["last"] = (_, v, _) => Py.ToList(v) is { Count: > 0 } l ? l[^1] : Undefined.Name("last"),
        ["float"] = (_, v, a) => ToFloat(v, a.Get(0, "default", 0.0)),
        ["int"] = (_, v, a) => ToInt(v, a.Get(0, "default", 0L), (int)Py.ToInt(a.Get(1, "base", 10L), "base")),
        ["format"] = (_, v, a) => PercentFormat(S(v), a.Kw.Count > 0 ? KwDict(a) : PyList.Tuple([.. a.Pos])),
        ["indent"] = (_, v, a) => Indent(S(v), a),
        ["items"] = (_, v, _) => v switch
        {
            PyDict d => new PyList(d.Select(kv => (object?)PyList.Tuple(kv.Key, kv.Value))),
            Undefined => new PyList(),
            _ => throw Err("can only get item pairs from a mapping"),
        },
        ["join"] = (_, v, a) =>
        {
            string sep = S(a.Get(0, "d", ""));
            var attr = a.Get(1, "attribute");
            return string.Join(sep, Py.Iterate(v).Select(x => S(attr is null ? x : AttrGet(x, attr))));
        },
        ["list"] = (_, v, _) => new PyList(Py.Iterate(v)),
        ["lower"] = (_, v, _) => S(v).ToLowerInvariant(),
        ["upper"] = (_, v, _) => S(v).ToUpperInvariant(),
        ["title"] = (_, v, _) => JinjaTitle(S(v)),
        ["trim"] = (_, v, a) => Strip(S(v), a.Get(0, "chars"), true, true),
        ["string"] = (_, v, _) => S(v),
        ["safe"] = (_, v, _) => v as Markup ?? new Markup(S(v)),
        ["pprint"] = (_, v, _) => Py.Repr(v),
        ["replace"] = (_, v, a) => Replace(S(v), S(a.Required(0, "old", "replace")), S(a.Required(1, "new", "replace")),
            a.Get(2, "count") is var n && n is not null ? Py.ToInt(n, "count") : -1),
        ["reverse"] = (_, v, _) => Py.Unwrap(v) is string s ? new string(s.Reverse().ToArray()) : new PyList(Py.Iterate(v).Reverse()),
        ["round"] = (_, v, a) => Round(v, a),
        ["map"] = (c, v, a) => Map(c, v, a),
        ["select"] = (c, v, a) => Select(c, v, a, false, true),
        ["reject"] = (c, v, a) => Select(c, v, a, false, false),
        ["selectattr"] = (c, v, a) => Select(c, v, a, true, true),
        ["rejectattr"] = (c, v, a) => Select(c, v, a, true, false),
        ["sort"] = (_, v, a) => Sort(v, a),
        ["unique"] = (_, v, a) => Unique(v, a),
        ["min"] = (_, v, a) => MinMax(v, a, -1),
        ["max"] = (_, v, a) => MinMax(v, a, 1),
        ["sum"] = (_, v, a) =>
        {
            var attr = a.Get(0, "attribute");
            object? total = a.Get(1, "start", 0L);
            foreach (var x in Py.Iterate(v)) total = Py.Add(total, attr is null ? x : AttrGet(x, attr));
            return total;
        },
        ["tojson"] = (_, v, a) => ToJson(v, a),
        ["truncate"] = (_, v, a) => Truncate(S(v), a),
        ["wordcount"] = (_, v, _) => (long)WordRegex().Matches(S(v)).Count,
        ["striptags"] = (_, v, _) => string.Join(' ', TagRegex().Replace(S(v), "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)),
    };

    private static PyDict KwDict(CallArgs a)
    {
        var d = new PyDict();
        foreach (var kv in a.Kw) d[kv.Key] = kv.Value;
        return d;
    }

    private static object? Default(object? v, CallArgs a)
    {
        var dflt = a.Get(0, "default_value", "");
        bool boolean = Py.Truthy(a.Get(1, "boolean", false));
        return v is Undefined || (boolean && !Py.Truthy(v)) ? dflt : v;
    }

    /// <summary>Jinja's attribute getter: "a.b.0" walks items/attributes, integer parts index.</summary>
    private static object? AttrGet(object? obj, object? attribute)
    {
        if (attribute is long or bool) return Py.GetItem(obj, attribute);
        foreach (var part in S(attribute).Split('.'))
            obj = long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long idx) ? Py.GetItem(obj, idx) : Py.GetItem(obj, part);
        return obj;
    }

    private static PyList Select(Ctx c, object? v, CallArgs a, bool byAttr, bool keep)
    {
        int k = 0;
        object? attr = null;
        if (byAttr) attr = a.Required(k++, "attr", "selectattr");
        Func<object?, bool> test;
        if (a.Pos.Count > k)
        {
            string testName = S(a.Pos[k]);
            var rest = new CallArgs(a.Pos.Skip(k + 1).ToList(), a.Kw);
            if (!Tests.TryGetValue(testName, out var t)) throw Err($"unknown test '{testName}'");
            test = x => t(x, rest);
        }
        else test = Py.Truthy;
        var res = new PyList();
        if (!Py.Truthy(v)) return res; // Jinja: "if value: for item in value"
        foreach (var x in Py.Iterate(v))
            if (test(byAttr ? AttrGet(x, attr) : x) == keep) res.Add(x);
        return res;
    }

    private static PyList Map(Ctx c, object? v, CallArgs a)
    {
        var res = new PyList();
        if (!Py.Truthy(v)) return res; // Jinja: "if value: for item in value"
        if (a.Pos.Count == 0 && a.TryGet(-1, "attribute", out var attr))
        {
            bool hasDefault = a.TryGet(-1, "default", out var dflt);
            foreach (var x in Py.Iterate(v))
            {
                var y = AttrGet(x, attr);
                res.Add(y is Undefined && hasDefault ? dflt : y);
            }
            return res;
        }
        if (a.Pos.Count == 0) throw Err("map requires a filter name or attribute=");
        string name = S(a.Pos[0]);
        var rest = new CallArgs(a.Pos.Skip(1).ToList(), a.Kw);
        foreach (var x in Py.Iterate(v)) res.Add(ApplyFilter(c, name, x, rest));
        return res;
    }

    private static object? SortKey(object? x, object? attr, bool caseSensitive)
    {
        if (attr is not null) x = AttrGet(x, attr);
        return !caseSensitive && x is string s ? s.ToLowerInvariant() : x;
    }

    private static PyList Sort(object? v, CallArgs a)
    {
        bool reverse = Py.Truthy(a.Get(0, "reverse", false));
        bool cs = Py.Truthy(a.Get(1, "case_sensitive", false));
        var attr = a.Get(2, "attribute");
        var items = Py.Iterate(v).Select(x => (Key: SortKey(x, attr, cs), Item: x)).ToList();
        var cmp = Comparer<object?>.Create((x, y) => Py.Compare(x, y));
        var sorted = reverse ? items.OrderByDescending(p => p.Key, cmp) : items.OrderBy(p => p.Key, cmp);
        return new PyList(sorted.Select(p => p.Item));
    }

    private static PyList DictSort(object? v, CallArgs a)
    {
        if (v is not PyDict d) throw Err("dictsort expects a mapping");
        bool cs = Py.Truthy(a.Get(0, "case_sensitive", false));
        string by = S(a.Get(1, "by", "key"));
        bool reverse = Py.Truthy(a.Get(2, "reverse", false));
        int pos = by == "key" ? 0 : by == "value" ? 1 : throw Err("You can only sort by either 'key' or 'value'");
        var items = d.Select(kv => PyList.Tuple(kv.Key, kv.Value)).ToList();
        var cmp = Comparer<object?>.Create((x, y) => Py.Compare(x, y));
        var sorted = reverse ? items.OrderByDescending(p => SortKey(p[pos], null, cs), cmp) : items.OrderBy(p => SortKey(p[pos], null, cs), cmp);
        return new PyList(sorted);
    }

    private static PyList Unique(object? v, CallArgs a)
    {
        bool cs = Py.Truthy(a.Get(0, "case_sensitive", false));
        var attr = a.Get(1, "attribute");
        var seen = new List<object?>();
        var res = new PyList();
        foreach (var x in Py.Iterate(v))
        {
            var key = SortKey(x, attr, cs);
            if (seen.Exists(s => Py.Eq(s, key))) continue;
            seen.Add(key);
            res.Add(x);
        }
        return res;
    }

    private static object? MinMax(object? v, CallArgs a, int sign)
    {
        bool cs = Py.Truthy(a.Get(0, "case_sensitive", false));
        var attr = a.Get(1, "attribute");
        object? best = null, bestKey = null;
        bool any = false;
        foreach (var x in Py.Iterate(v))
        {
            var key = SortKey(x, attr, cs);
            if (!any || Py.Compare(key, bestKey) * sign > 0) { best = x; bestKey = key; any = true; }
        }
        return any ? best : Undefined.Name(sign > 0 ? "max" : "min");
    }

    private static PyList Batch(object? v, CallArgs a)
    {
        long n = Py.ToInt(a.Required(0, "linecount", "batch"), "linecount");
        if (n <= 0) throw Err("batch linecount must be positive");
        bool fill = a.TryGet(1, "fill_with", out var filler) && filler is not null;
        var res = new PyList();
        PyList? cur = null;
        foreach (var x in Py.Iterate(v))
        {
            cur ??= [];
            cur.Add(x);
            if (cur.Count == n) { res.Add(cur); cur = null; }
        }
        if (cur is not null)
        {
            if (fill) while (cur.Count < n) cur.Add(filler);
            res.Add(cur);
        }
        return res;
    }

    private static object? Round(object? v, CallArgs a)
    {
        long precision = Py.ToInt(a.Get(0, "precision", 0L), "precision");
        string method = S(a.Get(1, "method", "common"));
        if (method is not ("common" or "ceil" or "floor")) throw Err("method must be common, ceil or floor");
        if (method == "common" && v is long or bool) return Py.AsInt(v);
        double d = Py.ToDouble(v);
        double scale = Math.Pow(10, precision);
        return method switch
        {
            "ceil" => Math.Ceiling(d * scale) / scale,
            "floor" => Math.Floor(d * scale) / scale,
            _ => precision is >= 0 and <= 15 ? Math.Round(d, (int)precision, MidpointRounding.ToEven) : Math.Round(d * scale, MidpointRounding.ToEven) / scale,
        };
    }

    private static object? ToInt(object? v, object? dflt, int numBase)
    {
        switch (v)
        {
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : dflt;
            case string s:
            {
                string t = s.Trim().Replace("_", "");
                try
                {
                    if (numBase == 10 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long r)) return r;
                    if (numBase != 10)
                    {
                        bool neg = t.StartsWith('-');
                        string body = t.TrimStart('+', '-');
                        if (body.Length > 2 && body[0] == '0' && char.IsLetter(body[1])) body = body[2..];
                        long acc = Convert.ToInt64(body, numBase);
                        return neg ? -acc : acc;
                    }
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { }
                if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && double.IsFinite(f)) return (long)Math.Truncate(f);
                return dflt;
            }
            default: return dflt;
        }
    }

    private static object? ToFloat(object? v, object? dflt) => v switch
    {
        double d => d,
        long l => (double)l,
        bool b => b ? 1.0 : 0.0,
        string s when ParseFloat(s.Trim().Replace("_", "")) is double f => f,
        _ => dflt,
    };

    private static double? ParseFloat(string s)
    {
        switch (s.ToLowerInvariant())
        {
            case "inf" or "+inf" or "infinity" or "+infinity": return double.PositiveInfinity;
            case "-inf" or "-infinity": return double.NegativeInfinity;
            case "nan" or "+nan" or "-nan": return double.NaN;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null;
    }

    private static string Indent(string s, CallArgs a)
    {
        var w = a.Get(0, "width", 4L);
        string ind = w is string ws ? ws : new string(' ', (int)Math.Max(0, Py.ToInt(w, "width")));
        bool first = Py.Truthy(a.Get(1, "first", false));
        bool blank = Py.Truthy(a.Get(2, "blank", false));
        var lines = SplitLines(s + "\n", false);
        string rv;
        if (blank) rv = string.Join("\n" + ind, lines);
        else
        {
            rv = lines[0];
            if (lines.Count > 1) rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? ind + l : l));
        }
        return first ? ind + rv : rv;
    }

    private static string Truncate(string s, CallArgs a)
    {
        long length = Py.ToInt(a.Get(0, "length", 255L), "length");
        bool killwords = Py.Truthy(a.Get(1, "killwords", false));
        string end = S(a.Get(2, "end", "..."));
        long leeway = Py.ToInt(a.Get(3, "leeway", 5L) ?? 5L, "leeway");
        if (s.Length <= length + leeway) return s;
        int cut = (int)Math.Max(0, length - end.Length);
        if (killwords) return s[..cut] + end;
        string head = s[..cut];
        int sp = head.LastIndexOf(' ');
        return (sp >= 0 ? head[..sp] : head) + end;
    }

    private static string JinjaTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool start = true;
        foreach (char ch in s)
        {
            bool sep = ch is '-' or '(' or '{' or '[' or '<' || char.IsWhiteSpace(ch);
            if (sep) { sb.Append(ch); start = true; }
            else { sb.Append(start ? char.ToUpperInvariant(ch) : char.ToLowerInvariant(ch)); start = false; }
        }
        return sb.ToString();
    }

    private static string PyTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char ch in s)
        {
            if (char.IsLetter(ch))
            {
                sb.Append(prevCased ? char.ToLowerInvariant(ch) : char.ToUpperInvariant(ch));
                prevCased = true;
            }
            else { sb.Append(ch); prevCased = false; }
        }
        return sb.ToString();
    }

    private static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static string Center(string s, int width, string fill)
    {
        int pad = width - s.Length;
        if (pad <= 0) return s;
        int left = pad / 2 + (pad & width & 1);
        return string.Concat(Enumerable.Repeat(fill, left)) + s + string.Concat(Enumerable.Repeat(fill, pad - left));
    }

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();

    [GeneratedRegex(@"(<!--.*?-->|<[^>]*>)", RegexOptions.Singleline)]
    private static partial Regex TagRegex();

    // =================================================================================== str methods

    private static PyFunc M(string name, NativeFn fn) => new(name, fn);

    public static PyFunc? StrMethod(string s, string name) => name switch
    {
        "strip" => M(name, (_, a) => Strip(s, a.Get(0, "chars"), true, true)),
        "lstrip" => M(name, (_, a) => Strip(s, a.Get(0, "chars"), true, false)),
        "rstrip" => M(name, (_, a) => Strip(s, a.Get(0, "chars"), false, true)),
        "split" => M(name, (_, a) => Split(s, a.Get(0, "sep"), Py.ToInt(a.Get(1, "maxsplit", -1L), "maxsplit"))),
        "rsplit" => M(name, (_, a) => RSplit(s, a.Get(0, "sep"), Py.ToInt(a.Get(1, "maxsplit", -1L), "maxsplit"))),
        "splitlines" => M(name, (_, a) => new PyList(SplitLines(s, Py.Truthy(a.Get(0, "keepends", false))))),
        "startswith" => M(name, (_, a) => AffixMatch(s, a, true)),
        "endswith" => M(name, (_, a) => AffixMatch(s, a, false)),
        "upper" => M(name, (_, _) => s.ToUpperInvariant()),
        "lower" => M(name, (_, _) => s.ToLowerInvariant()),
        "casefold" => M(name, (_, _) => s.ToLowerInvariant()),
        "title" => M(name, (_, _) => PyTitle(s)),
        "capitalize" => M(name, (_, _) => Capitalize(s)),
        "swapcase" => M(name, (_, _) => new string(s.Select(ch => char.IsUpper(ch) ? char.ToLowerInvariant(ch) : char.ToUpperInvariant(ch)).ToArray())),
        "replace" => M(name, (_, a) => Replace(s, StrArg(a, 0, "old", name), StrArg(a, 1, "new", name), Py.ToInt(a.Get(2, "count", -1L), "count"))),
        "find" => M(name, (_, a) => (long)Find(s, a, false)),
        "rfind" => M(name, (_, a) => (long)Find(s, a, true)),
        "index" => M(name, (_, a) => Find(s, a, false) is var r && r >= 0 ? (long)r : throw Err("substring not found")),
        "rindex" => M(name, (_, a) => Find(s, a, true) is var r && r >= 0 ? (long)r : throw Err("substring not found")),
        "count" => M(name, (_, a) => Count(s, StrArg(a, 0, "sub", name))),
        "join" => M(name, (_, a) => string.Join(s, Py.Iterate(a.Required(0, "iterable", name)).Select((x, i) =>
            x as string ?? throw Err($"sequence item {i}: expected str instance, {Py.TypeName(x)} found")))),
        "format" => M(name, (_, a) => StrFormat(s, a)),
        "isdigit" or "isdecimal" or "isnumeric" => M(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => M(name, (_, _) => s.Length > 0 && s.All(char.IsLetter)),
        "isalnum" => M(name, (_, _) => s.Length > 0 && s.All(char.IsLetterOrDigit)),
        "isspace" => M(name, (_, _) => s.Length > 0 && s.All(char.IsWhiteSpace)),
        "islower" => M(name, (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsUpper)),
        "isupper" => M(name, (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsLower)),
        "center" => M(name, (_, a) => Center(s, (int)Py.ToInt(a.Required(0, "width", name), "width"), S(a.Get(1, "fillchar", " ")))),
        "ljust" => M(name, (_, a) => s.PadRight((int)Math.Max(s.Length, Py.ToInt(a.Required(0, "width", name), "width")), S(a.Get(1, "fillchar", " "))[0])),
        "rjust" => M(name, (_, a) => s.PadLeft((int)Math.Max(s.Length, Py.ToInt(a.Required(0, "width", name), "width")), S(a.Get(1, "fillchar", " "))[0])),
        "zfill" => M(name, (_, a) => ZFill(s, (int)Py.ToInt(a.Required(0, "width", name), "width"))),
        "removeprefix" => M(name, (_, a) => StrArg(a, 0, "prefix", name) is var p && s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s),
        "removesuffix" => M(name, (_, a) => StrArg(a, 0, "suffix", name) is var p && p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s),
        "partition" => M(name, (_, a) => Partition(s, StrArg(a, 0, "sep", name), false)),
        "rpartition" => M(name, (_, a) => Partition(s, StrArg(a, 0, "sep", name), true)),
        _ => null,
    };

    public static PyFunc DictMethod(PyDict d, string name) => name switch
    {
        "items" => M(name, (_, _) => new PyList(d.Select(kv => (object?)PyList.Tuple(kv.Key, kv.Value)))),
        "keys" => M(name, (_, _) => new PyList(d.Keys)),
        "values" => M(name, (_, _) => new PyList(d.Values)),
        _ => M(name, (_, a) =>
        {
            var key = a.Required(0, "key", "get");
            return key is not null && d.TryGetValue(key, out var v) ? v : a.Get(1, "default");
        }),
    };

    private static string StrArg(CallArgs a, int i, string name, string fn) =>
        a.Required(i, name, fn) is string s ? s : throw Err($"{fn}() argument '{name}' must be str, not {Py.TypeName(a.Get(i, name))}");

    public static string Strip(string s, object? chars, bool left, bool right)
    {
        if (chars is null or Undefined)
        {
            if (left) s = s.TrimStart();
            if (right) s = s.TrimEnd();
            return s;
        }
        var set = S(chars).ToCharArray();
        if (left) s = s.TrimStart(set);
        if (right) s = s.TrimEnd(set);
        return s;
    }

    private static PyList Split(string s, object? sep, long maxsplit)
    {
        var res = new PyList();
        if (sep is null or Undefined)
        {
            int i = 0, n = s.Length;
            while (true)
            {
                while (i < n && char.IsWhiteSpace(s[i])) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && res.Count == maxsplit) { res.Add(s[i..]); break; }
                int j = i;
                while (j < n && !char.IsWhiteSpace(s[j])) j++;
                res.Add(s[i..j]);
                i = j;
            }
            return res;
        }
        string sp = sep as string ?? throw Err($"must be str or None, not {Py.TypeName(sep)}");
        if (sp.Length == 0) throw Err("empty separator");
        int pos = 0;
        while (maxsplit < 0 || res.Count < maxsplit)
        {
            int k = s.IndexOf(sp, pos, StringComparison.Ordinal);
            if (k < 0) break;
            res.Add(s[pos..k]);
            pos = k + sp.Length;
        }
        res.Add(s[pos..]);
        return res;
    }

    private static PyList RSplit(string s, object? sep, long maxsplit)
    {
        if (maxsplit < 0) return Split(s, sep, -1);
        var res = new List<object?>();
        if (sep is null or Undefined)
        {
            int j = s.Length;
            while (true)
            {
                while (j > 0 && char.IsWhiteSpace(s[j - 1])) j--;
                if (j <= 0) break;
                if (res.Count == maxsplit) { res.Add(s[..j]); break; }
                int i = j;
                while (i > 0 && !char.IsWhiteSpace(s[i - 1])) i--;
                res.Add(s[i..j]);
                j = i;
            }
        }
        else
        {
            string sp = sep as string ?? throw Err($"must be str or None, not {Py.TypeName(sep)}");
            if (sp.Length == 0) throw Err("empty separator");
            int end = s.Length;
            while (res.Count < maxsplit)
            {
                int k = end - sp.Length < 0 ? -1 : s.LastIndexOf(sp, end - 1, end, StringComparison.Ordinal);
                if (k < 0) break;
                res.Add(s[(k + sp.Length)..end]);
                end = k;
            }
            res.Add(s[..end]);
        }
        res.Reverse();
        return new PyList(res);
    }

    private static List<string> SplitLines(string s, bool keepends)
    {
        var res = new List<string>();
        int start = 0, i = 0;
        while (i < s.Length)
        {
            char ch = s[i];
            int brk = 0;
            if (ch == '\r') brk = i + 1 < s.Length && s[i + 1] == '\n' ? 2 : 1;
            else if (ch is '\n' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029') brk = 1;
            if (brk > 0)
            {
                res.Add(keepends ? s[start..(i + brk)] : s[start..i]);
                i += brk;
                start = i;
            }
            else i++;
        }
        if (start < s.Length) res.Add(s[start..]);
        return res;
    }

    private static bool AffixMatch(string s, CallArgs a, bool prefix)
    {
        var what = a.Required(0, prefix ? "prefix" : "suffix", prefix ? "startswith" : "endswith");
        int len = s.Length;
        long st = a.Get(1, "start") is { } sv ? Py.ToInt(sv, "start") : 0;
        long en = a.Get(2, "end") is { } ev ? Py.ToInt(ev, "end") : len;
        if (st < 0) st = Math.Max(0, st + len);
        if (en < 0) en = Math.Max(0, en + len);
        st = Math.Min(st, len);
        en = Math.Min(en, len);
        string sub = st <= en ? s[(int)st..(int)en] : "";
        IEnumerable<object?> cands = what is PyList l ? l : [what];
        foreach (var c in cands)
        {
            if (c is not string t) throw Err($"{(prefix ? "startswith" : "endswith")} first arg must be str or a tuple of str, not {Py.TypeName(c)}");
            if (prefix ? sub.StartsWith(t, StringComparison.Ordinal) : sub.EndsWith(t, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static int Find(string s, CallArgs a, bool reverse)
    {
        string sub = StrArg(a, 0, "sub", reverse ? "rfind" : "find");
        int len = s.Length;
        long st = a.Get(1, "start") is { } sv ? Py.ToInt(sv, "start") : 0;
        long en = a.Get(2, "end") is { } ev ? Py.ToInt(ev, "end") : len;
        if (st < 0) st = Math.Max(0, st + len);
        if (en < 0) en = Math.Max(0, en + len);
        en = Math.Min(en, len);
        if (st > en) return -1;
        string window = s[(int)st..(int)en];
        int r = reverse ? window.LastIndexOf(sub, StringComparison.Ordinal) : window.IndexOf(sub, StringComparison.Ordinal);
        return r < 0 ? -1 : r + (int)st;
    }

    private static long Count(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        long n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static string Replace(string s, string old, string @new, long count)
    {
        if (count == 0) return s;
        if (old.Length == 0)
        {
            var sb0 = new StringBuilder();
            long done = 0;
            for (int i = 0; i <= s.Length; i++)
            {
                if (count < 0 || done < count) { sb0.Append(@new); done++; }
                if (i < s.Length) sb0.Append(s[i]);
            }
            return sb0.ToString();
        }
        if (count < 0) return s.Replace(old, @new, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int pos = 0;
        for (long k = 0; k < count; k++)
        {
            int j = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (j < 0) break;
            sb.Append(s, pos, j - pos).Append(@new);
            pos = j + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static string ZFill(string s, int width)
    {
        if (s.Length >= width) return s;
        string pad = new('0', width - s.Length);
        return s.Length > 0 && s[0] is '+' or '-' ? s[0] + pad + s[1..] : pad + s;
    }

    private static PyList Partition(string s, string sep, bool reverse)
    {
        if (sep.Length == 0) throw Err("empty separator");
        int k = reverse ? s.LastIndexOf(sep, StringComparison.Ordinal) : s.IndexOf(sep, StringComparison.Ordinal);
        if (k < 0) return reverse ? PyList.Tuple("", "", s) : PyList.Tuple(s, "", "");
        return PyList.Tuple(s[..k], sep, s[(k + sep.Length)..]);
    }

    // =================================================================================== formatting

    /// <summary>Python's str.format with positional/keyword fields, !r/!s and basic format specs.</summary>
    private static string StrFormat(string fmt, CallArgs a)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            char ch = fmt[i];
            if (ch == '}')
            {
                if (i + 1 < fmt.Length && fmt[i + 1] == '}') { sb.Append('}'); i++; continue; }
                throw Err("Single '}' encountered in format string");
            }
            if (ch != '{') { sb.Append(ch); continue; }
            if (i + 1 < fmt.Length && fmt[i + 1] == '{') { sb.Append('{'); i++; continue; }
            int close = fmt.IndexOf('}', i);
            if (close < 0) throw Err("Single '{' encountered in format string");
            string field = fmt[(i + 1)..close];
            i = close;
            string spec = "";
            char conv = '\0';
            int colon = field.IndexOf(':');
            if (colon >= 0) { spec = field[(colon + 1)..]; field = field[..colon]; }
            int bang = field.IndexOf('!');
            if (bang >= 0) { conv = bang + 1 < field.Length ? field[bang + 1] : '\0'; field = field[..bang]; }
            int cut = field.IndexOfAny(['.', '[']);
            string head = cut >= 0 ? field[..cut] : field;
            object? v;
            if (head.Length == 0) v = auto < a.Pos.Count ? a.Pos[auto++] : throw Err("Replacement index out of range for positional args tuple");
            else if (int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out int idx))
                v = idx < a.Pos.Count ? a.Pos[idx] : throw Err("Replacement index out of range for positional args tuple");
            else v = a.TryGet(-1, head, out var kv) ? kv : throw Err($"KeyError: '{head}'");
            if (cut >= 0)
            {
                string rest = field[cut..];
                foreach (Match m in FieldPartRegex().Matches(rest))
                    v = m.Groups[1].Success ? Py.GetAttr(v, m.Groups[1].Value)
                        : long.TryParse(m.Groups[2].Value, out long li) ? Py.GetItem(v, li) : Py.GetItem(v, m.Groups[2].Value);
            }
            if (conv == 'r') v = Py.Repr(v);
            else if (conv == 's') v = S(v);
            sb.Append(ApplySpec(v, spec));
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"\.(\w+)|\[([^\]]*)\]")]
    private static partial Regex FieldPartRegex();

    [GeneratedRegex(@"^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$")]
    private static partial Regex SpecRegex();

    private static string ApplySpec(object? v, string spec)
    {
        if (spec.Length == 0) return S(v);
        var m = SpecRegex().Match(spec);
        if (!m.Success) throw Err($"Invalid format specifier '{spec}'");
        char fill = m.Groups[1].Success ? m.Groups[1].Value[0] : (m.Groups[5].Success ? '0' : ' ');
        char align = m.Groups[2].Success ? m.Groups[2].Value[0] : (v is string ? '<' : '>');
        string sign = m.Groups[3].Value;
        int width = m.Groups[6].Success ? int.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture) : 0;
        int? prec = m.Groups[8].Success ? int.Parse(m.Groups[8].Value, CultureInfo.InvariantCulture) : null;
        char type = m.Groups[9].Success ? m.Groups[9].Value[0] : '\0';
        string body = FormatOne(v, type == '\0' ? (v is double && prec is not null ? 'g' : 's') : type, prec, sign == "+", m.Groups[7].Value == ",");
        if (body.Length >= width) return body;
        int pad = width - body.Length;
        return align switch
        {
            '<' => body + new string(fill, pad),
            '^' => new string(fill, pad / 2) + body + new string(fill, pad - pad / 2),
            '=' when body.Length > 0 && body[0] is '-' or '+' => body[0] + new string(fill, pad) + body[1..],
            _ => new string(fill, pad) + body,
        };
    }

    private static string FormatOne(object? v, char type, int? prec, bool plus, bool thousands)
    {
        string r;
        switch (type)
        {
            case 's':
                r = S(v);
                return prec is int p && p < r.Length ? r[..p] : r;
            case 'r':
                r = Py.Repr(v);
                return prec is int p2 && p2 < r.Length ? r[..p2] : r;
            case 'd' or 'i' or 'u' or 'n':
                if (v is double dd) v = (long)Math.Truncate(dd);
                r = Py.ToInt(v, "format argument").ToString(thousands ? "#,0" : "0", CultureInfo.InvariantCulture);
                break;
            case 'f' or 'F':
                r = Py.ToDouble(v).ToString((thousands ? "#,0." : "0.") + new string('0', prec ?? 6), CultureInfo.InvariantCulture);
                if (prec == 0) r = r.TrimEnd('.');
                break;
            case 'e' or 'E':
            {
                r = Py.ToDouble(v).ToString((type == 'e' ? "0." + new string('0', prec ?? 6) + "e+00" : "0." + new string('0', prec ?? 6) + "E+00"), CultureInfo.InvariantCulture);
                break;
            }
            case 'g' or 'G':
            {
                double d = Py.ToDouble(v);
                int gp = prec ?? 6;
                if (gp == 0) gp = 1;
                r = d.ToString("G" + gp.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                if (r.Contains('E'))
                {
                    int e = r.IndexOf('E');
                    int ex = int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                    r = r[..e] + (type == 'g' ? "e" : "E") + (ex < 0 ? "-" : "+") + Math.Abs(ex).ToString("00", CultureInfo.InvariantCulture);
                }
                break;
            }
            case 'x': r = Py.ToInt(v, "format argument").ToString("x", CultureInfo.InvariantCulture); break;
            case 'X': r = Py.ToInt(v, "format argument").ToString("X", CultureInfo.InvariantCulture); break;
            case 'o': r = Convert.ToString(Py.ToInt(v, "format argument"), 8); break;
            case 'b': r = Convert.ToString(Py.ToInt(v, "format argument"), 2); break;
            case 'c': r = char.ConvertFromUtf32((int)Py.ToInt(v, "format argument")); break;
            case '%': r = (Py.ToDouble(v) * 100).ToString("0." + new string('0', prec ?? 6), CultureInfo.InvariantCulture) + "%"; break;
            default: throw Err($"Unknown format code '{type}'");
        }
        if (plus && r.Length > 0 && r[0] != '-') r = "+" + r;
        return r;
    }

    /// <summary>Python's printf-style "fmt % args".</summary>
    public static string PercentFormat(string fmt, object? args)
    {
        var pos = args is PyList { IsTuple: true } t ? t : null;
        var map = args as PyDict;
        int next = 0;
        object? NextArg()
        {
            if (pos is not null) return next < pos.Count ? pos[next++] : throw Err("not enough arguments for format string");
            return next++ == 0 ? args : throw Err("not enough arguments for format string");
        }
        var sb = new StringBuilder();
        for (int i = 0; i < fmt.Length; i++)
        {
            char ch = fmt[i];
            if (ch != '%') { sb.Append(ch); continue; }
            if (++i >= fmt.Length) throw Err("incomplete format");
            object? v = null;
            bool haveValue = false;
            if (fmt[i] == '(')
            {
                int close = fmt.IndexOf(')', i);
                if (close < 0 || map is null) throw Err("format requires a mapping");
                string key = fmt[(i + 1)..close];
                v = map.TryGetValue(key, out var mv) ? mv : throw Err($"KeyError: '{key}'");
                haveValue = true;
                i = close + 1;
            }
            bool left = false, plus = false, zero = false;
            for (; i < fmt.Length && fmt[i] is '-' or '+' or ' ' or '#' or '0'; i++)
            {
                if (fmt[i] == '-') left = true;
                else if (fmt[i] == '+') plus = true;
                else if (fmt[i] == '0') zero = true;
            }
            int width = 0;
            if (i < fmt.Length && fmt[i] == '*') { width = (int)Py.ToInt(NextArg(), "width"); i++; }
            else for (; i < fmt.Length && char.IsAsciiDigit(fmt[i]); i++) width = width * 10 + (fmt[i] - '0');
            int? prec = null;
            if (i < fmt.Length && fmt[i] == '.')
            {
                i++;
                int p = 0;
                for (; i < fmt.Length && char.IsAsciiDigit(fmt[i]); i++) p = p * 10 + (fmt[i] - '0');
                prec = p;
            }
            if (i >= fmt.Length) throw Err("incomplete format");
            char type = fmt[i];
            if (type == '%') { sb.Append('%'); continue; }
            if (!haveValue) v = NextArg();
            string body = FormatOne(v, type is 'i' or 'u' ? 'd' : type, type is 's' or 'r' ? prec : prec ?? (type is 'f' or 'F' or 'e' or 'E' ? 6 : null), plus, false);
            if (body.Length < width)
            {
                if (left) body = body.PadRight(width);
                else if (zero && type is not ('s' or 'r')) body = body[0] is '-' or '+' ? body[0] + body[1..].PadLeft(width - 1, '0') : body.PadLeft(width, '0');
                else body = body.PadLeft(width);
            }
            sb.Append(body);
        }
        if (pos is not null && next < pos.Count) throw Err("not all arguments converted during string formatting");
        return sb.ToString();
    }

    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// <summary>C strftime with the C locale, for the common directives.</summary>
    public static string Strftime(DateTime t, string fmt)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length) { sb.Append(fmt[i]); continue; }
            char c = fmt[++i];
            if (c == '-' && i + 1 < fmt.Length)
            {
                // glibc's %-d etc.: no padding
                c = fmt[++i];
                sb.Append(c switch
                {
                    'd' => t.Day.ToString(inv),
                    'm' => t.Month.ToString(inv),
                    'H' => t.Hour.ToString(inv),
                    'I' => ((t.Hour + 11) % 12 + 1).ToString(inv),
                    'M' => t.Minute.ToString(inv),
                    'S' => t.Second.ToString(inv),
                    'j' => t.DayOfYear.ToString(inv),
                    _ => "%-" + c,
                });
                continue;
            }
            sb.Append(c switch
            {
                'a' => Days[(int)t.DayOfWeek][..3],
                'A' => Days[(int)t.DayOfWeek],
                'b' or 'h' => Months[t.Month - 1][..3],
                'B' => Months[t.Month - 1],
                'c' => $"{Days[(int)t.DayOfWeek][..3]} {Months[t.Month - 1][..3]} {t.Day,2} {t:HH:mm:ss} {t.Year}",
                'd' => t.Day.ToString("00", inv),
                'e' => t.Day.ToString(inv).PadLeft(2),
                'H' => t.Hour.ToString("00", inv),
                'I' => ((t.Hour + 11) % 12 + 1).ToString("00", inv),
                'j' => t.DayOfYear.ToString("000", inv),
                'm' => t.Month.ToString("00", inv),
                'M' => t.Minute.ToString("00", inv),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'S' => t.Second.ToString("00", inv),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", inv),
                'w' => ((int)t.DayOfWeek).ToString(inv),
                'y' => (t.Year % 100).ToString("00", inv),
                'Y' => t.Year.ToString(inv),
                'x' => t.ToString("MM/dd/yy", inv),
                'X' => t.ToString("HH:mm:ss", inv),
                'D' => t.ToString("MM/dd/yy", inv),
                'F' => t.ToString("yyyy-MM-dd", inv),
                'T' => t.ToString("HH:mm:ss", inv),
                'R' => t.ToString("HH:mm", inv),
                'z' => TimeZoneInfo.Local.GetUtcOffset(t) is var o ? (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString("hhmm", inv) : "",
                'Z' => TimeZoneInfo.Local.IsDaylightSavingTime(t) ? TimeZoneInfo.Local.DaylightName : TimeZoneInfo.Local.StandardName,
                'n' => "\n",
                't' => "\t",
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }

    // =================================================================================== tojson

    /// <summary>Hugging Face's tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).</summary>
    private static string ToJson(object? v, CallArgs a)
    {
        bool ensureAscii = Py.Truthy(a.Get(0, "ensure_ascii", false));
        var ind = a.Get(1, "indent");
        string? indent = ind switch
        {
            null or Undefined => null,
            string s => s,
            _ => new string(' ', (int)Math.Max(0, Py.ToInt(ind, "indent"))),
        };
        string itemSep = indent is null ? ", " : ",", keySep = ": ";
        if (a.Get(2, "separators") is PyList { Count: 2 } seps)
        {
            itemSep = S(seps[0]);
            keySep = S(seps[1]);
        }
        bool sortKeys = Py.Truthy(a.Get(3, "sort_keys", false));
        return Json.Dumps(v, indent, itemSep, keySep, sortKeys, ensureAscii);
    }
}
