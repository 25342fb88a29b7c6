using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

/// <summary>SwiGLU must equal ggml_vec_swiglu_f32 of the llama.cpp CPU build for each instruction-set variant, bit for bit.</summary>
public unsafe class GgmlExpTests
{
    private static delegate* unmanaged<int, float*, float*, float*, void> NativeSwiGlu(string variant)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", variant);
        string lib = Path.Combine(dir, "libggml-cpu.so");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !File.Exists(lib)) return null;
        NativeLibrary.Load(Path.Combine(dir, "libggml-base.so"));
        nint h = NativeLibrary.Load(lib);
        return (delegate* unmanaged<int, float*, float*, float*, void>)NativeLibrary.GetExport(h, "ggml_vec_swiglu_f32");
    }

    private static float[] Inputs(int seed, int n)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = (i % 7) switch
            {
                0 => (float)(rng.NextDouble() * 200 - 100), // far tails: exp overflow / underflow paths
                1 => (float)(rng.NextDouble() * 1e-3),
                _ => (float)(rng.NextDouble() * 16 - 8),
            };
        return x;
    }

    [Theory]
    [InlineData("avx2", false, 4096)]
    [InlineData("avx2", false, 1003)]
    [InlineData("avx512", true, 4096)]
    [InlineData("avx512", true, 1003)]
    public void SwiGluMatchesLlamaCppBuild(string variant, bool avx512Variant, int n)
    {
        if (avx512Variant && !(Avx512F.IsSupported && Avx512DQ.IsSupported)) return; // that build cannot run on this CPU
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        var native = NativeSwiGlu(variant);
        if (native == null) return;
        float[] x = Inputs(n, n), g = Inputs(n + 1, n);
        var expected = new float[n];
        var simd = new float[n];
        var scalar = new float[n];
        fixed (float* px = x, pg = g, pe = expected, ps = simd, pr = scalar)
        {
            native(n, pe, px, pg);
            GgmlExp.SwiGlu(px, pg, ps, n, simd: true, avx512Variant);
            GgmlExp.SwiGlu(px, pg, pr, n, simd: false, avx512Variant);
        }
        for (int i = 0; i < n; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(simd[i]),
                $"[{i}] x={x[i]:R}: ggml {expected[i]:R}, simd {simd[i]:R}");
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(scalar[i]),
                $"[{i}] x={x[i]:R}: ggml {expected[i]:R}, scalar {scalar[i]:R}");
        }
    }
}

public unsafe class GgmlSoftMaxTests
{
    [Theory]
    [InlineData("avx2", false, 256)]
    [InlineData("avx2", false, 77)]
    [InlineData("avx512", true, 256)]
    [InlineData("avx512", true, 77)]
    public void SoftMaxExpMatchesLlamaCppBuild(string variant, bool avx512Variant, int n)
    {
        if (avx512Variant && !(Avx512F.IsSupported && Avx512DQ.IsSupported)) return;
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        string dir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", variant);
        if (!OperatingSystem.IsLinux() || !File.Exists(Path.Combine(dir, "libggml-cpu.so"))) return;
        NativeLibrary.Load(Path.Combine(dir, "libggml-base.so"));
        var native = (delegate* unmanaged<int, float*, float*, float, double>)NativeLibrary.GetExport(NativeLibrary.Load(Path.Combine(dir, "libggml-cpu.so")), "ggml_vec_soft_max_f32");
        var rng = new Random(n);
        float[] x = Enumerable.Range(0, n).Select(i => i % 9 == 8 ? float.NegativeInfinity : (float)(rng.NextDouble() * 20 - 10)).ToArray();
        float max = x.Max();
        var expected = new float[n];
        var ours = new float[n];
        double se, so;
        fixed (float* px = x, pe = expected, po = ours)
        {
            se = native(n, pe, px, max);
            so = GgmlExp.SoftMaxExp(px, po, n, max, simd: true, avx512Variant);
        }
        Assert.Equal(expected, ours);
        Assert.Equal(se, so);
    }

    /// <summary>The 128-bit form (ARM64's) lane for lane against the scalar reference of the AVX2/NEON variant, tails
    /// (overflow, underflow, the |n| &gt; 126 and &gt; 192 branches) and −∞ included; portable, so it runs here too.</summary>
    [Fact]
    public void Exp4MatchesTheLaneReferenceBitForBit()
    {
        float[] x = [.. Enumerable.Range(0, 4000).Select(i => (float)(new Random(i).NextDouble() * (i % 3 == 0 ? 240 : 16) - (i % 3 == 0 ? 120 : 8))), float.NegativeInfinity, -0f, 0f, 88.7f, 89f, -87.4f, -103f, -104f, 130f, -140f, 1e-30f, -1e-30f];
        while (x.Length % 4 != 0) x = [.. x, 0.5f];
        fixed (float* px = x)
            for (int i = 0; i < x.Length; i += 4)
            {
                var v = GgmlExp.Exp4(System.Runtime.Intrinsics.Vector128.Load(px + i));
                for (int k = 0; k < 4; k++)
                {
                    float want = GgmlExp.Exp(x[i + k], avx512Variant: false), got = v.GetElement(k);
                    Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(got), $"exp({x[i + k]:R}): {got:R}, reference {want:R}");
                }
            }
    }
}
