using System.Globalization;

namespace PocketLM.Cli;

/// <summary>Wrong arguments: reported as one line on stderr with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A small POSIX-style parser: options declared up front (so an unknown one is an error, not silently ignored),
/// values as <c>--opt value</c> or <c>--opt=value</c>, everything else positional.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly List<string> _positional = new();
    private readonly Dictionary<string, string> _canonical = new(StringComparer.Ordinal);

    /// <param name="args">The arguments after the command name.</param>
    /// <param name="valueOptions">Options that take a value; aliases separated by '|', e.g. "-p|--prompt".</param>
    /// <param name="flags">Options without a value, e.g. "--no-bos".</param>
    public CommandLine(string command, IEnumerable<string> args, string[] valueOptions, string[] flags)
    {
        Command = command;
        var takesValue = new HashSet<string>(StringComparer.Ordinal);
        foreach (string spec in valueOptions.Concat(flags))
        {
            string[] names = spec.Split('|');
            foreach (string n in names) _canonical[n] = names[^1];
            if (valueOptions.Contains(spec)) foreach (string n in names) takesValue.Add(n);
        }
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a == "--") { _positional.AddRange(list.Skip(i + 1)); break; }
            if (a.Length > 1 && a[0] == '-' && !IsNumber(a))
            {
                string name = a;
                string? value = null;
                int eq = a.IndexOf('=');
                if (a.StartsWith("--") && eq > 0) { name = a[..eq]; value = a[(eq + 1)..]; }
                if (!_canonical.TryGetValue(name, out string? canon))
                    throw new UsageException($"{command}: unknown option '{name}' (see 'pocket {command} --help')");
                if (takesValue.Contains(name))
                {
                    if (value == null)
                    {
                        if (i + 1 >= list.Count) throw new UsageException($"{command}: option '{name}' needs a value");
                        value = list[++i];
                    }
                }
                else if (value != null) throw new UsageException($"{command}: option '{name}' takes no value");
                _values[canon] = value;
            }
            else _positional.Add(a);
        }
    }

    public string Command { get; }
    public IReadOnlyList<string> Positional => _positional;

    private static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private string Canon(string name) => _canonical.TryGetValue(name, out var c) ? c : name;

    public bool Has(string name) => _values.ContainsKey(Canon(name));

    public string? GetString(string name) => _values.TryGetValue(Canon(name), out var v) ? v : null;

    public int GetInt(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? s = GetString(name);
        if (s == null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new UsageException($"{Command}: {name} expects an integer, got '{s}'");
        if (v < min || v > max) throw new UsageException($"{Command}: {name} must be between {min} and {max}, got {v}");
        return v;
    }

    public float GetFloat(string name, float fallback, float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        string? s = GetString(name);
        if (s == null) return fallback;
        if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || float.IsNaN(v))
            throw new UsageException($"{Command}: {name} expects a number, got '{s}'");
        if (v < min || v > max) throw new UsageException($"{Command}: {name} must be between {min} and {max}, got {s}");
        return v;
    }

    public ulong? GetULong(string name)
    {
        string? s = GetString(name);
        if (s == null) return null;
        if (!ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v))
            throw new UsageException($"{Command}: {name} expects a non-negative integer, got '{s}'");
        return v;
    }

    /// <summary>A KV cache type given as llama.cpp's -ctk / -ctv take it (f16, f32, bf16, q8_0, q4_0, q4_1, q5_0, q5_1); F16 when absent.</summary>
    public PocketLM.Tensors.GgmlType GetCacheType(string name)
    {
        string? s = GetString(name);
        if (s == null) return PocketLM.Tensors.GgmlType.F16;
        foreach (var t in PocketLM.Inference.KvCache.SupportedTypes)
            if (string.Equals(t.ToString(), s, StringComparison.OrdinalIgnoreCase)) return t;
        string names = string.Join(", ", PocketLM.Inference.KvCache.SupportedTypes).ToLowerInvariant();
        throw new UsageException($"{Command}: {name} must be one of {names}, got '{s}'");
    }

    /// <summary>The two cache-type options every command that runs a model takes.</summary>
    public static readonly string[] CacheTypeOptions = ["-ctk|--cache-type-k", "-ctv|--cache-type-v"];

    /// <summary>Help lines for <see cref="CacheTypeOptions"/>.</summary>
    public const string CacheTypeHelp = """
          -ctk, --cache-type-k T K cache type: f16 (default), q8_0, q4_0, q4_1, q5_0, q5_1, bf16, or f32 (with -ctv f32)
          -ctv, --cache-type-v T V cache type, the same choices (q8_0 halves the cache; quantized caches use llama.cpp's
                                 attention and Hadamard rotation, so greedy output still matches llama.cpp's with them)
        """;

    /// <summary>Fails when more positional arguments were given than the command takes.</summary>
    public void ExpectPositional(int max, string what)
    {
        if (_positional.Count > max)
            throw new UsageException($"{Command}: unexpected argument '{_positional[max]}' (usage: pocket {Command} {what})");
    }
}
