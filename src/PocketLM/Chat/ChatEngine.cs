using System.Diagnostics;
using System.Text;
using PocketLM.Inference;
using PocketLM.Sampling;
using PocketLM.Tokenization;

namespace PocketLM.Chat;

/// <summary>One chat completion request: the conversation and how to answer it.</summary>
public sealed record ChatRequest
{
    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public SamplerOptions Sampling { get; init; } = new();
    /// <summary>Most tokens to generate (thinking and answer together); −1 = until the end of the context.</summary>
    public int MaxTokens { get; init; } = -1;
    /// <summary>Thinking effort; null = the model's default (thinking unbounded).</summary>
    public ReasoningEffort? ReasoningEffort { get; init; }
    /// <summary>Exact thinking budget in tokens; overrides <see cref="ReasoningEffort"/>. 0 = no thinking.</summary>
    public int? ThinkBudget { get; init; }
    /// <summary>Strings that end the answer when generated (not included in it).</summary>
    public IReadOnlyList<string>? Stop { get; init; }
    /// <summary>Tool definitions (a JSON array in OpenAI's format) for the template.</summary>
    public string? ToolsJson { get; init; }
    /// <summary>Extra template variables (e.g. enable_thinking).</summary>
    public IReadOnlyDictionary<string, object?>? TemplateVariables { get; init; }
    /// <summary>Return the log-probability of each generated token and this many alternatives (0 = none, −1 = off).</summary>
    public int TopLogprobs { get; init; } = -1;
}

/// <summary>A token's log-probability under the model (before sampling filters), with its text.</summary>
public readonly record struct TokenLogprob(int Id, string Text, float Logprob);

/// <summary>Log-probabilities of one generated token and the most likely alternatives at that step.</summary>
public sealed record TokenLogprobs(TokenLogprob Chosen, IReadOnlyList<TokenLogprob> Top)
{
    /// <summary>Log-softmax of the raw logits (before sampling filters) for the chosen token and the <paramref name="top"/> most likely ones.</summary>
    public static TokenLogprobs Of(Tokenizer tokenizer, ReadOnlySpan<float> logits, int chosen, int top)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = MathF.Max(max, l);
        double sum = 0;
        foreach (float l in logits) sum += Math.Exp(l - max);
        float lse = max + (float)Math.Log(sum);
        var alternatives = new List<TokenLogprob>(Math.Max(top, 0));
        if (top > 0)
        {
            var best = new PriorityQueue<int, float>();
            for (int i = 0; i < logits.Length; i++)
            {
                if (best.Count < top) best.Enqueue(i, logits[i]);
                else if (logits[i] > logits[best.Peek()]) best.EnqueueDequeue(i, logits[i]);
            }
            while (best.Count > 0)
            {
                int id = best.Dequeue();
                alternatives.Add(new TokenLogprob(id, Piece(tokenizer, id), logits[id] - lse));
            }
            alternatives.Reverse();
        }
        return new TokenLogprobs(new TokenLogprob(chosen, Piece(tokenizer, chosen), logits[chosen] - lse), alternatives);
    }

    /// <summary>A token's own text, leading space included (what OpenAI's "token" fields show).</summary>
    public static string Piece(Tokenizer tokenizer, int id) => Encoding.UTF8.GetString(tokenizer.TokenToBytes(id, renderSpecial: true));
}

/// <summary>A piece of the streamed reply. Text may be empty when a token only completed a held-back marker.</summary>
public readonly record struct ChatDelta(TextChannel Channel, string Text, TokenLogprobs? Logprobs = null);

/// <summary>The outcome of a completion: texts, counts and timings.</summary>
public sealed class ChatCompletion
{
    public string? Reasoning { get; internal set; }
    public string Content { get; internal set; } = "";
    /// <summary>OpenAI's finish reasons: "stop" (end of turn or stop string) or "length" (token limit or context end).</summary>
    public string FinishReason { get; internal set; } = "stop";
    public bool Cancelled { get; internal set; }
    public int PromptTokens { get; internal set; }
    /// <summary>Prompt tokens whose KV entries were reused from the previous turn.</summary>
    public int CachedPromptTokens { get; internal set; }
    public int ReasoningTokens { get; internal set; }
    public int AnswerTokens { get; internal set; }
    public int CompletionTokens => ReasoningTokens + AnswerTokens;
    /// <summary>True when the thinking budget ran out and the closing marker was forced.</summary>
    public bool ReasoningTruncated { get; internal set; }
    public TimeSpan PromptTime { get; internal set; }
    public TimeSpan GenerationTime { get; internal set; }
    public List<TokenLogprobs>? Logprobs { get; internal set; }
}

/// <summary>
/// Chat over one model with one KV cache: renders the model's chat template, keeps the unchanged prefix of the
/// conversation cached between turns, samples the reply, separates thinking from the answer, bounds the thinking with
/// a budget, honours stop strings and end-of-generation tokens. Not thread-safe: one engine per conversation or slot.
/// </summary>
public sealed class ChatEngine : IDisposable
{
    private const string ThinkOpen = "<think>", ThinkClose = "</think>";
    private readonly LanguageModel _model;
    private readonly InferenceSession _session;
    private readonly Tokenizer _tokenizer;
    private Sampler? _sampler;
    private SamplerOptions? _samplerOptions;

    public ChatEngine(LanguageModel model, SessionOptions? sessionOptions = null, ChatTemplate? template = null, ReasoningBudgets? budgets = null)
    {
        _model = model;
        _tokenizer = model.Tokenizer;
        _session = model.CreateSession(sessionOptions);
        Budgets = budgets ?? ReasoningBudgets.Default;
        if (template != null) Template = template;
        else
        {
            string? source = model.File.GetString("tokenizer.chat_template");
            Template = source != null ? ChatTemplate.Parse(source) : ChatTemplate.Parse(ChatMl);
            UsesFallbackTemplate = source == null;
        }
    }

    /// <summary>ChatML, which llama.cpp also falls back to for a model without a template.</summary>
    public const string ChatMl =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    public ChatTemplate Template { get; }
    /// <summary>True when the model has no chat template and ChatML is used instead.</summary>
    public bool UsesFallbackTemplate { get; }
    public ReasoningBudgets Budgets { get; }
    public InferenceSession Session => _session;
    public LanguageModel Model => _model;

    /// <summary>True when the template or vocabulary knows the &lt;think&gt; markers.</summary>
    public bool IsReasoningModel => Template.Source.Contains(ThinkOpen, StringComparison.Ordinal) || _tokenizer.FindToken(ThinkOpen) != null;

    private string BosText => _tokenizer.BosId >= 0 && _tokenizer.BosId < _tokenizer.VocabSize ? _tokenizer.GetTokenText(_tokenizer.BosId) : "";
    private string EosText => _tokenizer.EosId >= 0 && _tokenizer.EosId < _tokenizer.VocabSize ? _tokenizer.GetTokenText(_tokenizer.EosId) : "";

    /// <summary>Thinking budget in tokens for a request: −1 unbounded, 0 none.</summary>
    public int BudgetFor(ChatRequest request) =>
        request.ThinkBudget ?? (request.ReasoningEffort is { } e ? Budgets.For(e) : -1);

    /// <summary>
    /// The exact prompt text the model is fed, and whether it leaves a thinking block open (DeepSeek-R1's template ends
    /// its generation prompt with "&lt;think&gt;\n").
    /// </summary>
    public string RenderPrompt(ChatRequest request, out bool opensThinking)
    {
        bool noThinking = BudgetFor(request) == 0 && IsReasoningModel;
        var variables = request.TemplateVariables is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(request.TemplateVariables);
        if (noThinking && Template.Source.Contains("enable_thinking", StringComparison.Ordinal)) variables.TryAdd("enable_thinking", false);
        string text = Template.RenderPrompt(request.Messages, addGenerationPrompt: true, BosText, EosText, variables, request.ToolsJson);
        string trimmed = text.TrimEnd();
        if (noThinking && !trimmed.EndsWith(ThinkClose, StringComparison.Ordinal))
            text = trimmed.EndsWith(ThinkOpen, StringComparison.Ordinal) ? trimmed + "\n\n" + ThinkClose + "\n\n" : text + ThinkOpen + "\n\n" + ThinkClose + "\n\n";
        opensThinking = text.TrimEnd().EndsWith(ThinkOpen, StringComparison.Ordinal);
        return text;
    }

    /// <summary>Tokenizes a rendered prompt as llama.cpp's server does: BOS per the model, special tokens parsed.</summary>
    public int[] Tokenize(string prompt) => _tokenizer.Encode(prompt, addSpecial: true, parseSpecial: true);

    /// <summary>Runs a request to the end and returns the whole reply.</summary>
    public ChatCompletion Complete(ChatRequest request, CancellationToken cancellation = default)
    {
        var result = new ChatCompletion();
        foreach (var _ in Stream(request, result, cancellation)) { }
        return result;
    }

    /// <summary>
    /// Streams the reply as it is generated. <paramref name="result"/> (optional) is filled in as it goes and complete
    /// when the enumeration ends.
    /// </summary>
    public IEnumerable<ChatDelta> Stream(ChatRequest request, ChatCompletion? result = null, CancellationToken cancellation = default)
    {
        result ??= new ChatCompletion();
        string promptText = RenderPrompt(request, out bool opensThinking);
        int[] prompt = Tokenize(promptText);
        if (prompt.Length >= _session.ContextSize)
            throw new ContextOverflowException($"the prompt has {prompt.Length} tokens but the context holds {_session.ContextSize}");
        int budget = BudgetFor(request);
        bool wantLogprobs = request.TopLogprobs >= 0;
        if (wantLogprobs) result.Logprobs = new List<TokenLogprobs>();

        // A sampler (vocabulary-sized buffers) is kept while the settings stay the same; without a seed each request
        // gets a fresh random one.
        if (_sampler == null || _samplerOptions != request.Sampling || request.Sampling.Seed == null)
        {
            _sampler = new Sampler(_model.Config.VocabSize, request.Sampling, _session.ContextSize);
            _samplerOptions = request.Sampling;
        }
        var sampler = _sampler;
        var clock = Stopwatch.StartNew();
        int kept = _session.ReusePrefix(prompt);
        sampler.Reset();
        foreach (int t in prompt) sampler.Accept(t);
        _session.Prefill(prompt.AsSpan(kept));
        result.PromptTokens = prompt.Length;
        result.CachedPromptTokens = kept;
        result.PromptTime = clock.Elapsed;
        clock.Restart();

        var decoder = _tokenizer.CreateStreamingDecoder();
        var parser = new ReasoningParser(startInReasoning: opensThinking);
        var stop = new StopMatcher(request.Stop);
        var reasoning = new StringBuilder();
        var answer = new StringBuilder();
        bool sawReasoning = opensThinking;
        int[]? closeTokens = null;
        var pending = new List<ChatDelta>();

        void Route(IReadOnlyList<ChannelText> pieces, TokenLogprobs? lp)
        {
            bool attached = false;
            foreach (var piece in pieces)
            {
                string text = piece.Text;
                if (piece.Channel == TextChannel.Reasoning)
                {
                    sawReasoning = true;
                    reasoning.Append(text);
                }
                else
                {
                    text = stop.Push(text);
                    answer.Append(text);
                }
                if (text.Length == 0) continue;
                pending.Add(new ChatDelta(piece.Channel, text, attached ? null : lp));
                attached = true;
            }
            if (!attached && lp != null) pending.Add(new ChatDelta(parser.InReasoning ? TextChannel.Reasoning : TextChannel.Answer, "", lp));
        }

        while (true)
        {
            if (cancellation.IsCancellationRequested) { result.Cancelled = true; result.FinishReason = "stop"; break; }
            if (request.MaxTokens >= 0 && result.CompletionTokens >= request.MaxTokens) { result.FinishReason = "length"; break; }
            if (_session.Position >= _session.ContextSize) { result.FinishReason = "length"; break; }

            if (budget >= 0 && parser.InReasoning && result.ReasoningTokens >= budget)
            {
                // Budget spent: close the thinking block ourselves and let the answer follow.
                closeTokens ??= _tokenizer.Encode("\n" + ThinkClose + "\n\n", addSpecial: false, parseSpecial: true);
                if (_session.Position + closeTokens.Length >= _session.ContextSize) { result.FinishReason = "length"; break; }
                result.ReasoningTruncated = true;
                foreach (int t in closeTokens)
                {
                    Route(parser.Push(decoder.Append(t)), null);
                    sampler.Accept(t);
                }
                _session.Prefill(closeTokens);
                foreach (var d in pending) yield return d;
                pending.Clear();
                continue;
            }

            var logits = _session.Logits;
            TokenLogprobs? lp = null;
            int next = sampler.Sample(logits);
            if (wantLogprobs) lp = TokenLogprobs.Of(_tokenizer, logits, next, request.TopLogprobs);
            sampler.Accept(next);
            if (_tokenizer.IsEndOfGeneration(next)) { result.FinishReason = "stop"; break; }

            bool wasReasoning = parser.InReasoning;
            var pieces = parser.Push(decoder.Append(next));
            if (wasReasoning || parser.InReasoning) result.ReasoningTokens++;
            else result.AnswerTokens++;
            if (lp != null) result.Logprobs!.Add(lp);
            Route(pieces, lp);
            foreach (var d in pending) yield return d;
            pending.Clear();
            if (stop.Stopped) { result.FinishReason = "stop"; break; }
            if (request.MaxTokens >= 0 && result.CompletionTokens >= request.MaxTokens) { result.FinishReason = "length"; break; }
            if (_session.Position >= _session.ContextSize) { result.FinishReason = "length"; break; }
            _session.Decode(next);
        }

        if (!stop.Stopped) Route(parser.Push(decoder.Flush()), null);
        Route(parser.Flush(), null);
        if (!stop.Stopped)
        {
            string tail = stop.Flush();
            if (tail.Length > 0)
            {
                answer.Append(tail);
                pending.Add(new ChatDelta(TextChannel.Answer, tail));
            }
        }
        foreach (var d in pending) yield return d;
        result.GenerationTime = clock.Elapsed;
        result.Reasoning = sawReasoning ? reasoning.ToString().Trim('\n') : null;
        result.Content = answer.ToString();
    }

    /// <summary>Forgets the cached conversation.</summary>
    public void Reset() => _session.Reset();

    public void Dispose() => _session.Dispose();
}

/// <summary>
/// Finds stop strings in streamed text: text that could still be the start of a stop string is held back, the stop
/// string and everything after it are dropped.
/// </summary>
public sealed class StopMatcher(IReadOnlyList<string>? stops)
{
    private readonly string[] _stops = stops?.Where(s => !string.IsNullOrEmpty(s)).ToArray() ?? [];
    private readonly StringBuilder _held = new();

    public bool Stopped { get; private set; }

    /// <summary>Returns the text that is certainly not part of a stop string.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        if (_stops.Length == 0) return text;
        _held.Append(text);
        string s = _held.ToString();
        int cut = -1;
        foreach (string stop in _stops)
        {
            int at = s.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _held.Clear();
            return s[..cut];
        }
        int keep = 0;
        foreach (string stop in _stops)
            for (int n = Math.Min(stop.Length - 1, s.Length); n > keep; n--)
                if (string.CompareOrdinal(s, s.Length - n, stop, 0, n) == 0) { keep = n; break; }
        _held.Clear().Append(s, s.Length - keep, keep);
        return s[..^keep];
    }

    public string Flush()
    {
        string s = Stopped ? "" : _held.ToString();
        _held.Clear();
        return s;
    }
}
