using System.Diagnostics;
using System.Text;
using PocketLM.Chat;
using PocketLM.Inference;
using PocketLM.Models;
using PocketLM.Sampling;
using PocketLM.Tensors;
using PocketLM.Tests.Chat;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Cli;

/// <summary>
/// <c>pocket chat</c> driven the way a person uses it: lines on standard input (always), a signal for Ctrl+C, and a real
/// terminal under tmux (send-keys / capture-pane).
/// </summary>
public class ChatReplTests(ITestOutputHelper output)
{
    private static readonly Lazy<string> s_slowModel = new(() =>
    {
        // Random weights, synthetic vocabulary (its end token is damped, so replies run to the context's end), 8192
        // tokens of context: a reply that lasts seconds, long enough to interrupt.
        string path = Path.Combine(Fixtures.TempDir(), "slow.gguf");
        var shape = SyntheticShape.TestLlamaMqa with
        {
            Name = "slow-chat", EmbeddingLength = 512, BlockCount = 4, HeadCount = 8, KvHeadCount = 2, FeedForwardLength = 1536, ContextLength = 8192,
        };
        SyntheticModel.Write(shape, path, new SyntheticOptions { WeightType = GgmlType.F16 });
        return path;
    });

    private static string Stories => Fixtures.Model("stories260K.gguf");

    private static string ExpectedGreedy(int maxTokens, params ChatMessage[] messages)
    {
        using var model = LanguageModel.Load(Stories);
        using var chat = new ChatEngine(model, new SessionOptions { ContextSize = 512 });
        return chat.Complete(new ChatRequest { Messages = messages, Sampling = SamplerOptions.Greedy, MaxTokens = maxTokens }).Content;
    }

    [Fact]
    public void APipedConversationStreamsAnswersAndRunsCommands()
    {
        string dir = Fixtures.TempDir();
        string saved = Path.Combine(dir, "conversation.json");
        string input = $"Once upon a time\n/stats\n/save {saved}\n/reset\n/stats\n/load {saved}\n/bogus\n/help\nThe end\n/stats\nAgain\n/stats\n/exit\nnot read\n";
        var r = PocketProcess.RunIn(dir, input, "chat", Stories, "--temp", "0", "-n", "12", "-t", "2", "--system", "You tell stories.");
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("error", r.Stderr);
        Assert.Contains("pocket chat:", r.Stderr);
        string[] lines = r.Stdout.Split('\n');
        output.WriteLine(r.Stdout);

        Assert.Equal(ExpectedGreedy(12, new("system", "You tell stories."), new("user", "Once upon a time")) + " [token limit]", lines[0]);
        Assert.False(r.Stdout.Contains('\u001b'), "ANSI escapes without a terminal");
        Assert.Contains(" [token limit]", lines[0]);
        Assert.StartsWith("last reply: 12 tokens (0 reasoning + 12 answer), ", lines[1]);
        Assert.Contains("tok/s", lines[1]);
        Assert.Contains("(0 cached)", lines[1]);
        Assert.StartsWith("conversation: 3 messages, 1 replies", lines[2]);
        Assert.Equal($"saved 3 messages to {saved}", lines[3]);
        Assert.Equal("new conversation", lines[4]);
        Assert.Equal("no reply yet", lines[5]);
        Assert.Equal($"loaded 3 messages from {saved}", lines[6]);
        Assert.StartsWith("error: unknown command /bogus", lines[7]);
        Assert.Contains("/think show|hide", r.Stdout);
        Assert.DoesNotContain("not read", r.Stdout);

        var history = ChatMessage.ListFromJson(File.ReadAllText(saved));
        Assert.Equal(["system", "user", "assistant"], history.Select(m => m.Role));
        Assert.Equal("You tell stories.", history[0].Content);
        Assert.Equal(lines[0][..^" [token limit]".Length], history[2].Content);

        // The second turn continued the loaded conversation (recomputed: /reset emptied the cache); the third reused it.
        var stats = lines.Where(l => l.StartsWith("last reply:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, stats.Length);
        Assert.Contains("(0 cached)", stats[1]);
        Assert.DoesNotContain("(0 cached)", stats[2]);
        Assert.Contains("conversation: 5 messages, 2 replies", r.Stdout);
        Assert.Contains("conversation: 7 messages, 3 replies", r.Stdout);
    }

    [Fact]
    public void TheAnswerIsTheGreedyReplyAndEndOfInputLeaves()
    {
        var r = PocketProcess.RunIn(Environment.CurrentDirectory, "Once upon a time\n", "chat", Stories, "--temp", "0", "-n", "10", "-t", "2");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(ExpectedGreedy(10, new ChatMessage("user", "Once upon a time")) + " [token limit]\n", r.Stdout);
    }

    [Fact]
    public void ThinkingIsPrefixedCollapsibleAndBudgeted()
    {
        if (SteeredQwen3.Path is not { } model) return;   // offline: see NpmTokenizerFixtures
        string r1 = Path.Combine(ChatFixtures.Dir, "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja");   // opens <think>
        string input = "Why?\n/stats\n/think hide\nAnd?\n/effort none\nOK\n/stats\n/effort\n";
        var r = PocketProcess.RunIn(Environment.CurrentDirectory, input, "chat", model, "--chat-template", r1, "--think-budget", "4", "--temp", "0", "-n", "12", "-t", "2");
        output.WriteLine(r.Stdout);
        output.WriteLine(r.Stderr);
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Stdout.Split('\n');
        Assert.StartsWith("thinking: ", lines[0]);
        int stats = Array.FindIndex(lines, l => l.StartsWith("last reply:", StringComparison.Ordinal));
        Assert.All(lines[..stats], l => Assert.True(l.StartsWith("thinking: ", StringComparison.Ordinal) || l == lines[stats - 1], l));
        Assert.Contains("(4 reasoning + 8 answer, thinking cut at the budget)", lines[stats]);
        Assert.Contains("thinking: budget 4 tokens", r.Stdout);
        Assert.Contains("thinking hidden", r.Stdout);
        Assert.Contains("thinking: … (4 tokens, cut at the budget; /think show to see it)", r.Stdout);
        Assert.Contains("thinking: effort none (off)", r.Stdout);
        Assert.Contains("(0 reasoning + 12 answer)", r.Stdout);
    }

    [Fact]
    public void CtrlCStopsTheReplyNotTheProgram()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        using var p = Interactive.Start("chat", s_slowModel.Value, "--temp", "0", "-t", "2");
        p.Send("hello");
        p.WaitFor(s => s.Length > 40, "the reply to start streaming");
        int before = p.Stdout.Length;
        p.WaitFor(s => s.Length > before, "more of the reply");
        p.Signal("INT");
        p.WaitFor(s => s.Contains(" [stopped]\n"), "the reply to stop");
        p.Send("/stats");
        p.WaitFor(s => s.Contains("stop: interrupted"), "/stats");
        p.Send("/exit");
        Assert.Equal(0, p.WaitForExit());
        Assert.DoesNotContain("error", p.Stderr);
    }

    [Fact]
    public void BadArgumentsGiveOneLineErrors()
    {
        var r = PocketProcess.Run("chat", Stories, "--reasoning-effort", "extreme");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("pocket: error: chat: --reasoning-effort must be none, low, medium or high, got 'extreme'\n", r.Stderr);
        r = PocketProcess.Run("chat", "/nonexistent/model.gguf");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("pocket: error: ", r.Stderr);
        Assert.DoesNotContain('\n', r.Stderr.TrimEnd('\n'));
        r = PocketProcess.Run("chat", Stories, "--think-budget", "-3");
        Assert.Equal(2, r.ExitCode);
        r = PocketProcess.Run("chat", Stories, "--chat-template", "/nonexistent/t.jinja");
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr);
        // A bad file for /load is reported in the chat, which goes on.
        string bad = Path.Combine(Fixtures.TempDir(), "bad.json");
        File.WriteAllText(bad, "{ not json");
        r = PocketProcess.RunIn(Environment.CurrentDirectory, $"/load {bad}\n/load /nonexistent.json\n/think maybe\n/stats\n", "chat", Stories, "-t", "2");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(3, r.Stdout.Split('\n').Count(l => l.StartsWith("error: ", StringComparison.Ordinal)));
        Assert.Contains("no reply yet", r.Stdout);
    }

    [Fact]
    public void UnderTmux()
    {
        if (!Tmux.Available(out string why))
        {
            output.WriteLine($"skipped: {why}");
            return;
        }
        using var t = new Tmux(Path.Combine(AppContext.BaseDirectory, "pocket.dll"), "chat", s_slowModel.Value, "--temp", "0", "-t", "2");
        t.WaitFor(s => s.Contains("> "), "the prompt");
        t.SendKeys("hello there", "Enter");
        string first = t.WaitFor(s => s.Split("hello there")[^1].Trim().Length > 20, "streamed text");
        t.WaitFor(s => s.Length > first.Length + 10, "the text to keep streaming");
        t.SendKeys("C-c");
        string pane = t.WaitFor(s => s.Contains("[stopped]"), "the reply to stop on Ctrl+C");
        Assert.True(t.Capture(escapes: true).Contains("\u001b[2m", StringComparison.Ordinal), "a terminal: the marker is dimmed");
        t.SendKeys("/stats", "Enter");
        t.WaitFor(s => s.Contains("stop: interrupted") && s.Contains("tok/s") && s.Contains("cached"), "/stats");
        t.SendKeys("/think hide", "Enter");
        t.WaitFor(s => s.Contains("thinking hidden"), "/think hide");
        t.SendKeys("C-c");
        t.WaitFor(s => s.Contains("Ctrl+C again"), "the first Ctrl+C at the prompt to warn");
        t.SendKeys("/exit", "Enter");
        t.WaitFor(s => s.Contains("EXITED 0"), "/exit to leave with status 0");
        output.WriteLine(pane);
    }

    /// <summary>pocket chat with standard input kept open: lines are sent one by one, output read as it arrives.</summary>
    private sealed class Interactive : IDisposable
    {
        private readonly Process _p;
        private readonly StringBuilder _out = new(), _err = new();

        private readonly Task _readers;

        private Interactive(Process p)
        {
            _p = p;
            _readers = Task.WhenAll(Pump(p.StandardOutput, _out), Pump(p.StandardError, _err));
        }

        /// <summary>Reads as characters arrive (not by lines), so text streamed within a line is seen.</summary>
        private static Task Pump(StreamReader reader, StringBuilder into) => Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
                lock (into) into.Append(buffer, 0, n);
        });

        public static Interactive Start(params string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pocket.dll"));
            foreach (string a in args) psi.ArgumentList.Add(a);
            psi.Environment["DOTNET_NOLOGO"] = "1";
            return new Interactive(Process.Start(psi)!);
        }

        public string Stdout { get { lock (_out) return _out.ToString(); } }
        public string Stderr { get { lock (_err) return _err.ToString(); } }

        public void Send(string line)
        {
            _p.StandardInput.Write(line + "\n");
            _p.StandardInput.Flush();
        }

        public void WaitFor(Func<string, bool> condition, string what)
        {
            var clock = Stopwatch.StartNew();
            while (!condition(Stdout))
            {
                if (_p.HasExited && !condition(Stdout)) throw new Xunit.Sdk.XunitException($"pocket exited ({_p.ExitCode}) before {what}:\n{Stdout}\n{Stderr}");
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"no {what} in 60 s:\n{Stdout}\n{Stderr}");
                Thread.Sleep(20);
            }
        }

        public void Signal(string name)
        {
            using var kill = Process.Start("kill", ["-" + name, _p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        public int WaitForExit()
        {
            if (!_p.WaitForExit(TimeSpan.FromSeconds(60))) throw new TimeoutException("pocket chat did not exit");
            _p.WaitForExit();
            _readers.Wait(TimeSpan.FromSeconds(10));
            return _p.ExitCode;
        }

        public void Dispose()
        {
            if (!_p.HasExited) _p.Kill(entireProcessTree: true);
            _p.Dispose();
        }
    }

    /// <summary>A real terminal: tmux on a private socket, the command in a detached session, keys sent, the screen captured.</summary>
    private sealed class Tmux : IDisposable
    {
        private readonly string _socket = "pocketlm-test-" + Guid.NewGuid().ToString("N")[..12];

        public Tmux(string dll, params string[] args)
        {
            string command = "dotnet " + string.Join(' ', new[] { dll }.Concat(args).Select(Quote)) + "; echo EXITED $?; sleep 60";
            Run("new-session", "-d", "-x", "160", "-y", "50", "-s", "chat", command);
        }

        public static bool Available(out string why)
        {
            why = "";
            if (TryRun("tmux", "-V")) return true;
            // Not installed: try to install it (CI images run as root); skip only when that is impossible.
            if (Environment.UserName == "root" && TryRun("sh", "-c", "(apt-get install -y tmux || (apt-get update && apt-get install -y tmux)) >/dev/null 2>&1")
                && TryRun("tmux", "-V")) return true;
            why = "tmux is not installed and could not be installed";
            return false;
        }

        private static bool TryRun(string file, params string[] args)
        {
            try
            {
                var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (string a in args) psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                p.StandardOutput.ReadToEnd();
                p.StandardError.ReadToEnd();
                return p.WaitForExit(300_000) && p.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }

        private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

        private string Run(params string[] args)
        {
            var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-L");
            psi.ArgumentList.Add(_socket);
            foreach (string a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd();
            string stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', args)}: {stderr}");
            return stdout;
        }

        public void SendKeys(params string[] keys) => Run(["send-keys", "-t", "chat", .. keys]);

        public string Capture(bool escapes = false) => escapes ? Run("capture-pane", "-p", "-e", "-J", "-t", "chat") : Run("capture-pane", "-p", "-J", "-t", "chat");

        public string WaitFor(Func<string, bool> condition, string what)
        {
            var clock = Stopwatch.StartNew();
            string screen;
            while (!condition(screen = Capture()))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"no {what} in 60 s; screen:\n{screen}");
                Thread.Sleep(50);
            }
            return screen;
        }

        public void Dispose()
        {
            try { Run("kill-server"); } catch (InvalidOperationException) { }
        }
    }
}
