using PocketLM.Chat;
using PocketLM.Gguf;
using PocketLM.Tests.Chat;
using PocketLM.Tests.Tokenization;
using PocketLM.Tokenization;
using Xunit;

namespace PocketLM.Tests.Cli;

/// <summary><c>pocket template</c>, run as a process.</summary>
public class ChatTemplateCommandTests
{
    private static string TemplatePath(string name) => Path.Combine(ChatFixtures.Dir, name);

    private static string Write(string dir, string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Messages = """[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]""";

    private static void AssertOneLineError(PocketProcess.Result r, int code, string contains)
    {
        Assert.Equal(code, r.ExitCode);
        string err = r.Stderr.TrimEnd('\n');
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("pocket: error: ", err);
        Assert.Contains(contains, err);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void RendersAJinjaFileExactlyWithVariables()
    {
        string dir = Fixtures.TempDir();
        string m = Write(dir, "m.json", Messages);
        var r = PocketProcess.Run("template", TemplatePath("Qwen-Qwen3.jinja"), "--messages", m, "--var", "enable_thinking=false");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", r.Stdout);

        // Without the variable (and with a string one, which Qwen3 ignores), and without the generation prompt.
        r = PocketProcess.Run("template", TemplatePath("Qwen-Qwen3.jinja"), "--messages", m, "--var=enable_thinking=\"false\"", "--no-generation-prompt");
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n", r.Stdout);
    }

    [Fact]
    public void VariablesParseAsJsonElseAsStrings()
    {
        string dir = Fixtures.TempDir();
        string m = Write(dir, "m.json", "[]");
        string t = Write(dir, "t.jinja", "{{ a is number }} {{ b }} {{ c is string }} {{ d | length }} {{ e.x }} {{ f is none }}|{{ bos_token }}|{{ eos_token }}");
        var r = PocketProcess.Run("template", t, "--messages", m, "--var", "a=3", "--var", "b=hello world", "--var", "c=\"5\"",
            "--var", "d=[1,2,3]", "--var", "e={\"x\": true}", "--var", "f=null", "--bos", "<s>", "--eos", "</s>", "--raw");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("True hello world True 3 True True|<s>|</s>", r.Stdout);
    }

    [Fact]
    public void ReadsTokenizerConfigWithItsSpecialTokens()
    {
        string dir = Fixtures.TempDir();
        string m = Write(dir, "m.json", """{"messages": [{"role": "user", "content": "1+1?"}]}""");
        string r1 = ChatFixtures.ReadTemplate("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja");
        string config = Write(dir, "tokenizer_config.json", System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bos_token"] = new Dictionary<string, object> { ["content"] = "<｜begin▁of▁sentence｜>", ["special"] = true },
            ["eos_token"] = "<｜end▁of▁sentence｜>",
            ["chat_template"] = r1,
        }));
        var raw = PocketProcess.Run("template", config, "--messages", m, "--raw");
        Assert.Equal(0, raw.ExitCode);
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>1+1?<｜Assistant｜><think>\n", raw.Stdout);
        // By default the prompt is what the model is fed: the tokenizer adds BOS, so its text is dropped.
        var fed = PocketProcess.Run("template", config, "--messages", m);
        Assert.Equal("<｜User｜>1+1?<｜Assistant｜><think>\n", fed.Stdout);
        // Messages from standard input.
        var piped = PocketProcess.RunIn(Environment.CurrentDirectory, File.ReadAllText(m), "template", config, "--messages", "-", "--raw");
        Assert.Equal(raw.Stdout, piped.Stdout);
    }

    [Fact]
    public void ReadsARealTokenizerConfigAndAGguf()
    {
        var files = NpmTokenizerFixtures.Get("qwen3");
        if (files == null) return;   // offline: see NpmTokenizerFixtures
        string dir = Fixtures.TempDir();
        string m = Write(dir, "m.json", Messages);
        var fromConfig = PocketProcess.Run("template", files.TokenizerConfig, "--messages", m);
        Assert.Equal(0, fromConfig.ExitCode);
        string expected = ChatTemplate.Parse(ChatFixtures.ReadTemplate("Qwen-Qwen3.jinja")).RenderPrompt(ChatMessage.ListFromJson(Messages), true);
        Assert.Equal(expected, fromConfig.Stdout);

        // A vocab-only GGUF converted from the same files: its template, and BOS/EOS from its vocabulary.
        string gguf = Path.Combine(dir, "qwen3-vocab.gguf");
        HuggingFaceTokenizer.WriteGguf(files.TokenizerJson, files.TokenizerConfig, gguf);
        var fromGguf = PocketProcess.Run("template", gguf, "--messages", m);
        Assert.Equal(0, fromGguf.ExitCode);
        Assert.Equal(expected, fromGguf.Stdout);
        Tokenizer tok;
        using (var f = GgufFile.Open(gguf)) tok = Tokenizer.FromGguf(f);
        string specials = Write(dir, "specials.jinja", "[{{ bos_token }}][{{ eos_token }}]");
        var withOverride = PocketProcess.Run("template", gguf, "--chat-template", specials, "--messages", m, "--raw");
        Assert.Equal($"[{tok.GetTokenText(tok.BosId)}][{tok.GetTokenText(tok.EosId)}]", withOverride.Stdout);
    }

    [Fact]
    public void AModelWithoutATemplateGetsChatMl()
    {
        string m = Write(Fixtures.TempDir(), "m.json", Messages);
        var r = PocketProcess.Run("template", Fixtures.Model("stories260K.gguf"), "--messages", m);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", r.Stdout);
        Assert.Contains("ChatML", r.Stderr);
    }

    [Fact]
    public void BadInputGivesOneLineErrors()
    {
        string dir = Fixtures.TempDir();
        string good = Write(dir, "m.json", Messages);
        string qwen = TemplatePath("Qwen-Qwen3.jinja");
        AssertOneLineError(PocketProcess.Run("template", qwen), 2, "missing --messages");
        AssertOneLineError(PocketProcess.Run("template", "--messages", good), 2, "missing MODEL_OR_FILE");
        AssertOneLineError(PocketProcess.Run("template", qwen, "--messages", good, "--var", "novalue"), 2, "NAME=VALUE");
        AssertOneLineError(PocketProcess.Run("template", qwen, "--messages", good, "--bogus"), 2, "unknown option '--bogus'");
        AssertOneLineError(PocketProcess.Run("template", "/nonexistent/t.jinja", "--messages", good), 1, "t.jinja");
        AssertOneLineError(PocketProcess.Run("template", qwen, "--messages", "/nonexistent/m.json"), 1, "m.json");
        AssertOneLineError(PocketProcess.Run("template", dir, "--messages", good), 1, "directory");
        AssertOneLineError(PocketProcess.Run("template", qwen, "--messages", Write(dir, "bad.json", "[{\"role\": \"user\", ")), 1, "not valid JSON");
        AssertOneLineError(PocketProcess.Run("template", qwen, "--messages", Write(dir, "norole.json", "[{\"content\": \"x\"}]")), 1, "role");
        AssertOneLineError(PocketProcess.Run("template", Write(dir, "broken.jinja", "{% for x in %}"), "--messages", good), 1, "Template error");
        AssertOneLineError(PocketProcess.Run("template", Write(dir, "raise.jinja", "{{ raise_exception('roles must alternate') }}"), "--messages", good), 1, "roles must alternate");
        AssertOneLineError(PocketProcess.Run("template", Write(dir, "tokenizer_config.json", "{\"eos_token\": \"x\"}"), "--messages", good), 1, "no chat_template");
        AssertOneLineError(PocketProcess.Run("template", Write(dir, "broken.json", "{\"chat_template\": "), "--messages", good), 1, "not valid JSON");
    }
}
