using System.Globalization;
using System.Text;

namespace PocketLM.Tokenization;

/// <summary>
/// Code point classes as llama.cpp's unicode.cpp sees them (\p{L}, \p{N}, \p{P}, \p{M}, \p{S} and its whitespace set,
/// which is Unicode's White_Space property), taken from .NET's Unicode tables.
/// </summary>
internal static class CodepointFlags
{
    public const byte Letter = 1, Number = 2, Punctuation = 4, Mark = 8, Symbol = 16, Whitespace = 32, Valid = 64;

    private static readonly byte[] s_bmp = BuildBmp();

    private static byte[] BuildBmp()
    {
        var table = new byte[0x10000];
        for (int cp = 0; cp < table.Length; cp++) table[cp] = Compute(cp);
        return table;
    }

    public static byte Get(int cp) => (uint)cp < 0x10000u ? s_bmp[cp] : (uint)cp <= 0x10FFFFu ? Compute(cp) : (byte)0;

    public static bool IsWhitespace(int cp) =>
        cp is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A)
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    private static byte Compute(int cp)
    {
        byte f = Valid;
        if (IsWhitespace(cp)) f |= Whitespace;
        switch (CharUnicodeInfo.GetUnicodeCategory(cp))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                f |= Letter; break;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                f |= Number; break;
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
                f |= Punctuation; break;
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
                f |= Mark; break;
            case UnicodeCategory.MathSymbol:
            case UnicodeCategory.CurrencySymbol:
            case UnicodeCategory.ModifierSymbol:
            case UnicodeCategory.OtherSymbol:
                f |= Symbol; break;
        }
        return f;
    }

    /// <summary>
    /// The one-character stand-in llama.cpp uses when it runs a category regex over "collapsed" text: ASCII stays,
    /// other whitespace becomes \v, letters 0xD2, numbers 0xD1, punctuation 0xD3, marks 0xD4, symbols 0xD5, else 0xD0.
    /// </summary>
    public static char Collapse(int cp)
    {
        if (cp < 128) return (char)cp;
        byte f = Get(cp);
        if ((f & Whitespace) != 0) return '\v';
        if ((f & Number) != 0) return '\u00D1';
        if ((f & Letter) != 0) return '\u00D2';
        if ((f & Punctuation) != 0) return '\u00D3';
        if ((f & Mark) != 0) return '\u00D4';
        if ((f & Symbol) != 0) return '\u00D5';
        return '\u00D0';
    }

    /// <summary>Decodes UTF-16 into code points; an unpaired surrogate becomes U+FFFD (as UTF-8 encoding would).</summary>
    public static int ToCodepoints(ReadOnlySpan<char> text, Span<int> destination)
    {
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) { destination[n++] = c; i++; continue; }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                destination[n++] = char.ConvertToUtf32(c, text[i + 1]);
                i += 2;
                continue;
            }
            destination[n++] = 0xFFFD;
            i++;
        }
        return n;
    }

    /// <summary>UTF-8 bytes of one code point; returns the count written (1..4).</summary>
    public static int EncodeUtf8(int cp, Span<byte> dst)
    {
        if (cp < 0x80) { dst[0] = (byte)cp; return 1; }
        if (cp < 0x800) { dst[0] = (byte)(0xC0 | (cp >> 6)); dst[1] = (byte)(0x80 | (cp & 0x3F)); return 2; }
        if (cp < 0x10000)
        {
            dst[0] = (byte)(0xE0 | (cp >> 12)); dst[1] = (byte)(0x80 | ((cp >> 6) & 0x3F)); dst[2] = (byte)(0x80 | (cp & 0x3F));
            return 3;
        }
        dst[0] = (byte)(0xF0 | (cp >> 18)); dst[1] = (byte)(0x80 | ((cp >> 12) & 0x3F));
        dst[2] = (byte)(0x80 | ((cp >> 6) & 0x3F)); dst[3] = (byte)(0x80 | (cp & 0x3F));
        return 4;
    }
}

/// <summary>GPT-2's reversible byte ↔ printable-character mapping used by byte-level BPE vocabularies.</summary>
internal static class ByteLevel
{
    public static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> s_charToByte = ByteToChar.Select((c, b) => (c, (byte)b)).ToDictionary(p => p.c, p => p.Item2);

    private static char[] Build()
    {
        var map = new char[256];
        var set = new bool[256];
        for (int b = 0x21; b <= 0x7E; b++) { map[b] = (char)b; set[b] = true; }
        for (int b = 0xA1; b <= 0xAC; b++) { map[b] = (char)b; set[b] = true; }
        for (int b = 0xAE; b <= 0xFF; b++) { map[b] = (char)b; set[b] = true; }
        int n = 0;
        for (int b = 0; b < 256; b++) if (!set[b]) map[b] = (char)(256 + n++);
        return map;
    }

    public static bool TryGetByte(char c, out byte b) => s_charToByte.TryGetValue(c, out b);

    /// <summary>llama.cpp's llama_decode_text: each character of a byte-level token back to its byte.</summary>
    public static byte[] Decode(string tokenText)
    {
        var bytes = new List<byte>(tokenText.Length);
        Span<byte> tmp = stackalloc byte[4];
        for (int i = 0; i < tokenText.Length;)
        {
            int cp;
            int len = 1;
            char c = tokenText[i];
            if (char.IsHighSurrogate(c) && i + 1 < tokenText.Length && char.IsLowSurrogate(tokenText[i + 1])) { cp = char.ConvertToUtf32(c, tokenText[i + 1]); len = 2; }
            else cp = char.IsSurrogate(c) ? 0xFFFD : c;
            if (cp < 0x10000 && TryGetByte((char)cp, out byte b)) bytes.Add(b);
            else
            {
                // llama.cpp writes "[UNK_BYTE_0x" + hex of the character's UTF-8 + the whole token text + "]"
                bytes.AddRange(Encoding.ASCII.GetBytes("[UNK_BYTE_0x"));
                int n = CodepointFlags.EncodeUtf8(cp, tmp);
                for (int k = 0; k < n; k++) bytes.AddRange(Encoding.ASCII.GetBytes(tmp[k].ToString("x2", CultureInfo.InvariantCulture)));
                bytes.AddRange(Encoding.UTF8.GetBytes(tokenText));
                bytes.Add((byte)']');
            }
            i += len;
        }
        return bytes.ToArray();
    }
}
