using System.Diagnostics;
using System.Globalization;
using PocketLM.Inference;

namespace PocketLM.Bench;

/// <summary>PocketLM vs llama.cpp on the same files, same threads, measured alternately; medians reported.</summary>
internal static class Compare
{
    public static int Run(string[] args)
    {
        var models = Opt(args, "--models")?.Split(',') ?? Shape.All.Select(s => s.Name).ToArray();
        var types = Opt(args, "--types")?.Split(',') ?? ["Q8_0", "Q4_K_M", "Q4_0"];
        int reps = int.Parse(Opt(args, "-r") ?? "5"), threads = int.Parse(Opt(args, "-t") ?? "2");
        int nPrompt = int.Parse(Opt(args, "-p") ?? "64"), nGen = int.Parse(Opt(args, "-n") ?? "64");
        double bandwidth = double.Parse(Opt(args, "--bandwidth") ?? "26", CultureInfo.InvariantCulture);
        bool skipLlama = args.Contains("--no-llama");
        string cache = Opt(args, "--cache") ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pocketlm-bench");
        var inv = CultureInfo.InvariantCulture;

        Console.WriteLine($"threads={threads} reps={reps} tg{nGen} pp{nPrompt}; load average at start: {LoadAverage()}; " +
            $"{Environment.ProcessorCount} CPUs; PocketLM kernels {PocketLM.Tensors.ComputeContext.KernelSet} (Vector512 accelerated {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated})");
        if (!skipLlama) Console.WriteLine($"llama.cpp: {LlamaRunner.SystemInfo().Trim()}");
        Console.WriteLine($"| {"model",-22} | {"MiB/token",9} | {"roofline",8} | {"tg Pocket",9} | {"tg llama",9} | {"tg ratio",8} | {"pp Pocket",9} | {"pp llama",9} | {"pp ratio",8} | {"load",16} |");
        Console.WriteLine($"|{new string('-', 24)}|{new string('-', 11)}|{new string('-', 10)}|{new string('-', 11)}|{new string('-', 11)}|{new string('-', 10)}|{new string('-', 11)}|{new string('-', 11)}|{new string('-', 10)}|{new string('-', 18)}|");
        foreach (var name in models)
        {
            var shape = Shape.All.First(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            foreach (var type in types)
            {
                string path = BenchModels.Ensure(cache, shape, type);
                using var model = LanguageModel.Load(path);
                long bytes = BenchModels.BytesPerToken(model.File);
                int ctx = Math.Max(nPrompt, nGen) + 64;
                using var session = model.CreateSession(new SessionOptions { ContextSize = ctx, Threads = threads, BatchSize = Math.Max(1, nPrompt) });
                using var llama = skipLlama ? null : new LlamaRunner(path, threads, ctx);
                var rng = new Random(1234);
                int[] tokens = Enumerable.Range(0, Math.Max(nPrompt, nGen)).Select(_ => rng.Next(3, model.Config.VocabSize)).ToArray();

                Func<double> pTg = () => Time(nGen, () => { session.Reset(); for (int i = 0; i < nGen; i++) session.Decode(tokens[i]); });
                Func<double> pPp = () => Time(nPrompt, () => { session.Reset(); session.Prefill(tokens.AsSpan(0, nPrompt)); });
                Func<double> lTg = () => Time(nGen, () => llama!.Generate(tokens, nGen));
                Func<double> lPp = () => Time(nPrompt, () => llama!.Prompt(tokens, nPrompt));
                // warm-up (JIT tiers, page faults of the mappings)
                if (nGen > 0) { pTg(); pTg(); if (llama != null) lTg(); }
                if (nPrompt > 0) { pPp(); if (llama != null) lPp(); }
                var s = new List<double>[4];
                for (int i = 0; i < 4; i++) s[i] = new();
                string loadBefore = LoadAverage();
                for (int r = 0; r < reps; r++)
                {
                    if (nGen > 0) { s[0].Add(pTg()); if (llama != null) s[1].Add(lTg()); }
                    if (nPrompt > 0) { s[2].Add(pPp()); if (llama != null) s[3].Add(lPp()); }
                }
                double tgP = Median(s[0]), tgL = Median(s[1]), ppP = Median(s[2]), ppL = Median(s[3]);
                double roof = bandwidth * 1e9 / bytes;
                Console.WriteLine(string.Create(inv,
                    $"| {shape.Name + " " + type,-22} | {bytes / 1048576.0,9:F1} | {roof,8:F1} | {tgP,9:F2} | {tgL,9:F2} | {tgP / tgL,8:F2} | {ppP,9:F2} | {ppL,9:F2} | {ppP / ppL,8:F2} | {loadBefore,16} |"));
            }
        }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        foreach (var name in models)
            foreach (var type in types)
            {
                var shape = Shape.All.First(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                using var f = PocketLM.Gguf.GgufFile.Open(BenchModels.Path(cache, shape, type));
                var counts = f.Tensors.Where(t => t.Dimensions.Count == 2).GroupBy(t => t.Type).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}");
                Console.WriteLine($"{shape.Name} {type}: matrices {string.Join(", ", counts)}");
            }
        return 0;
    }

    private static double Time(int tokens, Action run)
    {
        long t0 = Stopwatch.GetTimestamp();
        run();
        return tokens / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    internal static double Median(List<double> v)
    {
        if (v.Count == 0) return double.NaN;
        var a = v.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    internal static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    internal static string? Opt(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
