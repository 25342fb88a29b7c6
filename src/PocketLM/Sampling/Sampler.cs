namespace PocketLM.Sampling;

/// <summary>
/// Sampling settings with llama.cpp's defaults (common_params_sampling): temperature 0.8, top-k 40, top-p 0.95,
/// min-p 0.05, penalties off over the last 64 tokens. Temperature ≤ 0 is greedy.
/// </summary>
public sealed record SamplerOptions
{
    public float Temperature { get; init; } = 0.8f;
    /// <summary>Keep the k most likely tokens; ≤ 0 disables.</summary>
    public int TopK { get; init; } = 40;
    /// <summary>Keep the smallest set whose probability reaches p; ≥ 1 disables.</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>Drop tokens less likely than min-p × the most likely one; ≤ 0 disables.</summary>
    public float MinP { get; init; } = 0.05f;
    /// <summary>Divides positive (multiplies negative) logits of recently seen tokens; 1 disables.</summary>
    public float RepeatPenalty { get; init; } = 1.0f;
    /// <summary>Subtracted once per occurrence in the window.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Subtracted once if the token occurs in the window.</summary>
    public float PresencePenalty { get; init; }
    /// <summary>How many recent tokens the penalties look at; 0 disables them, -1 means the whole context.</summary>
    public int PenaltyLastN { get; init; } = 64;
    /// <summary>Seed for reproducible sampling; null draws one at random.</summary>
    public ulong? Seed { get; init; }

    public static SamplerOptions Greedy { get; } = new() { Temperature = 0 };

    public bool IsGreedy => Temperature <= 0;

    /// <summary>Throws ArgumentException naming the first invalid setting.</summary>
    public void Validate()
    {
        if (float.IsNaN(Temperature) || Temperature < 0) throw new ArgumentException($"temperature must be ≥ 0 (got {Temperature})");
        if (float.IsNaN(TopP) || TopP is < 0 or > 1) throw new ArgumentException($"top-p must be in [0, 1] (got {TopP})");
        if (float.IsNaN(MinP) || MinP is < 0 or > 1) throw new ArgumentException($"min-p must be in [0, 1] (got {MinP})");
        if (float.IsNaN(RepeatPenalty) || RepeatPenalty <= 0) throw new ArgumentException($"repeat penalty must be > 0 (got {RepeatPenalty})");
        if (float.IsNaN(FrequencyPenalty) || float.IsNaN(PresencePenalty)) throw new ArgumentException("penalties must be numbers");
        if (PenaltyLastN < -1) throw new ArgumentException($"penalty window must be ≥ -1 (got {PenaltyLastN})");
    }
}

/// <summary>
/// llama.cpp's default sampler chain — penalties → top-k → top-p → min-p → temperature → draw — over buffers sized to
/// the vocabulary once, so sampling a token allocates nothing.
/// </summary>
public sealed class Sampler
{
    private readonly SamplerOptions _o;
    private readonly float[] _logits;
    private readonly int[] _ids;
    private readonly float[] _probs;
    private readonly int[] _counts;
    private readonly int[] _history;
    private int _historyCount, _historyStart;
    private Xoshiro256 _rng;

    public Sampler(int vocabSize, SamplerOptions options, int contextSize = 4096)
    {
        options.Validate();
        _o = options;
        _logits = new float[vocabSize];
        _ids = new int[vocabSize];
        _probs = new float[vocabSize];
        _counts = new int[vocabSize];
        _history = new int[Math.Max(1, options.PenaltyLastN < 0 ? contextSize : options.PenaltyLastN)];
        Seed = options.Seed ?? (ulong)Random.Shared.NextInt64();
        _rng = new Xoshiro256(Seed);
    }

    public SamplerOptions Options => _o;
    /// <summary>The seed actually used (drawn at random when none was given).</summary>
    public ulong Seed { get; }

    /// <summary>Remembers a token for the penalties (prompt tokens too, as llama.cpp does).</summary>
    public void Accept(int token)
    {
        if (_o.PenaltyLastN == 0) return;
        if (_historyCount < _history.Length) _history[(_historyStart + _historyCount++) % _history.Length] = token;
        else
        {
            _history[_historyStart] = token;
            _historyStart = (_historyStart + 1) % _history.Length;
        }
    }

    public void Reset()
    {
        _historyCount = _historyStart = 0;
        _rng = new Xoshiro256(Seed);
    }

    /// <summary>Picks the next token from raw logits (which are not modified).</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int n = logits.Length;
        logits.CopyTo(_logits);
        for (int i = 0; i < n; i++) _ids[i] = i;
        ApplyPenalties(n);
        if (_o.IsGreedy) return ArgMax(n);

        bool sorted = false;
        if (_o.TopK > 0 && _o.TopK < n) { n = TopK(n, _o.TopK); sorted = true; }
        if (_o.TopP < 1)
        {
            if (!sorted) SortDescending(n);
            n = TopP(n, _o.TopP);
        }
        if (_o.MinP > 0) n = MinP(n, _o.MinP);
        float invT = 1f / _o.Temperature;
        for (int i = 0; i < n; i++) _logits[i] *= invT;
        return Draw(n);
    }

    private void ApplyPenalties(int n)
    {
        if (_historyCount == 0 || (_o.RepeatPenalty == 1 && _o.FrequencyPenalty == 0 && _o.PresencePenalty == 0)) return;
        for (int i = 0; i < _historyCount; i++)
        {
            int t = _history[(_historyStart + i) % _history.Length];
            if ((uint)t < (uint)n) _counts[t]++;
        }
        for (int i = 0; i < _historyCount; i++)
        {
            int t = _history[(_historyStart + i) % _history.Length];
            if ((uint)t >= (uint)n || _counts[t] == 0) continue;
            int count = _counts[t];
            _counts[t] = 0; // each distinct token is penalised once
            ref float l = ref _logits[t];
            l = l <= 0 ? l * _o.RepeatPenalty : l / _o.RepeatPenalty;
            l -= count * _o.FrequencyPenalty + (count > 0 ? 1 : 0) * _o.PresencePenalty;
        }
    }

    private int ArgMax(int n)
    {
        int best = 0;
        for (int i = 1; i < n; i++) if (_logits[i] > _logits[best]) best = i;
        return _ids[best];
    }

    /// <summary>Keeps the k largest logits, sorted descending, at the front (a size-k min-heap: O(n log k)).</summary>
    private int TopK(int n, int k)
    {
        // Heap over the first k entries: smallest logit at the root.
        for (int i = k / 2 - 1; i >= 0; i--) SiftDown(i, k);
        for (int i = k; i < n; i++)
        {
            if (_logits[i] <= _logits[0]) continue;
            _logits[0] = _logits[i];
            _ids[0] = _ids[i];
            SiftDown(0, k);
        }
        SortDescending(k);
        return k;
    }

    private void SiftDown(int i, int size)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && _logits[l] < _logits[m]) m = l;
            if (r < size && _logits[r] < _logits[m]) m = r;
            if (m == i) return;
            (_logits[i], _logits[m]) = (_logits[m], _logits[i]);
            (_ids[i], _ids[m]) = (_ids[m], _ids[i]);
            i = m;
        }
    }

    private void SortDescending(int n)
    {
        // Sort ascending by negated logit, carrying the ids along.
        var keys = _logits.AsSpan(0, n);
        for (int i = 0; i < n; i++) keys[i] = -keys[i];
        keys.Sort(_ids.AsSpan(0, n));
        for (int i = 0; i < n; i++) keys[i] = -keys[i];
    }

    private void Softmax(int n)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++) max = MathF.Max(max, _logits[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += _probs[i] = MathF.Exp(_logits[i] - max);
        for (int i = 0; i < n; i++) _probs[i] = (float)(_probs[i] / sum);
    }

    private int TopP(int n, float p)
    {
        Softmax(n);
        double cum = 0;
        for (int i = 0; i < n; i++)
        {
            cum += _probs[i];
            if (cum >= p) return i + 1;
        }
        return n;
    }

    private int MinP(int n, float p)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++) max = MathF.Max(max, _logits[i]);
        float threshold = max + MathF.Log(p);
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (_logits[i] < threshold) continue;
            _logits[kept] = _logits[i];
            _ids[kept] = _ids[i];
            kept++;
        }
        return Math.Max(kept, 1);
    }

    private int Draw(int n)
    {
        Softmax(n);
        double r = _rng.NextDouble(), cum = 0;
        for (int i = 0; i < n; i++)
        {
            cum += _probs[i];
            if (r < cum) return _ids[i];
        }
        return _ids[n - 1];
    }

    /// <summary>xoshiro256** seeded through splitmix64: small, fast and the same on every platform.</summary>
    private struct Xoshiro256
    {
        private ulong _s0, _s1, _s2, _s3;

        public Xoshiro256(ulong seed)
        {
            _s0 = SplitMix(ref seed); _s1 = SplitMix(ref seed); _s2 = SplitMix(ref seed); _s3 = SplitMix(ref seed);
        }

        private static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble()
        {
            ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            ulong t = _s1 << 17;
            _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t; _s3 = ulong.RotateLeft(_s3, 45);
            return (result >> 11) * (1.0 / (1UL << 53));
        }
    }
}
