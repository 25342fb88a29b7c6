using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using PocketLM.Chat;
using PocketLM.Tokenization;

namespace PocketLM.Server;

/// <summary>Writing JSON responses and server-sent events.</summary>
internal static class ServerJson
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ReadOnlyMemory<byte> Build(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) write(w);
        return buffer.WrittenMemory;
    }

    public static async Task WriteAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var body = Build(write);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext ctx, int status, string message, string type, string? param, string? code) =>
        WriteAsync(ctx, status, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            WriteError(w, message, type, param, code);
            w.WriteEndObject();
            w.WriteEndObject();
        });

    public static void WriteError(Utf8JsonWriter w, string message, string type, string? param, string? code)
    {
        w.WriteString("message", message);
        w.WriteString("type", type);
        if (param != null) w.WriteString("param", param); else w.WriteNull("param");
        if (code != null) w.WriteString("code", code); else w.WriteNull("code");
    }

    /// <summary>A log-probability as a JSON number (−9999 stands for −∞, as OpenAI does).</summary>
    public static void WriteLogprob(Utf8JsonWriter w, string name, float logprob) =>
        w.WriteNumber(name, float.IsFinite(logprob) ? logprob : -9999f);

    /// <summary>OpenAI's chat logprob entry: {token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}.</summary>
    public static void WriteChatLogprob(Utf8JsonWriter w, Tokenizer tokenizer, TokenLogprobs lp)
    {
        w.WriteStartObject();
        WriteTokenLogprob(w, tokenizer, lp.Chosen);
        w.WriteStartArray("top_logprobs");
        foreach (var alt in lp.Top)
        {
            w.WriteStartObject();
            WriteTokenLogprob(w, tokenizer, alt);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTokenLogprob(Utf8JsonWriter w, Tokenizer tokenizer, TokenLogprob t)
    {
        // The token's own piece (with its leading space), not a stand-alone decode (which drops a SentencePiece space).
        byte[] bytes = tokenizer.TokenToBytes(t.Id, renderSpecial: true);
        w.WriteString("token", System.Text.Encoding.UTF8.GetString(bytes));
        WriteLogprob(w, "logprob", t.Logprob);
        w.WriteStartArray("bytes");
        foreach (byte b in bytes) w.WriteNumberValue(b);
        w.WriteEndArray();
    }
}

/// <summary>Server-sent events on a response: "data: JSON\n\n" frames, flushed in batches.</summary>
internal sealed class EventStream(HttpResponse response, CancellationToken cancellation)
{
    private static readonly byte[] s_data = "data: "u8.ToArray(), s_end = "\n\n"u8.ToArray(), s_done = "data: [DONE]\n\n"u8.ToArray();
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    public async Task StartAsync()
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancellation);
    }

    public void Event(Action<Utf8JsonWriter> write)
    {
        _buffer.Write(s_data);
        using (var w = new Utf8JsonWriter(_buffer, ServerJson.WriterOptions)) write(w);
        _buffer.Write(s_end);
    }

    public void Done() => _buffer.Write(s_done);

    public async Task FlushAsync()
    {
        if (_buffer.WrittenCount == 0) return;
        await response.Body.WriteAsync(_buffer.WrittenMemory, cancellation);
        _buffer.ResetWrittenCount();
        await response.Body.FlushAsync(cancellation);
    }
}
