namespace PocketLM.Models;

/// <summary>Qwen2 / Qwen2.5 and DeepSeek-R1-Distill-Qwen: the Llama block with biases on Q, K and V and NeoX-style rope.</summary>
public static class Qwen2
{
    public static readonly ModelFamily Family = new("qwen2", RopeStyle.NeoX, HasQkvBias: true, HasQkNorm: false);
}
