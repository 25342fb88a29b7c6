using System.Diagnostics;
using System.Globalization;
using PocketLM.Inference;
using PocketLM.Tensors;

namespace PocketLM.Bench;

/// <summary>
/// Decode speed deep into a context (llama-bench's <c>-d</c>): both engines take one D-token prompt, then decode N tokens
/// at positions D.., rewound and repeated, PocketLM and llama.cpp alternately. Medians in tokens/s; attention over the
/// cached keys and values is then a large part of each step. The D-token prompt itself is timed too (ppD, llama-bench's
/// pD: one batch; <c>--pp-reps K</c> timed prefills per engine after an untimed one, default 1, 0 to skip).
/// </summary>
internal static class Depth
{
    public static int Run(string[] args)
    {
        int reps = int.Parse(Compare.Opt(args, "-r") ?? "5", CultureInfo.InvariantCulture);
        int threads = int.Parse(Compare.Opt(args, "-t") ?? "2", CultureInfo.InvariantCulture);
        int depth = int.Parse(Compare.Opt(args, "-d") ?? "4000", CultureInfo.InvariantCulture);
        int n = int.Parse(Compare.Opt(args, "-n") ?? "32", CultureInfo.InvariantCulture);
        int ppReps = int.Parse(Compare.Opt(args, "--pp-reps") ?? "1", CultureInfo.InvariantCulture);
        int ctx = (depth + n + 255) / 256 * 256;
        string cacheName = Compare.Opt(args, "--kv") ?? "f16";
        var cache = KvCache.SupportedTypes.FirstOrDefault(t => string.Equals(t.ToString(), cacheName, StringComparison.OrdinalIgnoreCase));
        // F32: PocketLM computes plain softmax attention, llama.cpp (flash attention on) would round to F16: not comparable
        if (cache == GgmlType.F32) throw new ArgumentException($"--kv: one of {string.Join(", ", KvCache.SupportedTypes.Skip(2)).ToLowerInvariant()} or f16, not '{cacheName}'");
        Console.WriteLine($"tg{n} after a {depth}-token prompt (context {ctx}, K and V cache {cacheName}), {threads} threads, median of {reps}; load average {Compare.LoadAverage()}");
        Console.WriteLine($"| model                  | tg Pocket |  tg llama | tg ratio | {"pp" + depth + " Pocket",13} | {"pp" + depth + " llama",12} | pp ratio |");
        Console.WriteLine("|------------------------|----------:|----------:|---------:|--------------:|-------------:|---------:|");
        foreach (var (shape, type, path) in BenchModels.Selected(args, ["Qwen2.5-0.5B", "Llama-3.2-1B"], ["Q4_0"]))
        {
            var rng = new Random(11);
            int[] prompt = Enumerable.Range(0, depth).Select(_ => rng.Next(3, shape.Vocab)).ToArray();
            int[] gen = Enumerable.Range(0, n).Select(_ => rng.Next(3, shape.Vocab)).ToArray();
            using var model = LanguageModel.Load(path);
            using var session = model.CreateSession(new SessionOptions { ContextSize = ctx, Threads = threads, KvCacheType = cache });
            using var runner = new LlamaRunner(path, threads, ctx, (LLama.Native.GGMLType)cache);
            session.Prefill(prompt);
            runner.Prompt(prompt, depth);
            var pocketPp = new List<double>();
            var llamaPp = new List<double>();
            for (int r = 0; r < ppReps; r++)
            {
                session.TruncateTo(0);
                long t0 = Stopwatch.GetTimestamp();
                session.Prefill(prompt);
                pocketPp.Add(depth / Stopwatch.GetElapsedTime(t0).TotalSeconds);
                t0 = Stopwatch.GetTimestamp();
                runner.Prompt(prompt, depth);
                llamaPp.Add(depth / Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            var pocket = new List<double>();
            var llama = new List<double>();
            for (int r = 0; r <= reps; r++) // the first round warms up; not counted
            {
                session.TruncateTo(depth);
                long t0 = Stopwatch.GetTimestamp();
                foreach (int t in gen) session.Decode(t);
                double p = n / Stopwatch.GetElapsedTime(t0).TotalSeconds;
                t0 = Stopwatch.GetTimestamp();
                runner.DecodeFrom(depth, gen);
                double l = n / Stopwatch.GetElapsedTime(t0).TotalSeconds;
                if (r > 0) { pocket.Add(p); llama.Add(l); }
            }
            double mp = Compare.Median(pocket), ml = Compare.Median(llama);
            string pp = ppReps == 0 ? "             - |            - |        - |"
                : string.Create(CultureInfo.InvariantCulture, $" {Compare.Median(pocketPp),13:F1} | {Compare.Median(llamaPp),12:F1} | {Compare.Median(pocketPp) / Compare.Median(llamaPp),8:F2} |");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {shape.Name + " " + type,-22} | {mp,9:F2} | {ml,9:F2} | {mp / ml,8:F2} |{pp}"));
        }
        return 0;
    }
}
