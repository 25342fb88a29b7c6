using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace PocketLM.Server;

/// <summary>
/// Structured logs: one JSON object a line ({"ts","level","event",...}) to stderr or a given writer. Request lines carry
/// ids, routes, token counts, durations and status codes, never prompt or completion text.
/// </summary>
internal sealed class ServerLog(TextWriter writer)
{
    private readonly object _lock = new();
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Write(string level, string evt, Action<Utf8JsonWriter>? fields = null)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, s_options))
        {
            w.WriteStartObject();
            w.WriteString("ts", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("level", level);
            w.WriteString("event", evt);
            fields?.Invoke(w);
            w.WriteEndObject();
        }
        string line = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        lock (_lock)
        {
            try
            {
                writer.WriteLine(line);
                writer.Flush();
            }
            catch (ObjectDisposedException) { }
            catch (IOException) { }
        }
    }

    public void Info(string evt, Action<Utf8JsonWriter>? fields = null) => Write("info", evt, fields);
    public void Warn(string evt, Action<Utf8JsonWriter>? fields = null) => Write("warn", evt, fields);
}

/// <summary>Routes ASP.NET Core's own warnings and errors (Kestrel and hosting) into the same JSON lines.</summary>
internal sealed class ServerLogProvider(ServerLog log) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(log, categoryName);
    public void Dispose() { }

    private sealed class Logger(ServerLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception);
            log.Write(logLevel >= LogLevel.Error ? "error" : "warn", "framework", w =>
            {
                w.WriteString("category", category);
                w.WriteString("message", message);
                if (exception != null) w.WriteString("exception", exception.GetType().Name);
            });
        }
    }
}
