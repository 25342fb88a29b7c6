using System.Buffers;
using System.Collections.Concurrent;

namespace PocketLM.Tokenization;

/// <summary>
/// Byte-level BPE as llama.cpp's <c>llm_tokenizer_bpe_session</c>: pre-tokenize, map each word's UTF-8 bytes through
/// GPT-2's byte alphabet, then repeatedly merge the adjacent pair with the lowest merge rank (ties: leftmost).
/// Strings are interned to integer ids once at load, so merging is integer work; finished words are cached.
/// </summary>
internal sealed class BpeEncoder
{
    private readonly PreTokenizer _pre;
    private readonly int _vocabSize;
    private readonly bool _ignoreMerges;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _tokenLookup;
    private readonly Dictionary<long, long> _merges = new();   // (left id, right id) → (rank << 32 | merged id)
    private readonly int[] _byteSymbol = new int[256];          // string id of each byte's one-character string, or -1
    private readonly long[] _bytePairs = new long[256 * 256];   // merge of two single-byte symbols (as _merges), or -1
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private const int CacheLimit = 100_000;
    private int _cacheCount;

    public BpeEncoder(Dictionary<string, int> tokenToId, int vocabSize, string[] merges, PreTokenizer pre, bool ignoreMerges)
    {
        _pre = pre;
        _vocabSize = vocabSize;
        _ignoreMerges = ignoreMerges;
        _tokenLookup = tokenToId.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();

        // Every string that can appear as a symbol gets an id: tokens keep theirs, others are numbered after the vocab.
        var ids = new Dictionary<string, int>(tokenToId, StringComparer.Ordinal);
        int nextId = Math.Max(vocabSize, tokenToId.Count == 0 ? 0 : tokenToId.Values.Max() + 1);
        int Intern(string s)
        {
            if (!ids.TryGetValue(s, out int id)) { id = nextId++; ids[s] = id; }
            return id;
        }
        for (int rank = 0; rank < merges.Length; rank++)
        {
            string m = merges[rank];
            int sp = m.Length > 1 ? m.IndexOf(' ', 1) : -1;
            string first = sp < 0 ? "" : m[..sp];
            string second = sp < 0 ? "" : m[(sp + 1)..];
            long key = ((long)Intern(first) << 32) | (uint)Intern(second);
            int merged = Intern(first + second);
            _merges.TryAdd(key, ((long)rank << 32) | (uint)merged);   // first occurrence wins, as std::unordered_map::emplace
        }
        for (int b = 0; b < 256; b++)
            _byteSymbol[b] = ids.TryGetValue(ByteLevel.ByteToChar[b].ToString(), out int id) ? id : -1;
        // every word starts as single bytes: their pairs come from a table instead of the hash map
        for (int a = 0; a < 256; a++)
            for (int b = 0; b < 256; b++)
                _bytePairs[a * 256 + b] = _byteSymbol[a] >= 0 && _byteSymbol[b] >= 0
                    && _merges.TryGetValue(((long)_byteSymbol[a] << 32) | (uint)_byteSymbol[b], out long v) ? v : -1;
    }

    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        if (text.IsEmpty) return;
        int[] cps = ArrayPool<int>.Shared.Rent(text.Length);
        char[] word = ArrayPool<char>.Shared.Rent(64);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(64);
        try
        {
            int n = CodepointFlags.ToCodepoints(text, cps);
            var lengths = new List<int>();
            _pre.Split(cps.AsSpan(0, n), lengths);
            Span<byte> utf8 = stackalloc byte[4];
            var work = new MergeState();
            int start = 0;
            foreach (int len in lengths)
            {
                if (word.Length < len * 4)
                {
                    ArrayPool<char>.Shared.Return(word);
                    word = ArrayPool<char>.Shared.Rent(len * 4);
                    ArrayPool<byte>.Shared.Return(bytes);
                    bytes = ArrayPool<byte>.Shared.Rent(len * 4);
                }
                int w = 0;
                for (int i = start; i < start + len; i++)
                {
                    int k = CodepointFlags.EncodeUtf8(cps[i], utf8);
                    for (int j = 0; j < k; j++) { bytes[w] = utf8[j]; word[w++] = ByteLevel.ByteToChar[utf8[j]]; }
                }
                start += len;
                EncodeWord(word.AsSpan(0, w), bytes.AsSpan(0, w), output, ref work);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(cps);
            ArrayPool<char>.Shared.Return(word);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private void EncodeWord(ReadOnlySpan<char> word, ReadOnlySpan<byte> bytes, List<int> output, ref MergeState work)
    {
        if (word.IsEmpty) return;
        if (word.Length == 1 && _byteSymbol[bytes[0]] is int single and >= 0 && single < _vocabSize) { output.Add(single); return; }
        if (_ignoreMerges && _tokenLookup.TryGetValue(word, out int whole)) { output.Add(whole); return; }
        if (_cacheLookup.TryGetValue(word, out int[]? cached)) { output.AddRange(cached); return; }

        int before = output.Count;
        Merge(word, bytes, output, ref work);
        // ConcurrentDictionary.Count takes every lock: keep an approximate count instead
        if (Volatile.Read(ref _cacheCount) >= CacheLimit) { _cache.Clear(); Volatile.Write(ref _cacheCount, 0); }
        if (_cacheLookup.TryAdd(word, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output)[before..].ToArray()))
            Interlocked.Increment(ref _cacheCount);
    }

    private struct MergeState
    {
        public int[] Id, Len, Prev, Next;
        public BigramHeap<Bigram> Queue;
    }

    private void Merge(ReadOnlySpan<char> word, ReadOnlySpan<byte> bytes, List<int> output, ref MergeState s)
    {
        int n = word.Length;
        if (s.Id == null || s.Id.Length < n)
        {
            int cap = Math.Max(n, 32);
            s.Id = new int[cap]; s.Len = new int[cap]; s.Prev = new int[cap]; s.Next = new int[cap];
            s.Queue = new BigramHeap<Bigram>(cap);
        }
        int[] id = s.Id, len = s.Len, prev = s.Prev, next = s.Next;
        for (int i = 0; i < n; i++)
        {
            id[i] = _byteSymbol[bytes[i]];
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 == n ? -1 : i + 1;
        }
        BigramHeap<Bigram> q = s.Queue;
        q.Clear();
        for (int i = 1; i < n; i++)
        {
            long v = _bytePairs[bytes[i - 1] * 256 + bytes[i]];
            if (v >= 0) q.Push(new Bigram { Left = i - 1, Right = i, Rank = (int)(v >> 32), Merged = (int)v, Size = 2 });
        }
        while (q.Count > 0)
        {
            Bigram bg = q.Pop();
            int l = bg.Left, r = bg.Right;
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != bg.Size) continue;   // outdated
            len[l] += len[r];
            len[r] = 0;
            id[l] = bg.Merged;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            TryAdd(q, prev[l], l, id, len);
            TryAdd(q, l, next[l], id, len);
        }
        int pos = 0;
        for (int i = 0; i != -1 && i < n; i = next[i])
        {
            int symId = id[i];
            if (symId >= 0 && symId < _vocabSize) output.Add(symId);
            else
            {
                // not a token: llama.cpp looks up each byte of the symbol's text as a one-byte string
                for (int k = pos; k < pos + len[i]; k++)
                    if (word[k] < 0x80 && _tokenLookup.TryGetValue(word.Slice(k, 1), out int t)) output.Add(t);
            }
            pos += len[i];
        }
    }

    private void TryAdd(BigramHeap<Bigram> q, int left, int right, int[] id, int[] len)
    {
        if (left < 0 || right < 0) return;
        int a = id[left], b = id[right];
        if (a < 0 || b < 0) return;
        if (!_merges.TryGetValue(((long)a << 32) | (uint)b, out long v)) return;
        q.Push(new Bigram { Left = left, Right = right, Rank = (int)(v >> 32), Merged = (int)v, Size = len[left] + len[right] });
    }

    /// <summary>A merge candidate; the lowest rank (then leftmost) merges first.</summary>
    private struct Bigram : IMergeOrder<Bigram>
    {
        public int Left, Right, Rank, Merged, Size;

        public static bool Before(in Bigram a, in Bigram b) => a.Rank < b.Rank || (a.Rank == b.Rank && a.Left < b.Left);
    }
}
