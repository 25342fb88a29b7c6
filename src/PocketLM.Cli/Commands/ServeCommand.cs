using PocketLM.Server;

namespace PocketLM.Cli.Commands;

/// <summary><c>pocket serve</c>: an OpenAI-compatible HTTP server (see docs/server.md). Logs go to stderr as JSON lines.</summary>
internal static class ServeCommand
{
    private const string Help = """
        usage: pocket serve [MODEL.gguf] [options]
          MODEL                  a GGUF file (default: the built-in stories260K)
          --host ADDR            address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for every interface)
          --port N               port (default 8080; 0 = any free port)
          --slots N              requests generated at once, each with its own KV cache (default 1)
          --queue N              requests that may wait for a slot; more get 503 + Retry-After (default 32)
          -c, --ctx N            context per slot (default: min(model context, 4096))
          -t, --threads N        compute threads in all, split evenly across the slots (default: one per physical core)
          --api-key KEY          require 'Authorization: Bearer KEY' on every route but /health
                                 (or set POCKET_API_KEY, which keeps the key out of the process list)
          --chat-template FILE   a Jinja chat template to use instead of the model's
          --alias NAME           the model id clients send and /v1/models lists (default: the file name)
          --max-body BYTES       largest request body (default 8388608 = 8 MiB; larger gets 413)
          -ctk, -ctv T           K and V cache types of every slot (f16 default; q8_0, q4_0, q4_1, q5_0, q5_1, bf16)
        endpoints: POST /v1/chat/completions, /v1/completions, /tokenize, /detokenize, /apply-template;
                   GET /v1/models, /health, /metrics
        """;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("serve", args,
            ["--host", "--port", "--slots", "--queue", "-c|--ctx", "-t|--threads", "--api-key", "--chat-template", "--alias", "--max-body",
             .. CommandLine.CacheTypeOptions], []);
        cl.ExpectPositional(1, "[MODEL.gguf] [options]");
        string? templatePath = cl.GetString("--chat-template");
        var options = new ServerOptions
        {
            Host = cl.GetString("--host") ?? "127.0.0.1",
            Port = cl.GetInt("--port", 8080, 0, 65535),
            Slots = cl.GetInt("--slots", 1, 1, 256),
            QueueSize = cl.GetInt("--queue", 32, 0, 100_000),
            ContextSize = cl.GetInt("--ctx", 0, 0),
            Threads = cl.GetInt("--threads", 0, 1, 1024),
            KeyCacheType = cl.GetCacheType("--cache-type-k"),
            ValueCacheType = cl.GetCacheType("--cache-type-v"),
            ApiKey = cl.GetString("--api-key") ?? NonEmpty(Environment.GetEnvironmentVariable("POCKET_API_KEY")),
            ChatTemplate = templatePath != null ? File.ReadAllText(templatePath) : null,
            ModelId = cl.GetString("--alias"),
            MaxRequestBodyBytes = cl.GetInt("--max-body", 8 * 1024 * 1024, 1024),
            Model = ModelSource.Load(cl.Positional.ElementAtOrDefault(0)),
        };
        try
        {
            return RunAsync(options).GetAwaiter().GetResult();
        }
        finally
        {
            options.Model.Dispose();
        }
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static async Task<int> RunAsync(ServerOptions options)
    {
        await using var server = await PocketServer.StartAsync(options);
        Console.Error.WriteLine($"pocket: serving {server.ModelId} on {server.BaseAddress} ({server.Slots} slot(s) × {server.ThreadsPerSlot} thread(s), " +
                                $"context {server.ContextSize}{(server.UsesFallbackTemplate && options.ChatTemplate == null ? ", ChatML fallback template" : "")}); Ctrl+C stops");
        await server.WaitForShutdownAsync();
        return 0;
    }
}
