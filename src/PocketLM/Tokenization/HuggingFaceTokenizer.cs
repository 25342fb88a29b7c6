using System.Text.Json;
using PocketLM.Gguf;

namespace PocketLM.Tokenization;

/// <summary>
/// Builds a byte-level BPE <see cref="Tokenizer"/> from a Hugging Face <c>tokenizer.json</c> (+ <c>tokenizer_config.json</c>)
/// the way llama.cpp's convert_hf_to_gguf.py does (<c>_set_vocab_gpt2</c> and gguf-py's SpecialVocab), producing the
/// same GGUF metadata keys, which <see cref="WriteGguf"/> can save as a vocab-only GGUF.
/// </summary>
public static class HuggingFaceTokenizer
{
    private const string Qwen2Original = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /// <summary>Loads the tokenizer; <paramref name="pre"/> overrides the pre-tokenizer name guessed from tokenizer.json.</summary>
    public static Tokenizer Load(string tokenizerJsonPath, string? tokenizerConfigPath = null, string? pre = null) =>
        Tokenizer.FromMetadata(ToGgufMetadata(tokenizerJsonPath, tokenizerConfigPath, pre));

    /// <summary>Writes a vocab-only GGUF (general.architecture "llama" is not set: tokenizer keys only, plus general.name).</summary>
    public static void WriteGguf(string tokenizerJsonPath, string? tokenizerConfigPath, string outputPath, string? pre = null)
    {
        var w = new GgufWriter();
        foreach (var (k, v) in ToGgufMetadata(tokenizerJsonPath, tokenizerConfigPath, pre)) w.Set(k, v);
        w.Write(outputPath);
    }

    /// <summary>The <c>tokenizer.*</c> GGUF metadata llama.cpp's converter would write for these files.</summary>
    public static Dictionary<string, GgufValue> ToGgufMetadata(string tokenizerJsonPath, string? tokenizerConfigPath = null, string? pre = null)
    {
        using var tj = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        using var tc = tokenizerConfigPath != null && File.Exists(tokenizerConfigPath) ? JsonDocument.Parse(File.ReadAllBytes(tokenizerConfigPath)) : null;
        JsonElement root = tj.RootElement;
        JsonElement model = root.GetProperty("model");
        if (model.GetProperty("type").GetString() != "BPE" || !IsByteLevel(root))
            throw new TokenizerException($"{tokenizerJsonPath}: only byte-level BPE tokenizer.json files are supported");

        var vocab = new Dictionary<int, string>();
        foreach (JsonProperty p in model.GetProperty("vocab").EnumerateObject()) vocab[p.Value.GetInt32()] = p.Name;
        var added = new Dictionary<int, (string Content, bool Special, bool Normalized)>();
        var addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out JsonElement at))
            foreach (JsonElement a in at.EnumerateArray())
            {
                int id = a.GetProperty("id").GetInt32();
                string content = a.GetProperty("content").GetString()!;
                added[id] = (content, a.TryGetProperty("special", out var s) && s.GetBoolean(), a.TryGetProperty("normalized", out var n) && n.GetBoolean());
                addedByContent[content] = id;
                vocab[id] = content;
            }

        int size = vocab.Keys.Max() + 1;
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
        foreach (JsonElement m in model.GetProperty("merges").EnumerateArray())
            merges.Add(m.ValueKind == JsonValueKind.Array ? m[0].GetString() + " " + m[1].GetString() : m.GetString()!);

        pre ??= GuessPre(root) ?? throw new TokenizerException($"{tokenizerJsonPath}: cannot tell the llama.cpp pre-tokenizer; pass it explicitly");

        var meta = new Dictionary<string, GgufValue>
        {
            ["tokenizer.ggml.model"] = GgufValue.String("gpt2"),
            ["tokenizer.ggml.pre"] = GgufValue.String(pre),
            ["tokenizer.ggml.tokens"] = GgufValue.Strings(tokens),
            ["tokenizer.ggml.token_type"] = GgufValue.Int32s(types),
            ["tokenizer.ggml.merges"] = GgufValue.Strings(merges),
        };
        if (tc != null)
        {
            JsonElement cfg = tc.RootElement;
            int? Id(string key)
            {
                if (!cfg.TryGetProperty(key, out JsonElement v)) return null;
                string? content = v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
                    _ => null,
                };
                if (content == null) return null;
                if (addedByContent.TryGetValue(content, out int id)) return id;
                int found = Array.IndexOf(tokens, content);
                return found >= 0 ? found : null;
            }
            foreach (var (key, gguf) in new[] { ("bos_token", "bos"), ("eos_token", "eos"), ("unk_token", "unknown"), ("sep_token", "seperator"), ("pad_token", "padding"), ("mask_token", "mask") })
                if (Id(key) is int id) meta[$"tokenizer.ggml.{gguf}_token_id"] = GgufValue.UInt32((uint)id);
            foreach (var (key, gguf) in new[] { ("add_bos_token", "add_bos_token"), ("add_eos_token", "add_eos_token") })
                if (cfg.TryGetProperty(key, out JsonElement b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    meta["tokenizer.ggml." + gguf] = GgufValue.Bool(b.GetBoolean());
            if (cfg.TryGetProperty("chat_template", out JsonElement tpl) && tpl.ValueKind == JsonValueKind.String)
                meta["tokenizer.chat_template"] = GgufValue.String(tpl.GetString()!);
        }
        return meta;
    }

    // convert_hf_to_gguf.py's does_token_look_special
    private static bool LooksSpecial(string t) =>
        t is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (t.StartsWith("<|", StringComparison.Ordinal) && t.EndsWith("|>", StringComparison.Ordinal))
        || (t.StartsWith("<｜", StringComparison.Ordinal) && t.EndsWith("｜>", StringComparison.Ordinal))
        || (t.StartsWith("<unused", StringComparison.Ordinal) && t.EndsWith('>'));

    private static bool IsByteLevel(JsonElement root) =>
        root.TryGetProperty("decoder", out JsonElement d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("type", out var t) && t.GetString() == "ByteLevel";

    private static string? GuessPre(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out JsonElement pt) || pt.ValueKind != JsonValueKind.Object) return null;
        string type = pt.GetProperty("type").GetString() ?? "";
        if (type == "ByteLevel") return pt.TryGetProperty("use_regex", out var ur) && ur.ValueKind == JsonValueKind.False ? null : "gpt-2";
        if (type != "Sequence") return null;
        var regexes = new List<string>();
        foreach (JsonElement p in pt.GetProperty("pretokenizers").EnumerateArray())
            if (p.GetProperty("type").GetString() == "Split" && p.GetProperty("pattern").TryGetProperty("Regex", out var r)) regexes.Add(r.GetString()!);
        if (regexes.Count == 1 && regexes[0] == PreTokenizer.Llama3RegexOriginal) return "llama-bpe";
        if (regexes.Count == 1 && regexes[0] == Qwen2Original) return "qwen2";
        if (regexes.Count == 3 && regexes[0] == "\\p{N}{1,3}" && regexes[1] == "[一-龥぀-ゟ゠-ヿ]+") return "deepseek-v3";
        return null;
    }
}
