using System.Globalization;
using System.Text;

namespace PocketLM.Chat.Jinja;

internal enum TokKind { Data, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof }

internal sealed record Token(TokKind Kind, string Text, int Line, int Col, object? Value = null)
{
    public override string ToString() => Kind switch
    {
        TokKind.Eof => "end of template",
        TokKind.VarEnd => "'}}'",
        TokKind.BlockEnd => "'%}'",
        TokKind.Data => "template data",
        TokKind.String => "string",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Splits a template into tokens the way Jinja2 does with trim_blocks and lstrip_blocks on and
/// keep_trailing_newline off: newlines normalised to \n, one trailing newline dropped, '-' and '+' markers honoured.
/// </summary>
internal sealed class Lexer
{
    private readonly string s;
    private readonly int[] lineStarts;
    private readonly List<Token> toks = [];

    private Lexer(string source)
    {
        s = source;
        var starts = new List<int> { 0 };
        for (int i = 0; i < s.Length; i++)
            if (s[i] == '\n') starts.Add(i + 1);
        lineStarts = [.. starts];
    }

    public static List<Token> Tokenize(string source)
    {
        string norm = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (norm.EndsWith('\n')) norm = norm[..^1];
        var lx = new Lexer(norm);
        lx.Run();
        return lx.toks;
    }

    private (int Line, int Col) Pos(int p)
    {
        int i = Array.BinarySearch(lineStarts, p);
        if (i < 0) i = ~i - 1;
        return (i + 1, p - lineStarts[i] + 1);
    }

    private TemplateException Error(string msg, int p)
    {
        var (l, c) = Pos(p);
        return new TemplateException(msg, l, c);
    }

    private void Add(TokKind kind, string text, int p, object? value = null)
    {
        var (l, c) = Pos(p);
        toks.Add(new Token(kind, text, l, c, value));
    }

    private bool At(int p, string what) => string.CompareOrdinal(s, p, what, 0, what.Length) == 0;

    private int SkipWs(int p)
    {
        while (p < s.Length && char.IsWhiteSpace(s[p])) p++;
        return p;
    }

    /// <summary>Applies '-' (strip all whitespace) or lstrip_blocks to the text before a tag.</summary>
    private string StripBefore(string text, char sign, bool isVariable, bool lineStarting)
    {
        if (sign == '-') return text.TrimEnd();
        if (sign == '+' || isVariable) return text;
        int lpos = text.LastIndexOf('\n') + 1;
        if (lpos > 0 || lineStarting)
        {
            bool allWs = true;
            for (int i = lpos; i < text.Length; i++)
                if (!char.IsWhiteSpace(text[i])) { allWs = false; break; }
            if (allWs) return text[..lpos];
        }
        return text;
    }

    private void Run()
    {
        int pos = 0, n = s.Length;
        while (pos < n)
        {
            int i = FindTag(pos);
            if (i < 0)
            {
                Add(TokKind.Data, s[pos..], pos);
                break;
            }
            char kind = s[i + 1];
            int after = i + 2;
            char sign = '\0';
            if (after < n && (s[after] == '-' || s[after] == '+')) sign = s[after++];
            bool lineStarting = pos == 0 || s[pos - 1] == '\n';
            string text = StripBefore(s[pos..i], sign, kind == '{', lineStarting);
            if (text.Length > 0) Add(TokKind.Data, text, pos);

            if (kind == '#')
            {
                int j = s.IndexOf("#}", after, StringComparison.Ordinal);
                if (j < 0) throw Error("missing end of comment tag", i);
                char endSign = j - 1 >= after && (s[j - 1] == '-' || s[j - 1] == '+') ? s[j - 1] : '\0';
                pos = AfterTagEnd(j + 2, endSign, trim: true);
                continue;
            }
            if (kind == '%' && TryRaw(i, after, out int next))
            {
                pos = next;
                continue;
            }
            if (kind == '%') Add(TokKind.BlockBegin, "{%", i);
            else Add(TokKind.VarBegin, "{{", i);
            pos = LexTag(after, kind == '%', i);
        }
        Add(TokKind.Eof, "", n);
    }

    private int AfterTagEnd(int p, char sign, bool trim)
    {
        if (sign == '-') return SkipWs(p);
        if (sign != '+' && trim && p < s.Length && s[p] == '\n') return p + 1;
        return p;
    }

    private int FindTag(int from)
    {
        int p = from;
        while (true)
        {
            int i = s.IndexOf('{', p);
            if (i < 0 || i + 1 >= s.Length) return -1;
            char c = s[i + 1];
            if (c == '{' || c == '%' || c == '#') return i;
            p = i + 1;
        }
    }

    /// <summary>{% raw %}...{% endraw %}: the content is data, untouched.</summary>
    private bool TryRaw(int tagStart, int p, out int next)
    {
        next = 0;
        int q = SkipWs(p);
        if (!At(q, "raw")) return false;
        q += 3;
        if (q < s.Length && (char.IsLetterOrDigit(s[q]) || s[q] == '_')) return false;
        q = SkipWs(q);
        int contentStart;
        if (At(q, "-%}")) contentStart = SkipWs(q + 3);
        else if (At(q, "%}")) contentStart = q + 2;
        else return false;

        int search = contentStart;
        while (true)
        {
            int j = s.IndexOf("{%", search, StringComparison.Ordinal);
            if (j < 0) throw Error("missing end of raw directive", tagStart);
            int k = j + 2;
            char sign = '\0';
            if (k < s.Length && (s[k] == '-' || s[k] == '+')) sign = s[k++];
            k = SkipWs(k);
            if (!At(k, "endraw")) { search = j + 2; continue; }
            k = SkipWs(k + 6);
            char endSign = '\0';
            if (At(k, "-%}") || At(k, "+%}")) { endSign = s[k]; k += 3; }
            else if (At(k, "%}")) k += 2;
            else { search = j + 2; continue; }
            bool lineStarting = s[contentStart - 1] == '\n';
            string text = StripBefore(s[contentStart..j], sign, false, lineStarting);
            if (text.Length > 0) Add(TokKind.Data, text, contentStart);
            next = AfterTagEnd(k, endSign, trim: true);
            return true;
        }
    }

    private static readonly string[] Ops2 = ["//", "**", "==", "!=", "<=", ">="];
    private const string Ops1 = "+-*/%~<>=()[]{},.:|;";

    private int LexTag(int p, bool isBlock, int tagStart)
    {
        var stack = new Stack<char>();
        int n = s.Length;
        while (true)
        {
            p = SkipWs(p);
            if (p >= n) throw Error(isBlock ? "unexpected end of template, expected '%}'" : "unexpected end of template, expected '}}'", tagStart);
            if (stack.Count == 0)
            {
                if (isBlock)
                {
                    if (At(p, "-%}")) { Add(TokKind.BlockEnd, "%}", p); return AfterTagEnd(p + 3, '-', true); }
                    if (At(p, "+%}")) { Add(TokKind.BlockEnd, "%}", p); return p + 3; }
                    if (At(p, "%}")) { Add(TokKind.BlockEnd, "%}", p); return AfterTagEnd(p + 2, '\0', true); }
                }
                else
                {
                    if (At(p, "-}}")) { Add(TokKind.VarEnd, "}}", p); return AfterTagEnd(p + 3, '-', false); }
                    if (At(p, "}}")) { Add(TokKind.VarEnd, "}}", p); return p + 2; }
                }
            }
            char c = s[p];
            if (char.IsLetter(c) || c == '_')
            {
                int q = p + 1;
                while (q < n && (char.IsLetterOrDigit(s[q]) || s[q] == '_')) q++;
                Add(TokKind.Name, s[p..q], p);
                p = q;
            }
            else if (char.IsAsciiDigit(c))
            {
                p = LexNumber(p);
            }
            else if (c == '\'' || c == '"')
            {
                p = LexString(p);
            }
            else
            {
                string? op = null;
                foreach (var o in Ops2)
                    if (At(p, o)) { op = o; break; }
                if (op is null && Ops1.Contains(c)) op = c.ToString();
                if (op is null) throw Error($"unexpected character '{c}'", p);
                if (op is "(" or "[" or "{") stack.Push(op[0]);
                else if (op is ")" or "]" or "}")
                {
                    char want = op == ")" ? '(' : op == "]" ? '[' : '{';
                    if (stack.Count == 0) throw Error($"unexpected '{op}'", p);
                    char open = stack.Pop();
                    if (open != want) throw Error($"unexpected '{op}', expected '{(open == '(' ? ')' : open == '[' ? ']' : '}')}'", p);
                }
                Add(TokKind.Op, op, p);
                p += op.Length;
            }
        }
    }

    private int LexNumber(int p)
    {
        int n = s.Length, q = p;
        while (q < n && (char.IsAsciiDigit(s[q]) || (s[q] == '_' && q + 1 < n && char.IsAsciiDigit(s[q + 1])))) q++;
        bool isFloat = false;
        if (q + 1 < n && s[q] == '.' && char.IsAsciiDigit(s[q + 1]) && (p == 0 || s[p - 1] != '.'))
        {
            isFloat = true;
            q++;
            while (q < n && (char.IsAsciiDigit(s[q]) || (s[q] == '_' && q + 1 < n && char.IsAsciiDigit(s[q + 1])))) q++;
        }
        if (q < n && (s[q] == 'e' || s[q] == 'E'))
        {
            int r = q + 1;
            if (r < n && (s[r] == '+' || s[r] == '-')) r++;
            if (r < n && char.IsAsciiDigit(s[r]))
            {
                isFloat = true;
                q = r;
                while (q < n && char.IsAsciiDigit(s[q])) q++;
            }
        }
        string text = s[p..q];
        string clean = text.Replace("_", "");
        if (isFloat)
            Add(TokKind.Float, text, p, double.Parse(clean, NumberStyles.Float, CultureInfo.InvariantCulture));
        else if (long.TryParse(clean, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            Add(TokKind.Int, text, p, v);
        else
            Add(TokKind.Int, text, p, double.Parse(clean, NumberStyles.Float, CultureInfo.InvariantCulture));
        return q;
    }

    private int LexString(int p)
    {
        char quote = s[p];
        var sb = new StringBuilder();
        int q = p + 1, n = s.Length;
        while (true)
        {
            if (q >= n) throw Error("unterminated string literal", p);
            char c = s[q];
            if (c == quote) { q++; break; }
            if (c != '\\') { sb.Append(c); q++; continue; }
            if (q + 1 >= n) throw Error("unterminated string literal", p);
            char e = s[q + 1];
            q += 2;
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break; // line continuation
                case 'x': q = Hex(q, 2, sb, p); break;
                case 'u': q = Hex(q, 4, sb, p); break;
                case 'U': q = Hex(q, 8, sb, p); break;
                case >= '0' and <= '7':
                {
                    int v = e - '0', k = 1;
                    while (k < 3 && q < n && s[q] >= '0' && s[q] <= '7') { v = v * 8 + (s[q] - '0'); q++; k++; }
                    sb.Append((char)v);
                    break;
                }
                default: sb.Append('\\').Append(e); break;
            }
        }
        Add(TokKind.String, s[p..q], p, sb.ToString());
        return q;
    }

    private int Hex(int q, int digits, StringBuilder sb, int strStart)
    {
        if (q + digits > s.Length || !int.TryParse(s.AsSpan(q, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
            throw Error("invalid escape sequence in string literal", strStart);
        if (v > 0x10FFFF) throw Error("invalid unicode escape in string literal", strStart);
        sb.Append(char.ConvertFromUtf32(v >= 0xD800 && v <= 0xDFFF ? 0xFFFD : v));
        return q + digits;
    }
}
