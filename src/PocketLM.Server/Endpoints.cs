using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Sampling;

namespace PocketLM.Server;

public sealed partial class PocketServer
{
    private sealed record ParsedChat(ChatRequest Request, bool Stream, bool IncludeUsage, bool Logprobs);

    private static readonly string[] Roles = ["system", "user", "assistant", "tool"];

    private ParsedChat ParseChat(RequestInfo info, RequestReader r)
    {
        CheckModel(info, r.String("model"));
        if (!r.TryGet("messages", out var msgs) || msgs.ValueKind != JsonValueKind.Array)
            throw ApiException.Invalid("'messages' is required (an array of messages)", "messages");
        if (msgs.GetArrayLength() == 0) throw ApiException.Invalid("'messages' must not be empty", "messages");
        IReadOnlyList<ChatMessage> messages;
        try
        {
            messages = ChatMessage.ListFromJson(msgs.GetRawText());
        }
        catch (FormatException e)
        {
            throw ApiException.Invalid(e.Message, "messages");
        }
        var list = new List<ChatMessage>(messages.Count);
        foreach (var m in messages)
        {
            var message = m.Role == "developer" ? m with { Role = "system" } : m;
            if (Array.IndexOf(Roles, message.Role) < 0)
                throw ApiException.Invalid($"unknown message role '{Truncate(message.Role, 40)}' (system, developer, user, assistant or tool)", "messages");
            list.Add(message);
        }

        CheckN(r);
        bool logprobs = r.Bool("logprobs") ?? false;
        long? top = r.Integer("top_logprobs", 0, 20);
        if (top != null && !logprobs) throw ApiException.Invalid("'top_logprobs' needs 'logprobs': true", "top_logprobs");
        ReasoningEffort? effort = null;
        if (r.String("reasoning_effort") is { } effortText)
            effort = (effortText == "minimal" ? ReasoningEffort.Low : ReasoningBudgets.Parse(effortText))
                ?? throw ApiException.Invalid($"'reasoning_effort' must be none, minimal, low, medium or high (got '{Truncate(effortText, 40)}')", "reasoning_effort");
        string? tools = null;
        if (r.TryGet("tools", out var t))
        {
            if (t.ValueKind != JsonValueKind.Array) throw RequestReader.Type("tools", "an array");
            if (t.GetArrayLength() > 0) tools = t.GetRawText();
        }
        Dictionary<string, object?>? variables = null;
        if (r.TryGet("chat_template_kwargs", out var kw))
        {
            if (kw.ValueKind != JsonValueKind.Object) throw RequestReader.Type("chat_template_kwargs", "an object");
            variables = [];
            foreach (var p in kw.EnumerateObject()) variables[p.Name] = p.Value.Clone();
        }
        var (stream, includeUsage) = ReadStream(r);
        var request = new ChatRequest
        {
            Messages = list,
            Sampling = ReadSampling(r),
            MaxTokens = ReadMaxTokens(r),
            ReasoningEffort = effort,
            Stop = r.Strings("stop"),
            ToolsJson = tools,
            TemplateVariables = variables,
            TopLogprobs = logprobs ? (int)(top ?? 0) : -1,
        };
        return new ParsedChat(request, stream, includeUsage, logprobs);
    }

    private static void CheckN(RequestReader r)
    {
        if (r.Integer("n") is { } n && n != 1) throw ApiException.Invalid("only n = 1 is supported", "n");
    }

    private static (bool Stream, bool IncludeUsage) ReadStream(RequestReader r)
    {
        bool stream = r.Bool("stream") ?? false;
        bool includeUsage = false;
        if (r.TryGet("stream_options", out var so))
        {
            if (so.ValueKind != JsonValueKind.Object) throw RequestReader.Type("stream_options", "an object");
            includeUsage = new RequestReader(so).Bool("include_usage") ?? false;
        }
        return (stream, includeUsage);
    }

    /// <summary>max_completion_tokens (or the older max_tokens): ≥ 1, or −1 for "until the context is full".</summary>
    private static int ReadMaxTokens(RequestReader r)
    {
        string name = r.Has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        long? max = r.Integer(name, -1, int.MaxValue);
        if (max == 0) throw ApiException.Invalid($"'{name}' must be at least 1 (or -1: until the context is full)", name);
        return (int)(max ?? -1);
    }

    /// <summary>Sampling fields with OpenAI's ranges; what is not given keeps llama.cpp's defaults (as llama-server).</summary>
    private static SamplerOptions ReadSampling(RequestReader r)
    {
        var s = new SamplerOptions();
        if (r.Number("temperature", 0, 2) is { } temp) s = s with { Temperature = (float)temp };
        if (r.Number("top_p", 0, 1) is { } topP) s = s with { TopP = (float)topP };
        if (r.Integer("top_k", 0, int.MaxValue) is { } topK) s = s with { TopK = (int)topK };
        if (r.Number("min_p", 0, 1) is { } minP) s = s with { MinP = (float)minP };
        if (r.Number("presence_penalty", -2, 2) is { } pp) s = s with { PresencePenalty = (float)pp };
        if (r.Number("frequency_penalty", -2, 2) is { } fp) s = s with { FrequencyPenalty = (float)fp };
        if (r.Number("repeat_penalty", 0, 10) is { } rp)
            s = rp > 0 ? s with { RepeatPenalty = (float)rp } : throw ApiException.Invalid("'repeat_penalty' must be > 0", "repeat_penalty");
        if (r.Integer("repeat_last_n", -1, int.MaxValue) is { } lastN) s = s with { PenaltyLastN = (int)lastN };
        if (r.Integer("seed") is { } seed) s = s with { Seed = unchecked((ulong)seed) };
        try
        {
            s.Validate();
        }
        catch (ArgumentException e)
        {
            throw ApiException.Invalid(e.Message);
        }
        return s;
    }

    /// <summary>
    /// Renders the prompt. Clients send "content": null on assistant messages that only call tools; a template that
    /// cannot take None there (ChatML concatenates strings) gets "" instead, and the request is changed to match.
    /// </summary>
    private string Render(ref ChatRequest request)
    {
        try
        {
            return Renderer.RenderPrompt(request, out _);
        }
        catch (TemplateException) when (request.Messages.Any(m => m.Content == null))
        {
            var retry = request with { Messages = request.Messages.Select(m => m.Content == null ? m with { Content = "" } : m).ToList() };
            string prompt = RenderOrFail(retry);
            request = retry;
            return prompt;
        }
        catch (TemplateException e)
        {
            throw TemplateFailed(e);
        }
    }

    private string RenderOrFail(ChatRequest request)
    {
        try
        {
            return Renderer.RenderPrompt(request, out _);
        }
        catch (TemplateException e)
        {
            throw TemplateFailed(e);
        }
    }

    private static ApiException TemplateFailed(TemplateException e) =>
        ApiException.Invalid($"the chat template could not render these messages: {e.Reason}", "messages", "template_error");

    private int[] CheckFits(int[] prompt, string param)
    {
        if (prompt.Length == 0) throw ApiException.Invalid("the prompt has no tokens", param);
        if (prompt.Length >= ContextSize)
            throw ApiException.Invalid($"the prompt has {prompt.Length} tokens but the context holds {ContextSize} (including the reply)",
                param, "context_length_exceeded");
        return prompt;
    }

    private static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];

    /// <summary>
    /// Runs <paramref name="source"/> (which generates on the slot) on a thread of its own and hands its items over a
    /// channel, so a slow or vanished client never stalls the compute and a cancellation stops it within one token.
    /// </summary>
    private static (ChannelReader<T> Reader, Task Done) Produce<T>(Func<IEnumerable<T>> source)
    {
        var channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var task = Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var item in source()) channel.Writer.TryWrite(item);
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return (channel.Reader, task);
    }

    // ---- POST /v1/chat/completions ----

    private async Task ChatAsync(HttpContext ctx)
    {
        var info = Info(ctx);
        ParsedChat parsed;
        using (var doc = await ReadJsonAsync(ctx)) parsed = ParseChat(info, new RequestReader(doc.RootElement));
        var request = parsed.Request;
        info.Stream = parsed.Stream;
        int[] prompt = CheckFits(Renderer.Tokenize(Render(ref request)), "messages");
        info.PromptTokens = prompt.Length;

        using var lease = await _pool.AcquireAsync(prompt, ctx.RequestAborted);
        info.Slot = lease.Slot.Id;
        var engine = lease.Slot.Engine;
        var result = new ChatCompletion();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
        var (reader, done) = Produce(() => engine.Stream(request, result, cts.Token));
        string id = NewId("chatcmpl-");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        try
        {
            if (parsed.Stream) await StreamChatAsync(ctx, parsed, reader, done, result, id, created);
            else await CompleteChatAsync(ctx, parsed, reader, done, result, id, created);
        }
        finally
        {
            cts.Cancel();
            try { await done; } catch (Exception) { /* reported through the channel */ }
            Record(info, result.PromptTokens, result.CachedPromptTokens, result.CompletionTokens, result.FinishReason,
                result.Cancelled || ctx.RequestAborted.IsCancellationRequested, result.PromptTime, result.GenerationTime);
        }
    }

    private void Record(RequestInfo info, int prompt, int cached, int completion, string finish, bool cancelled, TimeSpan promptTime, TimeSpan genTime)
    {
        info.PromptTokens = prompt;
        info.CachedTokens = cached;
        info.CompletionTokens = completion;
        info.FinishReason = cancelled ? "cancelled" : finish;
        info.Cancelled |= cancelled;
        _metrics.Generation(prompt, cached, completion, promptTime, genTime, cancelled);
    }

    private void WriteHeader(Utf8JsonWriter w, string id, string obj, long created)
    {
        w.WriteString("id", id);
        w.WriteString("object", obj);
        w.WriteNumber("created", created);
        w.WriteString("model", ModelId);
        w.WriteString("system_fingerprint", "pocketlm");
    }

    private static void WriteUsage(Utf8JsonWriter w, int prompt, int cached, int completion, int reasoning)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", prompt);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", prompt + completion);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", cached);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", reasoning);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteTimings(Utf8JsonWriter w, int prompt, int cached, int completion, TimeSpan promptTime, TimeSpan genTime)
    {
        w.WriteStartObject("timings");
        w.WriteNumber("prompt_n", prompt - cached);
        w.WriteNumber("prompt_ms", Math.Round(promptTime.TotalMilliseconds, 3));
        w.WriteNumber("predicted_n", completion);
        w.WriteNumber("predicted_ms", Math.Round(genTime.TotalMilliseconds, 3));
        w.WriteNumber("predicted_per_second", genTime > TimeSpan.Zero ? Math.Round(completion / genTime.TotalSeconds, 2) : 0);
        w.WriteEndObject();
    }

    private async Task CompleteChatAsync(HttpContext ctx, ParsedChat parsed, ChannelReader<ChatDelta> reader, Task done,
        ChatCompletion result, string id, long created)
    {
        var logprobs = new List<TokenLogprobs>();
        await foreach (var d in reader.ReadAllAsync(ctx.RequestAborted))
            if (d.Logprobs != null && d.Channel == TextChannel.Answer) logprobs.Add(d.Logprobs);
        await done;
        if (result.Cancelled) throw new OperationCanceledException();
        await ServerJson.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            WriteHeader(w, id, "chat.completion", created);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", result.Content);
            if (result.Reasoning != null) w.WriteString("reasoning_content", result.Reasoning);
            w.WriteEndObject();
            if (parsed.Logprobs)
            {
                w.WriteStartObject("logprobs");
                w.WriteStartArray("content");
                foreach (var lp in logprobs) ServerJson.WriteChatLogprob(w, Tokenizer, lp);
                w.WriteEndArray();
                w.WriteNull("refusal");
                w.WriteEndObject();
            }
            else w.WriteNull("logprobs");
            w.WriteString("finish_reason", result.FinishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            WriteUsage(w, result.PromptTokens, result.CachedPromptTokens, result.CompletionTokens, result.ReasoningTokens);
            WriteTimings(w, result.PromptTokens, result.CachedPromptTokens, result.CompletionTokens, result.PromptTime, result.GenerationTime);
            w.WriteEndObject();
        });
    }

    private async Task StreamChatAsync(HttpContext ctx, ParsedChat parsed, ChannelReader<ChatDelta> reader, Task done,
        ChatCompletion result, string id, long created)
    {
        var events = new EventStream(ctx.Response, ctx.RequestAborted);
        await events.StartAsync();
        void Chunk(Action<Utf8JsonWriter> delta, TokenLogprobs? lp, string? finish) => events.Event(w =>
        {
            w.WriteStartObject();
            WriteHeader(w, id, "chat.completion.chunk", created);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
            if (lp != null)
            {
                w.WriteStartObject("logprobs");
                w.WriteStartArray("content");
                ServerJson.WriteChatLogprob(w, Tokenizer, lp);
                w.WriteEndArray();
                w.WriteNull("refusal");
                w.WriteEndObject();
            }
            else w.WriteNull("logprobs");
            if (finish != null) w.WriteString("finish_reason", finish); else w.WriteNull("finish_reason");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });

        Chunk(w => { w.WriteString("role", "assistant"); w.WriteString("content", ""); }, null, null);
        await events.FlushAsync();
        try
        {
            while (await reader.WaitToReadAsync(ctx.RequestAborted))
            {
                while (reader.TryRead(out var d))
                {
                    var lp = d.Channel == TextChannel.Answer ? d.Logprobs : null;
                    if (d.Text.Length == 0 && lp == null) continue;
                    string field = d.Channel == TextChannel.Reasoning ? "reasoning_content" : "content";
                    Chunk(w => w.WriteString(field, d.Text), lp, null);
                }
                await events.FlushAsync();
            }
            await done;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await StreamFailureAsync(ctx, events, e);
            return;
        }
        if (result.Cancelled) throw new OperationCanceledException();
        Chunk(_ => { }, null, result.FinishReason);
        if (parsed.IncludeUsage)
            events.Event(w =>
            {
                w.WriteStartObject();
                WriteHeader(w, id, "chat.completion.chunk", created);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, result.PromptTokens, result.CachedPromptTokens, result.CompletionTokens, result.ReasoningTokens);
                w.WriteEndObject();
            });
        events.Done();
        await events.FlushAsync();
    }

    // ---- POST /v1/completions ----

    private async Task CompletionsAsync(HttpContext ctx)
    {
        var info = Info(ctx);
        int[] prompt;
        string promptText;
        SamplerOptions sampling;
        int maxTokens, topLogprobs;
        IReadOnlyList<string>? stops;
        bool stream, includeUsage, echo;
        using (var doc = await ReadJsonAsync(ctx))
        {
            var r = new RequestReader(doc.RootElement);
            CheckModel(info, r.String("model"));
            (prompt, promptText) = ReadPrompt(r);
            CheckN(r);
            if (r.Integer("best_of") is { } bestOf && bestOf != 1) throw ApiException.Invalid("only best_of = 1 is supported", "best_of");
            sampling = ReadSampling(r);
            maxTokens = ReadMaxTokens(r);
            topLogprobs = r.Integer("logprobs", 0, 20) is { } lp ? (int)lp : -1;
            stops = r.Strings("stop");
            echo = r.Bool("echo") ?? false;
            (stream, includeUsage) = ReadStream(r);
        }
        info.Stream = stream;
        CheckFits(prompt, "prompt");
        info.PromptTokens = prompt.Length;

        using var lease = await _pool.AcquireAsync(prompt, ctx.RequestAborted);
        info.Slot = lease.Slot.Id;
        var session = lease.Slot.Engine.Session;
        var result = new RawResult();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
        var (reader, done) = Produce(() => RawCompletion.Run(session, Tokenizer, prompt, sampling, maxTokens, stops, topLogprobs, result, cts.Token));
        string id = NewId("cmpl-");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        try
        {
            if (stream) await StreamCompletionAsync(ctx, reader, done, result, id, created, includeUsage, echo ? promptText : null);
            else
            {
                var text = new System.Text.StringBuilder(echo ? promptText : "");
                var deltas = new List<RawDelta>();
                await foreach (var d in reader.ReadAllAsync(ctx.RequestAborted))
                {
                    text.Append(d.Text);
                    if (d.Logprobs != null) deltas.Add(d);
                }
                await done;
                if (result.Cancelled) throw new OperationCanceledException();
                await ServerJson.WriteAsync(ctx, 200, w =>
                {
                    w.WriteStartObject();
                    WriteHeader(w, id, "text_completion", created);
                    w.WriteStartArray("choices");
                    w.WriteStartObject();
                    w.WriteString("text", text.ToString());
                    w.WriteNumber("index", 0);
                    WriteLegacyLogprobs(w, topLogprobs >= 0 ? deltas : null, echo ? promptText.Length : 0);
                    w.WriteString("finish_reason", result.FinishReason);
                    w.WriteEndObject();
                    w.WriteEndArray();
                    WriteUsage(w, result.PromptTokens, result.CachedPromptTokens, result.CompletionTokens, 0);
                    WriteTimings(w, result.PromptTokens, result.CachedPromptTokens, result.CompletionTokens, result.PromptTime, result.GenerationTime);
                    w.WriteEndObject();
                });
            }
        }
        finally
        {
            cts.Cancel();
            try { await done; } catch (Exception) { /* reported through the channel */ }
            Record(info, result.PromptTokens, result.CachedPromptTokens, result.CompletionTokens, result.FinishReason,
                result.Cancelled || ctx.RequestAborted.IsCancellationRequested, result.PromptTime, result.GenerationTime);
        }
    }

    /// <summary>"prompt": a string, an array holding one string, or an array of token ids.</summary>
    private (int[] Tokens, string Text) ReadPrompt(RequestReader r)
    {
        if (!r.TryGet("prompt", out var p)) throw ApiException.Invalid("'prompt' is required", "prompt");
        if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String) p = p[0];
        if (p.ValueKind == JsonValueKind.String)
        {
            string text = p.GetString()!;
            return (Tokenizer.Encode(text, addSpecial: true, parseSpecial: true), text);
        }
        if (p.ValueKind == JsonValueKind.Array && p.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
        {
            int[] ids = ReadTokenIds(p, "prompt");
            return (ids, Tokenizer.Decode(ids, renderSpecial: true));
        }
        if (p.ValueKind == JsonValueKind.Array && p.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            throw ApiException.Invalid("only one prompt per request is supported", "prompt");
        throw RequestReader.Type("prompt", "a string, an array with one string, or an array of token ids");
    }

    /// <summary>The legacy completions logprobs object: tokens, token_logprobs, top_logprobs, text_offset.</summary>
    private static void WriteLegacyLogprobs(Utf8JsonWriter w, IReadOnlyList<RawDelta>? deltas, int offset)
    {
        if (deltas == null) { w.WriteNull("logprobs"); return; }
        w.WriteStartObject("logprobs");
        w.WriteStartArray("tokens");
        foreach (var d in deltas) w.WriteStringValue(d.Logprobs!.Chosen.Text);
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs");
        foreach (var d in deltas) w.WriteNumberValue(float.IsFinite(d.Logprobs!.Chosen.Logprob) ? d.Logprobs.Chosen.Logprob : -9999f);
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs");
        foreach (var d in deltas)
        {
            w.WriteStartObject();
            foreach (var alt in d.Logprobs!.Top) ServerJson.WriteLogprob(w, alt.Text, alt.Logprob);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("text_offset");
        foreach (var d in deltas)
        {
            w.WriteNumberValue(offset);
            offset += d.Logprobs!.Chosen.Text.Length;
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private async Task StreamCompletionAsync(HttpContext ctx, ChannelReader<RawDelta> reader, Task done, RawResult result,
        string id, long created, bool includeUsage, string? echo)
    {
        var events = new EventStream(ctx.Response, ctx.RequestAborted);
        await events.StartAsync();
        void Chunk(string text, RawDelta? d, string? finish) => events.Event(w =>
        {
            w.WriteStartObject();
            WriteHeader(w, id, "text_completion", created);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteString("text", text);
            w.WriteNumber("index", 0);
            WriteLegacyLogprobs(w, d?.Logprobs != null ? [d.Value] : null, 0);
            if (finish != null) w.WriteString("finish_reason", finish); else w.WriteNull("finish_reason");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });
        if (!string.IsNullOrEmpty(echo)) Chunk(echo, null, null);
        await events.FlushAsync();
        try
        {
            while (await reader.WaitToReadAsync(ctx.RequestAborted))
            {
                while (reader.TryRead(out var d))
                    if (d.Text.Length > 0 || d.Logprobs != null) Chunk(d.Text, d, null);
                await events.FlushAsync();
            }
            await done;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await StreamFailureAsync(ctx, events, e);
            return;
        }
        if (result.Cancelled) throw new OperationCanceledException();
        Chunk("", null, result.FinishReason);
        if (includeUsage)
            events.Event(w =>
            {
                w.WriteStartObject();
                WriteHeader(w, id, "text_completion", created);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, result.PromptTokens, result.CachedPromptTokens, result.CompletionTokens, 0);
                w.WriteEndObject();
            });
        events.Done();
        await events.FlushAsync();
    }

    /// <summary>The headers are out, so a failure mid-stream is reported as an error event, as OpenAI does.</summary>
    private static async Task StreamFailureAsync(HttpContext ctx, EventStream events, Exception e)
    {
        Info(ctx).Error = e.GetType().Name;
        events.Event(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            ServerJson.WriteError(w, $"generation failed ({e.GetType().Name})", "server_error", null, null);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        await events.FlushAsync();
    }
}
