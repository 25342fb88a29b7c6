using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using PocketLM.Tensors;

namespace PocketLM.Tests.Oracle;

/// <summary>
/// ggml's own C functions from the libggml-base/libggml-cpu that LLamaSharp.Backend.Cpu ships: the oracle our kernels must
/// match. Loaded by path from the test output's runtimes folder (the AVX2 build when the CPU has AVX2, which is the build
/// llama.cpp would pick here).
/// </summary>
internal static unsafe class GgmlNative
{
    private static readonly nint Base, Cpu;

    /// <summary>False where the native build cannot be loaded (not linux-x64): the oracle tests then have nothing to compare.</summary>
    public static readonly bool Available;

    public static readonly string Variant = Avx2.IsSupported && Fma.IsSupported ? "avx2" : "noavx";

    static GgmlNative()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        string dir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", Variant);
        if (!File.Exists(Path.Combine(dir, "libggml-cpu.so"))) return;
        Base = NativeLibrary.Load(Path.Combine(dir, "libggml-base.so"));
        Cpu = NativeLibrary.Load(Path.Combine(dir, "libggml-cpu.so"));
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(Cpu, "ggml_cpu_init"))();
        Available = true;
    }

    private static string Name(GgmlType t) => t switch
    {
        GgmlType.Q2_K => "q2_K", GgmlType.Q3_K => "q3_K", GgmlType.Q4_K => "q4_K", GgmlType.Q5_K => "q5_K",
        GgmlType.Q6_K => "q6_K", GgmlType.Q8_K => "q8_K",
        _ => t.ToString().ToLowerInvariant(),
    };

    /// <summary>ggml's reference dequantization (dequantize_row_*, ggml_fp16_to_fp32_row, ggml_bf16_to_fp32_row).</summary>
    public static void Dequantize(GgmlType t, byte* src, float* dst, long n)
    {
        string sym = t switch
        {
            GgmlType.F16 => "ggml_fp16_to_fp32_row",
            GgmlType.BF16 => "ggml_bf16_to_fp32_row",
            _ => "dequantize_row_" + Name(t),
        };
        ((delegate* unmanaged<byte*, float*, long, void>)NativeLibrary.GetExport(Base, sym))(src, dst, n);
    }

    /// <summary>The reference quantizer used to make model files (quantize_row_*_ref): gives us valid weight blocks.</summary>
    public static void QuantizeReference(GgmlType t, float* src, byte* dst, long n) =>
        ((delegate* unmanaged<float*, byte*, long, void>)NativeLibrary.GetExport(Base, "quantize_row_" + Name(t) + "_ref"))(src, dst, n);

    /// <summary>The CPU backend's from_float for an activation type (what runs before a matmul).</summary>
    public static void QuantizeActivations(GgmlType t, float* src, byte* dst, long n)
    {
        string sym = t switch
        {
            GgmlType.F16 => "ggml_cpu_fp32_to_fp16",
            GgmlType.BF16 => "ggml_cpu_fp32_to_bf16",
            _ => "quantize_row_" + Name(t),
        };
        ((delegate* unmanaged<float*, byte*, long, void>)NativeLibrary.GetExport(Cpu, sym))(src, dst, n);
    }

    /// <summary>The CPU backend's vec_dot for a weight type, on its vec_dot_type activations.</summary>
    public static float VecDot(GgmlType weight, byte* w, byte* act, int n)
    {
        string sym = weight switch
        {
            GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => "ggml_vec_dot_" + Name(weight),
            _ => $"ggml_vec_dot_{Name(weight)}_{Name(ActivationQuantizer.VecDotType(weight))}",
        };
        float s;
        ((delegate* unmanaged<int, float*, nuint, byte*, nuint, byte*, nuint, int, void>)NativeLibrary.GetExport(Cpu, sym))(n, &s, 0, w, 0, act, 0, 1);
        return s;
    }
}
