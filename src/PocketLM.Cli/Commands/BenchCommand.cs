using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Runtime.InteropServices;
using PocketLM.Inference;
using PocketLM.Tensors;

namespace PocketLM.Cli.Commands;

/// <summary>
/// <c>pocket bench</c>: prefill (ppN) and decode (tgN) speed in the style of llama-bench — random token ids, a warm-up
/// run, then mean ± standard deviation over r repetitions, each from an empty KV cache.
/// </summary>
internal static class BenchCommand
{
    private const string Help = """
        usage: pocket bench [MODEL.gguf] [-p 64] [-n 64] [-d 0] [-t THREADS] [-r 5] [-ctk f16] [-ctv f16] [--json] [--no-repack]
          -p, --n-prompt N   prompt tokens for the prefill test (0 = skip)
          -n, --n-gen N      generated tokens for the decode test (0 = skip)
          -d, --n-depth N    tokens already in the context before each test (prefilled, not timed), as llama-bench -d
          -ctk, -ctv T       K and V cache types (f16 default; q8_0, q4_0, q4_1, q5_0, q5_1, bf16; f32 for both)
          -t, --threads N    compute threads (default: one per physical core)
          -r, --repetitions  measured runs per test (after one warm-up)
          --json             one JSON object per test instead of the table
          --no-repack        compute on the file's own layout (by default Q4_0 and Q4_K matrices are repacked into eight-row
                             groups at load, as llama.cpp does)
        The last lines report the kernels in use (AVX2+FMA, NEON+dotprod, … or scalar) and memory: the process's peak resident set, the file, repacked copies and the KV cache.
          --hooks            also run the decode test with a no-op handler on every hook point, to show what
                             inspection costs (with no handler attached the forward pass only tests one flag)
        """;

    public sealed record Result(string Model, long SizeBytes, long Parameters, int Threads, string Test, int NPrompt, int NGen, double AvgTs, double StddevTs, double[] SamplesTs,
                                long PeakRssBytes, long RepackedBytes, long KvCacheBytes, string Kernels);

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("bench", args, ["-p|--n-prompt", "-n|--n-gen", "-d|--n-depth", "-t|--threads", "-r|--repetitions", .. CommandLine.CacheTypeOptions],
                                 ["--json", "--hooks", "--no-repack"]);
        cl.ExpectPositional(1, "[MODEL.gguf]");
        int nPrompt = cl.GetInt("--n-prompt", 64, 0);
        int nGen = cl.GetInt("--n-gen", 64, 0);
        int depth = cl.GetInt("--n-depth", 0, 0);
        int threads = cl.GetInt("--threads", CpuTopology.DefaultThreads, 1, 1024);
        int reps = cl.GetInt("--repetitions", 5, 1, 1000);
        using var model = ModelSource.Load(cl.Positional.ElementAtOrDefault(0), new ModelLoadOptions { Repack = !cl.Has("--no-repack") });
        int ctx = depth + Math.Max(nPrompt, nGen) + 1;
        if (ctx > model.Config.ContextLength) throw new UsageException($"bench: {ctx - 1} tokens exceed the model's context of {model.Config.ContextLength}");
        using var session = model.CreateSession(new SessionOptions
        {
            ContextSize = ctx, Threads = threads, BatchSize = Math.Max(Math.Max(nPrompt, 1), Math.Min(depth, 512)),
            KeyCacheType = cl.GetCacheType("--cache-type-k"), ValueCacheType = cl.GetCacheType("--cache-type-v"),
        });
        var rng = new Random(1234);
        int[] tokens = Enumerable.Range(0, Math.Max(nPrompt, nGen)).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        int[] context = Enumerable.Range(0, depth).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        string at = depth > 0 ? $" @ d{depth}" : "";
        void Fill()
        {
            session.Reset();
            if (depth > 0) session.Prefill(context);
        }
        long parameters = model.File.Tensors.Sum(t => t.ElementCount);
        var results = new List<Result>();
        if (nPrompt > 0) results.Add(Measure(model, session, parameters, threads, $"pp{nPrompt}{at}", nPrompt, 0, reps, Fill, () =>
        {
            session.Prefill(tokens.AsSpan(0, nPrompt));
            return nPrompt;
        }));
        if (nGen > 0) results.Add(Measure(model, session, parameters, threads, $"tg{nGen}{at}", 0, nGen, reps, Fill, () =>
        {
            for (int i = 0; i < nGen; i++) session.Decode(tokens[i]);
            return nGen;
        }));

        if (nGen > 0 && cl.Has("--hooks"))
        {
            var handles = session.Hooks.Names.Select(n => session.Hooks.Add(n, static (in HookContext c, Span<float> t) => { })).ToList();
            results.Add(Measure(model, session, parameters, threads, $"tg{nGen}+hooks{at}", 0, nGen, reps, Fill, () =>
            {
                for (int i = 0; i < nGen; i++) session.Decode(tokens[i]);
                return nGen;
            }));
            foreach (var h in handles) h.Dispose();
        }

        if (cl.Has("--json"))
        {
            foreach (var r in results) Console.Out.WriteLine(JsonSerializer.Serialize(r, BenchJson.Default.Result));
            return 0;
        }
        var inv = CultureInfo.InvariantCulture;
        Console.Out.WriteLine($"| {"model",-28} | {"size",10} | {"params",8} | {"threads",7} | {"test",12} | {"t/s",20} |");
        Console.Out.WriteLine($"| {new string('-', 28)} | {new string('-', 10)} | {new string('-', 8)} | {new string('-', 7)} | {new string('-', 12)} | {new string('-', 20)} |");
        foreach (var r in results)
        {
            string size = string.Create(inv, $"{r.SizeBytes / 1048576.0:F2} MiB");
            string ps = parameters >= 1e9 ? string.Create(inv, $"{parameters / 1e9:F2} B") : string.Create(inv, $"{parameters / 1e6:F2} M");
            string ts = string.Create(inv, $"{r.AvgTs:F2} ± {r.StddevTs:F2}");
            Console.Out.WriteLine($"| {Truncate(r.Model, 28),-28} | {size,10} | {ps,8} | {r.Threads,7} | {r.Test,12} | {ts,20} |");
        }
        if (results.Count > 0)
        {
            var last = results[^1];
            static string MiB(long b) => string.Create(CultureInfo.InvariantCulture, $"{b / 1048576.0:F1} MiB");
            Console.Out.WriteLine($"kernels: {ComputeContext.KernelSet} on {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} logical CPUs, {CpuTopology.DefaultThreads} physical cores");
            Console.Out.WriteLine($"memory: peak RSS {MiB(last.PeakRssBytes)}; file {MiB(last.SizeBytes)}, of which {MiB(last.RepackedBytes)} repacked (held in native memory instead of the mapping); KV cache {MiB(last.KvCacheBytes)} (K {session.KeyCacheType.ToString().ToLowerInvariant()}, V {session.ValueCacheType.ToString().ToLowerInvariant()})");
        }
        return 0;
    }

    /// <summary>The process's peak resident set so far (VmHWM on Linux), 0 where the OS does not say.</summary>
    private static long PeakRss()
    {
        using var p = Process.GetCurrentProcess();
        return p.PeakWorkingSet64;
    }

    /// <summary>Times <paramref name="run"/> <paramref name="reps"/> times after a warm-up, each after an untimed <paramref name="setup"/>.</summary>
    private static Result Measure(LanguageModel model, InferenceSession session, long parameters, int threads, string test, int nPrompt, int nGen, int reps,
                                  Action setup, Func<int> run)
    {
        setup();
        run(); // warm-up: JIT tiering, page faults of the mapping
        var samples = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            setup();
            long start = Stopwatch.GetTimestamp();
            int tokens = run();
            samples[i] = tokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        double avg = samples.Average();
        double sd = reps > 1 ? Math.Sqrt(samples.Sum(s => (s - avg) * (s - avg)) / (reps - 1)) : 0;
        return new Result(model.Name, model.File.Length, parameters, threads, test, nPrompt, nGen, avg, sd, samples,
                          PeakRss(), model.Weights.RepackedBytes, session.KvCacheBytes, ComputeContext.KernelSet);
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}

/// <summary>Source-generated JSON for <c>bench --json</c> (no reflection, so <c>pocket</c> can be published with Native AOT).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BenchCommand.Result))]
internal sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext;
