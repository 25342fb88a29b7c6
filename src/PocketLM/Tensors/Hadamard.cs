using System.Runtime.Intrinsics;

namespace PocketLM.Tensors;

/// <summary>
/// The orthonormal Walsh–Hadamard rotation llama.cpp applies around a quantized KV cache (since its PR 21038): with a
/// quantized K cache the queries and keys are rotated before the keys are stored (scores are unchanged in exact
/// arithmetic, but outliers spread out before block quantization); with a quantized V cache the values are rotated
/// before they are stored and the attention output is rotated back (H·H = I). ggml's CPU backend computes the rotation
/// (a mul_mat by the Sylvester matrix H/√n marked as Hadamard) as a fast transform: every element scaled by the F32
/// 1/√n first, then log₂ n butterfly stages (a + b, a − b) from stride 1 upward. Each output is thus a fixed sequence of
/// single-rounded operations, so any vector width gives the same bits as <see cref="RotateReference"/>.
/// </summary>
public static unsafe class Hadamard
{
    /// <summary>The rotation size llama.cpp uses for a K cache of type <paramref name="keyType"/> and heads of
    /// <paramref name="headDim"/>: the largest power of two that divides the head size (at least 64), or 0 (no
    /// rotation) when the cache is not quantized or the head size is not a multiple of 64.</summary>
    public static int KeySize(GgmlType keyType, int headDim)
    {
        if (!IsQuantized(keyType) || headDim % 64 != 0) return 0;
        int n = 64;
        while (headDim % (2 * n) == 0) n *= 2;
        return n;
    }

    /// <summary>The rotation size for a V cache: 64 (llama.cpp found small blocks better for V), or 0 as for keys.</summary>
    public static int ValueSize(GgmlType valueType, int headDim) => IsQuantized(valueType) && headDim % 64 == 0 ? 64 : 0;

    private static bool IsQuantized(GgmlType t) => t is GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0;

    /// <summary>Rotates each run of <paramref name="n"/> floats (a power of two) of x[0..count) in place.</summary>
    public static void Rotate(float* x, long count, int n, bool simd = true)
    {
        if (!simd || n < 16 || !Vector256.IsHardwareAccelerated) { RotateReference(x, count, n); return; }
        float scale = Scale(n);
        var s = Vector256.Create(scale);
        for (long i = 0; i + 8 <= count; i += 8) (Vector256.Load(x + i) * s).Store(x + i);
        for (float* row = x, end = x + count; row < end; row += n)
        {
            for (int len = 1; len < 8; len *= 2) Stage(row, n, len);
            for (int len = 8; len < n; len *= 2)
                for (int i = 0; i < n; i += 2 * len)
                    for (int j = i; j < i + len; j += 8)
                    {
                        Vector256<float> a = Vector256.Load(row + j), b = Vector256.Load(row + j + len);
                        (a + b).Store(row + j);
                        (a - b).Store(row + j + len);
                    }
        }
    }

    /// <summary>The scalar reference of <see cref="Rotate"/>.</summary>
    public static void RotateReference(float* x, long count, int n)
    {
        float scale = Scale(n);
        for (long i = 0; i < count; i++) x[i] *= scale;
        for (float* row = x, end = x + count; row < end; row += n)
            for (int len = 1; len < n; len *= 2) Stage(row, n, len);
    }

    private static void Stage(float* row, int n, int len)
    {
        for (int i = 0; i < n; i += 2 * len)
            for (int j = i; j < i + len; j++)
            {
                float a = row[j], b = row[j + len];
                row[j] = a + b;
                row[j + len] = a - b;
            }
    }

    /// <summary>H[0][0] of llama.cpp's matrix: 1/sqrtf(n) divided in double, stored as a float.</summary>
    private static float Scale(int n) => (float)(1.0 / MathF.Sqrt(n));
}
