using System.Diagnostics;
using System.Globalization;
using PocketLM.Models;
using PocketLM.Tensors;

namespace PocketLM.Cli.Commands;

/// <summary>
/// <c>pocket synth --shape NAME -o OUT.gguf</c>: a random-weight model with the exact shapes of a real one
/// (<see cref="SyntheticShape"/> presets), so speed can be measured without downloading weights.
/// </summary>
internal static class SynthCommand
{
    private static string Help => $"""
        usage: pocket synth --shape NAME -o OUT.gguf [--type TYPE] [--seed S] [--threads N]
               pocket synth --list
          --shape NAME     a preset (see --list), case-insensitive
          -o, --output F   the GGUF file to write
          --type TYPE      F32 (default), F16, BF16, or a quantized type as in 'pocket quantize'
                           ({string.Join(", ", QuantFileType.All.Where(t => t.IsQuantized).Select(t => t.Name))});
                           quantized models are generated as F16 into a temporary file next to OUT, then quantized
          --seed S         random seed (default 1); the same seed gives the same file
          -t, --threads N  quantization threads (default: all cores)
          --list           list the presets
        Tensors are generated one at a time while the file is written, so memory stays near one tensor.

        """;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("synth", args, ["--shape", "-o|--output", "--type", "--seed", "-t|--threads"], ["--list"]);
        cl.ExpectPositional(0, "--shape NAME -o OUT.gguf");
        var o = Console.Out;
        if (cl.Has("--list"))
        {
            o.WriteLine("presets (real models' shapes):");
            foreach (var s in SyntheticShape.Presets) o.WriteLine($"  {s.Name,-16} {Params(s.ParameterCount),8}  {s}");
            o.WriteLine("test shapes (tiny, every row a multiple of 256):");
            foreach (var s in SyntheticShape.TestShapes) o.WriteLine($"  {s.Name,-28} {Params(s.ParameterCount),8}  {s}");
            return 0;
        }
        string shapeName = cl.GetString("--shape") ?? throw new UsageException("synth: missing --shape NAME (see 'pocket synth --list')");
        var shape = SyntheticShape.Find(shapeName)
            ?? throw new UsageException($"synth: unknown shape '{shapeName}' (presets: {string.Join(", ", SyntheticShape.Presets.Select(s => s.Name))}; see --list)");
        string output = cl.GetString("--output") ?? throw new UsageException("synth: missing -o OUT.gguf");
        string typeName = cl.GetString("--type") ?? "F32";
        var type = QuantFileType.Find(typeName)
            ?? throw new UsageException($"synth: unknown type '{typeName}' (types: {string.Join(", ", QuantFileType.All.Select(t => t.Name))})");
        ulong seed = cl.GetULong("--seed") ?? 1;
        int threads = cl.GetInt("--threads", 0, 1, 1024);
        if (Directory.Exists(output)) throw new ArgumentException($"{output}: is a directory");

        var sw = Stopwatch.StartNew();
        if (!type.IsQuantized)
        {
            o.WriteLine($"writing {shape.Name} ({Params(shape.ParameterCount)} parameters, {type.Name}, seed {seed}) to {output}");
            SyntheticModel.Write(shape, output, new SyntheticOptions { WeightType = type.DefaultType, Seed = seed });
        }
        else
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(output))!;
            string temp = Path.Combine(dir, $".{Path.GetFileName(output)}.{Environment.ProcessId}.f16.gguf");
            try
            {
                o.WriteLine($"writing {shape.Name} ({Params(shape.ParameterCount)} parameters, F16, seed {seed}) to a temporary file");
                SyntheticModel.Write(shape, temp, new SyntheticOptions { WeightType = GgmlType.F16, Seed = seed });
                QuantizeCommand.Run(temp, output, type, threads, pure: false, o);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
        long size = new FileInfo(output).Length;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {output}: {size / 1048576.0:F2} MiB in {sw.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    private static string Params(long n) => n >= 1_000_000_000
        ? (n / 1e9).ToString("F2", CultureInfo.InvariantCulture) + "B"
        : (n / 1e6).ToString("F1", CultureInfo.InvariantCulture) + "M";
}
