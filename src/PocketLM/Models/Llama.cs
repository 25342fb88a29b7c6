namespace PocketLM.Models;

/// <summary>
/// Llama 2/3/3.1/3.2, Mistral 7B, TinyLlama, SmolLM/SmolLM2: pre-norm decoder with RMSNorm, rotary attention (GQA), SwiGLU.
/// GGUF converters permute Q/K so adjacent pairs rotate together ("normal" rope). Llama 3.1+ ships per-frequency rope
/// factors as <c>rope_freqs.weight</c>; the forward pass applies them when present.
/// </summary>
public static class Llama
{
    public static readonly ModelFamily Family = new("llama", RopeStyle.Normal, HasQkvBias: false, HasQkNorm: false);
}
