namespace PocketLM.Tensors;

/// <summary>
/// The default compute thread count: one per physical core this process may use. Decode streams weights and prefill
/// keeps the SIMD units busy, so a core's second hardware thread adds little, while every barrier of a forward pass
/// then waits for the slower of two siblings; llama.cpp's tools and Ollama default to physical cores for the same reason.
/// On Linux the cores are read from sysfs (distinct sibling sets among the CPUs the process may run on); elsewhere, or
/// where that cannot be read, every logical CPU counts. Never more than <see cref="Environment.ProcessorCount"/>, which
/// already honours affinity and container CPU limits.
/// </summary>
public static class CpuTopology
{
    /// <summary>Threads a session, <c>pocket run</c>/<c>bench</c>/<c>serve</c> use when none are asked for.</summary>
    public static int DefaultThreads { get; } = Compute();

    private static int Compute()
    {
        int logical = Environment.ProcessorCount;
        if (!OperatingSystem.IsLinux()) return logical;
        try
        {
            const string key = "Cpus_allowed_list:";
            string? allowed = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            if (allowed == null) return logical;
            int? cores = PhysicalCores("/sys/devices/system/cpu", ParseCpuList(allowed[key.Length..]));
            return cores is > 0 ? Math.Min(logical, cores.Value) : logical;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return logical;
        }
    }

    /// <summary>The physical cores among <paramref name="cpus"/>: distinct <c>topology/thread_siblings_list</c> values
    /// under <paramref name="sysCpuDir"/>; null where a CPU has no topology.</summary>
    internal static int? PhysicalCores(string sysCpuDir, IEnumerable<int> cpus)
    {
        var cores = new HashSet<string>(StringComparer.Ordinal);
        foreach (int cpu in cpus)
        {
            string path = Path.Combine(sysCpuDir, $"cpu{cpu}", "topology", "thread_siblings_list");
            if (!File.Exists(path)) return null;
            cores.Add(File.ReadAllText(path).Trim());
        }
        return cores.Count;
    }

    /// <summary>Linux's CPU list format, e.g. <c>0-3,8,10-11</c>.</summary>
    internal static List<int> ParseCpuList(string list)
    {
        var cpus = new List<int>();
        foreach (string part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = part.IndexOf('-');
            int first = int.Parse(dash < 0 ? part : part[..dash], System.Globalization.CultureInfo.InvariantCulture);
            int last = dash < 0 ? first : int.Parse(part[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            if (last < first || last - first > 65536) throw new FormatException($"bad CPU range '{part}'");
            for (int c = first; c <= last; c++) cpus.Add(c);
        }
        return cpus;
    }
}
