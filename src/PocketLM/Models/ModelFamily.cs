namespace PocketLM.Models;

/// <summary>
/// What distinguishes one decoder-only family from another in the shared forward pass (see <see cref="Transformer"/>):
/// its rope style and which optional tensors it must have. Each family lives in its own short file.
/// </summary>
public sealed record ModelFamily(string Architecture, RopeStyle RopeStyle, bool HasQkvBias, bool HasQkNorm)
{
    private static readonly ModelFamily[] All = [Llama.Family, Qwen2.Family, Qwen3.Family];

    public static IReadOnlyList<string> SupportedArchitectures => All.Select(f => f.Architecture).ToArray();

    public static ModelFamily ForArchitecture(string? architecture, string file) =>
        All.FirstOrDefault(f => f.Architecture == architecture)
        ?? throw new ModelLoadException($"{file}: unsupported architecture '{architecture ?? "(none)"}'; supported: {string.Join(", ", SupportedArchitectures)}");
}
