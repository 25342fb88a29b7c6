using PocketLM.Tensors;
using PocketLM.Tests.Oracle;

namespace PocketLM.Tests.Tensors;

/// <summary>Random inputs shaped like real ones: valid weight blocks from ggml's quantizer, activations with outliers.</summary>
internal static unsafe class TestData
{
    public static readonly GgmlType[] WeightTypes =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS,
        GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M,
    ];

    public static IEnumerable<object[]> AllWeightTypes() => WeightTypes.Select(t => new object[] { t });
    /// <summary>The KV cache types besides F32 (<see cref="PocketLM.Inference.KvCache.SupportedTypes"/>).</summary>
    public static IEnumerable<object[]> CacheTypes() =>
        PocketLM.Inference.KvCache.SupportedTypes.Where(t => t != GgmlType.F32).Select(t => new object[] { t });
    public static IEnumerable<object[]> QuantizedWeightTypes() => WeightTypes.Where(t => GgmlTypeInfo.BlockSize(t) > 1).Select(t => new object[] { t });

    public static float[] Floats(Random rng, int n, float scale = 1f) => RandomBlocks.Floats(rng, n, scale);

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

    public static void FuzzBlocks(GgmlType type, Random rng, byte[] bytes) => RandomBlocks.FuzzBlocks(type, rng, bytes);
}
