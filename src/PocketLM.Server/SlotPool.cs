using PocketLM.Chat;

namespace PocketLM.Server;

/// <summary>One generation stream: a chat engine (and so a KV cache) used by one request at a time.</summary>
internal sealed class Slot(int id, ChatEngine engine)
{
    public int Id { get; } = id;
    public ChatEngine Engine { get; } = engine;
    /// <summary>When the slot was last handed out (for breaking prefix ties: the least recently used goes first).</summary>
    public long LastUsed { get; set; }
}

/// <summary>The server is full: every slot is busy and the queue holds as many requests as it may.</summary>
internal sealed class QueueFullException() : Exception("all slots are busy and the queue is full");

/// <summary>
/// Hands slots to requests. A request that finds slots free gets the one whose cached tokens share the longest prefix
/// with its prompt when that covers at least half of it, else the least recently used one, so a conversation's next turn
/// usually lands on the cache that holds its history. Otherwise it waits in a bounded first-come-first-served queue;
/// beyond the bound it is refused.
/// </summary>
internal sealed class SlotPool : IDisposable
{
    private readonly object _lock = new();
    private readonly Slot[] _slots;
    private readonly List<Slot> _free;
    private readonly LinkedList<TaskCompletionSource<Slot>> _waiters = new();
    private readonly int _queueLimit;
    private long _clock;

    public SlotPool(IEnumerable<Slot> slots, int queueLimit)
    {
        _slots = slots.ToArray();
        _free = [.. _slots];
        _queueLimit = queueLimit;
    }

    public IReadOnlyList<Slot> Slots => _slots;
    public int Busy { get { lock (_lock) return _slots.Length - _free.Count; } }
    public int Waiting { get { lock (_lock) return _waiters.Count; } }

    /// <summary>A free slot for <paramref name="prompt"/>, or a wait for one. Throws <see cref="QueueFullException"/>.</summary>
    public async Task<Lease> AcquireAsync(int[] prompt, CancellationToken cancellation)
    {
        TaskCompletionSource<Slot> waiter;
        LinkedListNode<TaskCompletionSource<Slot>> node;
        lock (_lock)
        {
            if (_free.Count > 0) return new Lease(this, Take(prompt));
            if (_waiters.Count >= _queueLimit) throw new QueueFullException();
            waiter = new TaskCompletionSource<Slot>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }
        using (cancellation.Register(() =>
               {
                   lock (_lock)
                   {
                       if (node.List == null) return; // already handed a slot
                       _waiters.Remove(node);
                   }
                   waiter.TrySetCanceled(cancellation);
               }))
        {
            return new Lease(this, await waiter.Task.ConfigureAwait(false));
        }
    }

    private Slot Take(ReadOnlySpan<int> prompt)
    {
        // As llama-server (--slot-prompt-similarity 0.5): the slot holding the longest prefix of the prompt when that
        // prefix is at least half of it (a conversation's next turn); otherwise the least recently used slot, so a new
        // conversation that only shares the template's first tokens does not evict another one's cache.
        Slot? best = null, oldest = null;
        int bestShared = 0;
        foreach (var slot in _free)
        {
            int shared = Shared(slot.Engine.Session.Tokens, prompt);
            if (shared > bestShared) { best = slot; bestShared = shared; }
            if (oldest == null || slot.LastUsed < oldest.LastUsed) oldest = slot;
        }
        var chosen = best != null && bestShared * 2 >= prompt.Length ? best : oldest!;
        _free.Remove(chosen);
        chosen.LastUsed = ++_clock;
        return chosen;
    }

    private static int Shared(IReadOnlyList<int> cached, ReadOnlySpan<int> prompt)
    {
        int n = 0, limit = Math.Min(cached.Count, prompt.Length);
        while (n < limit && cached[n] == prompt[n]) n++;
        return n;
    }

    private void Release(Slot slot)
    {
        while (true)
        {
            TaskCompletionSource<Slot> next;
            lock (_lock)
            {
                if (_waiters.First is not { } first)
                {
                    _free.Add(slot);
                    return;
                }
                _waiters.RemoveFirst();
                next = first.Value;
                slot.LastUsed = ++_clock;
            }
            if (next.TrySetResult(slot)) return;
        }
    }

    public void Dispose()
    {
        foreach (var s in _slots) s.Engine.Dispose();
    }

    /// <summary>A slot held by one request; disposing gives it back (to the next waiter if any).</summary>
    public sealed class Lease(SlotPool pool, Slot slot) : IDisposable
    {
        private int _released;
        public Slot Slot { get; } = slot;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) pool.Release(Slot);
        }
    }
}
