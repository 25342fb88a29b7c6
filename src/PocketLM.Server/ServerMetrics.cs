using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace PocketLM.Server;

/// <summary>Counters and gauges for GET /metrics, in Prometheus' text exposition format (version 0.0.4).</summary>
internal sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Route, int Status), long> _requests = new();
    private readonly object _lock = new();
    private long _promptTokens, _cachedPromptTokens, _completionTokens, _cancelled, _rejected;
    private double _promptSeconds, _generationSeconds, _durationSeconds, _lastTokensPerSecond;
    private long _durationCount;

    public void Request(string route, int status, double seconds)
    {
        _requests.AddOrUpdate((route, status), 1, (_, n) => n + 1);
        lock (_lock) { _durationSeconds += seconds; _durationCount++; }
    }

    public void Generation(int promptTokens, int cachedTokens, int completionTokens, TimeSpan promptTime, TimeSpan generationTime, bool cancelled)
    {
        lock (_lock)
        {
            _promptTokens += promptTokens;
            _cachedPromptTokens += cachedTokens;
            _completionTokens += completionTokens;
            _promptSeconds += promptTime.TotalSeconds;
            _generationSeconds += generationTime.TotalSeconds;
            if (completionTokens > 1 && generationTime > TimeSpan.Zero) _lastTokensPerSecond = (completionTokens - 1) / generationTime.TotalSeconds;
            if (cancelled) _cancelled++;
        }
    }

    public void Rejected() => Interlocked.Increment(ref _rejected);

    public string Render(int slots, int busy, int waiting, int queueLimit)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        void Metric(string name, string type, string help)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        }
        void Value(string name, double v, string labels = "") =>
            sb.Append(name).Append(labels).Append(' ').Append(v.ToString("R", inv)).Append('\n');

        Metric("pocket_requests_total", "counter", "HTTP requests answered, by route and status code.");
        foreach (var ((route, status), n) in _requests.OrderBy(kv => kv.Key.Route, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status))
            Value("pocket_requests_total", n, $"{{route=\"{route}\",status=\"{status.ToString(inv)}\"}}");
        lock (_lock)
        {
            Metric("pocket_request_duration_seconds", "summary", "Time from request to the end of the response.");
            Value("pocket_request_duration_seconds_sum", _durationSeconds);
            Value("pocket_request_duration_seconds_count", _durationCount);
            Metric("pocket_prompt_tokens_total", "counter", "Prompt tokens of finished generations (tokens in).");
            Value("pocket_prompt_tokens_total", _promptTokens);
            Metric("pocket_prompt_tokens_cached_total", "counter", "Prompt tokens taken from a slot's KV cache instead of being computed.");
            Value("pocket_prompt_tokens_cached_total", _cachedPromptTokens);
            Metric("pocket_completion_tokens_total", "counter", "Generated tokens, thinking included (tokens out).");
            Value("pocket_completion_tokens_total", _completionTokens);
            Metric("pocket_prompt_seconds_total", "counter", "Time spent evaluating prompts.");
            Value("pocket_prompt_seconds_total", _promptSeconds);
            Metric("pocket_generation_seconds_total", "counter", "Time spent generating tokens.");
            Value("pocket_generation_seconds_total", _generationSeconds);
            Metric("pocket_tokens_per_second", "gauge", "Decode speed of the last finished generation.");
            Value("pocket_tokens_per_second", _lastTokensPerSecond);
            Metric("pocket_generations_cancelled_total", "counter", "Generations stopped because the client went away.");
            Value("pocket_generations_cancelled_total", _cancelled);
        }
        Metric("pocket_requests_rejected_total", "counter", "Requests refused with 503 because the queue was full.");
        Value("pocket_requests_rejected_total", Interlocked.Read(ref _rejected));
        Metric("pocket_slots", "gauge", "Generation slots.");
        Value("pocket_slots", slots);
        Metric("pocket_slots_busy", "gauge", "Slots generating now.");
        Value("pocket_slots_busy", busy);
        Metric("pocket_queue_depth", "gauge", "Requests waiting for a slot.");
        Value("pocket_queue_depth", waiting);
        Metric("pocket_queue_limit", "gauge", "Most requests that may wait for a slot.");
        Value("pocket_queue_limit", queueLimit);
        return sb.ToString();
    }
}
