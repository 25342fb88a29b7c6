using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace PocketLM.Tokenization;

/// <summary>
/// SentencePiece-style BPE as llama.cpp's <c>llm_tokenizer_spm_session</c>: start from single code points, repeatedly
/// merge the adjacent pair whose concatenation is the highest-scoring token (ties: leftmost), and emit symbols that
/// are not tokens as byte tokens <c>&lt;0xNN&gt;</c>. The caller has already escaped spaces to U+2581.
/// </summary>
internal sealed class SpmEncoder
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly float[] _scores;
    private readonly int[] _byteTokens;   // token for each byte value, or -1
    private readonly int _unk;
    private readonly HashSet<uint> _pairs = new();   // adjacent UTF-16 unit pairs occurring inside some token
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private const int CacheLimit = 100_000, CacheMaxLength = 64;

    public SpmEncoder(Dictionary<string, int> tokenToId, float[] scores, int unkId)
    {
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (string t in tokenToId.Keys)
            for (int i = 1; i < t.Length; i++) _pairs.Add(((uint)t[i - 1] << 16) | t[i]);
        _lookup = tokenToId.GetAlternateLookup<ReadOnlySpan<char>>();
        _scores = scores;
        _unk = unkId;
        _byteTokens = new int[256];
        for (int b = 0; b < 256; b++)
        {
            if (tokenToId.TryGetValue($"<0x{b:X2}>", out int id)) _byteTokens[b] = id;
            else if (b < 0x80 && tokenToId.TryGetValue(((char)b).ToString(), out id)) _byteTokens[b] = id;   // llama.cpp's fallback
            else _byteTokens[b] = -1;
        }
    }

    /// <summary>
    /// Tokenizes <paramref name="text"/>. Where two adjacent characters occur together in no token, no merge can ever
    /// cross between them, and the merges on each side happen in the same relative order as in one pass over the whole
    /// text; so the text is cut there (for most vocabularies: before each "▁") and the pieces are merged separately,
    /// with a cache — the same ids as llama.cpp's single pass, much faster on long inputs.
    /// </summary>
    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        int segStart = 0;
        for (int i = 1; i < text.Length; i++)
        {
            if (char.IsLowSurrogate(text[i]) && char.IsHighSurrogate(text[i - 1])) continue;
            if (_pairs.Contains(((uint)text[i - 1] << 16) | text[i])) continue;
            EncodeSegment(text[segStart..i], output);
            segStart = i;
        }
        EncodeSegment(text[segStart..], output);
    }

    private void EncodeSegment(ReadOnlySpan<char> text, List<int> output)
    {
        if (text.IsEmpty) return;
        bool cacheable = text.Length <= CacheMaxLength;
        if (cacheable && _cacheLookup.TryGetValue(text, out int[]? cached)) { output.AddRange(cached); return; }
        int before = output.Count;
        Merge(text, output);
        if (cacheable)
        {
            if (_cache.Count >= CacheLimit) _cache.Clear();
            _cacheLookup.TryAdd(text, output.GetRange(before, output.Count - before).ToArray());
        }
    }

    private void Merge(ReadOnlySpan<char> text, List<int> output)
    {
        int cap = text.Length;
        int[] start = ArrayPool<int>.Shared.Rent(cap), len = ArrayPool<int>.Shared.Rent(cap);
        int[] prev = ArrayPool<int>.Shared.Rent(cap), next = ArrayPool<int>.Shared.Rent(cap);
        try
        {
            int n = 0;
            for (int i = 0; i < text.Length;)
            {
                int l = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                start[n] = i;
                len[n] = l;
                prev[n] = n - 1;
                next[n] = i + l == text.Length ? -1 : n + 1;
                n++;
                i += l;
            }
            var queue = new BigramHeap<Bigram>(n);
            for (int i = 1; i < n; i++) TryAdd(queue, text, i - 1, i, start, len);
            while (queue.Count > 0)
            {
                Bigram bg = queue.Pop();
                int l = bg.Left, r = bg.Right;
                if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != bg.Size) continue;
                len[l] += len[r];
                len[r] = 0;
                next[l] = next[r];
                if (next[r] >= 0) prev[next[r]] = l;
                TryAdd(queue, text, prev[l], l, start, len);
                TryAdd(queue, text, l, next[l], start, len);
            }
            Span<byte> utf8 = stackalloc byte[8];
            for (int i = 0; i != -1; i = next[i])
            {
                ReadOnlySpan<char> piece = text.Slice(start[i], len[i]);
                if (_lookup.TryGetValue(piece, out int id)) { output.Add(id); continue; }
                // not a token (always a single code point here): byte fallback over its UTF-8
                int count = Encoding.UTF8.GetBytes(piece, utf8);
                for (int k = 0; k < count; k++)
                {
                    int t = _byteTokens[utf8[k]];
                    if (t < 0)
                    {
                        if (_unk < 0) throw new TokenizerException($"no byte token <0x{utf8[k]:X2}> and no unknown token in the vocabulary");
                        t = _unk;
                    }
                    output.Add(t);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(start);
            ArrayPool<int>.Shared.Return(len);
            ArrayPool<int>.Shared.Return(prev);
            ArrayPool<int>.Shared.Return(next);
        }
    }

    private void TryAdd(BigramHeap<Bigram> q, ReadOnlySpan<char> text, int left, int right, int[] start, int[] len)
    {
        if (left < 0 || right < 0) return;
        int size = len[left] + len[right];
        if (!_lookup.TryGetValue(text.Slice(start[left], size), out int id)) return;
        q.Push(new Bigram { Left = left, Right = right, Score = _scores[id], Size = size });
    }

    /// <summary>A merge candidate; the highest score (then leftmost) merges first.</summary>
    private struct Bigram : IMergeOrder<Bigram>
    {
        public int Left, Right, Size;
        public float Score;

        public static bool Before(in Bigram a, in Bigram b) => a.Score > b.Score || (a.Score == b.Score && a.Left < b.Left);
    }
}
