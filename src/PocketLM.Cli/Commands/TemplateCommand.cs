using System.Text;
using System.Text.Json;
using PocketLM.Chat;
using PocketLM.Gguf;
using PocketLM.Tokenization;

namespace PocketLM.Cli.Commands;

/// <summary><c>pocket template</c>: renders a chat template over messages and prints the prompt exactly.</summary>
internal static class TemplateCommand
{
    private const string Help = """
        usage: pocket template MODEL_OR_FILE --messages M.json [options]
          MODEL_OR_FILE           a GGUF (its tokenizer.chat_template; BOS/EOS from its vocabulary), a .jinja
                                  template, or a tokenizer_config.json (its chat_template, bos_token, eos_token)
          --messages M.json       OpenAI-style messages: an array of {role, content, ...} or {"messages": [...]}
                                  ('-' reads standard input)
          --chat-template FILE    use this template (.jinja or tokenizer_config.json) instead
          --bos S, --eos S        the bos_token / eos_token the template sees
          --no-generation-prompt  render without the assistant's generation prompt
          --var k=v               a template variable (repeatable); v is parsed as JSON when it parses, else a string,
                                  e.g. --var enable_thinking=false
          --tools T.json          tool definitions (a JSON array in OpenAI's format)
          --raw                   exactly what Hugging Face's apply_chat_template returns; by default the prompt is
                                  built as llama.cpp does (system folded into the user turn when the template has no
                                  system role, leading BOS and trailing EOS text removed: the tokenizer adds BOS)
        The prompt goes to standard output as is: no newline is added.
        """;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var vars = ExtractVars(args, out string[] rest);
        var cl = new CommandLine("template", rest, ["--messages", "--chat-template", "--bos", "--eos", "--tools"], ["--no-generation-prompt", "--raw"]);
        cl.ExpectPositional(1, "MODEL_OR_FILE --messages M.json");
        string source = cl.Positional.ElementAtOrDefault(0) ?? throw new UsageException("template: missing MODEL_OR_FILE (see 'pocket template --help')");
        string messagesPath = cl.GetString("--messages") ?? throw new UsageException("template: missing --messages M.json");

        var t = TemplateSource.FromModelOrFile(source);
        if (cl.GetString("--chat-template") is { } overridePath) t = t with { Template = TemplateSource.FromFile(overridePath).Template };
        if (t.Template == null)
        {
            // As pocket chat (and llama.cpp) do for a model without a template.
            Console.Error.WriteLine($"pocket: {source} has no chat template; ChatML is used (give one with --chat-template FILE)");
            t = t with { Template = ChatEngine.ChatMl };
        }
        string bos = cl.GetString("--bos") ?? t.Bos ?? "";
        string eos = cl.GetString("--eos") ?? t.Eos ?? "";
        string json = messagesPath == "-" ? Console.In.ReadToEnd() : File.ReadAllText(messagesPath);
        string? tools = cl.GetString("--tools") is { } toolsPath ? File.ReadAllText(toolsPath) : null;

        string text = TemplateSource.Guard(() =>
        {
            var messages = ChatMessage.ListFromJson(json);
            var template = ChatTemplate.Parse(t.Template);
            bool gen = !cl.Has("--no-generation-prompt");
            return cl.Has("--raw")
                ? template.Render(messages, gen, bos, eos, vars, tools)
                : template.RenderPrompt(messages, gen, bos, eos, vars, tools);
        });
        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
        stdout.Write(text);
        return 0;
    }

    /// <summary>Pulls the repeatable <c>--var k=v</c> options out (the shared parser keeps one value per option).</summary>
    internal static Dictionary<string, object?> ExtractVars(string[] args, out string[] rest)
    {
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal);
        var others = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? spec = null;
            if (a == "--") { others.AddRange(args.Skip(i)); break; }
            if (a == "--var")
            {
                if (i + 1 >= args.Length) throw new UsageException("template: option '--var' needs a value");
                spec = args[++i];
            }
            else if (a.StartsWith("--var=", StringComparison.Ordinal)) spec = a["--var=".Length..];
            if (spec == null) { others.Add(a); continue; }
            int eq = spec.IndexOf('=');
            if (eq <= 0) throw new UsageException($"template: --var expects NAME=VALUE, got '{spec}'");
            vars[spec[..eq]] = ParseValue(spec[(eq + 1)..]);
        }
        rest = others.ToArray();
        return vars;
    }

    /// <summary>JSON when it parses (false, 3, "x", [1], {"a": 1}, null), else the text itself.</summary>
    internal static object? ParseValue(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return text;
        }
    }
}

/// <summary>A chat template with the BOS/EOS texts that go with it, read from a GGUF, a .jinja file or a tokenizer_config.json.</summary>
internal sealed record TemplateSource(string? Template, string? Bos, string? Eos)
{
    public static TemplateSource FromModelOrFile(string path)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"{path}: is a directory, not a file");
        if (IsGguf(path))
        {
            using var file = GgufFile.Open(path);
            return FromGguf(file);
        }
        return FromFile(path);
    }

    public static TemplateSource FromGguf(GgufFile file)
    {
        string? template = file.GetString("tokenizer.chat_template");
        if (!file.Has("tokenizer.ggml.tokens")) return new TemplateSource(template, null, null);
        var tok = Tokenizer.FromGguf(file);
        string? Text(int id) => id >= 0 && id < tok.VocabSize ? tok.GetTokenText(id) : null;
        return new TemplateSource(template, Text(tok.BosId), Text(tok.EosId));
    }

    /// <summary>A .jinja template, or a tokenizer_config.json (any file whose text is a JSON object).</summary>
    public static TemplateSource FromFile(string path)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"{path}: is a directory, not a file");
        string text = File.ReadAllText(path);
        bool isJson = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        if (!isJson && (path.EndsWith(".jinja", StringComparison.OrdinalIgnoreCase) || !LooksLikeJsonObject(text))) return new TemplateSource(text, null, null);
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a tokenizer_config.json object");
            string? template = null;
            if (root.TryGetProperty("chat_template", out var ct))
            {
                template = ct.ValueKind switch
                {
                    JsonValueKind.String => ct.GetString(),
                    // Several named templates: [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
                    JsonValueKind.Array => ct.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object)
                        .OrderBy(e => e.TryGetProperty("name", out var n) && n.GetString() == "default" ? 0 : 1)
                        .Select(e => e.TryGetProperty("template", out var v) ? v.GetString() : null).FirstOrDefault(s => s != null),
                    _ => null,
                };
            }
            if (template == null) throw new InvalidDataException($"{path}: has no chat_template");
            return new TemplateSource(template, Token(root, "bos_token"), Token(root, "eos_token"));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}");
        }
    }

    private static bool LooksLikeJsonObject(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A special token given as "text" or as {"content": "text", ...}.</summary>
    private static string? Token(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()
        : null;

    private static bool IsGguf(string path)
    {
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return true;
        if (!File.Exists(path)) return false;
        Span<byte> magic = stackalloc byte[4];
        using var s = File.OpenRead(path);
        return s.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("GGUF"u8);
    }

    /// <summary>Runs template work, turning its errors (bad messages, template syntax, raise_exception) into one-line errors.</summary>
    public static T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (FormatException e) { throw new InvalidDataException(e.Message); }
        catch (TemplateException e) { throw new InvalidDataException(e.Message); }
    }
}
