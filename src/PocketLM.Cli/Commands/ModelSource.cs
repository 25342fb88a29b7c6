using PocketLM.Gguf;
using PocketLM.Inference;

namespace PocketLM.Cli.Commands;

/// <summary>Resolves the MODEL argument: a GGUF path, or the built-in default model embedded in the tool.</summary>
internal static class ModelSource
{
    public const string DefaultModelName = "stories260K.gguf";

    public static GgufFile OpenFile(string? path)
    {
        if (path == null)
        {
            using var stream = typeof(ModelSource).Assembly.GetManifestResourceStream(DefaultModelName)
                ?? throw new InvalidOperationException("the built-in default model is missing from this build");
            return GgufFile.FromStream(stream, "(built-in) " + DefaultModelName);
        }
        if (Directory.Exists(path)) throw new ArgumentException($"{path}: is a directory, not a GGUF file");
        return GgufFile.Open(path);
    }

    public static LanguageModel Load(string? path, ModelLoadOptions? options = null)
    {
        if (PocketLM.Tensors.ComputeContext.KernelWarning is { } warning && !s_warned)
        {
            s_warned = true;
            Console.Error.WriteLine("pocket: warning: " + warning);
        }
        return LanguageModel.FromFile(OpenFile(path), options);
    }

    private static bool s_warned;
}
