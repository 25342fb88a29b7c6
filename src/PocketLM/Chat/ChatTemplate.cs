using System.Text.Json;
using PocketLM.Chat.Jinja;

namespace PocketLM.Chat;

/// <summary>
/// A Jinja2 chat template, rendered the way Hugging Face's <c>apply_chat_template</c> does: trim_blocks and
/// lstrip_blocks on, loopcontrols, <c>raise_exception</c> and <c>strftime_now</c> globals, and a <c>tojson</c> that
/// behaves like <c>json.dumps(x, ensure_ascii=False, ...)</c>. Parse once, render many times (also concurrently).
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<Stmt> body;
    private bool? supportsSystemRole;

    private ChatTemplate(string source, List<Stmt> body)
    {
        Source = source;
        this.body = body;
    }

    /// <summary>Parses a template. Throws <see cref="TemplateException"/> (with line and column) on a syntax error.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, Parser.Parse(source));
    }

    public string Source { get; }

    /// <summary>
    /// Renders like <c>tokenizer.apply_chat_template(messages, tools=..., add_generation_prompt=..., tokenize=False, **variables)</c>:
    /// the template sees <c>messages</c>, <c>tools</c> (None unless <paramref name="toolsJson"/>, a JSON array, is given),
    /// <c>documents</c> (None), <c>add_generation_prompt</c>, <c>bos_token</c>, <c>eos_token</c>, and each extra variable
    /// (plain .NET values, dictionaries, lists, <see cref="JsonElement"/> or JsonNode).
    /// Throws <see cref="TemplateException"/> when rendering fails, including the template's own raise_exception.
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string bos = "", string eos = "",
        IReadOnlyDictionary<string, object?>? variables = null, string? toolsJson = null) =>
        RenderMessages(messages, addGenerationPrompt, bos, eos, variables, toolsJson, objectArguments: true);

    /// <summary>Renders with exactly the given variables (plus the globals), for templates that are not chat templates.</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var vars = new Dictionary<string, object?>();
        foreach (var kv in variables) vars[kv.Key] = Json.FromNet(kv.Value);
        return RenderCore(vars);
    }

    /// <summary>
    /// Whether the template shows a system message, detected as llama.cpp does: render [system "&lt;System Needle&gt;",
    /// user "&lt;User Needle&gt;"] and look for the needle; a template that raises counts as not supporting it.
    /// </summary>
    public bool SupportsSystemRole
    {
        get
        {
            if (supportsSystemRole is bool b) return b;
            bool ok;
            try
            {
                string probe = Render([new("system", "<System Needle>"), new("user", "<User Needle>")], addGenerationPrompt: false);
                ok = probe.Contains("<System Needle>", StringComparison.Ordinal);
            }
            catch (TemplateException)
            {
                ok = false;
            }
            supportsSystemRole = ok;
            return ok;
        }
    }

    /// <summary>
    /// The prompt text for a model, as llama.cpp builds it: system messages merged into the next user message when the
    /// template cannot show them (<see cref="SupportsSystemRole"/>); tool-call arguments passed as objects, or as the
    /// raw JSON strings if the template fails with objects; then one leading <paramref name="bos"/> and one trailing
    /// <paramref name="eos"/> removed, because the tokenizer adds BOS itself.
    /// </summary>
    public string RenderPrompt(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string bos = "", string eos = "",
        IReadOnlyDictionary<string, object?>? variables = null, string? toolsJson = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var msgs = SupportsSystemRole ? messages : MergeSystemIntoUser(messages);
        string text;
        try
        {
            text = RenderMessages(msgs, addGenerationPrompt, bos, eos, variables, toolsJson, objectArguments: true);
        }
        catch (TemplateException) when (msgs.Any(m => m.ToolCalls is { Count: > 0 }))
        {
            text = RenderMessages(msgs, addGenerationPrompt, bos, eos, variables, toolsJson, objectArguments: false);
        }
        if (bos.Length > 0 && text.StartsWith(bos, StringComparison.Ordinal)) text = text[bos.Length..];
        if (eos.Length > 0 && text.EndsWith(eos, StringComparison.Ordinal)) text = text[..^eos.Length];
        return text;
    }

    /// <summary>
    /// Folds each system message into the next user message (system + "\n" + user); system text with no user message
    /// after it, or followed by another role, becomes a user message of its own.
    /// </summary>
    public static IReadOnlyList<ChatMessage> MergeSystemIntoUser(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var res = new List<ChatMessage>();
        string? pending = null;
        foreach (var m in messages)
        {
            if (m.Role == "system")
            {
                pending = pending is null ? m.Content ?? "" : pending + "\n" + m.Content;
                continue;
            }
            if (pending is not null)
            {
                if (m.Role == "user")
                {
                    res.Add(m with { Content = string.IsNullOrEmpty(m.Content) ? pending : pending + "\n" + m.Content });
                    pending = null;
                    continue;
                }
                res.Add(new ChatMessage("user", pending));
                pending = null;
            }
            res.Add(m);
        }
        if (pending is not null) res.Add(new ChatMessage("user", pending));
        return res;
    }

    internal string RenderMessages(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string bos, string eos,
        IReadOnlyDictionary<string, object?>? variables, string? toolsJson, bool objectArguments)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = new PyList();
        foreach (var m in messages) list.Add(Json.MessageToValue(m, objectArguments));
        object? tools = null;
        if (toolsJson is not null)
        {
            try
            {
                tools = Json.Parse(toolsJson);
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"tools are not valid JSON: {e.Message}", nameof(toolsJson), e);
            }
            if (tools is not PyList) throw new ArgumentException("tools must be a JSON array", nameof(toolsJson));
        }
        var vars = new Dictionary<string, object?>
        {
            ["messages"] = list,
            ["tools"] = tools,
            ["documents"] = null,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = bos,
            ["eos_token"] = eos,
        };
        if (variables is not null)
            foreach (var kv in variables) vars[kv.Key] = Json.FromNet(kv.Value);
        return RenderCore(vars);
    }

    private string RenderCore(Dictionary<string, object?> vars)
    {
        var globals = new Scope(null);
        Builtins.AddGlobals(globals);
        var scope = new Scope(globals);
        foreach (var kv in vars) scope.Set(kv.Key, kv.Value);
        var ctx = new Ctx(scope);
        try
        {
            Stmt.ExecBody(ctx, body);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateException("template nesting is too deep");
        }
        return ctx.Out.ToString();
    }
}
