using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// The AVX-VNNI branches of the x86 kernels (<c>vpdpbusd</c>: unsigned × signed bytes, four products summed into each
/// int32 lane, no saturation). They take the branch where the CPU has AVX-VNNI; with the environment variable
/// <c>POCKETLM_EMULATE_VNNI=1</c> they take it on any AVX2 CPU too, with the instruction emulated exactly in AVX2, so that
/// the VNNI code paths are tested bit for bit against the scalar references on CPUs without it (the kernel check does
/// this). The flag is read once; tier-1 code folds it to a constant.
/// </summary>
internal static class Vnni
{
    // Native AOT code never takes the VNNI branches (IsDynamicCodeSupported is a constant false there): the switch is then
    // a constant the compiler folds, where a switch decided at run time would be read through an initialisation check in
    // every kernel loop (docs/architecture.md, "Native AOT"). The results are the same bits either way.
    public static readonly bool Enabled = RuntimeFeature.IsDynamicCodeSupported && (AvxVnni.IsSupported || (Avx2.IsSupported && Emulated));

    /// <summary>True when the VNNI branches run on the emulation (the variable is set and the CPU lacks AVX-VNNI).</summary>
    public static bool Emulated => !AvxVnni.IsSupported && Environment.GetEnvironmentVariable("POCKETLM_EMULATE_VNNI") == "1";

    /// <summary>acc + vpdpbusd(u, s): lane k += Σ u[4k+j]·s[4k+j], j = 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotAdd(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(acc, u, s);
        // Even and odd bytes widened to 16 bits (|u·s| ≤ 255·128 fits), then vpmaddwd sums bytes 4k, 4k+2 and 4k+1, 4k+3.
        var mask = Vector256.Create((short)0xFF);
        Vector256<short> uEven = u.AsInt16() & mask, uOdd = Avx2.ShiftRightLogical(u.AsUInt16(), 8).AsInt16();
        Vector256<short> sEven = Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(s.AsInt16(), 8), 8);
        Vector256<short> sOdd = Avx2.ShiftRightArithmetic(s.AsInt16(), 8);
        return acc + Avx2.MultiplyAddAdjacent(uEven, sEven) + Avx2.MultiplyAddAdjacent(uOdd, sOdd);
    }
}
