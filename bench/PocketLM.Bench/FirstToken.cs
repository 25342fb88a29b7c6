using System.Diagnostics;
using System.Globalization;
using PocketLM.Inference;
using PocketLM.Tensors;

namespace PocketLM.Bench;

/// <summary>
/// Load to first token, side by side: open the GGUF, make a session/context, evaluate a short prompt and take the greedy
/// token, then free everything — PocketLM and llama.cpp alternately on the same (page-cached) file. Medians in ms.
/// </summary>
internal static class FirstToken
{
    public static int Run(string[] args)
    {
        int reps = int.Parse(Compare.Opt(args, "-r") ?? "5", CultureInfo.InvariantCulture);
        int threads = int.Parse(Compare.Opt(args, "-t") ?? "2", CultureInfo.InvariantCulture);
        int nPrompt = int.Parse(Compare.Opt(args, "-p") ?? "16", CultureInfo.InvariantCulture);
        const int ctx = 512;
        Console.WriteLine($"load → session/context (ctx {ctx}) → {nPrompt}-token prompt → greedy token, {threads} threads, median of {reps}; load average {Compare.LoadAverage()}");
        Console.WriteLine("| model                  | PocketLM ms | llama.cpp ms | ratio (llama ÷ Pocket) |");
        Console.WriteLine("|------------------------|------------:|-------------:|-----------------------:|");
        foreach (var (shape, type, path) in BenchModels.Selected(args, Shape.All.Select(s => s.Name).ToArray(), ["Q8_0", "Q4_K_M", "Q4_0"]))
        {
            var rng = new Random(7);
            int[] tokens = Enumerable.Range(0, nPrompt).Select(_ => rng.Next(3, shape.Vocab)).ToArray();
            var pocket = new List<double>();
            var llama = new List<double>();
            for (int r = 0; r <= reps; r++) // the first round warms the page cache and the JIT; not counted
            {
                long t0 = Stopwatch.GetTimestamp();
                using (var model = LanguageModel.Load(path))
                using (var session = model.CreateSession(new SessionOptions { ContextSize = ctx, Threads = threads }))
                    Ops.ArgMax(session.Prefill(tokens));
                double p = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                t0 = Stopwatch.GetTimestamp();
                using (var runner = new LlamaRunner(path, threads, ctx))
                {
                    runner.Prompt(tokens, nPrompt);
                    runner.ArgMaxLast(shape.Vocab);
                }
                double l = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (r > 0) { pocket.Add(p); llama.Add(l); }
            }
            double mp = Compare.Median(pocket), ml = Compare.Median(llama);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {shape.Name + " " + type,-22} | {mp,11:F1} | {ml,12:F1} | {ml / mp,22:F2} |"));
        }
        return 0;
    }
}
