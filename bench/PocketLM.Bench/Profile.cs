using System.Diagnostics;
using System.Runtime.InteropServices;
using PocketLM.Inference;
using PocketLM.Tensors;

namespace PocketLM.Bench;

/// <summary>How much of a decode step / prefill is the matmuls: runs just the matmuls of one forward pass on the real
/// weights of a model file and compares with the whole Decode/Prefill.</summary>
internal static unsafe class Profile
{
    public static int Run(string[] args)
    {
        string path = args[0];
        int threads = int.Parse(Compare.Opt(args, "-t") ?? "2"), batch = int.Parse(Compare.Opt(args, "-b") ?? "1");
        using var model = LanguageModel.Load(path);
        var w = model.Weights;
        int widest = Math.Max(model.Config.EmbeddingLength, model.Config.FeedForwardLength);
        using var ctx = new ComputeContext(threads, widest * 2, batch);
        float* x = (float*)NativeMemory.AlignedAlloc((nuint)(widest * 2 * batch * 4), 64);
        float* y = (float*)NativeMemory.AlignedAlloc((nuint)((long)Math.Max(widest, model.Config.VocabSize) * batch * 4), 64);
        for (int i = 0; i < widest * 2 * batch; i++) x[i] = MathF.Sin(i) * 0.1f;
        var mats = w.Layers.SelectMany(l => new[] { l.Wq, l.Wk, l.Wv, l.Wo, l.Gate, l.Up, l.Down }).Append(w.Output).ToArray();
        using var session = model.CreateSession(new SessionOptions { ContextSize = 256, Threads = threads, BatchSize = batch });
        var tokens = Enumerable.Range(100, batch).ToArray();
        Console.WriteLine($"load average: {Compare.LoadAverage()}");
        for (int rep = 0; rep < 6; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int iters = 0;
            while (Stopwatch.GetElapsedTime(t0).TotalMilliseconds < 1000) { foreach (var m in mats) MatMul.Multiply(ctx, m, x, y, batch); iters++; }
            double mm = Stopwatch.GetElapsedTime(t0).TotalMilliseconds / iters;
            // group by type
            var byType = new Dictionary<string, double>();
            foreach (var g in mats.GroupBy(m => m.Type))
            {
                var list = g.ToArray();
                long t1 = Stopwatch.GetTimestamp();
                for (int k = 0; k < 5; k++) foreach (var m in list) MatMul.Multiply(ctx, m, x, y, batch);
                byType[g.Key.ToString()] = Stopwatch.GetElapsedTime(t1).TotalMilliseconds / 5;
            }
            foreach (var g in mats.GroupBy(m => (m.Rows, m.Cols)))
            {
                var list = g.ToArray();
                long t1 = Stopwatch.GetTimestamp();
                for (int k = 0; k < 5; k++) foreach (var m in list) MatMul.Multiply(ctx, m, x, y, batch);
                double ms = Stopwatch.GetElapsedTime(t1).TotalMilliseconds / 5;
                double bytes = list.Sum(m => (double)m.RowBytes * m.Rows);
                Console.Write($"  {g.Key.Rows}x{g.Key.Cols}×{list.Length}: {ms:F2} ms {bytes / ms / 1e6:F1} GB/s");
            }
            Console.WriteLine();
            t0 = Stopwatch.GetTimestamp();
            iters = 0;
            while (Stopwatch.GetElapsedTime(t0).TotalMilliseconds < 1000)
            {
                session.Reset();
                if (batch == 1) { for (int i = 0; i < 16; i++) session.Decode(tokens[0] + i); iters += 16; }
                else { session.Prefill(tokens); iters++; }
            }
            double fwd = Stopwatch.GetElapsedTime(t0).TotalMilliseconds / iters;
            Console.WriteLine($"batch={batch}: matmuls {mm:F3} ms ({string.Join(", ", byType.Select(kv => $"{kv.Key} {kv.Value:F3}"))}), whole forward {fwd:F3} ms, rest {fwd - mm:F3} ms");
        }
        return 0;
    }
}
