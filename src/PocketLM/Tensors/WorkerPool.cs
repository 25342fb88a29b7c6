namespace PocketLM.Tensors;

/// <summary>A slice of parallel work. Implemented by long-lived objects so that running it allocates nothing.</summary>
public interface IParallelWork
{
    /// <summary>Processes items [start, end) on worker <paramref name="thread"/> (0 is the calling thread).</summary>
    void Execute(int start, int end, int thread);
}

/// <summary>
/// Persistent worker threads for kernels that take well under a millisecond: a Parallel.For or Task per matmul costs more
/// than a small matmul. Workers spin briefly on a generation counter and then park on a monitor; the caller works too and
/// hands out items in small grains through an atomic counter so a thread slowed by another process does not hold the rest up.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    // About 50–100 µs of spinning: long enough to bridge consecutive matmuls of one forward pass, short enough not to burn a
    // shared core between tokens.
    private const int SpinIterations = 2000;

    private readonly Thread[] _workers;
    private readonly object _park = new();
    private IParallelWork? _work;
    private int _count, _grain, _next, _pending, _sleepers;
    private long _generation;
    private volatile bool _disposed;

    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads));
        Threads = threads;
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
        _work = work;
        _count = count;
        _grain = Math.Max(1, count / (Threads * 4));
        _next = 0;
        _pending = _workers.Length;
        Interlocked.Increment(ref _generation); // publishes the fields above (full fence)
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_park) Monitor.PulseAll(_park);
        Drain(0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _work = null;
    }

    private void Drain(int thread)
    {
        IParallelWork work = _work!;
        int count = _count, grain = _grain;
        while (true)
        {
            int start = Interlocked.Add(ref _next, grain) - grain;
            if (start >= count) return;
            work.Execute(start, Math.Min(count, start + grain), thread);
        }
    }

    private void WorkerLoop(int id)
    {
        long seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (spins++ < SpinIterations) Thread.SpinWait(20);
                else
                {
                    lock (_park)
                    {
                        Interlocked.Increment(ref _sleepers); // full fence before re-checking the generation
                        while (Volatile.Read(ref _generation) == seen && !_disposed) Monitor.Wait(_park);
                        Interlocked.Decrement(ref _sleepers);
                    }
                }
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            Drain(id);
            Interlocked.Decrement(ref _pending);
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
