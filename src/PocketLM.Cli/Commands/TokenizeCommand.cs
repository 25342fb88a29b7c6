using System.Diagnostics;
using System.Globalization;
using System.Text;
using PocketLM.Tokenization;

namespace PocketLM.Cli.Commands;

/// <summary><c>pocket tokenize MODEL TEXT</c>: the ids the model sees, like llama.cpp's llama-tokenize.</summary>
internal static class TokenizeCommand
{
    private const string Help = """
        usage: pocket tokenize MODEL.gguf TEXT [--no-bos] [--pieces] [--parse-special] [--file F]
               pocket tokenize MODEL.gguf --file F --bench [--runs N]
          --no-bos          do not add the BOS token even when the model asks for it
          --pieces          print one token per line as: id -> 'piece'
          --parse-special   recognise control tokens written in the text (e.g. <|im_start|>)
          --file F          tokenize the contents of file F instead of TEXT
          --bench           measure encode and decode speed (MB/s of UTF-8 text) instead of printing ids
          --runs N          timed runs per measurement for --bench (default 5, after one warm-up run)
        """;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("tokenize", args, ["--file", "--runs"], ["--no-bos", "--pieces", "--parse-special", "--bench"]);
        cl.ExpectPositional(2, "MODEL.gguf TEXT");
        if (cl.Positional.Count == 0) throw new UsageException("tokenize: missing MODEL.gguf");
        string? text = cl.GetString("--file") is { } path ? File.ReadAllText(path) : cl.Positional.ElementAtOrDefault(1);
        if (text == null) throw new UsageException("tokenize: missing TEXT (or --file F)");
        bool bench = cl.Has("--bench");
        int runs = cl.GetInt("--runs", 5, min: 1, max: 1000);
        if (!bench && cl.Has("--runs")) throw new UsageException("tokenize: --runs needs --bench");
        using var file = ModelSource.OpenFile(cl.Positional[0]);
        var tokenizer = Tokenizer.FromGguf(file);
        bool addSpecial = !cl.Has("--no-bos"), parseSpecial = cl.Has("--parse-special");
        if (bench)
        {
            Bench(tokenizer, () => Tokenizer.FromGguf(file), text, addSpecial, parseSpecial, runs);
            return 0;
        }
        int[] ids = tokenizer.Encode(text, addSpecial, parseSpecial);
        if (cl.Has("--pieces"))
        {
            foreach (int id in ids)
                Console.Out.WriteLine($"{id,6} -> '{tokenizer.Decode([id], renderSpecial: true)}'");
        }
        else Console.Out.WriteLine(string.Join(' ', ids));
        return 0;
    }

    private static void Bench(Tokenizer tokenizer, Func<Tokenizer> fresh, string text, bool addSpecial, bool parseSpecial, int runs)
    {
        double mb = Encoding.UTF8.GetByteCount(text) / 1e6;
        if (mb == 0) throw new UsageException("tokenize: --bench needs a non-empty text");
        int[] ids = tokenizer.Encode(text, addSpecial, parseSpecial);   // warm-up: JIT, regexes, word cache
        tokenizer.DecodeToBytes(ids);

        // cold: a new tokenizer (empty word cache) per run; only the Encode call is timed
        var cold = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            Tokenizer t = fresh();
            t.Encode("warm", addSpecial: false);
            GC.Collect();   // not the previous tokenizers' garbage
            GC.WaitForPendingFinalizers();
            long t0 = Stopwatch.GetTimestamp();
            t.Encode(text, addSpecial, parseSpecial);
            cold[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        var warm = Time(runs, () => tokenizer.Encode(text, addSpecial, parseSpecial));
        var dec = Time(runs, () => tokenizer.DecodeToBytes(ids));
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        var inv = CultureInfo.InvariantCulture;
        Console.Out.WriteLine(string.Format(inv, "text: {0:F2} MB, {1:N0} tokens ({2:F2} bytes/token); {3} runs each after a warm-up; load average {4}",
            mb, ids.Length, mb * 1e6 / ids.Length, runs, load));
        Console.Out.WriteLine(string.Format(inv, "encode (new tokenizer, empty word cache): {0,8:F2} MB/s median, {1,8:F2} best", mb / Median(cold), mb / cold.Min()));
        Console.Out.WriteLine(string.Format(inv, "encode (warm word cache):                 {0,8:F2} MB/s median, {1,8:F2} best", mb / Median(warm), mb / warm.Min()));
        Console.Out.WriteLine(string.Format(inv, "decode:                                   {0,8:F2} MB/s median, {1,8:F2} best", mb / Median(dec), mb / dec.Min()));
    }

    private static double[] Time(int runs, Action action)
    {
        var times = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        return times;
    }

    private static double Median(double[] xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
