namespace PocketLM.Tokenization;

/// <summary>What a <c>tokenizer.ggml.pre</c> name means for a byte-level BPE vocabulary, as in llama.cpp's llama-vocab.cpp.</summary>
internal sealed record PreTokenizerType(string Name, string[] Expressions, bool CleanSpaces = true, bool IgnoreMerges = false, bool AddBos = false, bool NoBos = false)
{
    private const string Gpt2 = PreTokenizer.Gpt2Regex;
    private const string Llama3 = PreTokenizer.Llama3Regex;
    private const string Qwen2 = PreTokenizer.Qwen2Regex;

    private static readonly string[] s_default =
    [
        "[\\p{P}\\$\\+<=>\\^~\\|]+",
        Gpt2,
        "\\p{N}+",
        "[0-9][0-9][0-9]",
    ];

    // Non-ASCII characters whose NFC form differs (Greek with oxia, ohm, kelvin) are escaped: an editor or tool that
    // normalizes this file must not change the ranges (it did once, leaving reversed ranges that failed to compile).
    private static readonly string[] s_deepseekLlm =
    [
        "[\r\n]",
        "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
        "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
        "\\s+$",
        "[一-龥ࠀ-一가-퟿]+",
        "\\p{N}+",
    ];

    private static readonly string[] s_deepseekCoder =
    [
        "[\r\n]",
        "\\s?\\p{L}+",
        "\\s?\\p{P}+",
        "[一-龥ࠀ-一가-퟿]+",
        "\\p{N}",
    ];

    private static readonly string[] s_deepseekV3 =
    [
        "\\p{N}{1,3}",
        "[一-龥぀-ゟ゠-ヿ]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    ];

    private static readonly string[] s_falcon =
    [
        "[\\p{P}\\$\\+<=>\\^~\\|`]+",
        Gpt2,
        "[0-9][0-9][0-9]",
    ];

    private static readonly string[] s_starcoder = ["\\p{N}", Gpt2];

    private static readonly string[] s_gpt4o =
    [
        "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    ];

    private static readonly string[] s_tekken =
    [
        "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    ];

    private static readonly string[] s_bloom = [" ?[^(\\s|.,!?…。，、।۔،)]+"];

    private static readonly string[] s_seedCoder =
    [
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    ];

    private static readonly string[] s_bailing =
    [
        "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
    ];

    /// <summary>The names this implementation knows; anything else is rejected, as llama.cpp rejects it.</summary>
    public static IReadOnlyCollection<string> KnownNames => s_byName.Keys;

    private static readonly Dictionary<string, PreTokenizerType> s_byName = Build();

    private static Dictionary<string, PreTokenizerType> Build()
    {
        var d = new Dictionary<string, PreTokenizerType>(StringComparer.Ordinal);
        void Add(PreTokenizerType t, params string[] names) { foreach (string n in names) d[n] = t with { Name = n }; }

        Add(new("", s_default), "default");
        Add(new("", [Llama3], IgnoreMerges: true, AddBos: true), "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2");
        Add(new("", [Llama3]), "dbrx", "smaug-bpe");
        Add(new("", [Llama3], NoBos: true), "chatglm-bpe", "glm4");
        Add(new("", s_deepseekLlm, CleanSpaces: false), "deepseek-llm");
        Add(new("", s_deepseekCoder, CleanSpaces: false), "deepseek-coder");
        Add(new("", s_deepseekV3, CleanSpaces: false), "deepseek-v3");
        Add(new("", s_falcon), "falcon");
        Add(new("", [Gpt2]), "gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum", "exaone4",
            "gpt-neox" /* not a llama.cpp name: GPT-NeoX's tokenizer.json uses the GPT-2 byte-level split */);
        Add(new("", [Gpt2], CleanSpaces: false), "trillion", "granite-docling");
        Add(new("", s_starcoder), "starcoder", "refact", "codeshell", "exaone", "minerva-7b");
        Add(new("", s_starcoder, CleanSpaces: false), "command-r", "smollm");
        Add(new("", [Qwen2], CleanSpaces: false), "qwen2", "deepseek-r1-qwen", "hunyuan");
        Add(new("", [Qwen2]), "stablelm2", "megrez");
        Add(new("", s_gpt4o, CleanSpaces: false), "gpt-4o", "llama4");
        Add(new("", s_tekken, CleanSpaces: false, IgnoreMerges: true, AddBos: true), "tekken");
        Add(new("", s_bloom), "bloom", "gpt3-finnish");
        Add(new("", s_bloom, CleanSpaces: false), "poro-chat");
        Add(new("", s_seedCoder, CleanSpaces: false), "seed-coder");
        Add(new("", s_bailing, CleanSpaces: false), "bailingmoe", "bailingmoe2", "llada-moe");
        Add(new("", [Qwen2], CleanSpaces: false), "grok-2");
        return d;
    }

    public static PreTokenizerType? Find(string name) => s_byName.GetValueOrDefault(name);
}
