using System.Diagnostics;
using System.Globalization;
using System.Text;
using PocketLM.Inference;
using PocketLM.Sampling;

namespace PocketLM.Cli.Commands;

/// <summary><c>pocket run</c>: generated text to stdout as it is produced; load time and speeds to stderr.</summary>
internal static class RunCommand
{
    private const string Help = """
        usage: pocket run [MODEL.gguf] -p PROMPT [options]
          MODEL                  a GGUF file (default: the built-in stories260K)
          -p, --prompt TEXT      the prompt (may be empty)
          -f, --file F           read the prompt from file F
          -n, --n-predict N      tokens to generate (default -1: until end of text or the context is full)
          --temp T               temperature (default 0.8; 0 = greedy)
          --top-k K              top-k (default 40; 0 = off)
          --top-p P              top-p (default 0.95; 1 = off)
          --min-p P              min-p (default 0.05; 0 = off)
          --repeat-penalty R     repetition penalty (default 1.0 = off)
          --repeat-last-n N      penalty window (default 64; -1 = context)
          --frequency-penalty F  (default 0)
          --presence-penalty F   (default 0)
          -s, --seed S           seed for reproducible sampling (default: random)
          -t, --threads N        compute threads (default: one per physical core)
          --llama-threads N      thread count of the llama.cpp run to agree with past 256 tokens of context, where its
                                 attention depends on it (default: -t if given, else half the cores, as LLamaSharp)
          -c, --ctx N            context size (default: min(model context, 4096))
          --no-bos               do not add the BOS token
          --parse-special        recognise control tokens written in the prompt
        """ + CommandLine.CacheTypeHelp;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("run", args,
            ["-p|--prompt", "-f|--file", "-n|--n-predict", "--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--repeat-last-n",
             "--frequency-penalty", "--presence-penalty", "-s|--seed", "-t|--threads", "--llama-threads", "-c|--ctx", .. CommandLine.CacheTypeOptions],
            ["--no-bos", "--parse-special"]);
        cl.ExpectPositional(1, "[MODEL.gguf] -p PROMPT");
        string? prompt = cl.GetString("--prompt");
        if (cl.GetString("--file") is { } promptFile) prompt = File.ReadAllText(promptFile);
        if (prompt == null) throw new UsageException("run: missing -p PROMPT (or -f FILE)");
        int nPredict = cl.GetInt("--n-predict", -1, -1);
        int threads = cl.GetInt("--threads", 0, 1, 1024); // 0: the session takes every core
        int llamaThreads = cl.GetInt("--llama-threads", 0, 1, 1024);
        int ctxArg = cl.GetInt("--ctx", 0, 0);
        var samplerOptions = new SamplerOptions
        {
            Temperature = cl.GetFloat("--temp", 0.8f, 0),
            TopK = cl.GetInt("--top-k", 40, 0),
            TopP = cl.GetFloat("--top-p", 0.95f, 0, 1),
            MinP = cl.GetFloat("--min-p", 0.05f, 0, 1),
            RepeatPenalty = cl.GetFloat("--repeat-penalty", 1.0f, float.Epsilon),
            PenaltyLastN = cl.GetInt("--repeat-last-n", 64, -1),
            FrequencyPenalty = cl.GetFloat("--frequency-penalty", 0f),
            PresencePenalty = cl.GetFloat("--presence-penalty", 0f),
            Seed = cl.GetULong("--seed"),
        };

        var loadClock = Stopwatch.StartNew();
        using var model = ModelSource.Load(cl.Positional.ElementAtOrDefault(0));
        var tokenizer = model.Tokenizer;
        using var session = model.CreateSession(new SessionOptions
        {
            ContextSize = ctxArg, Threads = threads, LlamaCppThreads = llamaThreads,
            KeyCacheType = cl.GetCacheType("--cache-type-k"), ValueCacheType = cl.GetCacheType("--cache-type-v"),
        });
        var sampler = new Sampler(model.Config.VocabSize, samplerOptions, session.ContextSize);
        double loadMs = loadClock.Elapsed.TotalMilliseconds;

        int[] promptIds = tokenizer.Encode(prompt, addSpecial: !cl.Has("--no-bos"), parseSpecial: cl.Has("--parse-special"));
        if (promptIds.Length == 0) throw new ArgumentException("the prompt produced no tokens (give a prompt, or drop --no-bos)");
        var err = Console.Error;
        var inv = CultureInfo.InvariantCulture;
        err.WriteLine($"pocket: {model.Name} ({model.Config.Architecture}, {model.Config.BlockCount} layers), context {session.ContextSize}, {session.Threads} threads, seed {sampler.Seed}");

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        var decoder = tokenizer.CreateStreamingDecoder();
        var generator = new Generator(session, sampler, tokenizer.IsEndOfGeneration);
        try
        {
            foreach (int id in generator.Generate(promptIds, nPredict, cancel.Token))
                stdout.Write(decoder.Append(id));
            stdout.Write(decoder.Flush());
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        stdout.WriteLine();
        var s = generator.Stats;
        err.WriteLine(string.Create(inv, $"pocket: load {loadMs:F0} ms | prompt {s.PromptTokens} tokens in {s.PromptTime.TotalMilliseconds:F1} ms ({s.PromptTokensPerSecond:F1} tok/s) | generated {s.GeneratedTokens} tokens in {s.GenerationTime.TotalMilliseconds:F1} ms ({s.GenerationTokensPerSecond:F1} tok/s) | stop: {Describe(s.StopReason)}"));
        return 0;
    }

    private static string Describe(StopReason r) => r switch
    {
        StopReason.EndOfGeneration => "end of text",
        StopReason.MaxTokens => "token limit",
        StopReason.ContextFull => "context full",
        StopReason.Cancelled => "interrupted",
        _ => r.ToString(),
    };
}
