using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Tokenization;

namespace PocketLM.Server;

/// <summary>What one request did, for its log line (never its text).</summary>
internal sealed class RequestInfo
{
    public required string Id { get; init; }
    public string Route { get; set; } = "other";
    public string? Model { get; set; }
    public int? PromptTokens { get; set; }
    public int? CachedTokens { get; set; }
    public int? CompletionTokens { get; set; }
    public int? Slot { get; set; }
    public bool Stream { get; set; }
    public string? FinishReason { get; set; }
    public bool Cancelled { get; set; }
    public string? Error { get; set; }
}

/// <summary>
/// An OpenAI-compatible HTTP server over one model, on ASP.NET Core Kestrel: chat and text completions (streamed as
/// server-sent events or not), model list, health, llama-server's tokenize/detokenize/apply-template, and Prometheus
/// metrics. Requests run on <see cref="ServerOptions.Slots"/> slots, each a <see cref="ChatEngine"/> with its own KV
/// cache; the rest wait in a bounded queue.
/// </summary>
public sealed partial class PocketServer : IAsyncDisposable
{
    private static readonly string[] KnownRoutes =
        ["/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/tokenize", "/detokenize", "/apply-template", "/metrics"];

    private readonly WebApplication _app;
    private readonly LanguageModel _model;
    private readonly bool _ownsModel;
    private readonly SlotPool _pool;
    private readonly ServerMetrics _metrics = new();
    private readonly ServerLog _log;
    private readonly byte[]? _keyHash;
    private readonly HashSet<string> _modelNames;
    private readonly ServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private long _requestCounter;

    private PocketServer(ServerOptions options)
    {
        Validate(options);
        _options = options;
        _log = new ServerLog(options.Log ?? Console.Error);
        if (options.Model != null) _model = options.Model;
        else if (options.ModelPath != null) { _model = LanguageModel.Load(options.ModelPath); _ownsModel = true; }
        else throw new ArgumentException("no model: set ModelPath or Model");

        try
        {
            string fileName = Path.GetFileName(_model.File.Name);
            string stem = fileName.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? fileName[..^5] : fileName;
            ModelId = string.IsNullOrWhiteSpace(options.ModelId) ? stem : options.ModelId;
            _modelNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ModelId, stem, fileName, _model.Name };

            var template = options.ChatTemplate != null ? ChatTemplate.Parse(options.ChatTemplate) : null;
            int totalThreads = options.Threads > 0 ? options.Threads : PocketLM.Tensors.CpuTopology.DefaultThreads;
            ThreadsPerSlot = Math.Max(1, totalThreads / options.Slots);
            var slots = new List<Slot>();
            try
            {
                for (int i = 0; i < options.Slots; i++)
                {
                    // long decodes reproduce llama.cpp with --threads when given, else its LLamaSharp default (see LlamaCppThreads)
                    var session = new PocketLM.Inference.SessionOptions
                    {
                        ContextSize = options.ContextSize, Threads = ThreadsPerSlot,
                        LlamaCppThreads = options.Threads > 0 ? options.Threads : Math.Max(Environment.ProcessorCount / 2, 1),
                        KeyCacheType = options.KeyCacheType, ValueCacheType = options.ValueCacheType,
                    };
                    var engine = new ChatEngine(_model, session,
                        template, options.ReasoningBudgets);
                    slots.Add(new Slot(i, engine));
                }
            }
            catch
            {
                foreach (var s in slots) s.Engine.Dispose();
                throw;
            }
            _pool = new SlotPool(slots, options.QueueSize);
            Renderer = slots[0].Engine;
            ContextSize = Renderer.Session.ContextSize;
            UsesFallbackTemplate = Renderer.UsesFallbackTemplate;
            if (options.ApiKey != null) _keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.ApiKey));
            _app = Build(options);
        }
        catch
        {
            _pool?.Dispose();
            if (_ownsModel) _model.Dispose();
            throw;
        }
    }

    /// <summary>The id the server answers to in "model" and lists in /v1/models.</summary>
    public string ModelId { get; }
    /// <summary>Tokens each slot's context holds.</summary>
    public int ContextSize { get; }
    public int ThreadsPerSlot { get; }
    public int Slots => _pool.Slots.Count;
    /// <summary>True when the model has no chat template and none was given: ChatML is used.</summary>
    public bool UsesFallbackTemplate { get; }
    /// <summary>Where the server listens, e.g. http://127.0.0.1:8080/ (the real port when 0 was asked for).</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");
    public LanguageModel Model => _model;

    // Rendering reads only the (immutable, concurrently renderable) template and the tokenizer, never the slot's cache.
    private ChatEngine Renderer { get; }
    private Tokenizer Tokenizer => _model.Tokenizer;

    /// <summary>Loads the model, creates the slots, binds and starts listening.</summary>
    public static async Task<PocketServer> StartAsync(ServerOptions options, CancellationToken cancellation = default)
    {
        var server = new PocketServer(options);
        try
        {
            await server._app.StartAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var addresses = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
        string address = addresses?.Addresses.FirstOrDefault() ?? $"http://{options.Host}:{options.Port}";
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        server.LogStart();
        return server;
    }

    /// <summary>Completes when the host shuts down (Ctrl+C, SIGTERM or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    /// <summary>Stops accepting requests, cancels running generations and waits (briefly) for them to end.</summary>
    public async Task StopAsync()
    {
        _stopping.Cancel();
        await _app.StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync().ConfigureAwait(false); } catch (Exception) { /* already stopped or never started */ }
        await _app.DisposeAsync().ConfigureAwait(false);
        _pool.Dispose();
        if (_ownsModel) _model.Dispose();
        _stopping.Dispose();
    }

    private static void Validate(ServerOptions o)
    {
        if (o.Slots is < 1 or > 256) throw new ArgumentException($"slots must be between 1 and 256 (got {o.Slots})");
        if (o.QueueSize < 0) throw new ArgumentException($"the queue size must be ≥ 0 (got {o.QueueSize})");
        if (o.Port is < 0 or > 65535) throw new ArgumentException($"port must be between 0 and 65535 (got {o.Port})");
        if (o.ContextSize < 0) throw new ArgumentException($"the context size must be ≥ 0 (got {o.ContextSize})");
        if (o.MaxRequestBodyBytes < 1024) throw new ArgumentException("the request body limit must be at least 1024 bytes");
        if (o.ApiKey is { Length: 0 }) throw new ArgumentException("the API key is empty");
        ParseHost(o.Host);
    }

    private static IPAddress ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        return IPAddress.TryParse(host.Trim('[', ']'), out var ip)
            ? ip
            : throw new ArgumentException($"host must be an IP address or 'localhost' (got '{host}')");
    }

    private WebApplication Build(ServerOptions o)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(PocketServer).Assembly.GetName().Name,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ServerLogProvider(_log));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.Configure<ConsoleLifetimeOptions>(c => c.SuppressStatusMessages = true);
        var ip = ParseHost(o.Host);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = o.MaxRequestBodyBytes;
            k.Listen(ip, o.Port);
        });
        builder.WebHost.UseUrls(); // only the endpoint above, whatever ASPNETCORE_URLS says
        var app = builder.Build();
        // Ctrl+C / SIGTERM stop the host directly: cancel running generations then too.
        app.Lifetime.ApplicationStopping.Register(() => { try { _stopping.Cancel(); } catch (ObjectDisposedException) { } });
        app.Use(HandleAsync);

        app.MapPost("/v1/chat/completions", ChatAsync);
        app.MapPost("/chat/completions", ChatAsync);
        app.MapPost("/v1/completions", CompletionsAsync);
        app.MapPost("/completions", CompletionsAsync);
        app.MapGet("/v1/models", ModelsAsync);
        app.MapGet("/models", ModelsAsync);
        app.MapGet("/v1/models/{id}", (HttpContext ctx, string id) => ModelAsync(ctx, id));
        app.MapGet("/health", HealthAsync);
        app.MapPost("/tokenize", TokenizeAsync);
        app.MapPost("/detokenize", DetokenizeAsync);
        app.MapPost("/apply-template", ApplyTemplateAsync);
        app.MapGet("/metrics", MetricsAsync);
        app.MapFallback(ctx =>
        {
            string path = ctx.Request.Path.Value ?? "";
            if (Array.IndexOf(KnownRoutes, CanonicalRoute(path)) >= 0)
                throw new ApiException(405, $"method {ctx.Request.Method} is not allowed on {path}", code: "method_not_allowed");
            throw new ApiException(404, $"no route {ctx.Request.Method} {Truncate(path, 100)}", code: "not_found");
        });
        return app;
    }

    private static string CanonicalRoute(string path) => path switch
    {
        "/chat/completions" => "/v1/chat/completions",
        "/completions" => "/v1/completions",
        "/models" => "/v1/models",
        _ when path.StartsWith("/v1/models/", StringComparison.Ordinal) => "/v1/models",
        _ => path,
    };

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n] + "…";

    private void LogStart()
    {
        var cfg = _model.Config;
        _log.Info("start", w =>
        {
            w.WriteString("model", ModelId);
            w.WriteString("architecture", cfg.Architecture);
            w.WriteNumber("context", ContextSize);
            w.WriteNumber("slots", Slots);
            w.WriteNumber("threads_per_slot", ThreadsPerSlot);
            w.WriteNumber("queue", _options.QueueSize);
            w.WriteString("template", _options.ChatTemplate != null ? "custom" : UsesFallbackTemplate ? "chatml-fallback" : "model");
            w.WriteBoolean("api_key", _keyHash != null);
            w.WriteString("listening", BaseAddress.ToString());
        });
        if (UsesFallbackTemplate)
            _log.Warn("template", w => w.WriteString("message", "the model has no chat template: using ChatML (override with --chat-template)"));
    }

    // The middleware around every request: id, auth, errors as OpenAI error bodies, metrics and the request log line.
    private async Task HandleAsync(HttpContext ctx, RequestDelegate next)
    {
        var clock = Stopwatch.StartNew();
        var info = new RequestInfo { Id = "req-" + Interlocked.Increment(ref _requestCounter).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        string canonical = CanonicalRoute(ctx.Request.Path.Value ?? "");
        info.Route = Array.IndexOf(KnownRoutes, canonical) >= 0 ? canonical : "other";
        ctx.Items[typeof(RequestInfo)] = info;
        ctx.Response.Headers["X-Request-Id"] = info.Id;
        int status = 500;
        try
        {
            if (_keyHash != null && info.Route != "/health" && !Authorized(ctx.Request))
                throw new ApiException(401, "invalid or missing API key (send 'Authorization: Bearer KEY')", code: "invalid_api_key");
            await next(ctx);
            status = ctx.Response.StatusCode;
        }
        catch (ApiException e) { status = await FailAsync(ctx, info, e.Status, e.Message, e.Type, e.Param, e.Code); }
        catch (QueueFullException e)
        {
            _metrics.Rejected();
            if (!ctx.Response.HasStarted) ctx.Response.Headers.RetryAfter = _options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            status = await FailAsync(ctx, info, 503, e.Message + "; retry later", "server_error", null, "server_busy");
        }
        catch (BadHttpRequestException e)
        {
            string message = e.StatusCode == 413
                ? $"the request body is larger than the limit of {_options.MaxRequestBodyBytes} bytes"
                : "bad request: " + e.Message;
            status = await FailAsync(ctx, info, e.StatusCode, message, "invalid_request_error", null, e.StatusCode == 413 ? "request_too_large" : null);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            info.Cancelled = true;
            status = 499; // client closed the request (nginx's code), for the log and metrics only
        }
        catch (Exception e)
        {
            info.Error = e.GetType().Name;
            status = await FailAsync(ctx, info, 500, $"internal error ({e.GetType().Name})", "server_error", null, null);
        }
        finally
        {
            double seconds = clock.Elapsed.TotalSeconds;
            _metrics.Request(info.Route, status, seconds);
            LogRequest(ctx, info, status, seconds);
        }
    }

    private static async Task<int> FailAsync(HttpContext ctx, RequestInfo info, int status, string message, string type, string? param, string? code)
    {
        info.Error ??= code ?? type;
        if (ctx.Response.HasStarted || ctx.RequestAborted.IsCancellationRequested) return ctx.Response.HasStarted ? ctx.Response.StatusCode : 499;
        try
        {
            await ServerJson.WriteErrorAsync(ctx, status, message, type, param, code);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        return status;
    }

    private void LogRequest(HttpContext ctx, RequestInfo info, int status, double seconds) => _log.Info("request", w =>
    {
        w.WriteString("id", info.Id);
        w.WriteString("method", ctx.Request.Method);
        w.WriteString("route", info.Route);
        w.WriteNumber("status", status);
        w.WriteNumber("duration_ms", Math.Round(seconds * 1000, 1));
        if (info.Model != null) w.WriteString("model", info.Model);
        if (info.Slot is { } slot) w.WriteNumber("slot", slot);
        if (info.PromptTokens is { } p) w.WriteNumber("prompt_tokens", p);
        if (info.CachedTokens is { } c) w.WriteNumber("cached_tokens", c);
        if (info.CompletionTokens is { } n) w.WriteNumber("completion_tokens", n);
        if (info.Stream) w.WriteBoolean("stream", true);
        if (info.FinishReason != null) w.WriteString("finish_reason", info.FinishReason);
        if (info.Cancelled) w.WriteBoolean("cancelled", true);
        if (info.Error != null) w.WriteString("error", info.Error);
    });

    private bool Authorized(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header == null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        // Hashing first makes the comparison constant-time in the key's length as well as its content.
        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, _keyHash);
    }

    private static RequestInfo Info(HttpContext ctx) => (RequestInfo)ctx.Items[typeof(RequestInfo)]!;

    /// <summary>Reads the body as one JSON object: 400 when it is not JSON or not an object, 413 when too large.</summary>
    private async Task<JsonDocument> ReadJsonAsync(HttpContext ctx)
    {
        // Refuse a declared oversize body before reading it, so a client that sent 'Expect: 100-continue' never uploads it.
        if (ctx.Request.ContentLength > _options.MaxRequestBodyBytes) throw new BadHttpRequestException("request body too large", 413);
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(ctx.Request.Body, new JsonDocumentOptions { MaxDepth = 64 }, ctx.RequestAborted);
        }
        catch (JsonException e)
        {
            throw ApiException.Invalid($"the request body is not valid JSON ({e.Message})", code: "invalid_json");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw ApiException.Invalid("the request body must be a JSON object", code: "invalid_json");
        }
        return doc;
    }

    /// <summary>404 model_not_found unless "model" is absent, empty, or one of this server's names for its model.</summary>
    private void CheckModel(RequestInfo info, string? model)
    {
        if (string.IsNullOrEmpty(model) || _modelNames.Contains(model)) { info.Model = ModelId; return; }
        throw new ApiException(404, $"the model '{Truncate(model, 100)}' does not exist; this server serves '{ModelId}'", "model", "model_not_found");
    }

    // ---- small endpoints ----

    private Task HealthAsync(HttpContext ctx) => ServerJson.WriteAsync(ctx, 200, w =>
    {
        w.WriteStartObject();
        w.WriteString("status", "ok");
        w.WriteNumber("slots_idle", Slots - _pool.Busy);
        w.WriteNumber("slots_processing", _pool.Busy);
        w.WriteNumber("queue_depth", _pool.Waiting);
        w.WriteEndObject();
    });

    private async Task MetricsAsync(HttpContext ctx)
    {
        string text = _metrics.Render(Slots, _pool.Busy, _pool.Waiting, _options.QueueSize);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await ctx.Response.WriteAsync(text, ctx.RequestAborted);
    }

    private void WriteModel(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", ModelId);
        w.WriteString("object", "model");
        w.WriteNumber("created", new DateTimeOffset(File.Exists(_model.File.Name) ? File.GetLastWriteTimeUtc(_model.File.Name) : DateTime.UtcNow).ToUnixTimeSeconds());
        w.WriteString("owned_by", "pocketlm");
        w.WriteStartObject("meta");
        w.WriteString("name", _model.Name);
        w.WriteString("architecture", _model.Config.Architecture);
        w.WriteNumber("n_ctx_train", _model.Config.ContextLength);
        w.WriteNumber("n_ctx", ContextSize);
        w.WriteNumber("n_vocab", _model.Config.VocabSize);
        w.WriteNumber("slots", Slots);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private Task ModelsAsync(HttpContext ctx) => ServerJson.WriteAsync(ctx, 200, w =>
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        WriteModel(w);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private Task ModelAsync(HttpContext ctx, string id)
    {
        CheckModel(Info(ctx), id);
        return ServerJson.WriteAsync(ctx, 200, WriteModel);
    }

    private async Task TokenizeAsync(HttpContext ctx)
    {
        using var doc = await ReadJsonAsync(ctx);
        var r = new RequestReader(doc.RootElement);
        string content = r.String("content") ?? throw ApiException.Invalid("'content' is required (a string)", "content");
        bool addSpecial = r.Bool("add_special") ?? false;
        bool parseSpecial = r.Bool("parse_special") ?? true;
        bool withPieces = r.Bool("with_pieces") ?? false;
        int[] ids = Tokenizer.Encode(content, addSpecial, parseSpecial);
        await ServerJson.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("tokens");
            foreach (int id in ids)
            {
                if (!withPieces) { w.WriteNumberValue(id); continue; }
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteString("piece", Tokenizer.Decode([id], renderSpecial: true));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private async Task DetokenizeAsync(HttpContext ctx)
    {
        using var doc = await ReadJsonAsync(ctx);
        var r = new RequestReader(doc.RootElement);
        if (!r.TryGet("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
            throw ApiException.Invalid("'tokens' is required (an array of token ids)", "tokens");
        int[] ids = ReadTokenIds(tokens, "tokens");
        string text = Tokenizer.Decode(ids, renderSpecial: true);
        await ServerJson.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("content", text);
            w.WriteEndObject();
        });
    }

    private int[] ReadTokenIds(JsonElement array, string param)
    {
        var ids = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var t in array.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out int id))
                throw ApiException.Invalid($"'{param}' must hold integer token ids", param);
            if (id < 0 || id >= Tokenizer.VocabSize)
                throw ApiException.Invalid($"token id {id} is outside the vocabulary (0..{Tokenizer.VocabSize - 1})", param);
            ids[i++] = id;
        }
        return ids;
    }

    private async Task ApplyTemplateAsync(HttpContext ctx)
    {
        using var doc = await ReadJsonAsync(ctx);
        var request = ParseChat(Info(ctx), new RequestReader(doc.RootElement)).Request;
        string prompt = Render(ref request);
        await ServerJson.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("prompt", prompt);
            w.WriteEndObject();
        });
    }
}
