using System.Text;
using System.Text.RegularExpressions;

namespace PocketLM.Tokenization;

/// <summary>
/// Splits text into words before byte-level BPE, as llama.cpp's <c>unicode_regex_split</c>: a list of expressions is
/// applied in turn, each to every piece the previous one produced (matches and the gaps between them both become
/// pieces). The GPT-2 and Llama-3 expressions run as hand-written splitters (as llama.cpp does); the others run as
/// .NET regexes over llama.cpp's "collapsed" text (one character per code point, standing for its Unicode class),
/// which reproduces its std::regex behaviour, including chunk-bounded anchors and lookaheads.
/// </summary>
internal sealed class PreTokenizer
{
    public const string Gpt2Regex = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    public const string Llama3Regex = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    public const string Llama3RegexOriginal = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /// <summary>Qwen2's expression: Llama 3's with single digits (\p{N} instead of \p{N}{1,3}).</summary>
    public const string Qwen2Regex = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    public const string Qwen2RegexOriginal = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private enum Kind { Gpt2, Llama3, Qwen2, Collapsed, Wide }

    private sealed record Stage(Kind Kind, Regex? Regex);

    private readonly Stage[] _stages;
    private readonly bool _needsCollapsed, _needsWide;

    public IReadOnlyList<string> Expressions { get; }

    public PreTokenizer(IReadOnlyList<string> expressions)
    {
        Expressions = expressions;
        _stages = new Stage[expressions.Count];
        for (int i = 0; i < expressions.Count; i++)
        {
            string e = expressions[i];
            if (e == Gpt2Regex) _stages[i] = new Stage(Kind.Gpt2, null);
            else if (e == Llama3Regex || e == Llama3RegexOriginal) _stages[i] = new Stage(Kind.Llama3, null);
            else if (e == Qwen2Regex || e == Qwen2RegexOriginal) _stages[i] = new Stage(Kind.Qwen2, null);
            else if (UsesCategory(e)) { _stages[i] = new Stage(Kind.Collapsed, Compile(TranslateCollapsed(e))); _needsCollapsed = true; }
            else { _stages[i] = new Stage(Kind.Wide, Compile(TranslateWide(e))); _needsWide = true; }
        }
    }

    private static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, Regex.InfiniteMatchTimeout);

    private static readonly string[] s_categories = ["\\p{N}", "\\p{L}", "\\p{P}", "\\p{M}", "\\p{S}", "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}"];

    private static bool UsesCategory(string e) => s_categories.Any(e.Contains);

    /// <summary>llama.cpp's regex collapse: each \p{X} becomes its stand-in character plus the ASCII members of X.</summary>
    internal static string TranslateCollapsed(string e)
    {
        var sb = new StringBuilder();
        bool inside = false;
        for (int i = 0; i < e.Length; i++)
        {
            char c = e[i];
            if (c >= 128) throw new TokenizerException("pre-tokenizer regex mixes Unicode classes and non-ASCII characters: " + e);
            if (c == '[' && (i == 0 || e[i - 1] != '\\')) { sb.Append('['); inside = true; continue; }
            if (inside && c == ']' && e[i - 1] != '\\') { sb.Append(']'); inside = false; continue; }
            if (c == '\\' && i + 3 < e.Length && e[i + 1] == 'p' && e[i + 2] == '{')
            {
                int close = e.IndexOf('}', i + 3);
                if (close > 0 && close <= i + 10)
                {
                    string cls = e.Substring(i, close - i + 1);
                    string? members = cls switch
                    {
                        "\\p{N}" => "\\u00D10-9",
                        "\\p{L}" or "\\p{Lu}" or "\\p{Ll}" or "\\p{Lt}" or "\\p{Lm}" or "\\p{Lo}" => "\\u00D2A-Za-z",
                        "\\p{P}" => "\\u00D3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
                        "\\p{M}" => "\\u00D4",
                        "\\p{S}" => "\\u00D5\\$\\+<->\\^`\\|",
                        _ => null,
                    };
                    if (members != null)
                    {
                        if (!inside) sb.Append('[');
                        sb.Append(members);
                        if (!inside) sb.Append(']');
                        i = close;
                        continue;
                    }
                }
            }
            if (c == '\\' && i + 1 < e.Length) { sb.Append(c).Append(e[i + 1]); i++; continue; }
            if (c == '$' && !inside) { sb.Append("\\z"); continue; }   // ECMAScript $ = end of input only
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// A regex without Unicode classes runs over code points in llama.cpp (std::wregex); here it runs over UTF-16, so
    /// character classes holding supplementary-plane ranges become alternations of surrogate pairs.
    /// </summary>
    internal static string TranslateWide(string e)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < e.Length; i++)
        {
            char c = e[i];
            if (c == '\\' && i + 1 < e.Length) { sb.Append(c).Append(e[i + 1]); i++; continue; }
            if (c == '$') { sb.Append("\\z"); continue; }
            if (c != '[') { sb.Append(c); continue; }
            int end = i + 1;
            if (end < e.Length && e[end] == '^') end++;
            if (end < e.Length && e[end] == ']') end++;
            while (end < e.Length && e[end] != ']') { if (e[end] == '\\') end++; end++; }
            string body = e.Substring(i + 1, end - i - 1);
            i = end;
            if (!body.Any(char.IsSurrogate)) { sb.Append('[').Append(body).Append(']'); continue; }
            if (body.StartsWith('^')) throw new TokenizerException("negated class with supplementary characters is not supported: " + e);
            var bmp = new StringBuilder();
            var alts = new List<string>();
            int[] cps = ToRunes(body);
            for (int k = 0; k < cps.Length; k++)
            {
                int lo = cps[k], hi = lo;
                if (k + 2 < cps.Length && cps[k + 1] == '-') { hi = cps[k + 2]; k += 2; }
                if (lo == '\\' && k + 1 < cps.Length) { bmp.Append('\\').Append(char.ConvertFromUtf32(cps[++k])); continue; }
                if (hi < 0x10000) { bmp.Append(char.ConvertFromUtf32(lo)); if (hi != lo) bmp.Append('-').Append(char.ConvertFromUtf32(hi)); continue; }
                string l = char.ConvertFromUtf32(lo), h = char.ConvertFromUtf32(hi);
                if (l[0] != h[0]) throw new TokenizerException("supplementary range crossing a high surrogate is not supported: " + e);
                alts.Add($"\\u{(int)l[0]:X4}[\\u{(int)l[1]:X4}-\\u{(int)h[1]:X4}]");
            }
            sb.Append("(?:");
            if (bmp.Length > 0) { sb.Append('[').Append(bmp).Append(']'); if (alts.Count > 0) sb.Append('|'); }
            sb.Append(string.Join("|", alts)).Append(')');
        }
        return sb.ToString();
    }

    private static int[] ToRunes(string s)
    {
        var list = new List<int>();
        foreach (Rune r in s.EnumerateRunes()) list.Add(r.Value);
        return list.ToArray();
    }

    /// <summary>Splits <paramref name="cps"/> (code points); <paramref name="lengths"/> receives the piece lengths in order.</summary>
    public void Split(ReadOnlySpan<int> cps, List<int> lengths)
    {
        lengths.Clear();
        if (cps.IsEmpty) return;
        var current = new List<int> { cps.Length };
        var next = new List<int>();
        string? collapsed = null, wide = null;
        int[]? wideIndex = null;
        foreach (Stage stage in _stages)
        {
            next.Clear();
            switch (stage.Kind)
            {
                case Kind.Gpt2: SplitGpt2(cps, current, next); break;
                case Kind.Llama3: SplitLlama3(cps, current, next, 3); break;
                case Kind.Qwen2: SplitLlama3(cps, current, next, 1); break;
                case Kind.Collapsed:
                    collapsed ??= BuildCollapsed(cps);
                    SplitRegex(stage.Regex!, collapsed, null, current, next);
                    break;
                case Kind.Wide:
                    if (wide == null) (wide, wideIndex) = BuildWide(cps);
                    SplitRegex(stage.Regex!, wide, wideIndex, current, next);
                    break;
            }
            (current, next) = (next, current);
        }
        lengths.AddRange(current);
        _ = _needsCollapsed; _ = _needsWide;
    }

    private static string BuildCollapsed(ReadOnlySpan<int> cps)
    {
        var chars = new char[cps.Length];
        for (int i = 0; i < cps.Length; i++) chars[i] = CodepointFlags.Collapse(cps[i]);
        return new string(chars);
    }

    private static (string, int[]) BuildWide(ReadOnlySpan<int> cps)
    {
        var sb = new StringBuilder(cps.Length + 8);
        var index = new int[cps.Length + 1];
        for (int i = 0; i < cps.Length; i++)
        {
            index[i] = sb.Length;
            int cp = cps[i];
            if (cp > 0x7F && CodepointFlags.IsWhitespace(cp)) cp = 0x0B;   // std::wregex's \s is ASCII-only
            if (cp < 0x10000) sb.Append((char)cp);
            else sb.Append(char.ConvertFromUtf32(cp));
        }
        index[cps.Length] = sb.Length;
        return (sb.ToString(), index);
    }

    private static void SplitRegex(Regex regex, string text, int[]? cpToUnit, List<int> offsets, List<int> output)
    {
        int startCp = 0;
        foreach (int len in offsets)
        {
            int begin = cpToUnit == null ? startCp : cpToUnit[startCp];
            int end = cpToUnit == null ? startCp + len : cpToUnit[startCp + len];
            int pos = begin;   // in text units
            for (Match m = regex.Match(text, begin, end - begin); m.Success; m = m.NextMatch())
            {
                if (m.Length == 0) continue;
                if (m.Index > pos) output.Add(Units(cpToUnit, startCp, pos, m.Index));
                output.Add(Units(cpToUnit, startCp, m.Index, m.Index + m.Length));
                pos = m.Index + m.Length;
            }
            if (pos < end) output.Add(Units(cpToUnit, startCp, pos, end));
            startCp += len;
        }
    }

    // Length in code points of text units [from, to); for the wide text, maps through the index (surrogate pairs = 1).
    private static int Units(int[]? cpToUnit, int chunkStartCp, int from, int to)
    {
        if (cpToUnit == null) return to - from;
        int a = Array.BinarySearch(cpToUnit, chunkStartCp, cpToUnit.Length - chunkStartCp, from);
        int b = Array.BinarySearch(cpToUnit, chunkStartCp, cpToUnit.Length - chunkStartCp, to);
        if (a < 0) a = ~a;
        if (b < 0) b = ~b;
        return b - a;
    }

    private const byte NotLetterNumberSpace = CodepointFlags.Letter | CodepointFlags.Number | CodepointFlags.Whitespace;

    // GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    private static void SplitGpt2(ReadOnlySpan<int> cps, List<int> offsets, List<int> output)
    {
        int start = 0;
        foreach (int len in offsets)
        {
            int ini = start, end = start + len;
            start = end;
            int prevEnd = ini;
            int pos = ini;
            while (pos < end)
            {
                int cpt = cps[pos];
                byte flags = CodepointFlags.Get(cpt);
                if (cpt == '\'' && pos + 1 < end)
                {
                    int n1 = cps[pos + 1];
                    if (n1 is 's' or 't' or 'm' or 'd') { pos += 2; Add(output, ref prevEnd, pos); continue; }
                    if (pos + 2 < end)
                    {
                        int n2 = cps[pos + 2];
                        if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) { pos += 3; Add(output, ref prevEnd, pos); continue; }
                    }
                }
                byte flags2 = cpt == ' ' ? FlagsAt(cps, pos + 1, end) : flags;
                if ((flags2 & CodepointFlags.Letter) != 0)
                {
                    if (cpt == ' ') pos++;
                    while ((flags2 & CodepointFlags.Letter) != 0) flags2 = FlagsAt(cps, ++pos, end);
                    Add(output, ref prevEnd, pos);
                    continue;
                }
                if ((flags2 & CodepointFlags.Number) != 0)
                {
                    if (cpt == ' ') pos++;
                    while ((flags2 & CodepointFlags.Number) != 0) flags2 = FlagsAt(cps, ++pos, end);
                    Add(output, ref prevEnd, pos);
                    continue;
                }
                if ((flags2 & NotLetterNumberSpace) == 0 && flags2 != 0)
                {
                    if (cpt == ' ') pos++;
                    while ((flags2 & NotLetterNumberSpace) == 0 && flags2 != 0) flags2 = FlagsAt(cps, ++pos, end);
                    Add(output, ref prevEnd, pos);
                    continue;
                }
                int ws = 0;
                while ((FlagsAt(cps, pos + ws, end) & CodepointFlags.Whitespace) != 0) ws++;
                if (ws > 1 && pos + ws < end) { pos += ws - 1; Add(output, ref prevEnd, pos); continue; }
                if (ws > 0) { pos += ws; Add(output, ref prevEnd, pos); continue; }
                pos++;
                Add(output, ref prevEnd, pos);
            }
        }
    }

    // Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    // (maxDigits 3), and Qwen2's variant with \p{N} (maxDigits 1), which llama.cpp runs through std::regex: the
    // differential tests against llama.cpp check that this splitter gives the same pieces.
    private static void SplitLlama3(ReadOnlySpan<int> cps, List<int> offsets, List<int> output, int maxDigits)
    {
        int start = 0;
        foreach (int len in offsets)
        {
            int ini = start, end = start + len;
            start = end;
            int prevEnd = ini;
            int pos = ini;
            while (pos < end)
            {
                int cpt = cps[pos];
                byte flags = CodepointFlags.Get(cpt);
                if (cpt == '\'' && pos + 1 < end)
                {
                    int n1 = AsciiLower(cps[pos + 1]);
                    if (n1 is 's' or 't' or 'm' or 'd') { pos += 2; Add(output, ref prevEnd, pos); continue; }
                    if (pos + 2 < end)
                    {
                        int n2 = AsciiLower(cps[pos + 2]);
                        if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) { pos += 3; Add(output, ref prevEnd, pos); continue; }
                    }
                }
                if (!(cpt == '\r' || cpt == '\n' || (flags & CodepointFlags.Number) != 0))
                {
                    if ((flags & CodepointFlags.Letter) != 0 || (FlagsAt(cps, pos + 1, end) & CodepointFlags.Letter) != 0)
                    {
                        pos++;
                        while ((FlagsAt(cps, pos, end) & CodepointFlags.Letter) != 0) pos++;
                        Add(output, ref prevEnd, pos);
                        continue;
                    }
                }
                if ((flags & CodepointFlags.Number) != 0)
                {
                    int run = pos;
                    while ((FlagsAt(cps, pos, end) & CodepointFlags.Number) != 0)
                    {
                        if (++pos - run >= maxDigits) { Add(output, ref prevEnd, pos); run = pos; }
                    }
                    Add(output, ref prevEnd, pos);
                    continue;
                }
                byte flags2 = cpt == ' ' ? FlagsAt(cps, pos + 1, end) : flags;
                if ((flags2 & NotLetterNumberSpace) == 0 && flags != 0)
                {
                    if (cpt == ' ') pos++;
                    while ((flags2 & NotLetterNumberSpace) == 0 && flags2 != 0) flags2 = FlagsAt(cps, ++pos, end);
                    while (pos < end && cps[pos] is '\r' or '\n') pos++;
                    Add(output, ref prevEnd, pos);
                    continue;
                }
                int ws = 0, lastNewline = 0;
                while ((FlagsAt(cps, pos + ws, end) & CodepointFlags.Whitespace) != 0)
                {
                    if (cps[pos + ws] is '\r' or '\n') lastNewline = pos + ws + 1;
                    ws++;
                }
                if (lastNewline > 0) { pos = lastNewline; Add(output, ref prevEnd, pos); continue; }
                if (ws > 1 && pos + ws < end) { pos += ws - 1; Add(output, ref prevEnd, pos); continue; }
                if (ws > 0) { pos += ws; Add(output, ref prevEnd, pos); continue; }
                pos++;
                Add(output, ref prevEnd, pos);
            }
        }
    }

    private static int AsciiLower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;

    private static byte FlagsAt(ReadOnlySpan<int> cps, int pos, int end) => pos < end ? CodepointFlags.Get(cps[pos]) : (byte)0;

    private static void Add(List<int> output, ref int prevEnd, int end)
    {
        int len = end - prevEnd;
        if (len > 0) output.Add(len);
        prevEnd = end;
    }
}
