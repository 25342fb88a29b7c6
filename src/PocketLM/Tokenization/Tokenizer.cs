using System.Text;
using PocketLM.Gguf;

namespace PocketLM.Tokenization;

/// <summary>
/// A GGUF vocabulary with llama.cpp's tokenizer semantics: SentencePiece-style BPE (<c>tokenizer.ggml.model = llama</c>)
/// and byte-level BPE (<c>gpt2</c>) with the pre-tokenizer named by <c>tokenizer.ggml.pre</c>. Encoding, decoding,
/// special-token handling and end-of-generation detection follow llama.cpp's llama-vocab.cpp, so token ids match
/// llama.cpp's for the same text. Instances are immutable and safe to use from several threads.
/// </summary>
public sealed class Tokenizer
{
    private enum Kind { Spm, Bpe }

    private readonly Kind _kind;
    private readonly string[] _tokens;
    private readonly TokenAttr[] _attrs;
    private readonly byte[][] _pieces;                 // llama_token_to_piece(special = true)
    private readonly Dictionary<string, int> _tokenToId;
    private readonly int[] _specialTokens;             // control / user-defined / unknown, longest text first
    private readonly HashSet<int> _eog;
    private readonly System.Collections.Frozen.FrozenSet<int> _eogFrozen;
    private readonly SpmEncoder? _spm;
    private readonly BpeEncoder? _bpe;

    public int VocabSize => _tokens.Length;
    /// <summary>Beginning-of-sequence id, or -1 when the vocabulary has none.</summary>
    public int BosId { get; }
    /// <summary>End-of-sequence id, or -1 when the vocabulary has none.</summary>
    public int EosId { get; }
    public int EotId { get; }
    public int EomId { get; }
    public int UnkId { get; }
    public int PadId { get; }
    public int SepId { get; }
    public int MaskId { get; }
    /// <summary>Whether <see cref="Encode"/> with addSpecial puts BOS first (<c>tokenizer.ggml.add_bos_token</c>, default per model type).</summary>
    public bool AddBos { get; }
    public bool AddEos { get; }
    /// <summary>SentencePiece's leading "▁" before text that starts the input or follows a special token.</summary>
    public bool AddSpacePrefix { get; }
    /// <summary>llama.cpp's clean_up_tokenization_spaces pass on decode (" ." → "." and so on).</summary>
    public bool CleanSpaces { get; }
    /// <summary><c>tokenizer.ggml.model</c>: "llama" (SentencePiece) or "gpt2" (byte-level BPE).</summary>
    public string Model { get; }
    /// <summary><c>tokenizer.ggml.pre</c> as used ("default" when a BPE vocabulary names none); null for SentencePiece.</summary>
    public string? Pre { get; }
    /// <summary>Every id that ends generation (EOS, EOT, EOM, FIM pad/repo/sep and the texts llama.cpp recognises).</summary>
    public IReadOnlyCollection<int> EndOfGenerationIds => _eogFrozen;

    /// <summary>Reads the tokenizer of a GGUF file (vocab-only files included).</summary>
    public static Tokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return FromMetadata(file.Metadata);
    }

    /// <summary>Builds the tokenizer from GGUF metadata (the <c>tokenizer.*</c> and <c>general.name</c> keys).</summary>
    public static Tokenizer FromMetadata(IReadOnlyDictionary<string, GgufValue> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return new Tokenizer(new Meta(metadata));
    }

    private sealed class Meta(IReadOnlyDictionary<string, GgufValue> m)
    {
        public string? String(string key) => m.TryGetValue(key, out var v) && v.Value is string s ? s : null;
        public long? Integer(string key) => m.TryGetValue(key, out var v) && v.Value is not bool && v.TryGetInt64(out long l) ? l : null;
        public bool? Bool(string key) => m.TryGetValue(key, out var v) ? v.Value switch { bool b => b, _ when v.TryGetInt64(out long l) => l != 0, _ => null } : null;
        public Array? Array(string key) => m.TryGetValue(key, out var v) && v.Value is GgufArray a ? a.Items : null;
    }

    private Tokenizer(Meta meta)
    {
        Model = meta.String("tokenizer.ggml.model") ?? throw new TokenizerException("GGUF has no tokenizer.ggml.model");
        string? pre = meta.String("tokenizer.ggml.pre");
        int bos, eos, unk;
        PreTokenizerType? preType = null;
        bool addBos, addEos = false, addSpacePrefix, cleanSpaces;
        string[]? merges = null;
        switch (Model)
        {
            case "llama":
                _kind = Kind.Spm;
                bos = 1; eos = 2; unk = 0;
                addSpacePrefix = true; cleanSpaces = false; addBos = true;
                break;
            case "gpt2":
                _kind = Kind.Bpe;
                bos = 11; eos = 11; unk = -1;
                merges = meta.Array("tokenizer.ggml.merges") as string[]
                    ?? throw new TokenizerException("byte-level BPE vocabulary without tokenizer.ggml.merges");
                if (string.IsNullOrEmpty(pre))
                {
                    Console.Error.WriteLine("warning: tokenizer.ggml.pre is missing; using llama.cpp's 'default' pre-tokenizer (generation quality may suffer)");
                    pre = "default";
                }
                preType = PreTokenizerType.Find(pre) ?? throw new TokenizerException(
                    $"unknown pre-tokenizer type '{pre}' (tokenizer.ggml.pre); known: {string.Join(", ", PreTokenizerType.KnownNames.Order(StringComparer.Ordinal))}");
                addSpacePrefix = false; cleanSpaces = preType.CleanSpaces; addBos = preType.AddBos;
                if (preType.NoBos) bos = -1;
                break;
            default:
                throw new TokenizerException($"unsupported tokenizer model '{Model}' (tokenizer.ggml.model); supported: llama, gpt2");
        }
        Pre = _kind == Kind.Bpe ? pre : null;
        addSpacePrefix = meta.Bool("tokenizer.ggml.add_space_prefix") ?? addSpacePrefix;

        var tokens = meta.Array("tokenizer.ggml.tokens") as string[] ?? throw new TokenizerException("GGUF has no tokenizer.ggml.tokens string array");
        int n = tokens.Length;
        _tokens = new string[n];
        _tokenToId = new Dictionary<string, int>(n, StringComparer.Ordinal);
        float[] scores = new float[n];
        Array? scoreArray = meta.Array("tokenizer.ggml.scores");
        Array? typeArray = meta.Array("tokenizer.ggml.token_type");
        if (scoreArray != null && scoreArray.Length < n) throw new TokenizerException($"tokenizer.ggml.scores has {scoreArray.Length} entries for {n} tokens");
        if (typeArray != null && typeArray.Length < n) throw new TokenizerException($"tokenizer.ggml.token_type has {typeArray.Length} entries for {n} tokens");
        _attrs = new TokenAttr[n];
        for (int i = 0; i < n; i++)
        {
            string word = string.IsNullOrEmpty(tokens[i]) ? $"[EMPTY_{i}]" : tokens[i];
            _tokens[i] = word;
            _tokenToId[word] = i;
            scores[i] = scoreArray switch { float[] f => f[i], int[] k => k[i], null => 0f, _ => Convert.ToSingle(scoreArray.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) };
            _attrs[i] = typeArray == null ? TokenAttr.Normal : (TokenType)Convert.ToInt32(typeArray.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) switch
            {
                TokenType.Unknown => TokenAttr.Unknown,
                TokenType.Unused => TokenAttr.Unused,
                TokenType.Normal => TokenAttr.Normal,
                TokenType.Control => TokenAttr.Control,
                TokenType.UserDefined => TokenAttr.UserDefined,
                TokenType.Byte => TokenAttr.Byte,
                _ => TokenAttr.Undefined,
            };
        }

        // special token ids: defaults, then metadata (ignored when out of range)
        int Special(int def, params string[] keys)
        {
            int id = def >= n ? -1 : def;
            foreach (string k in keys)
            {
                long? v = meta.Integer("tokenizer.ggml." + k);
                if (v is long l && l >= 0 && l < n) id = (int)l;
            }
            return id;
        }
        bos = Special(bos, "bos_token_id");
        eos = Special(eos, "eos_token_id");
        int eot = Special(-1, "eot_token_id"), eom = Special(-1, "eom_token_id");
        unk = Special(unk, "unknown_token_id");
        SepId = Special(-1, "seperator_token_id");
        PadId = Special(-1, "padding_token_id");
        MaskId = Special(-1, "mask_token_id");
        int fimPre = Special(-1, "fim_pre_token_id", "prefix_token_id"), fimSuf = Special(-1, "fim_suf_token_id", "suffix_token_id");
        int fimMid = Special(-1, "fim_mid_token_id", "middle_token_id"), fimPad = Special(-1, "fim_pad_token_id");
        int fimRep = Special(-1, "fim_rep_token_id"), fimSep = Special(-1, "fim_sep_token_id");

        addBos = meta.Bool("tokenizer.ggml.add_bos_token") ?? addBos;
        addEos = meta.Bool("tokenizer.ggml.add_eos_token") ?? addEos;
        if (addBos && bos < 0) throw new TokenizerException("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
        if (addEos && eos < 0) throw new TokenizerException("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");

        // auto-detect EOT / EOM / FIM tokens by their text, forcing them to control, as llama.cpp does. llama.cpp walks
        // a hash map, so when several candidates exist its pick is arbitrary; here the earlier name in its list wins
        // (e.g. "<|eot_id|>" over "<|end_of_text|>", "<|im_end|>" over "<|endoftext|>", as llama.cpp reports for those models).
        int Detect(int current, IEnumerable<string> texts)
        {
            if (current >= 0) return current;
            foreach (string t in texts)
                if (_tokenToId.TryGetValue(t, out int id)) { _attrs[id] |= TokenAttr.Control; return id; }
            return -1;
        }
        eot = Detect(eot, s_eotTexts);
        eom = Detect(eom, ["<|eom_id|>"]);
        fimPre = Detect(fimPre, s_fimPre);
        fimSuf = Detect(fimSuf, s_fimSuf);
        fimMid = Detect(fimMid, s_fimMid);
        fimPad = Detect(fimPad, s_fimPad);
        fimRep = Detect(fimRep, s_fimRep);
        fimSep = Detect(fimSep, ["<|file_sep|>"]);
        // control tokens named "...unused..." are unused
        for (int id = 0; id < n; id++)
            if ((_attrs[id] & TokenAttr.Control) != 0 && _tokens[id].Contains("unused", StringComparison.Ordinal)) _attrs[id] |= TokenAttr.Unused;

        _eog = new HashSet<int>();
        foreach (int id in new[] { fimPad, fimRep, fimSep }) if (id >= 0) _eog.Add(id);
        for (int id = 0; id < n; id++)
        {
            string t = _tokens[id];
            if (_tokenToId[t] != id || !s_eogTexts.Contains(t)) continue;
            _eog.Add(id);
            _attrs[id] |= TokenAttr.Control;
        }
        foreach (string t in new[] { "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>" })   // gpt-oss: always rendered
            if (_tokenToId.TryGetValue(t, out int id)) _attrs[id] = TokenAttr.UserDefined;
        foreach (int id in new[] { eos, eot, eom }) if (id >= 0) _eog.Add(id);
        {
            // o200k_harmony / solar-open: "<|end|>" ends a message, not the generation
            bool Has(string t) => _eog.Any(i => _tokens[i] == t);
            int end = _eog.FirstOrDefault(i => _tokens[i] == "<|end|>", -1);
            if (end >= 0 && ((Has("<|return|>") && Has("<|call|>")) || (Has("<|calls|>") && Has("<|flush|>"))))
            {
                _eog.Remove(end);
                _attrs[end] = TokenAttr.UserDefined;
            }
            int s = _eog.FirstOrDefault(i => _tokens[i] == "</s>", -1);
            if (s >= 0 && Has("<|tool_response>"))
            {
                _eog.Remove(s);
                _attrs[s] = TokenAttr.Normal;
            }
        }

        _eogFrozen = System.Collections.Frozen.FrozenSet.ToFrozenSet(_eog);
        BosId = bos; EosId = eos; EotId = eot; EomId = eom; UnkId = unk;
        AddBos = addBos; AddEos = addEos; AddSpacePrefix = addSpacePrefix; CleanSpaces = cleanSpaces;

        _specialTokens = Enumerable.Range(0, n)
            .Where(id => (_attrs[id] & (TokenAttr.Control | TokenAttr.UserDefined | TokenAttr.Unknown)) != 0)
            .OrderByDescending(id => _tokens[id].Length).ThenBy(id => id).ToArray();

        _pieces = new byte[n][];
        for (int id = 0; id < n; id++) _pieces[id] = BuildPiece(id);

        // per-model attributes (llama.cpp keys them on general.name)
        string modelName = (meta.String("general.name") ?? "").ToLowerInvariant();
        if (modelName.Contains("phi-3", StringComparison.Ordinal) || modelName.Contains("phi3", StringComparison.Ordinal))
        {
            foreach (int id in _specialTokens) _attrs[id] |= TokenAttr.RStrip;
            if (_tokenToId.TryGetValue("</s>", out int s)) _attrs[s] |= TokenAttr.RStrip;
            foreach (string t in new[] { "<unk>", "<s>", "<|endoftext|>" })
                if (_tokenToId.TryGetValue(t, out int id)) _attrs[id] &= ~TokenAttr.RStrip;
        }
        else if (pre is "jina-v2-de" or "jina-v2-es" or "jina-v2-code" && _tokenToId.TryGetValue("<mask>", out int mask))
        {
            _attrs[mask] |= TokenAttr.LStrip;
        }

        if (_kind == Kind.Spm) _spm = new SpmEncoder(_tokenToId, scores, unk);
        else _bpe = new BpeEncoder(_tokenToId, n, merges!, new PreTokenizer(preType!.Expressions), preType.IgnoreMerges);
    }

    private static readonly string[] s_eotTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"];
    private static readonly HashSet<string> s_eogTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>",
         "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["];
    private static readonly string[] s_fimPre = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"];
    private static readonly string[] s_fimSuf = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"];
    private static readonly string[] s_fimMid = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"];
    private static readonly string[] s_fimPad = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
    private static readonly string[] s_fimRep = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];

    private byte[] BuildPiece(int id)
    {
        TokenAttr a = _attrs[id];
        string text = _tokens[id];
        if ((a & (TokenAttr.Unknown | TokenAttr.Control | TokenAttr.UserDefined)) != 0) return Encoding.UTF8.GetBytes(text);
        if ((a & TokenAttr.Normal) != 0)
            return _kind == Kind.Spm ? Encoding.UTF8.GetBytes(text.Replace('\u2581', ' ')) : ByteLevel.Decode(text);
        if ((a & TokenAttr.Byte) != 0)
        {
            // "<0xNN>": strtol of the two hex digits, as llama.cpp
            int v = 0;
            for (int k = 3; k < Math.Min(5, text.Length); k++)
            {
                int d = HexDigit(text[k]);
                if (d < 0) break;
                v = v * 16 + d;
            }
            return [(byte)v];
        }
        return [];   // unused / undefined tokens render as nothing
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    public bool IsEndOfGeneration(int id) => _eogFrozen.Contains(id);

    /// <summary>The token's type as llama.cpp treats it (a normal token forced to control by the EOG/EOT detection reads Control).</summary>
    public TokenType GetTokenType(int id)
    {
        TokenAttr a = _attrs[CheckId(id)];
        if ((a & TokenAttr.Control) != 0) return TokenType.Control;
        if ((a & TokenAttr.UserDefined) != 0) return TokenType.UserDefined;
        if ((a & TokenAttr.Unknown) != 0) return TokenType.Unknown;
        if ((a & TokenAttr.Byte) != 0) return TokenType.Byte;
        if ((a & TokenAttr.Unused) != 0) return TokenType.Unused;
        if ((a & TokenAttr.Normal) != 0) return TokenType.Normal;
        return TokenType.Undefined;
    }

    /// <summary>The raw vocabulary entry (with "▁" or byte-level characters, as stored).</summary>
    public string GetTokenText(int id) => _tokens[CheckId(id)];

    /// <summary>The id of the vocabulary entry with exactly this text, if any.</summary>
    public int? FindToken(string text) => _tokenToId.TryGetValue(text, out int id) ? id : null;

    private int CheckId(int id) =>
        (uint)id < (uint)_tokens.Length ? id : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id out of range [0, {_tokens.Length})");

    /// <summary>
    /// Tokenizes like llama.cpp's llama_tokenize. <paramref name="addSpecial"/> adds BOS/EOS as the vocabulary asks
    /// (<see cref="AddBos"/>, <see cref="AddEos"/>). With <paramref name="parseSpecial"/> the text of control tokens
    /// (e.g. "&lt;|im_start|&gt;") becomes those tokens; user-defined tokens are always matched.
    /// </summary>
    public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ReplaceLoneSurrogates(text);
        var output = new List<int>(text.Length / 3 + 4);
        var fragments = Partition(text, parseSpecial);
        if (_kind == Kind.Spm)
        {
            bool prevSpecial = true;
            if (addSpecial && AddBos) output.Add(BosId);
            char[]? buffer = null;
            try
            {
                foreach (var (token, start, length) in fragments)
                {
                    if (token >= 0) { output.Add(token); prevSpecial = true; continue; }
                    int prefix = AddSpacePrefix && prevSpecial ? 1 : 0;
                    int needed = length + prefix;
                    if (buffer == null || buffer.Length < needed)
                    {
                        if (buffer != null) System.Buffers.ArrayPool<char>.Shared.Return(buffer);
                        buffer = System.Buffers.ArrayPool<char>.Shared.Rent(needed);
                    }
                    if (prefix == 1) buffer[0] = '\u2581';
                    text.AsSpan(start, length).Replace(buffer.AsSpan(prefix, length), ' ', '\u2581');
                    _spm!.Encode(buffer.AsSpan(0, needed), output);
                    prevSpecial = false;
                }
            }
            finally
            {
                if (buffer != null) System.Buffers.ArrayPool<char>.Shared.Return(buffer);
            }
            if (addSpecial && AddEos) output.Add(EosId);
        }
        else
        {
            if (addSpecial && AddBos) output.Add(BosId);
            foreach (var (token, start, length) in fragments)
            {
                if (token >= 0) output.Add(token);
                else _bpe!.Encode(text.AsSpan(start, length), output);
            }
            if (addSpecial && AddEos) output.Add(EosId);
        }
        return output.ToArray();
    }

    /// <summary>
    /// llama.cpp sees UTF-8, where a .NET string's unpaired surrogate becomes U+FFFD (Encoding.UTF8's replacement), so
    /// the text is tokenized as that: a SentencePiece vocabulary may have a token for U+FFFD itself.
    /// </summary>
    private static string ReplaceLoneSurrogates(string text)
    {
        int i = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return text;
        char[]? copy = null;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            copy ??= text.ToCharArray();
            copy[i] = '\uFFFD';
        }
        return copy == null ? text : new string(copy);
    }

    /// <summary>llama.cpp's tokenizer_st_partition: split out special tokens, longest text first, left to right.</summary>
    private List<(int Token, int Start, int Length)> Partition(string text, bool parseSpecial)
    {
        var frags = new List<(int Token, int Start, int Length)>();
        if (text.Length == 0) return frags;
        frags.Add((-1, 0, text.Length));
        var next = new List<(int, int, int)>();
        foreach (int id in _specialTokens)
        {
            TokenAttr a = _attrs[id];
            if (!parseSpecial && (a & (TokenAttr.Control | TokenAttr.Unknown)) != 0) continue;
            string st = _tokens[id];
            bool any = false;
            foreach (var f in frags)
                if (f.Token < 0 && text.AsSpan(f.Start, f.Length).Contains(st, StringComparison.Ordinal)) { any = true; break; }
            if (!any) continue;
            next.Clear();
            foreach (var f in frags)
            {
                if (f.Token >= 0) { next.Add(f); continue; }
                int baseOff = f.Start, baseLen = f.Length;
                while (true)
                {
                    int rel = text.AsSpan(baseOff, baseLen).IndexOf(st, StringComparison.Ordinal);
                    if (rel < 0) { if (baseLen > 0) next.Add((-1, baseOff, baseLen)); break; }
                    int match = baseOff + rel;
                    if (rel > 0)
                    {
                        int leftLen = rel;
                        if ((a & TokenAttr.LStrip) != 0) while (leftLen > 0 && IsCSpace(text[baseOff + leftLen - 1])) leftLen--;
                        if (leftLen > 0) next.Add((-1, baseOff, leftLen));
                    }
                    next.Add((id, 0, 0));
                    int rightOff = match + st.Length;
                    int rightLen = baseOff + baseLen - rightOff;
                    if (rightLen <= 0) break;
                    if ((a & TokenAttr.RStrip) != 0) while (rightLen > 0 && IsCSpace(text[rightOff])) { rightOff++; rightLen--; }
                    baseOff = rightOff;
                    baseLen = rightLen;
                }
            }
            (frags, next) = (next, frags);
        }
        return frags;
    }

    private static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>
    /// The bytes llama_token_to_piece writes (lstrip 0): control and unknown tokens only with
    /// <paramref name="renderSpecial"/>; user-defined tokens always; SentencePiece "▁" as space; byte tokens as their byte.
    /// </summary>
    public byte[] TokenToBytes(int id, bool renderSpecial = false)
    {
        ReadOnlySpan<byte> p = Piece(id, renderSpecial);
        return p.ToArray();
    }

    internal ReadOnlySpan<byte> Piece(int id, bool special)
    {
        TokenAttr a = _attrs[CheckId(id)];
        if (!special && (a & (TokenAttr.Unknown | TokenAttr.Control)) != 0) return [];
        return _pieces[id];
    }

    /// <summary>
    /// Detokenizes like llama.cpp's llama_detokenize(remove_special: false, unparse_special: <paramref name="renderSpecial"/>),
    /// which is what common_detokenize does: control tokens are rendered only when asked, a SentencePiece model's
    /// leading space is dropped from the first token, and <see cref="CleanSpaces"/> vocabularies get the cleanup pass.
    /// Invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool renderSpecial = false) => Decode(ids, removeSpecial: false, unparseSpecial: renderSpecial);

    /// <summary>llama_detokenize with both of its flags: <paramref name="removeSpecial"/> drops a leading BOS / trailing EOS the model adds.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool removeSpecial, bool unparseSpecial) =>
        Encoding.UTF8.GetString(DecodeToBytes(ids, removeSpecial, unparseSpecial));

    /// <summary>The raw bytes of <see cref="Decode(ReadOnlySpan{int}, bool, bool)"/> (possibly invalid UTF-8, exactly as llama.cpp).</summary>
    public byte[] DecodeToBytes(ReadOnlySpan<int> ids, bool removeSpecial = false, bool unparseSpecial = false)
    {
        bool removeSpace = AddSpacePrefix;
        if (removeSpecial && AddBos && ids.Length > 0 && ids[0] == BosId) { removeSpace = false; ids = ids[1..]; }
        if (removeSpecial && AddEos && ids.Length > 0 && ids[^1] == EosId) ids = ids[..^1];
        int total = 0;
        bool first = removeSpace;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> p = Piece(id, unparseSpecial);
            total += first && p.Length > 0 && p[0] == (byte)' ' ? p.Length - 1 : p.Length;
            first = false;
        }
        byte[] raw = new byte[total];
        int w = 0;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> p = Piece(id, unparseSpecial);
            if (removeSpace && p.Length > 0 && p[0] == (byte)' ') p = p[1..];
            removeSpace = false;
            p.CopyTo(raw.AsSpan(w));
            w += p.Length;
        }
        return CleanSpaces ? CleanUpInPlace(raw) : raw;
    }

    /// <summary>llama.cpp's three clean-up passes (" ?" " !" " ." " ," then " ' " then " 's" " 'm" " 're" " 've").</summary>
    internal static byte[] CleanUp(byte[] text) => CleanUpInPlace((byte[])text.Clone());

    private static byte[] CleanUpInPlace(byte[] t)
    {
        int total = t.Length;
        // pass 1
        int total1 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++)
        {
            byte x = t[i];
            if (t[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',') total--;
            t[total++] = x;
        }
        // pass 2
        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++)
        {
            byte x = t[i];
            if (x == '\'' && i + 1 < total2 && t[i - 1] == ' ' && t[i + 1] == ' ')
            {
                total--;
                t[++i] = 0;
            }
            t[total++] = x;
        }
        // pass 3
        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++)
        {
            byte x = t[i];
            if (t[i - 1] == ' ' && x == '\'' && i + 1 < total3)
            {
                byte x1 = t[i + 1];
                if (x1 is (byte)'s' or (byte)'m') total--;
                else if (x1 is not ((byte)'t' or (byte)'d') && i + 2 < total3)
                {
                    byte x2 = t[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) total--;
                }
            }
            t[total++] = x;
        }
        return total == t.Length ? t : t.AsSpan(0, total).ToArray();
    }

    /// <summary>A decoder fed one id at a time; its outputs concatenated equal <see cref="Decode(ReadOnlySpan{int}, bool)"/>.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool renderSpecial = false) => new(this, renderSpecial);
}
