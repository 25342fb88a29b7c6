using System.Globalization;
using System.Text;
using System.Text.Json;
using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Sampling;

namespace PocketLM.Cli.Commands;

/// <summary>
/// <c>pocket chat</c>: an interactive conversation with streamed replies. Thinking is shown dimmed on a terminal (with a
/// "thinking: " prefix when the output is not a terminal) and can be collapsed; Ctrl+C stops the current reply.
/// </summary>
internal static class ChatCommand
{
    private const string Help = """
        usage: pocket chat [MODEL.gguf] [options]
          MODEL                      a GGUF file (default: the built-in stories260K)
          --system S                 system message
          --reasoning-effort E       none, low, medium or high: thinking budgets of 512, 2048 and 8192 tokens
                                     (none turns thinking off; default: the model thinks as long as it likes)
          --think-budget N           exact thinking budget in tokens (overrides the effort; 0 = no thinking)
          --chat-template FILE       a .jinja template or tokenizer_config.json instead of the model's template
          -n, --n-predict N          most tokens per reply (default -1: until the model ends its turn)
          -c, --ctx N                context size (default: min(model context, 4096))
          --temp T                   temperature (default 0.8; 0 = greedy)
          -s, --seed S               seed for reproducible sampling (default: random)
          -t, --threads N            compute threads (default: one per physical core)
          --llama-threads N          thread count of the llama.cpp run to agree with past 256 tokens of context
                                     (default: -t if given, else half the cores, as LLamaSharp)
          -ctk, -ctv T               K and V cache types (f16 default; q8_0, q4_0, q4_1, q5_0, q5_1, bf16; f32 for both)
        Type /help in the chat for its commands. Ctrl+C stops the current reply; Ctrl+C twice at the prompt, Ctrl+D or
        /exit leaves. Without a terminal, lines are read from standard input, one message per line.
        """;

    private const string ReplHelp = """
        commands:
          /think show|hide   show the model's thinking, or collapse it to one line
          /effort E          reasoning effort: none, low, medium, high, or default (unbounded)
          /reset             start a new conversation (the system message stays)
          /save FILE         save the conversation as JSON (OpenAI-style messages)
          /load FILE         continue a saved conversation
          /stats             tokens of the last reply (reasoning vs answer), speed, cached prompt tokens
          /help              this list
          /exit              leave (also Ctrl+D; Ctrl+C stops a reply, twice at the prompt leaves)
        """;

    private const string Dim = "\u001b[2m", Reset = "\u001b[0m";

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("chat", args,
            ["--system", "--reasoning-effort", "--think-budget", "--chat-template", "-n|--n-predict", "-c|--ctx", "--temp", "-s|--seed", "-t|--threads", "--llama-threads",
             .. CommandLine.CacheTypeOptions], []);
        cl.ExpectPositional(1, "[MODEL.gguf] [options]");
        ReasoningEffort? effort = null;
        if (cl.GetString("--reasoning-effort") is { } e)
            effort = ReasoningBudgets.Parse(e) ?? throw new UsageException($"chat: --reasoning-effort must be none, low, medium or high, got '{e}'");
        int? thinkBudget = cl.Has("--think-budget") ? cl.GetInt("--think-budget", 0, 0) : null;
        int maxTokens = cl.GetInt("--n-predict", -1, -1);
        var sampling = new SamplerOptions { Temperature = cl.GetFloat("--temp", 0.8f, 0), Seed = cl.GetULong("--seed") };
        var session = new SessionOptions
        {
            ContextSize = cl.GetInt("--ctx", 0, 0),
            Threads = cl.GetInt("--threads", 0, 1, 1024), // 0: every core
            LlamaCppThreads = cl.GetInt("--llama-threads", 0, 1, 1024),
            KeyCacheType = cl.GetCacheType("--cache-type-k"),
            ValueCacheType = cl.GetCacheType("--cache-type-v"),
        };
        ChatTemplate? template = null;
        if (cl.GetString("--chat-template") is { } tp)
        {
            string source = TemplateSource.FromFile(tp).Template!;
            template = TemplateSource.Guard(() => ChatTemplate.Parse(source));
        }

        using var model = ModelSource.Load(cl.Positional.ElementAtOrDefault(0));
        using var engine = new ChatEngine(model, session, template);
        var repl = new Repl(engine, cl.GetString("--system"), sampling, maxTokens) { Effort = effort, ThinkBudget = thinkBudget };
        return repl.Run();
    }

    private sealed class Repl(ChatEngine engine, string? system, SamplerOptions sampling, int maxTokens)
    {
        private readonly List<ChatMessage> _history = system is null ? [] : [new ChatMessage("system", system)];
        private readonly bool _terminalIn = !Console.IsInputRedirected;
        private readonly bool _terminalOut = !Console.IsOutputRedirected;
        private readonly StreamWriter _out = new(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        private readonly object _lock = new();
        private CancellationTokenSource? _reply;
        private bool _interruptedAtPrompt;
        private bool _showThinking = true;
        private ChatCompletion? _last;
        private int _replies, _totalReasoning, _totalAnswer;

        public ReasoningEffort? Effort { get; set; }
        public int? ThinkBudget { get; set; }

        public int Run()
        {
            var err = Console.Error;
            err.WriteLine($"pocket chat: {engine.Model.Name} ({engine.Model.Config.Architecture}), context {engine.Session.ContextSize}, " +
                          $"{(engine.UsesFallbackTemplate ? "no chat template (ChatML used)" : "chat template from the model")}" +
                          $"{(engine.IsReasoningModel ? $", thinking: {DescribeEffort()}" : "")}. /help for commands, Ctrl+D to leave.");
            ConsoleCancelEventHandler onCancel = OnCancel;
            Console.CancelKeyPress += onCancel;
            try
            {
                while (true)
                {
                    if (_terminalIn) _out.Write("> ");
                    string? line = Console.In.ReadLine();
                    lock (_lock) _interruptedAtPrompt = false;
                    if (line == null)
                    {
                        if (_terminalIn) _out.WriteLine();
                        return 0;
                    }
                    line = line.Trim();
                    if (line.Length == 0) continue;
                    if (line.StartsWith('/'))
                    {
                        if (!Command(line)) return 0;
                        continue;
                    }
                    Reply(line);
                }
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        }

        private void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            lock (_lock)
            {
                if (_reply != null) { _reply.Cancel(); return; }
                if (_interruptedAtPrompt)
                {
                    _out.WriteLine();
                    Environment.Exit(130);
                }
                _interruptedAtPrompt = true;
            }
            _out.Write(_terminalIn ? "\n(Ctrl+C again, Ctrl+D or /exit to leave)\n> " : "(Ctrl+C again to leave)\n");
        }

        private string DescribeEffort() =>
            ThinkBudget is int b ? $"budget {b} tokens"
            : Effort is { } e ? $"effort {e.ToString().ToLowerInvariant()} ({(e == ReasoningEffort.None ? "off" : $"{engine.Budgets.For(e)} tokens")})"
            : "unbounded";

        /// <summary>Runs a REPL command; false means leave.</summary>
        private bool Command(string line)
        {
            int space = line.IndexOf(' ');
            string name = (space < 0 ? line : line[..space]).ToLowerInvariant();
            string arg = space < 0 ? "" : line[(space + 1)..].Trim();
            try
            {
                switch (name)
                {
                    case "/exit" or "/quit" or "/bye":
                        return false;
                    case "/help" or "/?":
                        _out.WriteLine(ReplHelp);
                        break;
                    case "/reset":
                        _history.RemoveAll(m => m.Role != "system");
                        engine.Reset();
                        _last = null;
                        Info("new conversation");
                        break;
                    case "/think":
                        if (arg is "show" or "on") _showThinking = true;
                        else if (arg is "hide" or "off") _showThinking = false;
                        else if (arg.Length > 0) throw new ArgumentException("usage: /think show|hide");
                        Info($"thinking {(_showThinking ? "shown" : "hidden")}");
                        break;
                    case "/effort":
                        if (arg.Length > 0)
                        {
                            if (arg is "default" or "unbounded") Effort = null;
                            else Effort = ReasoningBudgets.Parse(arg) ?? throw new ArgumentException("usage: /effort none|low|medium|high|default");
                            ThinkBudget = null;
                        }
                        Info($"thinking: {DescribeEffort()}");
                        break;
                    case "/save":
                        if (arg.Length == 0) throw new ArgumentException("usage: /save FILE");
                        File.WriteAllText(arg, ToJson(_history));
                        Info($"saved {_history.Count} messages to {arg}");
                        break;
                    case "/load":
                        if (arg.Length == 0) throw new ArgumentException("usage: /load FILE");
                        var loaded = ChatMessage.ListFromJson(File.ReadAllText(arg));
                        _history.Clear();
                        _history.AddRange(loaded);
                        _last = null;
                        Info($"loaded {loaded.Count} messages from {arg}");
                        break;
                    case "/stats":
                        Stats();
                        break;
                    default:
                        throw new ArgumentException($"unknown command {name} (/help lists them)");
                }
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or FormatException or NotSupportedException)
            {
                Info("error: " + e.Message.ReplaceLineEndings(" "));
            }
            return true;
        }

        private void Info(string text) => _out.WriteLine(_terminalOut ? $"{Dim}{text}{Reset}" : text);

        private void Stats()
        {
            var inv = CultureInfo.InvariantCulture;
            if (_last is not { } r)
            {
                Info("no reply yet");
                return;
            }
            double genS = Math.Max(r.GenerationTime.TotalSeconds, 1e-9), promptS = Math.Max(r.PromptTime.TotalSeconds, 1e-9);
            string stop = r.Cancelled ? "interrupted" : r.FinishReason == "length" ? "token limit" : "end of turn";
            Info(string.Create(inv,
                $"last reply: {r.CompletionTokens} tokens ({r.ReasoningTokens} reasoning + {r.AnswerTokens} answer{(r.ReasoningTruncated ? ", thinking cut at the budget" : "")}), " +
                $"{r.CompletionTokens / genS:F1} tok/s; prompt {r.PromptTokens} tokens ({r.CachedPromptTokens} cached), " +
                $"{(r.PromptTokens - r.CachedPromptTokens) / promptS:F1} tok/s; stop: {stop}"));
            Info(string.Create(inv,
                $"conversation: {_history.Count} messages, {_replies} replies ({_totalReasoning} reasoning + {_totalAnswer} answer tokens), " +
                $"context {engine.Session.Position}/{engine.Session.ContextSize} tokens; thinking: {DescribeEffort()}"));
        }

        private void Reply(string text)
        {
            _history.Add(new ChatMessage("user", text));
            var request = new ChatRequest
            {
                Messages = _history.ToList(),
                Sampling = sampling,
                MaxTokens = maxTokens,
                ReasoningEffort = Effort,
                ThinkBudget = ThinkBudget,
            };
            var result = new ChatCompletion();
            using var cts = new CancellationTokenSource();
            lock (_lock) _reply = cts;
            var channel = (TextChannel?)null;
            bool lineStart = true, collapsedShown = false;
            try
            {
                foreach (var d in engine.Stream(request, result, cts.Token))
                {
                    if (d.Text.Length == 0) continue;
                    if (d.Channel == TextChannel.Reasoning)
                    {
                        if (channel != TextChannel.Reasoning) channel = TextChannel.Reasoning;
                        if (!_showThinking)
                        {
                            if (!collapsedShown) _out.Write(_terminalOut ? $"{Dim}thinking…{Reset}" : "thinking: …");
                            collapsedShown = true;
                            continue;
                        }
                        WriteThinking(d.Text, ref lineStart);
                    }
                    else
                    {
                        if (channel == TextChannel.Reasoning) EndThinking(result, ref lineStart);
                        channel = TextChannel.Answer;
                        _out.Write(d.Text);
                    }
                }
                if (channel == TextChannel.Reasoning) EndThinking(result, ref lineStart);
            }
            catch (ContextOverflowException e)
            {
                _history.RemoveAt(_history.Count - 1);
                _out.WriteLine();
                Info($"error: {e.Message} (/reset starts over)");
                return;
            }
            finally
            {
                lock (_lock) _reply = null;
            }
            if (result.Cancelled) _out.Write(_terminalOut ? $" {Dim}[stopped]{Reset}" : " [stopped]");
            else if (result.FinishReason == "length") _out.Write(_terminalOut ? $" {Dim}[token limit]{Reset}" : " [token limit]");
            _out.WriteLine();
            _history.Add(new ChatMessage("assistant", result.Content) { ReasoningContent = result.Reasoning });
            _last = result;
            _replies++;
            _totalReasoning += result.ReasoningTokens;
            _totalAnswer += result.AnswerTokens;
        }

        private void WriteThinking(string text, ref bool lineStart)
        {
            if (_terminalOut)
            {
                _out.Write(Dim + text + Reset);
                lineStart = text.EndsWith('\n');
                return;
            }
            var sb = new StringBuilder();
            foreach (char c in text)
            {
                if (lineStart) sb.Append("thinking: ");
                sb.Append(c);
                lineStart = c == '\n';
            }
            _out.Write(sb.ToString());
        }

        private void EndThinking(ChatCompletion result, ref bool lineStart)
        {
            if (!_showThinking)
            {
                string summary = $" ({result.ReasoningTokens} tokens{(result.ReasoningTruncated ? ", cut at the budget" : "")}; /think show to see it)";
                _out.WriteLine(_terminalOut ? Dim + summary + Reset : summary);
            }
            else if (!lineStart) _out.WriteLine();
            lineStart = true;
        }

        private static string ToJson(IReadOnlyList<ChatMessage> messages)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteStartArray("messages");
                foreach (var m in messages)
                {
                    w.WriteStartObject();
                    w.WriteString("role", m.Role);
                    if (m.Content is null) w.WriteNull("content");
                    else w.WriteString("content", m.Content);
                    if (m.ReasoningContent is { } rc) w.WriteString("reasoning_content", rc);
                    if (m.Name is { } n) w.WriteString("name", n);
                    if (m.ToolCallId is { } id) w.WriteString("tool_call_id", id);
                    if (m.ToolCalls is { Count: > 0 } calls)
                    {
                        w.WriteStartArray("tool_calls");
                        foreach (var c in calls)
                        {
                            w.WriteStartObject();
                            w.WriteString("id", c.Id);
                            w.WriteString("type", "function");
                            w.WriteStartObject("function");
                            w.WriteString("name", c.Name);
                            w.WriteString("arguments", c.ArgumentsJson);
                            w.WriteEndObject();
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
        }
    }
}
