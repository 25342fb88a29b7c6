using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PocketLM.Tensors;

/// <summary>
/// Per-session compute state: the worker pool, scratch for quantized activations (allocated once, 64-byte aligned) and the
/// reusable work objects, so that a matmul allocates nothing.
/// </summary>
public sealed unsafe class ComputeContext : IDisposable
{
    static ComputeContext() => InitializeKernelClasses();

    /// <summary>
    /// Runs the static constructors of the classes whose static fields the kernels read (the half table, vector constants,
    /// instruction-set switches) before any kernel is compiled. A kernel that stackallocs is compiled once, fully
    /// optimised, and never re-jitted; compiled before such a class was initialised, it keeps a class-initialisation check
    /// — a helper call inside its loop, around which the register allocator spills the loop's vectors (measured on
    /// IQ2_S: 25 % slower). A model's first forward pass usually initialises them first, but not for every weight type.
    /// </summary>
    internal static void InitializeKernelClasses()
    {
        RuntimeHelpers.RunClassConstructor(typeof(Fp16).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(Vnni).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(Avx512).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(GgmlExp).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(LibmExp).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(Dequantize).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(ActivationQuantizer).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(VecDotScalar).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(VecDotAvx2).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(VecDotNeon).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(VecDotTiles).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(MatMul).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(Attention).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(TiledAttention).TypeHandle);
    }

    private byte* _activations;
    private float* _wideRows;

    /// <param name="halfWeights">Whether F16 or BF16 weight matrices will be multiplied: on AVX2 their activations are then
    /// kept as the floats of their 16-bit values (4 bytes per element instead of 2; BF16 only in batches) and each prefill
    /// chunk's rows are widened once into
    /// a per-thread buffer (<see cref="MatMul.RowsPerChunk"/> × <paramref name="maxCols"/> floats), so the weights are
    /// converted once per chunk instead of once per token.</param>
    public ComputeContext(int threads, int maxCols, int maxBatch, bool halfWeights = false)
    {
        if (maxCols <= 0 || maxBatch <= 0) throw new ArgumentOutOfRangeException(nameof(maxCols));
        MaxCols = maxCols;
        MaxBatch = maxBatch;
        WideHalves = halfWeights && VecDotAvx2.IsSupported;
        // Widest activation row: Q8_0 with its extras (74 bytes per 32 elements); F16/BF16 take 2 bytes per element
        // (4 when widened), Q8_1/Q8_K at most 36/32.
        long widest = Math.Max((long)maxCols * (WideHalves ? 4 : 2), ((long)maxCols + 31) / 32 * Q8_0Extras.BytesPerBlock);
        ActivationRowCapacity = (widest + 63) & ~63L;
        _activations = (byte*)NativeMemory.AlignedAlloc((nuint)(ActivationRowCapacity * maxBatch * MatMul.RowsWork.MaxSegments), 64);
        if (WideHalves)
        {
            long stride = ((long)MatMul.RowsPerChunk * maxCols + 15) & ~15L;
            _wideRows = (float*)NativeMemory.AlignedAlloc((nuint)(stride * threads * sizeof(float)), 64);
            RowsWork.SetWideRows(_wideRows, stride);
        }
        Pool = new WorkerPool(threads);
    }

    public WorkerPool Pool { get; }

    /// <summary>The dot kernels this CPU runs: "AVX2+FMA" (with "+AVX-VNNI" and "+AVX-512" where present, each marked
    /// "(emulated)" when forced on by its test switch), "NEON+dotprod", "NEON", or "scalar".</summary>
    public static string KernelSet { get; } =
        VecDotAvx2.IsSupported
            ? "AVX2+FMA" + (Vnni.Enabled ? (Vnni.Emulated ? "+AVX-VNNI(emulated)" : "+AVX-VNNI") : "")
                         + (Avx512.Enabled ? (Avx512.Emulated ? "+AVX-512(emulated)" : "+AVX-512") : "")
        : VecDotNeon.IsSupported ? (System.Runtime.Intrinsics.Arm.Dp.IsSupported ? "NEON+dotprod" : "NEON")
        : "scalar";
    /// <summary>
    /// Why the kernels are narrower than this CPU allows, or null. Native AOT compiles for a baseline CPU unless the app sets
    /// <c>IlcInstructionSet</c>; on x86-64 that baseline has no AVX2, so the SIMD kernels are compiled out and every
    /// product runs its scalar reference (measured 50× slower than the JIT). Under the JIT, AVX2 is only ever missing
    /// because the CPU lacks it or the configuration turned it off (DOTNET_EnableAVX2=0), so there is nothing to report.
    /// </summary>
    public static string? KernelWarning { get; } =
        !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported && !VecDotAvx2.IsSupported && CpuHasAvx2Fma()
            ? "this Native AOT build was compiled without AVX2 although the CPU has it; the kernels run their scalar references " +
              "(publish with <IlcInstructionSet>x86-64-v3</IlcInstructionSet>, as src/PocketLM.Cli does)"
            : null;

    private static bool CpuHasAvx2Fma()
    {
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported) return false;
        var (_, _, ecx1, _) = System.Runtime.Intrinsics.X86.X86Base.CpuId(1, 0);
        var (_, ebx7, _, _) = System.Runtime.Intrinsics.X86.X86Base.CpuId(7, 0);
        bool osAvx = (ecx1 & (1 << 27)) != 0 && (ecx1 & (1 << 28)) != 0; // OSXSAVE and AVX
        return osAvx && (ecx1 & (1 << 12)) != 0 && (ebx7 & (1 << 5)) != 0; // FMA, AVX2
    }

    /// <summary>Use the SIMD kernels (default where the CPU has them); false runs the scalar references, e.g. in tests.
    /// Per context, so that switching it affects no other session.</summary>
    public bool Simd { get; init; } = VecDotAvx2.IsSupported || VecDotNeon.IsSupported;
    public int MaxCols { get; }
    public int MaxBatch { get; }
    internal long ActivationRowCapacity { get; }
    /// <summary>F16/BF16 weights multiply against widened activations (see the constructor).</summary>
    internal bool WideHalves { get; }
    internal byte* Activations => _activations;
    /// <summary>Quantized-activation buffer <paramref name="slot"/> (one per matrix of a grouped multiply).</summary>
    internal byte* ActivationBuffer(int slot) => _activations + slot * ActivationRowCapacity * MaxBatch;
    internal readonly MatMul.RowsWork RowsWork = new();
    internal readonly MatMul.QuantizeWork QuantizeWork = new();

    public void Dispose()
    {
        Pool.Dispose();
        if (_activations != null)
        {
            NativeMemory.AlignedFree(_activations);
            _activations = null;
        }
        if (_wideRows != null)
        {
            NativeMemory.AlignedFree(_wideRows);
            _wideRows = null;
        }
    }
}
