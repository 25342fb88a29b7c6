using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

public sealed class WorkerPoolTests
{
    /// <summary>Counts how often each item ran and whether anything ran outside [0, count).</summary>
    private sealed class Recorder(int capacity) : IParallelWork
    {
        public readonly int[] Runs = new int[capacity];
        public int Count;
        public int OutOfRange;

        public void Execute(int start, int end, int thread)
        {
            for (int i = start; i < end; i++)
            {
                if (i < 0 || i >= Volatile.Read(ref Count)) Interlocked.Increment(ref OutOfRange);
                else Interlocked.Increment(ref Runs[i]);
            }
        }
    }

    /// <summary>
    /// Back-to-back runs of different sizes on different work objects: every item of every run exactly once, nothing
    /// past a run's count. A worker still finishing one run must never pair that run's ticket with the next run's
    /// count and work (that once let it claim items past the end, and the caller then waited forever).
    /// </summary>
    /// <summary>2 and 4 threads, and three per core (more threads than cores: workers park at once instead of spinning).</summary>
    public static TheoryData<int> ThreadCounts => new() { 2, 4, Environment.ProcessorCount * 3 };

    [Theory]
    [MemberData(nameof(ThreadCounts))]
    public async Task EveryItemOnceAcrossBackToBackRuns(int threads)
    {
        using var pool = new WorkerPool(threads);
        var big = new Recorder(256);
        var small = new Recorder(256);
        int[] sizes = [200, 3, 64, 1, 17, 2, 256, 5];
        string? failure = null;
        var loop = Task.Run(() =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(3);
            for (int run = 0; failure == null && (run < 20000 || DateTime.UtcNow < deadline); run++)
            {
                var w = run % 2 == 0 ? big : small;
                int count = sizes[run % sizes.Length];
                Array.Clear(w.Runs);
                Volatile.Write(ref w.Count, count);
                pool.Run(w, count); // back to back, from one thread, as a forward pass calls it
                if (w.OutOfRange != 0) failure = $"run {run} (count {count}): {w.OutOfRange} items past the end";
                for (int i = 0; i < w.Runs.Length && failure == null; i++)
                    if (w.Runs[i] != (i < count ? 1 : 0)) failure = $"run {run} (count {count}): item {i} ran {w.Runs[i]} times";
            }
        });
        var finished = await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(finished == loop, "a run never finished (the caller waits for items nobody will do)");
        await loop;
        Assert.Null(failure);
    }
}
