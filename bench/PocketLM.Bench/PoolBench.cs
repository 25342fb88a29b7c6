using System.Diagnostics;
using PocketLM.Tensors;

namespace PocketLM.Bench;

/// <summary>WorkerPool per-call overhead: Run() of trivial work items, back to back (as in a forward pass).</summary>
internal static class PoolBench
{
    private sealed class Nop : IParallelWork
    {
        public long Sum;
        public void Execute(int start, int end, int thread) { for (int i = start; i < end; i++) Sum += i; }
    }

    public static int Run(string[] args)
    {
        int maxThreads = int.Parse(Compare.Opt(args, "-t") ?? Environment.ProcessorCount.ToString());
        Console.WriteLine($"load average: {Compare.LoadAverage()}");
        for (int threads = 1; threads <= maxThreads; threads *= 2)
        {
            using var pool = new WorkerPool(threads);
            var work = new Nop();
            foreach (int items in new[] { 2, 64 })
            {
                for (int i = 0; i < 20000; i++) pool.Run(work, items);
                var samples = new List<double>();
                for (int rep = 0; rep < 5; rep++)
                {
                    const int calls = 50000;
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < calls; i++) pool.Run(work, items);
                    samples.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls);
                }
                samples.Sort();
                Console.WriteLine($"threads={threads} items={items}: {samples[2]:F2} µs per Run (median of 5 × 50000)");
            }
        }
        return 0;
    }
}
