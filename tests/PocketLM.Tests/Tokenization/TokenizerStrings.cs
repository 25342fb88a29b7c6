using System.Text;

namespace PocketLM.Tests.Tokenization;

/// <summary>
/// Deterministic test strings for differential tokenizer tests, in categories that have broken tokenizers before:
/// llama.cpp's vector strings, English prose, code, numbers, whitespace runs, emoji, CJK, combining marks, right-to-left
/// scripts, control characters, lone surrogates, special-token texts and random mixes of all of them.
/// </summary>
internal static class TokenizerStrings
{
    public enum Category { Vector, Prose, Code, Numbers, Whitespace, Emoji, Cjk, Combining, Rtl, Control, Surrogates, Special, Mixed }

    private static readonly string[] s_vectorFiles = ["qwen2", "llama-bpe", "deepseek-r1-qwen", "gpt-2", "llama-spm", "falcon", "deepseek-coder", "command-r", "phi-3"];

    private static readonly string[] s_code =
    [
        "def f(x):\n    return x ** 2\n", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}", "    if x == None:\n        pass", "#include <stdio.h>\n",
        "const x = () => { return `${a}-${b}`; };", "SELECT * FROM t WHERE id = 42;", "<div class=\"x\">Hi</div>", "fn main() { println!(\"{}\", 1); }",
        "x = [1, 2, 3]  # comment", "import numpy as np\n\n\n", "  \t  // indented comment\r\n", "a->b::c<T>>d", "λx.x", "foo_bar_baz = 0x1F;",
        "if (a && b || !c) { }", "{\"key\": [true, null, 1.5e-3]}", "$ ls -la | grep '^d'", "@decorator\nclass A(B):", "end\n\n\n\n", "    \n    \n",
    ];

    private static readonly string[] s_emoji =
    [
        "🦙", "😀", "👍🏽", "🇺🇸", "🇯🇵", "👨‍👩‍👧", "👩🏾‍🚀", "❤️", "✅", "🚀", "😶‍🌫️", "🏳️‍🌈", "🤖", "1️⃣", "#️⃣", "🫠", "🧑‍💻", "©️", "☺", "⚡",
    ];

    private static readonly string[] s_cjk =
    [
        "你好", "世界", "我想在apple工作", "日本語", "カタカナ", "ひらがな", "漢字かな交じり文", "한국어", "안녕하세요", "中文，标点。", "「引用」", "　全角スペース",
        "ｆｕｌｌｗｉｄｔｈ", "１２３", "𠀀𠀁", "龥", "丂", "〇", "ー", "天～",
    ];

    private static readonly string[] s_combining =
    [
        "e\u0301", "a\u0308", "n\u0303", "o\u0302\u0323", "\u0301", "Z\u0351\u036B\u0343\u036A\u0302\u036B", "क्ष", "नमस्ते", "ॐ", "ก่", "ภาษาไทย",
        "ᄀ\u1161\u11A8", "\u093F", "Å", "A\u030A", "\u20DD", "ñ", "i\u0307", "ǅ", "ﬁ",
    ];

    private static readonly string[] s_rtl =
    [
        "العربية", "مرحبا بالعالم", "שלום", "עברית", "\u200F", "\u200E", "\u202B", "\u202C", "\u061C", "فارسی", "اردو", "٣٤٥", "ـ", "ﷺ", "ﻻ", "א1ב2",
    ];

    private static readonly string[] s_control =
    [
        "\u0000", "\u0001", "\u0007", "\b", "\u000B", "\f", "\u000E", "\u001B", "\u001F", "\u007F", "\u0085", "\u008D", "\u00AD", "\u200B", "\u200C",
        "\u200D", "\u2028", "\u2029", "\uFEFF", "\uFFFD", "\uFFFF", "\uE000",
    ];

    private static readonly string[] s_ws = [" ", " ", " ", "\t", "\n", "\n", "\r", "\r\n", "\u00A0", "\u3000", "\u2003", "\u000B", "\f", "\u1680"];

    private static readonly string[] s_mixPieces =
    [
        "Hello", "world", " the", "don't", "I'm", "we'll", "THEY'RE", "'s", "'S", "'ll", "'ve", "'", "''", " ' ", "a'b", "3.14", "1,000",
        ".", ",", "!", "?", "...", ";", ":", "-", "--", "(", ")", "[", "]", "{", "}", "\"", "`", "~", "@", "#", "$", "%", "^", "&", "*", "_",
        "+", "=", "<", ">", "/", "\\", "|", "é", "ß", "Ω", "Привет", "мир", "∑", "€", "µ", "①", "½", "٣", "Ⅻ", "ʰ", "\U0001D400", "𐐀", "！", "。",
    ];

    /// <summary>The <paramref name="count"/> strings for a vocabulary whose special-token texts are <paramref name="specials"/>.</summary>
    public static List<(Category Category, string Text)> Generate(int count, IReadOnlyList<string> specials, int seed = 20240601)
    {
        var rng = new Random(seed);
        var list = new List<(Category, string)>(count);
        var vectors = s_vectorFiles.SelectMany(n => VocabVectors.Load(n).Inputs).Distinct().ToArray();
        foreach (string v in vectors) list.Add((Category.Vector, v));
        string prose = TokenizerSpeedTests.EnglishText(200_000);
        var categories = Enum.GetValues<Category>().Where(c => c != Category.Vector).ToArray();
        for (int i = 0; list.Count < count; i++)
        {
            Category c = categories[i % categories.Length];
            list.Add((c, Make(c, rng, prose, specials)));
        }
        return list;
    }

    private static string Pick(Random rng, string[] a) => a[rng.Next(a.Length)];

    private static string Make(Category c, Random rng, string prose, IReadOnlyList<string> specials)
    {
        var sb = new StringBuilder();
        switch (c)
        {
            case Category.Prose:
            {
                int start = rng.Next(prose.Length - 2000), len = rng.Next(1, 1500);
                sb.Append(prose, start, len);
                break;
            }
            case Category.Code:
                for (int k = rng.Next(1, 5); k > 0; k--) sb.Append(Pick(rng, s_code)).Append(rng.Next(3) == 0 ? "\n" : "");
                break;
            case Category.Numbers:
                for (int k = rng.Next(1, 8); k > 0; k--)
                {
                    int digits = rng.Next(1, 14);
                    for (int d = 0; d < digits; d++) sb.Append((char)('0' + rng.Next(10)));
                    sb.Append(rng.Next(6) switch { 0 => " ", 1 => ".", 2 => ",", 3 => "", 4 => "e-", _ => " + " });
                }
                if (rng.Next(4) == 0) sb.Append("٣٤٥").Append("１２３").Append("Ⅻ½");
                break;
            case Category.Whitespace:
                for (int k = rng.Next(1, 20); k > 0; k--)
                {
                    sb.Append(Pick(rng, s_ws));
                    if (rng.Next(5) == 0) sb.Append(rng.Next(2) == 0 ? "x" : "'s");
                }
                break;
            case Category.Emoji:
                for (int k = rng.Next(1, 8); k > 0; k--) sb.Append(Pick(rng, s_emoji)).Append(rng.Next(3) == 0 ? " " : rng.Next(4) == 0 ? "a" : "");
                break;
            case Category.Cjk:
                for (int k = rng.Next(1, 8); k > 0; k--) sb.Append(Pick(rng, s_cjk)).Append(rng.Next(4) == 0 ? " " : rng.Next(4) == 0 ? "12" : "");
                break;
            case Category.Combining:
                for (int k = rng.Next(1, 8); k > 0; k--) sb.Append(Pick(rng, s_combining)).Append(rng.Next(3) == 0 ? " " : "");
                break;
            case Category.Rtl:
                for (int k = rng.Next(1, 8); k > 0; k--) sb.Append(Pick(rng, s_rtl)).Append(rng.Next(3) == 0 ? " " : rng.Next(4) == 0 ? "abc" : "");
                break;
            case Category.Control:
                for (int k = rng.Next(1, 8); k > 0; k--) sb.Append(Pick(rng, s_control)).Append(rng.Next(3) == 0 ? " " : rng.Next(3) == 0 ? "w" : "");
                break;
            case Category.Surrogates:
                for (int k = rng.Next(1, 6); k > 0; k--)
                {
                    sb.Append(rng.Next(4) switch { 0 => "\uD800", 1 => "\uDFFF", 2 => "\uD83E", _ => "\uDC00x" });
                    sb.Append(rng.Next(3) == 0 ? "🦙" : rng.Next(2) == 0 ? " a" : "");
                }
                break;
            case Category.Special:
                for (int k = rng.Next(1, 6); k > 0; k--)
                {
                    if (specials.Count > 0) sb.Append(specials[rng.Next(specials.Count)]);
                    sb.Append(rng.Next(3) switch { 0 => " ", 1 => "\n", _ => Pick(rng, s_mixPieces) });
                }
                break;
            default:
                for (int k = rng.Next(1, 14); k > 0; k--)
                {
                    Category inner = (Category)rng.Next((int)Category.Special + 1);
                    sb.Append(inner is Category.Vector or Category.Mixed or Category.Prose ? Pick(rng, s_mixPieces) : Make(inner, rng, prose, specials));
                    if (rng.Next(3) == 0) sb.Append(' ');
                }
                break;
        }
        return sb.ToString();
    }
}
