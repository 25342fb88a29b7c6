using PocketLM.Tensors;
using PocketLM.Tests.Oracle;

namespace PocketLM.Tests.Tensors;

/// <summary>Random inputs shaped like real ones: valid weight blocks from ggml's quantizer, activations with outliers.</summary>
internal static unsafe class TestData
{
    public static readonly GgmlType[] WeightTypes =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];

    public static IEnumerable<object[]> AllWeightTypes() => WeightTypes.Select(t => new object[] { t });
    public static IEnumerable<object[]> QuantizedWeightTypes() => WeightTypes.Where(t => GgmlTypeInfo.BlockSize(t) > 1).Select(t => new object[] { t });

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

    /// <summary>A weight row of <paramref name="type"/>: ggml's reference quantization of random floats.</summary>
    public static byte[] WeightRow(GgmlType type, Random rng, int n)
    {
        float[] x = Floats(rng, n, 0.05f);
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, n)];
        fixed (float* px = x)
        fixed (byte* pb = bytes)
        {
            switch (type)
            {
                case GgmlType.F32: Buffer.MemoryCopy(px, pb, bytes.Length, bytes.Length); break;
                case GgmlType.F16 or GgmlType.BF16: ActivationQuantizer.Row(type, px, pb, n); break;
                default:
                    if (GgmlNative.Available) GgmlNative.QuantizeReference(type, px, pb, n);
                    else FuzzBlocks(type, rng, bytes);
                    break;
            }
        }
        return bytes;
    }

    /// <summary>Random quant bits with sane (finite, small) scale fields, to reach every bit pattern of the quants.</summary>
    public static void FuzzBlocks(GgmlType type, Random rng, byte[] bytes)
    {
        rng.NextBytes(bytes);
        int bb = GgmlTypeInfo.BlockBytes(type);
        // byte offsets of the half-precision scale fields within a block
        int[] halves = type switch
        {
            GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 => [0],
            GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
            GgmlType.Q2_K => [80, 82],
            GgmlType.Q3_K => [108],
            GgmlType.Q6_K => [208],
            _ => [],
        };
        for (int b = 0; b < bytes.Length; b += bb)
            foreach (int o in halves)
            {
                ushort h = Fp16.FromSingle((float)(rng.NextDouble() * 0.02 - 0.01));
                bytes[b + o] = (byte)h;
                bytes[b + o + 1] = (byte)(h >> 8);
            }
        if (type == GgmlType.Q8_0) // ggml's quantizers never emit −128; sign-trick kernels assume it
            for (int b = 0; b < bytes.Length; b += bb)
                for (int j = 2; j < bb; j++) if (bytes[b + j] == 0x80) bytes[b + j] = 0x81;
    }
}
