using System.Runtime.InteropServices;
using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Quantization;

/// <summary>
/// <see cref="Quantizer"/> against ggml's own reference quantizers (quantize_row_*_ref in libggml-base, what llama.cpp's
/// quantizer runs without an importance matrix): the bytes must be identical for every type, on rows drawn from several
/// distributions (Gaussian weights, heavy tails, all-positive, blocks of zeros, constants, tiny and huge magnitudes)
/// over many seeds.
/// </summary>
public sealed unsafe class QuantizerBitExactTests(ITestOutputHelper output)
{
    public static readonly GgmlType[] BlockTypes =
    [
        GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    public static IEnumerable<object[]> Types() => BlockTypes.Select(t => new object[] { t });

    private const int Seeds = 24;
    private const int RowLength = 1024; // four super-blocks, 32 small blocks

    /// <summary>Row <paramref name="kind"/> of the test distributions.</summary>
    internal static float[] Row(int kind, Random rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = Gaussian(rng);
        switch (kind)
        {
            case 0: Scale(x, 0.02f); break;                                   // trained-weight-like
            case 1: for (int i = 0; i < n; i++) x[i] = x[i] * x[i] * x[i]; break; // heavy tails
            case 2: for (int i = 0; i < n; i++) x[i] = MathF.Abs(x[i]) + 0.5f; break; // all positive, min > 0
            case 3: for (int i = 0; i < n; i++) x[i] = -MathF.Abs(x[i]) * 3; break; // all negative
            case 4: // zero blocks, constant blocks, single spikes
                for (int b = 0; b < n / 32; b++)
                {
                    int mode = rng.Next(4);
                    for (int j = 0; j < 32; j++)
                    {
                        ref float v = ref x[b * 32 + j];
                        v = mode switch { 0 => 0f, 1 => 0.25f, 2 => j == 7 ? 5f : 0f, _ => v };
                    }
                }
                break;
            case 5: Scale(x, 1e-6f); break;                                   // tiny (subnormal half scales)
            case 6: Scale(x, 300f); break;                                    // large
            case 7: for (int i = 0; i < n; i++) x[i] = rng.Next(-8, 8) * 0.125f; break; // values on a grid: ties
            default: break;                                                   // unit Gaussian
        }
        return x;
    }

    private const int Kinds = 9;

    private static void Scale(float[] x, float s)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= s;
    }

    private static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void MatchesGgmlReference(GgmlType type)
    {
        if (!GgmlNative.Available) { output.WriteLine("ggml native library not available: nothing to compare"); return; }
        int rowBytes = (int)GgmlTypeInfo.RowBytes(type, RowLength);
        var mine = new byte[rowBytes];
        var theirs = new byte[rowBytes];
        int rows = 0;
        for (int seed = 0; seed < Seeds; seed++)
        {
            var rng = new Random(seed * 7919 + (int)type);
            for (int kind = 0; kind < Kinds; kind++)
            {
                float[] x = Row(kind, rng, RowLength);
                Quantizer.QuantizeRow(type, x, mine);
                fixed (float* px = x)
                fixed (byte* pt = theirs)
                    GgmlNative.QuantizeReference(type, px, pt, RowLength);
                if (!mine.AsSpan().SequenceEqual(theirs))
                {
                    int at = mine.AsSpan().CommonPrefixLength(theirs);
                    int bb = GgmlTypeInfo.BlockBytes(type);
                    Assert.Fail($"{type} seed {seed} kind {kind}: first difference at byte {at} (block {at / bb}, offset {at % bb}): " +
                                $"mine {mine[at]:x2}, ggml {theirs[at]:x2}");
                }
                rows++;
            }
        }
        output.WriteLine($"{type}: {rows} rows of {RowLength} identical to quantize_row_{type.ToString().ToLowerInvariant()}_ref");
    }

    [Fact]
    public void HalfAndBFloatMatchGgml()
    {
        if (!GgmlNative.Available) return;
        string dir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", GgmlNative.Variant);
        nint lib = NativeLibrary.Load(Path.Combine(dir, "libggml-base.so"));
        var toHalf = (delegate* unmanaged<float*, ushort*, long, void>)NativeLibrary.GetExport(lib, "ggml_fp32_to_fp16_row");
        var toBf16 = (delegate* unmanaged<float*, ushort*, long, void>)NativeLibrary.GetExport(lib, "ggml_fp32_to_bf16_row_ref");
        var rng = new Random(5);
        for (int kind = 0; kind < Kinds; kind++)
        {
            float[] x = Row(kind, rng, RowLength);
            x[0] = float.PositiveInfinity; x[1] = 70000f; x[2] = 1e-8f; x[3] = -0f; x[4] = 65519.99f; x[5] = 6.1e-5f;
            var mine = new byte[RowLength * 2];
            var theirs = new ushort[RowLength];
            foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
            {
                Quantizer.QuantizeRow(type, x, mine);
                fixed (float* px = x)
                fixed (ushort* pt = theirs)
                {
                    if (type == GgmlType.F16) toHalf(px, pt, RowLength);
                    else toBf16(px, pt, RowLength);
                }
                Assert.True(MemoryMarshal.AsBytes(theirs.AsSpan()).SequenceEqual(mine), $"{type} kind {kind}");
            }
        }
    }

    [Fact]
    public void ParallelMatrixEqualsRowByRow()
    {
        var rng = new Random(3);
        const int rows = 37, n = 512;
        float[] x = new float[rows * n];
        for (int r = 0; r < rows; r++) Row(r % Kinds, rng, n).CopyTo(x, r * n);
        foreach (var type in BlockTypes.Append(GgmlType.F16).Append(GgmlType.BF16))
        {
            int rb = (int)GgmlTypeInfo.RowBytes(type, n);
            var whole = new byte[rb * rows];
            Quantizer.Quantize(type, x, whole, n, threads: 4);
            var row = new byte[rb];
            for (int r = 0; r < rows; r++)
            {
                Quantizer.QuantizeRow(type, x.AsSpan(r * n, n), row);
                Assert.True(row.AsSpan().SequenceEqual(whole.AsSpan(r * rb, rb)), $"{type} row {r}");
            }
        }
    }

    [Fact]
    public void RoundTripErrorIsSmall()
    {
        // Sanity independent of ggml: dequantized values stay close (relative RMS error per type).
        var rng = new Random(11);
        float[] x = Row(8, rng, 4096);
        foreach (var (type, bound) in new[] {
            (GgmlType.Q8_0, 0.01), (GgmlType.Q6_K, 0.03), (GgmlType.Q5_0, 0.06), (GgmlType.Q5_1, 0.06), (GgmlType.Q5_K, 0.06),
            (GgmlType.Q4_0, 0.12), (GgmlType.Q4_1, 0.12), (GgmlType.Q4_K, 0.12), (GgmlType.Q3_K, 0.25), (GgmlType.Q2_K, 0.5),
            (GgmlType.F16, 0.001), (GgmlType.BF16, 0.005) })
        {
            var q = new byte[GgmlTypeInfo.RowBytes(type, x.Length)];
            Quantizer.QuantizeRow(type, x, q);
            var back = new float[x.Length];
            Dequantize.Row(type, q, back);
            double err = 0, norm = 0;
            for (int i = 0; i < x.Length; i++) { err += (x[i] - back[i]) * (double)(x[i] - back[i]); norm += x[i] * (double)x[i]; }
            double rel = Math.Sqrt(err / norm);
            output.WriteLine($"{type}: relative RMS error {rel:F4}");
            Assert.True(rel < bound, $"{type}: relative RMS error {rel} ≥ {bound}");
        }
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRow(GgmlType.Q4_K, new float[128], new byte[72]));
        Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRow(GgmlType.Q8_0, new float[64], new byte[34]));
        Assert.Throws<NotSupportedException>(() => Quantizer.QuantizeRow(GgmlType.IQ4_NL, new float[32], new byte[18]));
    }
}
