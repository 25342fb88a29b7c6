using System.Diagnostics;
using System.Globalization;
using PocketLM.Models;

namespace PocketLM.Cli.Commands;

/// <summary>
/// <c>pocket quantize IN.gguf OUT.gguf TYPE</c>: llama-quantize's per-tensor mixtures and bit-identical quantized blocks
/// (no importance matrix), in pure .NET. One line per tensor as it is written, then a summary.
/// </summary>
internal static class QuantizeCommand
{
    private static string Help => $"""
        usage: pocket quantize IN.gguf OUT.gguf TYPE [--threads N] [--pure]
          TYPE          {string.Join(", ", QuantFileType.All.Select(t => t.Name))}
                        (_S/_M/_L: llama.cpp's mixtures; Q4_K and Q5_K mean Q4_K_M and Q5_K_M)
          -t, --threads N  quantization threads (default: all cores)
          --pure        every matrix gets TYPE's base type: no mixture, output/embeddings not raised to Q6_K
        Input matrices may be F32, F16, BF16 or already quantized (requantized through floats, with a warning).
        Norms and other 1-D tensors are copied unchanged.

        types:
        {string.Join("\n", QuantFileType.All.Select(t => $"  {t.Name,-8} {t.Description}"))}

        """;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("quantize", args, ["-t|--threads"], ["--pure"]);
        cl.ExpectPositional(3, "IN.gguf OUT.gguf TYPE");
        if (cl.Positional.Count < 3) throw new UsageException("quantize: usage: pocket quantize IN.gguf OUT.gguf TYPE [--threads N] [--pure]");
        string input = cl.Positional[0], output = cl.Positional[1];
        var type = QuantFileType.Find(cl.Positional[2])
            ?? throw new UsageException($"quantize: unknown type '{cl.Positional[2]}' (types: {string.Join(", ", QuantFileType.All.Select(t => t.Name))})");
        int threads = cl.GetInt("--threads", 0, 1, 1024);
        bool pure = cl.Has("--pure");
        if (Directory.Exists(input)) throw new ArgumentException($"{input}: is a directory, not a GGUF file");
        if (!File.Exists(input)) throw new FileNotFoundException($"{input}: no such file");
        Run(input, output, type, threads, pure, Console.Out);
        return 0;
    }

    /// <summary>Quantizes and reports (shared with <c>pocket synth --type</c>).</summary>
    internal static void Run(string input, string output, QuantFileType type, int threads, bool pure, TextWriter o)
    {
        var sw = Stopwatch.StartNew();
        int index = 0, total = 0;
        o.WriteLine($"quantizing {input} to {type.Name}{(pure ? " (pure)" : "")} -> {output}");
        var plans = ModelQuantizer.Quantize(input, output, type, new QuantizeOptions
        {
            Threads = threads,
            Pure = pure,
            OnTensor = p =>
            {
                index++;
                string shape = "[" + string.Join(", ", p.Dimensions) + "]";
                string change = p.Converts ? $"{p.From,-4} -> {p.To,-4}" : $"{p.From,-4} (copied)";
                string note = p.Fallback ? "  (row length not a multiple of 256: fallback type)" : p.Requantizes ? "  (requantized)" : "";
                o.WriteLine($"[{index,4}/{total,4}] {p.Name,-34} {shape,-16} {change,-16} {Size(p.BytesIn),10} -> {Size(p.BytesOut),10}{note}");
            },
            OnPlan = all => total = all.Count,
        });
        int requantized = plans.Count(p => p.Requantizes);
        if (requantized > 0)
            Console.Error.WriteLine($"pocket: warning: {requantized} tensor(s) were already quantized ({string.Join(", ", plans.Where(p => p.Requantizes).Select(p => p.From).Distinct())}) and were requantized through floats: quality is lost twice; quantize from an F32/F16/BF16 file when you can");
        long bytesIn = plans.Sum(p => p.BytesIn), bytesOut = plans.Sum(p => p.BytesOut), elements = plans.Sum(p => p.Elements);
        int fallbacks = plans.Count(p => p.Fallback);
        var counts = plans.GroupBy(p => p.To).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}: {g.Count()}");
        o.WriteLine($"tensor types: {string.Join(", ", counts)}{(fallbacks > 0 ? $" ({fallbacks} by fallback)" : "")}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model size: {ModelQuantizer.Mib(bytesIn)} ({bytesIn * 8.0 / elements:F2} bits/weight) -> {ModelQuantizer.Mib(bytesOut)} ({bytesOut * 8.0 / elements:F2} bits/weight), {plans.Count} tensors in {sw.Elapsed.TotalSeconds:F1} s"));
    }

    private static string Size(long bytes) => bytes >= 1 << 20
        ? (bytes / 1048576.0).ToString("F2", CultureInfo.InvariantCulture) + " MiB"
        : (bytes / 1024.0).ToString("F2", CultureInfo.InvariantCulture) + " KiB";
}
