using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PocketLM.Tensors;

/// <summary>
/// Facts about each block of a Q8_0 activation row that kernels would otherwise recompute for every weight row they pair
/// it with, written once per row by <see cref="MatMul"/> after the row's blocks: Σq (the repacked Q4_0 kernels' offset
/// term), d as a float, and Σq over each four-element lane times 16 (the Q5_0 offset term in ggml's lane layout).
/// </summary>
internal static unsafe class Q8_0Extras
{
    /// <summary>Bytes per 32-element block: the block itself and its extras.</summary>
    public const int BytesPerBlock = 34 + 4 + 4 + 32;

    public static int* BlockSums(byte* act, int cols) => (int*)(act + cols / 32 * 34);
    public static float* Scales(byte* act, int cols) => (float*)(act + cols / 32 * 38);
    /// <summary>Eight ints per block: 16·Σ of q[4k..4k+3].</summary>
    public static int* LaneSums16(byte* act, int cols) => (int*)(act + cols / 32 * 42);

    public static void Write(byte* act, int cols)
    {
        int nb = cols / 32;
        int* sums = BlockSums(act, cols), lanes = LaneSums16(act, cols);
        float* scales = Scales(act, cols);
        var ones = Vector256.Create((byte)1);
        for (int b = 0; b < nb; b++)
        {
            byte* block = act + b * 34;
            scales[b] = Fp16.Table[*(ushort*)block];
            sbyte* q = (sbyte*)(block + 2);
            if (Avx2.IsSupported)
            {
                Vector256<int> s = VecDotAvx2.DotU8(ones, Avx.LoadVector256(q));
                Avx.Store(lanes + 8 * b, Avx2.ShiftLeftLogical(s, 4));
                Vector128<int> h = s.GetLower() + s.GetUpper();
                h += Sse2.Shuffle(h, 0b_01_00_11_10);
                h += Sse2.Shuffle(h, 0b_10_11_00_01);
                sums[b] = h.ToScalar();
            }
            else
            {
                int total = 0;
                for (int k = 0; k < 8; k++)
                {
                    int lane = q[4 * k] + q[4 * k + 1] + q[4 * k + 2] + q[4 * k + 3];
                    lanes[8 * b + k] = lane * 16;
                    total += lane;
                }
                sums[b] = total;
            }
        }
    }
}
