namespace PocketLM.Tokenization;

/// <summary>Which of two queued merge candidates comes out first.</summary>
internal interface IMergeOrder<T>
{
    static abstract bool Before(in T a, in T b);
}

/// <summary>
/// The priority queue of candidate merges both BPE flavours use (a binary heap, reused across words so encoding does
/// not allocate per word). The order is a static interface method, so the comparison is inlined.
/// </summary>
internal sealed class BigramHeap<T>(int capacity) where T : struct, IMergeOrder<T>
{
    private T[] _items = new T[Math.Max(capacity, 16)];
    public int Count { get; private set; }

    public void Clear() => Count = 0;

    public void Push(T item)
    {
        if (Count == _items.Length) Array.Resize(ref _items, Count * 2);
        int i = Count++;
        while (i > 0)
        {
            int p = (i - 1) >> 1;
            if (!T.Before(item, _items[p])) break;
            _items[i] = _items[p];
            i = p;
        }
        _items[i] = item;
    }

    public T Pop()
    {
        T top = _items[0];
        T last = _items[--Count];
        int i = 0;
        while (true)
        {
            int c = 2 * i + 1;
            if (c >= Count) break;
            if (c + 1 < Count && T.Before(_items[c + 1], _items[c])) c++;
            if (!T.Before(_items[c], last)) break;
            _items[i] = _items[c];
            i = c;
        }
        if (Count > 0) _items[i] = last;
        return top;
    }
}
