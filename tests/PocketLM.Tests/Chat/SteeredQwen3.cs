using PocketLM.Gguf;
using PocketLM.Inference;
using PocketLM.Models;
using PocketLM.Tests.Tokenization;
using PocketLM.Tensors;
using PocketLM.Tokenization;

namespace PocketLM.Tests.Chat;

/// <summary>
/// A random-weight qwen3 model (d_model 64, F16, tied) with Qwen3's real vocabulary and chat template, built once per
/// test run from the npm tokenizer fixture: vocab-only GGUF first (as a user would convert tokenizer.json), then the
/// synthetic model with that vocabulary. Its weights are noise, so tests script its replies with <see cref="Steering"/>.
/// </summary>
internal static class SteeredQwen3
{
    private static readonly Lazy<string?> s_path = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The model file, or null when the npm fixture is unavailable (offline, not required).</summary>
    public static string? Path => s_path.Value;

    private static string? Build()
    {
        var files = NpmTokenizerFixtures.Get("qwen3");
        if (files == null) return null;
        string dir = Fixtures.TempDir();
        string vocabPath = System.IO.Path.Combine(dir, "qwen3-vocab.gguf");
        HuggingFaceTokenizer.WriteGguf(files.TokenizerJson, files.TokenizerConfig, vocabPath);
        Dictionary<string, GgufValue> vocab;
        using (var vf = GgufFile.Open(vocabPath)) vocab = SyntheticModel.VocabularyFrom(vf);
        int size = ((GgufArray)vocab["tokenizer.ggml.tokens"].Value!).Count;
        var shape = new SyntheticShape
        {
            Name = "qwen3-tiny-qwen3-vocab", Architecture = "qwen3", EmbeddingLength = 64, BlockCount = 1, HeadCount = 2, KvHeadCount = 1,
            HeadDim = 32, FeedForwardLength = 128, VocabSize = size, ContextLength = 1024, RopeBase = 1000000f, RmsEpsilon = 1e-6f,
            TiedEmbeddings = true,
        };
        string path = System.IO.Path.Combine(dir, "qwen3-tiny.gguf");
        SyntheticModel.Write(shape, path, new SyntheticOptions { WeightType = GgmlType.F16, Vocabulary = vocab });
        return path;
    }
}

/// <summary>
/// Scripts a model's greedy output through the <c>unembed.hook_out</c> hook: the last row's logit of the wanted token
/// is raised far above the rest. The script: optionally open with &lt;think&gt;, then think with one filler token
/// (never &lt;/think&gt; or an end token unless <see cref="ThinkTokens"/> says so), then — once the thinking block is
/// closed, by the script or by the engine forcing it — the answer tokens and the end-of-turn token.
/// </summary>
internal sealed class Steering
{
    private readonly Tokenizer _tok;

    public Steering(Tokenizer tokenizer, string answer = "The answer is 42.")
    {
        _tok = tokenizer;
        ThinkOpen = tokenizer.FindToken("<think>")!.Value;
        ThinkClose = tokenizer.FindToken("</think>")!.Value;
        EndOfTurn = tokenizer.FindToken("<|im_end|>")!.Value;
        Filler = tokenizer.Encode(" hmm", addSpecial: false)[0];
        Answer = tokenizer.Encode(answer, addSpecial: false);
        AnswerText = answer;
    }

    public int ThinkOpen { get; }
    public int ThinkClose { get; }
    public int EndOfTurn { get; }
    public int Filler { get; }
    public string FillerText => _tok.GetTokenText(Filler).Replace('\u0120', ' ');
    public int[] Answer { get; }
    public string AnswerText { get; }

    /// <summary>Tokens in the prompt of the coming request (the first generated token is predicted at this index).</summary>
    public int PromptLength { get; set; }
    /// <summary>Emit &lt;think&gt; as the first token (false when the prompt already opened the block).</summary>
    public bool OpenThinking { get; set; } = true;
    /// <summary>Filler tokens before the script closes the block itself; null = think forever.</summary>
    public int? ThinkTokens { get; set; }
    /// <summary>Answer right away, without thinking.</summary>
    public bool NoThinking { get; set; }

    private int _answerStart = -1;

    /// <summary>Prepares for the next request.</summary>
    public void Begin(int promptLength)
    {
        PromptLength = promptLength;
        _answerStart = NoThinking ? 0 : -1;
    }

    public void Attach(InferenceSession session) =>
        session.Hooks.Add("unembed.hook_out", (in HookContext c, Span<float> logits) => Steer(c, logits));

    private void Steer(in HookContext c, Span<float> logits)
    {
        int g = c.StartPosition + c.Rows - PromptLength;   // index (from the prompt's end) of the token to be predicted
        if (g < 0) return;
        // Several tokens at once after the prompt: the engine inserted the closing marker itself.
        if (_answerStart < 0 && c.Rows > 1 && c.StartPosition >= PromptLength) _answerStart = g;
        int pick;
        if (_answerStart >= 0 && g >= _answerStart)
        {
            int k = g - _answerStart;
            pick = k < Answer.Length ? Answer[k] : EndOfTurn;
        }
        else if (g == 0 && OpenThinking) pick = ThinkOpen;
        else if (ThinkTokens is int n && g - (OpenThinking ? 1 : 0) >= n)
        {
            pick = ThinkClose;
            _answerStart = g + 1;
        }
        else pick = Filler;
        logits.Slice((c.Rows - 1) * c.Columns, c.Columns)[pick] = 1e4f;
    }
}
