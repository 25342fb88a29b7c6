namespace PocketLM.Models;

/// <summary>Qwen3 (dense): no Q/K/V biases, but an RMSNorm over each query and key head before rope; NeoX-style rope.</summary>
public static class Qwen3
{
    public static readonly ModelFamily Family = new("qwen3", RopeStyle.NeoX, HasQkvBias: false, HasQkNorm: true);
}
