using PocketLM.Models;
using PocketLM.Tensors;

namespace PocketLM.Tests;

/// <summary>Paths of the fixtures copied into the test output (tests/PocketLM.Tests/fixtures, see its README).</summary>
internal static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");
    public static string Model(string name) => Path.Combine(Root, "models", name);
    public static string Vocab(string name) => Path.Combine(Root, "vocab", name);
    public static string ChatTemplates => Path.Combine(Root, "chat-templates");
    public static string Expected(string name) => Path.Combine(Root, "expected", name);

    public static readonly string[] ModelFiles =
    [
        "stories260K.gguf", "stories260K-gguf-v1.gguf", "TinyStories-656K-Q8_0.gguf", "llama-2-tiny-random.gguf",
    ];

    /// <summary>A fresh temporary directory, removed by the OS eventually; tests write synthesized models here.</summary>
    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "pocketlm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A random-weight model of a synthetic shape written as F32, then quantized by PocketLM (pure) into
    /// <paramref name="dir"/>; returns the quantized file's path.</summary>
    public static string QuantizedSyntheticModel(string dir, string shape, string type, int seed)
    {
        string f32 = Path.Combine(dir, $"{shape}-{seed}-F32.gguf"), q = Path.Combine(dir, $"{shape}-{seed}-{type}.gguf");
        SyntheticModel.Write(SyntheticShape.Find(shape)!, f32, new SyntheticOptions { WeightType = GgmlType.F32, Seed = (ulong)seed });
        ModelQuantizer.Quantize(f32, q, QuantFileType.Find(type)!, new QuantizeOptions { Pure = true, Threads = 2 });
        return q;
    }
}
