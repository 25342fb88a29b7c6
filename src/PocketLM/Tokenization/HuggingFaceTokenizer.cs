using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PocketLM.Gguf;

namespace PocketLM.Tokenization;

/// <summary>
/// Builds a byte-level BPE <see cref="Tokenizer"/> from a Hugging Face <c>tokenizer.json</c> (+ <c>tokenizer_config.json</c>)
/// the way llama.cpp's convert_hf_to_gguf.py does (<c>get_vocab_base</c> and gguf-py's <c>SpecialVocab</c>), producing
/// the same GGUF metadata keys, which <see cref="WriteGguf"/> saves as a vocab-only GGUF that llama.cpp itself loads.
/// </summary>
/// <remarks>
/// <para>The pre-tokenizer name (<c>tokenizer.ggml.pre</c>) is found in two ways. First the Split regexes of
/// tokenizer.json's <c>pre_tokenizer</c> are recognised (GPT-2's ByteLevel split, Llama 3, Qwen2, DeepSeek V3, ...).
/// Then, like llama.cpp's converter, the fixed check text is tokenized (with this library's tokenizer for that name) and
/// the sha256 of the Python-printed id list is looked up in the converter's table; a hit decides the name (it also
/// tells e.g. <c>deepseek-r1-qwen</c> from <c>qwen2</c>). When the regexes are not recognised, every pre-tokenizer with
/// distinct expressions is tried against the table. An explicit name always wins.</para>
/// <para>Not done: added tokens with <c>normalized: false</c> are not re-encoded through the tokenizer (the converter
/// runs them through transformers; for byte-level BPE that is the identity); the <c>pair</c> template's separator
/// handling of TemplateProcessing is not parsed.</para>
/// </remarks>
public static class HuggingFaceTokenizer
{
    private const string Qwen2Original = PreTokenizer.Qwen2RegexOriginal;

    /// <summary>The text llama.cpp's convert_hf_to_gguf.py tokenizes to fingerprint a pre-tokenizer (get_vocab_base_pre).</summary>
    internal const string CheckText =
        "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n\U0001F680 (normal) \U0001F636\u200D\U0001F32B\uFE0F (multiple emojis concatenated) \u2705 \U0001F999\U0001F999 " +
        "3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 " +
        "\u1780\u17B6\u1793\u17CB\u178F\u17C2\u1796\u17B7\u179F\u17C1\u179F\u17A2\u17B6\u1785\U0001F601 ?\u6211\u60F3\u5728apple\u5DE5\u4F5C1314151\u5929\uFF5E " +
        "------======= \u043D\u0435\u0449\u043E \u043D\u0430 \u0411\u044A\u043B\u0433\u0430\u0440\u0441\u043A\u0438 ''''''```````\"\"\"\"......!!!!!!?????? " +
        "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";

    // sha256(str(tokenizer.encode(chktxt))) → name, from convert_hf_to_gguf.py (later entries win, as in its if-chain).
    private static readonly (string Hash, string Name)[] s_hashes =
    [
        ("b6e8e1518dc4305be2fe39c313ed643381c4da5db34a98f6a04c093f8afbe99b", "chatglm-bpe"),
        ("81d72c7348a9f0ebe86f23298d37debe0a5e71149e29bd283904c02262b27516", "chatglm-bpe"),
        ("a1336059768a55c99a734006ffb02203cd450fed003e9a71886c88acf24fdbc2", "glm4"),
        ("9ca2dd618e8afaf09731a7cf6e2105b373ba6a1821559f258b272fe83e6eb902", "glm4"),
        ("1431a23e583c97432bc230bff598d103ddb5a1f89960c8f1d1051aaa944d0b35", "minerva-7b"),
        ("7e57df22b1fe23a7b1e1c7f3dc4e3f96d43a4eb0836d0c6bdc3436d7b2f1c664", "hunyuan"),
        ("a6b57017d60e6edb4d88ecc2845188e0eb333a70357e45dcc9b53964a73bbae6", "falcon-h1"),
        ("60476e1243776c4fb1b993dbd7a5f15ac22f83c80afdf425fa5ae01c8d44ef86", "falcon-h1"),
        ("3eda48b4c4dc7de733d1a8b3e3b4a85243dbbf704da2ee9d42c6beced8897896", "falcon-h1"),
        ("48f8e02c0359c0bbdd82f26909171fac1c18a457bb47573ed1fe3bbb2c1cfd4b", "falcon-h1"),
        ("d4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c", "qwen2"),
        ("66b8d4e19ab16c3bfd89bce5d785fb7e0155e8648708a1f42077cb9fe002c273", "grok-2"),
        ("0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5", "llama-bpe"),
        ("049ecf7629871e3041641907f3de7c733e4dbfdc736f57d882ba0b0845599754", "deepseek-llm"),
        ("347715f544604f9118bb75ed199f68779f423cabb20db6de6f31b908d04d7821", "deepseek-coder"),
        ("8aeee3860c56296a157a1fe2fad249ec40aa59b1bb5709f4ade11c4e6fe652ed", "falcon"),
        ("9d032fcbd5501f4a38150912590928bfb36091efb5df11b8e2124b0390e3fb1e", "falcon3"),
        ("35d91631860c815f952d711435f48d356ebac988362536bed955d43bfa436e34", "starcoder"),
        ("3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454", "gpt-2"),
        ("32d85c31273f8019248f2559fed492d929ea28b17e51d81d3bb36fff23ca72b3", "stablelm2"),
        ("6221ad2852e85ce96f791f476e0b390cf9b474c9e3d1362f53a24a06dc8220ff", "refact"),
        ("9c2227e4dd922002fb81bde4fc02b0483ca4f12911410dee2255e4987644e3f8", "command-r"),
        ("e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea", "qwen2"),
        ("b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166", "olmo"),
        ("a8594e3edff7c29c003940395316294b2c623e09894deebbc65f33f1515df79e", "dbrx"),
        ("171aeeedd6fb548d418a7461d053f11b6f1f1fc9b387bd66640d28a4b9f5c643", "jina-v2-es"),
        ("27949a2493fc4a9f53f5b9b029c82689cfbe5d3a1929bb25e043089e28466de6", "jina-v2-de"),
        ("c136ed14d01c2745d4f60a9596ae66800e2b61fa45643e72436041855ad4089d", "smaug-bpe"),
        ("c7ea5862a53e4272c035c8238367063e2b270d51faa48c0f09e9d5b54746c360", "poro-chat"),
        ("b53802fb28e26d645c3a310b34bfe07da813026ec7c7716883404d5e0f8b1901", "jais"),
        ("7b3e7548e4308f52a76e8229e4e6cc831195d0d1df43aed21ac6c93da05fec5f", "codeshell"),
        ("63b97e4253352e6f357cc59ea5b583e3a680eaeaf2632188c2b952de2588485e", "tekken"),
        ("855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249", "smollm"),
        ("3c30d3ad1d6b64202cd222813e7736c2db6e1bd6d67197090fc1211fbc612ae7", "bloom"),
        ("bc01ce58980e1db43859146dc51b1758b3b88729b217a74792e9f8d43e479d21", "gpt3-finnish"),
        ("4e2b24cc4770243d65a2c9ec19770a72f08cffc161adbb73fcbb6b7dd45a0aae", "exaone"),
        ("fcace8b9cac38ce847670c970cd5892031a753a1ef381abd1d9af00f713da085", "phi-2"),
        ("ad851be1dba641f2e3711822f816db2c265f788b37c63b4e1aeacb9ee92de8eb", "gigachat"),
        ("d4c8f286ea6b520b3d495c4455483cfa2302c0cfcd4be05d781b6a8a0a7cdaf1", "megrez"),
        ("877081d19cf6996e2c4ff0e1236341e9b7bde288f5311a56a937f0afbbb3aeb5", "deepseek-v3"),
        ("b3f499bb4255f8ca19fccd664443283318f2fd2414d5e0b040fbdd0cc195d6c5", "deepseek-r1-qwen"),
        ("ccc2ef013c104be7bae2965776d611e1d7a8a2a9c547dd93a682c9a9fc80352e", "gpt-4o"),
        ("1994ffd01900cfb37395608534236ecd63f2bd5995d6cb1004dda1af50240f15", "trillion"),
        ("96a5f08be6259352137b512d4157e333e21df7edd3fcd152990608735a65b224", "bailingmoe"),
        ("d353350c764d8c3b39c763113960e4fb4919bea5fbf208a0e3b22e8469dc7406", "llama4"),
        ("0e9433cbbb161f89e264eb32e8e64bfe69e834973ffca5d41d3948a604a3e2a3", "pixtral"),
        ("d5f1dd6f980fec569fb218a81a7658ac45fc56b38c5a0adeb1c232fbe04ef5ec", "seed-coder"),
        ("b0a6b1c0bd5998ebd9df08611efde34a4ff03faed45ae09c43e6b31ebd4b94cf", "a.x-4.0"),
        ("f6791d196f87ce6b56a7d234be618e0d58f8cda3549416635b2bebcd22cd95c4", "midm-2.0"),
        ("169bf0296a13c4d9b7672313f749eb36501d931022de052aad6e36f2bf34dd51", "lfm2"),
        ("2085e1638f6c377a0aa4ead21b27bb4cb941bf800df86ed391011769c1758dfb", "exaone4"),
        ("a1e163ecab2e718a4c829d1148b6e86824ec36163bb71941c3dca9cd5ac25756", "mellum"),
        ("9b1be57e70d20d9501b2b3186e792d81181ae36ada3903c26f9fea418cf87206", "bailingmoe2"),
    ];

    private static readonly Dictionary<string, string> s_hashToName = BuildHashTable();

    private static Dictionary<string, string> BuildHashTable()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (h, n) in s_hashes) d[h] = n;
        return d;
    }

    /// <summary>The result of converting a tokenizer.json: the GGUF metadata and how the pre-tokenizer was chosen.</summary>
    /// <param name="Metadata">Every key the vocab-only GGUF gets.</param>
    /// <param name="Pre">The <c>tokenizer.ggml.pre</c> written.</param>
    /// <param name="PreSource">"option", "regex", "hash" or "regex+hash" (recognised from the regexes, confirmed by the check-text hash).</param>
    /// <param name="CheckHash">sha256 of the check text's ids, as llama.cpp's converter prints it (null when not computed).</param>
    public sealed record Conversion(Dictionary<string, GgufValue> Metadata, string Pre, string PreSource, string? CheckHash);

    /// <summary>
    /// Finds tokenizer.json for a directory or file argument, and tokenizer_config.json beside it (null when absent).
    /// </summary>
    public static (string TokenizerJson, string? TokenizerConfig) ResolvePaths(string dirOrFile)
    {
        ArgumentNullException.ThrowIfNull(dirOrFile);
        string json = Directory.Exists(dirOrFile) ? Path.Combine(dirOrFile, "tokenizer.json") : dirOrFile;
        if (!File.Exists(json))
            throw new FileNotFoundException(Directory.Exists(dirOrFile)
                ? $"{dirOrFile}: no tokenizer.json in this directory"
                : $"{dirOrFile}: no such file or directory", json);
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(json))!, "tokenizer_config.json");
        return (json, File.Exists(config) ? config : null);
    }

    /// <summary>Loads the tokenizer; <paramref name="pre"/> overrides the pre-tokenizer name detected from tokenizer.json.</summary>
    public static Tokenizer Load(string tokenizerJsonPath, string? tokenizerConfigPath = null, string? pre = null) =>
        Tokenizer.FromMetadata(ToGgufMetadata(tokenizerJsonPath, tokenizerConfigPath, pre));

    /// <summary>Writes a vocab-only GGUF that llama.cpp loads with <c>vocab_only</c> (see <see cref="Convert"/>).</summary>
    public static Conversion WriteGguf(string tokenizerJsonPath, string? tokenizerConfigPath, string outputPath, string? pre = null)
    {
        Conversion c = Convert(tokenizerJsonPath, tokenizerConfigPath, pre);
        var w = new GgufWriter();
        foreach (var (k, v) in c.Metadata) w.Set(k, v);
        w.Write(outputPath);
        return c;
    }

    /// <summary>The GGUF metadata llama.cpp's converter would write for these files.</summary>
    public static Dictionary<string, GgufValue> ToGgufMetadata(string tokenizerJsonPath, string? tokenizerConfigPath = null, string? pre = null) =>
        Convert(tokenizerJsonPath, tokenizerConfigPath, pre).Metadata;

    /// <summary>
    /// Converts tokenizer.json (+ tokenizer_config.json, and config.json / chat_template.jinja from the same directory
    /// when present) to GGUF metadata: <c>general.architecture</c> (config.json's <c>model_type</c> when llama.cpp knows
    /// it by that name, else "llama": llama.cpp needs a known architecture even for a vocab-only load, and reads nothing
    /// else of it then), <c>general.name</c>, and the <c>tokenizer.*</c> keys.
    /// </summary>
    public static Conversion Convert(string tokenizerJsonPath, string? tokenizerConfigPath = null, string? pre = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        string dir = Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!;
        using JsonDocument tj = ParseJson(tokenizerJsonPath);
        using JsonDocument? tc = tokenizerConfigPath != null && File.Exists(tokenizerConfigPath) ? ParseJson(tokenizerConfigPath) : null;
        string configJsonPath = Path.Combine(dir, "config.json");
        using JsonDocument? cj = File.Exists(configJsonPath) ? ParseJson(configJsonPath) : null;
        try
        {
            return ConvertCore(tokenizerJsonPath, dir, tj.RootElement, tc?.RootElement, cj?.RootElement, pre);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{tokenizerJsonPath}: unexpected tokenizer.json structure ({e.Message})", e);
        }
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON ({e.Message})", e);
        }
    }

    private static Conversion ConvertCore(string jsonPath, string dir, JsonElement root, JsonElement? tcRoot, JsonElement? configRoot, string? pre)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
            throw new TokenizerException($"{jsonPath}: not a Hugging Face tokenizer.json (no \"model\" object)");
        string type = model.TryGetProperty("type", out JsonElement mt) ? mt.GetString() ?? "" : "";
        if (type.Length == 0 && model.TryGetProperty("merges", out _)) type = "BPE";   // very old files omit the type
        if (type != "BPE")
            throw new TokenizerException($"{jsonPath}: unsupported tokenizer model '{type}'; only byte-level BPE (GPT-2 style) can be converted");
        if (!IsByteLevel(root) || (model.TryGetProperty("byte_fallback", out JsonElement bf) && bf.ValueKind == JsonValueKind.True))
            throw new TokenizerException($"{jsonPath}: unsupported BPE variant (SentencePiece-style, byte_fallback or non-ByteLevel decoder); only byte-level BPE (GPT-2 style) can be converted");

        // the vocabulary as transformers' tokenizer.vocab sees it: model vocab plus added tokens
        var vocab = new Dictionary<int, string>();
        foreach (JsonProperty p in model.GetProperty("vocab").EnumerateObject()) vocab[p.Value.GetInt32()] = p.Name;
        var added = new Dictionary<int, (string Content, bool Special)>();
        var addedList = new List<(int Id, string Content)>();
        if (root.TryGetProperty("added_tokens", out JsonElement at) && at.ValueKind == JsonValueKind.Array)
            foreach (JsonElement a in at.EnumerateArray())
            {
                int id = a.GetProperty("id").GetInt32();
                string content = a.GetProperty("content").GetString()!;
                added[id] = (content, a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True);
                addedList.Add((id, content));
                vocab[id] = content;
            }
        if (vocab.Count == 0) throw new TokenizerException($"{jsonPath}: empty vocabulary");

        int size = Math.Max(vocab.Keys.Max() + 1, vocab.Count);
        if (configRoot is { ValueKind: JsonValueKind.Object } cfgJ && cfgJ.TryGetProperty("vocab_size", out JsonElement vs)
            && vs.ValueKind == JsonValueKind.Number && vs.TryGetInt32(out int hpSize) && hpSize >= size)
            size = hpSize;   // the converter pads to the model's vocab_size with [PADn] tokens
        var tokens = new string[size];
        var types = new int[size];
        for (int i = 0; i < size; i++)
        {
            if (!vocab.TryGetValue(i, out string? t)) { tokens[i] = $"[PAD{i}]"; types[i] = (int)TokenType.Unused; continue; }
            tokens[i] = t;
            if (added.TryGetValue(i, out var a))
            {
                if (a.Special || LooksSpecial(t)) types[i] = (int)TokenType.Control;
                else { tokens[i] = t.Replace('\u2581', ' '); types[i] = (int)TokenType.UserDefined; }
            }
            else types[i] = (int)TokenType.Normal;
        }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out JsonElement me) && me.ValueKind == JsonValueKind.Array)
            foreach (JsonElement m in me.EnumerateArray())
                merges.Add(m.ValueKind == JsonValueKind.Array
                    ? EncodeSpaces(m[0].GetString()!) + " " + EncodeSpaces(m[1].GetString()!)   // transformers ≥ 4.45 pair form, as gguf-py
                    : m.GetString()!);

        var meta = new Dictionary<string, GgufValue>
        {
            ["general.architecture"] = GgufValue.String(Architecture(configRoot)),
            ["general.name"] = GgufValue.String(Path.GetFileName(dir)),
            ["tokenizer.ggml.model"] = GgufValue.String("gpt2"),
            ["tokenizer.ggml.tokens"] = GgufValue.Strings(tokens),
            ["tokenizer.ggml.token_type"] = GgufValue.Int32s(types),
            ["tokenizer.ggml.merges"] = GgufValue.Strings(merges),
        };
        bool hfAddsBos = AddSpecialTokens(root, tcRoot, configRoot, dir, addedList, size, meta);

        string source;
        string? hash = null;
        if (pre != null)
        {
            if (PreTokenizerType.Find(pre) == null)
                throw new TokenizerException($"unknown pre-tokenizer type '{pre}'; known: {string.Join(", ", PreTokenizerType.KnownNames.Order(StringComparer.Ordinal))}");
            source = "option";
        }
        else
        {
            string? guess = GuessPre(root);
            if (guess != null)
            {
                // the converter's hash, with and without a BOS (tokenizer.json files repackaged without their
                // TemplateProcessing lose the BOS transformers would add); it decides between names only where they
                // mean the same tokenizer here (e.g. qwen2 / deepseek-r1-qwen), not e.g. llama-bpe / smaug-bpe
                source = "regex";
                PreTokenizerType guessType = PreTokenizerType.Find(guess)!;
                foreach (bool bos in hfAddsBos ? new[] { true, false } : [false, true])
                {
                    string? h = CheckHash(meta, guess, bos);
                    if (h == null) break;
                    hash ??= h;
                    if (s_hashToName.TryGetValue(h, out string? byHash) && PreTokenizerType.Find(byHash) is { } t && SameBehaviour(t, guessType))
                    {
                        guess = byHash;
                        hash = h;
                        source = "regex+hash";
                        break;
                    }
                }
                pre = guess;
            }
            else
            {
                foreach (string candidate in DistinctPreTokenizers())
                {
                    string? h = CheckHash(meta, candidate, hfAddsBos);
                    if (h != null && s_hashToName.TryGetValue(h, out string? byHash) && PreTokenizerType.Find(byHash) != null)
                    {
                        pre = byHash;
                        hash = h;
                        break;
                    }
                }
                source = "hash";
                if (pre == null)
                    throw new TokenizerException($"{jsonPath}: cannot tell which llama.cpp pre-tokenizer this tokenizer uses (regex not recognised, check-text hash not in llama.cpp's table); pass it with --pre NAME");
            }
        }
        meta["tokenizer.ggml.pre"] = GgufValue.String(pre);
        return new Conversion(meta, pre, source, hash);
    }

    private static bool SameBehaviour(PreTokenizerType a, PreTokenizerType b) =>
        a.Expressions.SequenceEqual(b.Expressions) && a.CleanSpaces == b.CleanSpaces && a.IgnoreMerges == b.IgnoreMerges && a.AddBos == b.AddBos && a.NoBos == b.NoBos;

    private static string EncodeSpaces(string part) => part.Replace(' ', '\u0120');

    // llama.cpp architecture names that equal the Hugging Face model_type
    private static readonly HashSet<string> s_archNames = ["llama", "qwen2", "qwen3", "qwen2moe", "qwen3moe", "gpt2", "starcoder2", "olmo", "olmo2", "phi3", "gemma", "gemma2", "gemma3", "mistral3", "granite", "exaone", "exaone4", "smollm3"];

    private static string Architecture(JsonElement? config) =>
        config is { ValueKind: JsonValueKind.Object } c && c.TryGetProperty("model_type", out JsonElement t) && t.ValueKind == JsonValueKind.String
        && s_archNames.Contains(t.GetString()!) ? t.GetString()! : "llama";

    /// <summary>gguf-py's SpecialVocab: special token ids, add_*_token flags, chat template. Returns whether
    /// transformers' <c>encode</c> would add a BOS (for the check-text hash).</summary>
    private static bool AddSpecialTokens(JsonElement root, JsonElement? tcRoot, JsonElement? configRoot, string dir,
        List<(int Id, string Content)> added, int nVocab, Dictionary<string, GgufValue> meta)
    {
        JsonElement tcObj = tcRoot ?? default;
        bool haveConfig = tcRoot is { ValueKind: JsonValueKind.Object };
        // "{typ}_token" contents of tokenizer_config.json (strings or AddedToken objects), editable as gguf-py edits them
        var cfg = new Dictionary<string, string>(StringComparer.Ordinal);
        if (haveConfig)
            foreach (JsonProperty p in tcObj.EnumerateObject())
            {
                string? content = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Object when p.Value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                    _ => null,
                };
                if (content != null && p.Name.EndsWith("_token", StringComparison.Ordinal)) cfg[p.Name] = content;
            }
        var types = new List<string> { "bos", "eos", "unk", "sep", "pad", "cls", "mask" };
        var addSpecial = new Dictionary<string, bool>(StringComparer.Ordinal);
        string? Content(string key) => cfg.GetValueOrDefault(key);
        string Str(string s) => s;

        string? bos = Content("bos_token"), cls = Content("cls_token"), eos = Content("eos_token"), sep = Content("sep_token");
        if (bos == null && cls != null && haveConfig) { cfg["bos_token"] = Str(cls); bos = cls; }
        if (eos == null && sep != null && haveConfig) { cfg["eos_token"] = Str(sep); eos = sep; }
        if (root.TryGetProperty("post_processor", out JsonElement pp) && pp.ValueKind == JsonValueKind.Object)
        {
            IEnumerable<JsonElement> processors = pp.TryGetProperty("processors", out JsonElement list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray() : [pp];
            foreach (JsonElement proc in processors)
            {
                string? ptype = proc.TryGetProperty("type", out JsonElement ptt) ? ptt.GetString() : null;
                if (ptype == "RobertaProcessing")
                {
                    addSpecial["bos"] = addSpecial["eos"] = addSpecial["sep"] = true;
                    continue;
                }
                if (ptype != "TemplateProcessing" || !proc.TryGetProperty("single", out JsonElement single) || single.GetArrayLength() <= 1) continue;
                string? first = SpecialId(single[0]);
                if (first != null)
                {
                    if (!haveConfig) bos = first;
                    addSpecial["bos"] = first == bos || first == cls;
                }
                string? last = SpecialId(single[single.GetArrayLength() - 1]);
                if (last != null)
                {
                    if (!haveConfig) eos = last;
                    else if (last != eos)
                    {
                        string fallback = !types.Contains("eot") ? "eot" : !types.Contains("eom") ? "eom" : "";
                        if (fallback.Length > 0 && eos != null) { types.Add(fallback); cfg[fallback + "_token"] = Str(eos); }
                        cfg["eos_token"] = Str(last);
                        eos = last;
                    }
                    addSpecial["eos"] = last == eos;
                }
            }
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        void SetId(string typ, int id) { if (id >= 0 && id < nVocab) ids.TryAdd(typ, id); }
        if (haveConfig)
        {
            foreach (string typ in types)
            {
                if (tcObj.TryGetProperty($"add_{typ}_token", out JsonElement b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    addSpecial[typ] = b.GetBoolean();
                string? content = Content($"{typ}_token");
                if (content == null) continue;
                foreach (var (id, c) in added)
                    if (c == content) { SetId(typ, id); break; }
            }
            string? template = tcObj.TryGetProperty("chat_template", out JsonElement tpl) && tpl.ValueKind == JsonValueKind.String ? tpl.GetString() : null;
            string jinja = Path.Combine(dir, "chat_template.jinja");
            if (template == null && File.Exists(jinja)) template = File.ReadAllText(jinja);
            if (template != null) meta["tokenizer.chat_template"] = GgufValue.String(template);
        }
        if (configRoot is { ValueKind: JsonValueKind.Object } config)
            foreach (string typ in types)
                if (config.TryGetProperty($"{typ}_token_id", out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int id))
                    SetId(typ, id);

        foreach (var (typ, id) in ids)
        {
            string key = typ switch
            {
                "unk" => "unknown", "sep" => "seperator", "pad" => "padding", _ => typ,   // gguf-py's key names (sic)
            };
            meta[$"tokenizer.ggml.{key}_token_id"] = GgufValue.UInt32((uint)id);
        }
        foreach (var (typ, value) in addSpecial)
            if (typ is "bos" or "eos" or "sep") meta[$"tokenizer.ggml.add_{typ}_token"] = GgufValue.Bool(value);
        return addSpecial.GetValueOrDefault("bos") && ids.ContainsKey("bos");
    }

    private static string? SpecialId(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty("SpecialToken", out JsonElement st) && st.TryGetProperty("id", out JsonElement id)
            ? id.GetString() : null;

    /// <summary>
    /// The fingerprint llama.cpp's converter computes: sha256 of Python's <c>str(tokenizer.encode(chktxt))</c>, here
    /// with this library's tokenizer for <paramref name="pre"/> (null when it cannot be built).
    /// </summary>
    internal static string? CheckHash(Dictionary<string, GgufValue> meta, string pre, bool withBos)
    {
        var m = new Dictionary<string, GgufValue>(meta) { ["tokenizer.ggml.pre"] = GgufValue.String(pre) };
        Tokenizer tok;
        try { tok = Tokenizer.FromMetadata(m); }
        catch (Exception e) when (e is TokenizerException or ArgumentException) { return null; }
        var ids = new List<int>();
        if (withBos && tok.BosId >= 0) ids.Add(tok.BosId);
        ids.AddRange(tok.Encode(CheckText, addSpecial: false));
        string printed = "[" + string.Join(", ", ids) + "]";
        return System.Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(printed)));
    }

    private static IEnumerable<string> DistinctPreTokenizers()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in PreTokenizerType.KnownNames.Order(StringComparer.Ordinal))
            if (seen.Add(string.Join("\u0001", PreTokenizerType.Find(name)!.Expressions))) yield return name;
    }

    // convert_hf_to_gguf.py's does_token_look_special
    private static bool LooksSpecial(string t) =>
        t is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (t.StartsWith("<|", StringComparison.Ordinal) && t.EndsWith("|>", StringComparison.Ordinal))
        || (t.StartsWith("<｜", StringComparison.Ordinal) && t.EndsWith("｜>", StringComparison.Ordinal))
        || (t.StartsWith("<unused", StringComparison.Ordinal) && t.EndsWith('>'));

    private static bool IsByteLevel(JsonElement root) =>
        root.TryGetProperty("decoder", out JsonElement d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("type", out var t) && t.GetString() == "ByteLevel";

    /// <summary>Recognises the pre-tokenizer from tokenizer.json's <c>pre_tokenizer</c> Split regexes.</summary>
    internal static string? GuessPre(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out JsonElement pt) || pt.ValueKind != JsonValueKind.Object) return null;
        string type = pt.TryGetProperty("type", out JsonElement tt) ? tt.GetString() ?? "" : "";
        if (type == "ByteLevel") return pt.TryGetProperty("use_regex", out var ur) && ur.ValueKind == JsonValueKind.False ? null : "gpt-2";
        if (type != "Sequence" || !pt.TryGetProperty("pretokenizers", out JsonElement list)) return null;
        var regexes = new List<string>();
        bool byteLevelRegex = false, digits = false;
        foreach (JsonElement p in list.EnumerateArray())
        {
            string? ptype = p.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
            if (ptype == "Split" && p.TryGetProperty("pattern", out JsonElement pat) && pat.TryGetProperty("Regex", out var r)) regexes.Add(r.GetString()!);
            else if (ptype == "ByteLevel") byteLevelRegex = !(p.TryGetProperty("use_regex", out var u) && u.ValueKind == JsonValueKind.False);
            else if (ptype == "Digits") digits = true;
        }
        if (regexes.Count == 1 && !byteLevelRegex && !digits)
        {
            string r = regexes[0];
            if (r == PreTokenizer.Llama3RegexOriginal || r == PreTokenizer.Llama3Regex) return "llama-bpe";
            if (r == Qwen2Original) return "qwen2";
            foreach (string name in new[] { "gpt-4o", "tekken", "seed-coder", "bailingmoe" })
                if (PreTokenizerType.Find(name)!.Expressions[0] == r) return name;
        }
        if (regexes.Count == 3 && regexes[0] == "\\p{N}{1,3}" && regexes[1] == "[一-龥぀-ゟ゠-ヿ]+") return "deepseek-v3";
        return null;
    }
}
