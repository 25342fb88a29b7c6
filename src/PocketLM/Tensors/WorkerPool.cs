namespace PocketLM.Tensors;

/// <summary>A slice of parallel work. Implemented by long-lived objects so that running it allocates nothing.</summary>
public interface IParallelWork
{
    /// <summary>Processes items [start, end) on worker <paramref name="thread"/> (0 is the calling thread).</summary>
    void Execute(int start, int end, int thread);
}

/// <summary>
/// Persistent worker threads for kernels that take well under a millisecond: a Parallel.For or Task per matmul costs more
/// than a small matmul. Workers spin briefly on a generation counter and then park on a monitor; the caller works too.
/// Items are claimed in small grains from one 64-bit ticket (generation in the high half, next item in the low half) and
/// the caller waits only for items that were claimed, never for a worker to show up: on a shared, oversubscribed machine a
/// worker that the OS has descheduled simply finds nothing left to do when it wakes, instead of stalling every matmul
/// for a scheduler time slice.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    // About 50–100 µs of spinning: long enough to bridge consecutive matmuls of one forward pass, short enough not to burn a
    // shared core between tokens.
    private const int SpinIterations = 2000;
    // About 100 µs of spinning for the last grains of a run.
    private const int WaitSpins = 1000;

    private readonly int _spinIterations;
    private readonly Thread[] _workers;
    private readonly object _park = new();
    private IParallelWork? _work;
    private int _count, _grain, _done, _sleepers, _generation;
    private long _ticket; // (generation << 32) | next unclaimed item
    private volatile bool _disposed;

    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads));
        Threads = threads;
        // More threads than cores: a spinning worker only takes the core from one that has work, so park at once.
        _spinIterations = threads <= Environment.ProcessorCount ? SpinIterations : 0;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int id = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(id)) { IsBackground = true, Name = $"PocketLM worker {id}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Runs items [0, count) of <paramref name="work"/> across the pool and returns when all are done.</summary>
    public void Run(IParallelWork work, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 0) return;
        if (Threads == 1 || count == 1)
        {
            work.Execute(0, count, 0);
            return;
        }
        // Close the previous generation before touching the fields a late worker may still read: a worker that read the
        // old ticket then sees the exchange fail, and one that reads the new, closed ticket finds nothing to claim.
        // (Writing the fields first let a late worker pair the old ticket with the new count and claim items past it.)
        int gen = ++_generation;
        Interlocked.Exchange(ref _ticket, ((long)gen << 32) | int.MaxValue);
        _work = work;
        _count = count;
        _grain = Math.Max(1, count / (Threads * 8));
        _done = 0;
        Interlocked.Exchange(ref _ticket, (long)gen << 32); // opens it and publishes the fields above (full fence)
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_park) Monitor.PulseAll(_park);
        Drain(0, gen);
        // What is left is at most one grain per worker, in progress: spin on it (a yield here hands the core to another
        // process for a whole time slice on a busy machine); yield only if a worker seems to have been descheduled mid-grain.
        for (int spins = 0; Volatile.Read(ref _done) != count; spins++)
        {
            if (spins < WaitSpins) Thread.SpinWait(4);
            else Thread.Yield();
        }
    }

    private void Drain(int thread, int gen)
    {
        while (true)
        {
            long t = Volatile.Read(ref _ticket);
            if ((int)(t >> 32) != gen) return;
            int next = (int)t;
            if (next == int.MaxValue) { Thread.SpinWait(1); continue; } // this generation is being opened
            int count = _count;
            if (next >= count) return;
            IParallelWork work = _work!;
            int take = Math.Min(_grain, count - next);
            // The exchange succeeds only while this generation still has these items unclaimed, which also proves the
            // fields read above belong to it (the caller cannot start another run before every item is done).
            if (Interlocked.CompareExchange(ref _ticket, t + take, t) != t) continue;
            work.Execute(next, next + take, thread);
            Interlocked.Add(ref _done, take);
        }
    }

    private int CurrentGeneration => (int)(Volatile.Read(ref _ticket) >> 32);

    private void WorkerLoop(int id)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (CurrentGeneration == seen && !_disposed)
            {
                if (spins++ < _spinIterations) Thread.SpinWait(20);
                else
                {
                    lock (_park)
                    {
                        Interlocked.Increment(ref _sleepers); // full fence before re-checking the generation
                        while (CurrentGeneration == seen && !_disposed) Monitor.Wait(_park);
                        Interlocked.Decrement(ref _sleepers);
                    }
                }
            }
            if (_disposed) return;
            seen = CurrentGeneration;
            Drain(id, seen);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_park) Monitor.PulseAll(_park);
        foreach (var t in _workers) t.Join();
    }
}
