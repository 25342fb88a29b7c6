using PocketLM.Tensors;

namespace PocketLM.Tests.Tensors;

/// <summary>
/// Random inputs with no native dependency, shared by the test suite and the stand-alone kernel check
/// (<c>tests/PocketLM.KernelCheck</c>, which also runs on ARM64).
/// </summary>
internal static unsafe class RandomBlocks
{
    public static float[] Floats(Random rng, int n, float scale = 1f)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Mostly Gaussian-ish, with a few large outliers and exact zeros, as activations have.
            double u = rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5;
            x[i] = (float)(u * scale);
            int r = rng.Next(100);
            if (r == 0) x[i] *= 20;
            else if (r == 1) x[i] = 0;
        }
        return x;
    }

    /// <summary>Random quant bits with sane (finite, small) scale fields, to reach every bit pattern of the quants.</summary>
    public static void FuzzBlocks(GgmlType type, Random rng, byte[] bytes)
    {
        rng.NextBytes(bytes);
        int bb = GgmlTypeInfo.BlockBytes(type);
        int[] halves = BlockLayout.HalfScaleOffsets(type);
        for (int b = 0; b < bytes.Length; b += bb)
            foreach (int o in halves)
            {
                ushort h = Fp16.FromSingle((float)(rng.NextDouble() * 0.02 - 0.01));
                bytes[b + o] = (byte)h;
                bytes[b + o + 1] = (byte)(h >> 8);
            }
        if (type == GgmlType.IQ1_M) // its half scale is spread over the top nibbles of the four uint16 scale words
            for (int b = 0; b < bytes.Length; b += bb)
            {
                ushort h = Fp16.FromSingle((float)(rng.NextDouble() * 0.02 - 0.01));
                for (int k = 0; k < 4; k++)
                    bytes[b + 48 + 2 * k + 1] = (byte)((bytes[b + 48 + 2 * k + 1] & 0x0F) | (((h >> (4 * k)) & 0xF) << 4));
            }
        if (type == GgmlType.Q8_0) // ggml's quantizers never emit −128; sign-trick kernels assume it
            for (int b = 0; b < bytes.Length; b += bb)
                for (int j = 2; j < bb; j++) if (bytes[b + j] == 0x80) bytes[b + j] = 0x81;
    }
}
