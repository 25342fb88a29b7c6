using System.Globalization;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using PocketLM.Tensors;

// BenchmarkDotNet matvec (batch 1) benchmarks: one 4096-column matrix of ≥ 64 MiB of random weights per type, so that
// weights stream from DRAM as in a real forward pass; the "GB/s" column is weight bytes / mean time.
// Usage: PocketLM.Bench bdn [BenchmarkDotNet args]   e.g. PocketLM.Bench bdn --filter '*Type: Q4_K*' --job short
namespace PocketLM.Bench;

[Config(typeof(KernelBenchmarksConfig))]
public unsafe class KernelBenchmarks
{
    internal const int Cols = 4096;
    private const long MinWeightBytes = 64L << 20;

    private WeightMatrix _matrix;
    private ComputeContext? _ctx;
    private float* _x;
    private float* _y;

    [Params(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K,
        GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.BF16, GgmlType.F32)]
    public GgmlType Type { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Rows of the benchmarked matrix: enough for ≥ 64 MiB of weights, a multiple of 16.</summary>
    internal static int Rows(GgmlType type)
    {
        long rowBytes = GgmlTypeInfo.RowBytes(type, Cols);
        return checked((int)(((MinWeightBytes + rowBytes - 1) / rowBytes + 15) / 16 * 16));
    }

    /// <summary>Bytes of weights one multiply streams.</summary>
    internal static long WeightBytes(GgmlType type) => GgmlTypeInfo.RowBytes(type, Cols) * Rows(type);

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        int rows = Rows(Type);
        _matrix = Kernels.RandomMatrix(Type, Cols, rows, rng);
        _ctx = new ComputeContext(Threads, Cols, 1);
        _x = (float*)NativeMemory.AlignedAlloc(Cols * sizeof(float), 64);
        _y = (float*)NativeMemory.AlignedAlloc((nuint)rows * sizeof(float), 64);
        Kernels.FillRandom(_x, Cols, rng);
    }

    [Benchmark]
    public void MatVec() => MatMul.Multiply(_ctx!, _matrix, _x, _y, 1);

    [GlobalCleanup]
    public void Cleanup()
    {
        _ctx?.Dispose();
        _ctx = null;
        NativeMemory.AlignedFree(_matrix.Data);
        NativeMemory.AlignedFree(_x);
        NativeMemory.AlignedFree(_y);
        _matrix = default;
        _x = _y = null;
    }

    /// <summary>Runs the benchmarks selected by BenchmarkDotNet's own command-line arguments.</summary>
    internal static int Run(string[] args)
    {
        // DefaultConfig; [Config] adds the GB/s column, and the command line may add jobs, filters and so on.
        var summaries = BenchmarkSwitcher.FromTypes([typeof(KernelBenchmarks)]).Run(args, DefaultConfig.Instance);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}

/// <summary>Adds the GB/s column (to whatever config the benchmarks run under).</summary>
public sealed class KernelBenchmarksConfig : ManualConfig
{
    public KernelBenchmarksConfig() => AddColumn(new WeightBandwidthColumn());
}

/// <summary>Weights streamed per second: the matrix's weight bytes over the mean time of one multiply (decimal GB/s).</summary>
public sealed class WeightBandwidthColumn : IColumn
{
    public string Id => nameof(WeightBandwidthColumn);
    public string ColumnName => "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Weight bytes of the matrix / mean time (10^9 bytes per second)";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (meanNs is not > 0 || benchmarkCase.Parameters[nameof(KernelBenchmarks.Type)] is not GgmlType type) return "NA";
        // bytes per nanosecond = 10^9 bytes per second
        return (KernelBenchmarks.WeightBytes(type) / meanNs.Value).ToString("F2", style.CultureInfo ?? CultureInfo.InvariantCulture);
    }

    public override string ToString() => ColumnName;
}
