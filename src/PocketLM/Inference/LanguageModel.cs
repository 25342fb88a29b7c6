using PocketLM.Gguf;
using PocketLM.Models;
using PocketLM.Tokenization;

namespace PocketLM.Inference;

/// <summary>
/// A loaded model: the memory-mapped GGUF file, its hyper-parameters and weight views. Immutable and shareable;
/// each conversation or request gets its own <see cref="InferenceSession"/> (KV cache and buffers).
/// </summary>
public sealed class LanguageModel : IDisposable
{
    private LanguageModel(GgufFile file, ModelLoadOptions options)
    {
        File = file;
        Family = ModelFamily.ForArchitecture(file.GetString("general.architecture"), file.Name);
        Config = ModelConfig.FromGguf(file, Family);
        Weights = new ModelWeights(file, Config, Family, options.Repack);
        _tokenizer = new Lazy<Tokenizer>(() => Tokenizer.FromGguf(file));
    }

    private readonly Lazy<Tokenizer> _tokenizer;

    /// <summary>The model's own tokenizer, built from its GGUF vocabulary on first use.</summary>
    public Tokenizer Tokenizer => _tokenizer.Value;

    public GgufFile File { get; }
    public ModelFamily Family { get; }
    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    public string Name => File.GetString("general.name") ?? Path.GetFileNameWithoutExtension(File.Name);

    /// <summary>Maps and validates a GGUF model. Errors: FileNotFoundException, GgufFormatException, ModelLoadException.</summary>
    public static LanguageModel Load(string path, ModelLoadOptions? options = null) => FromFile(GgufFile.Open(path), options);

    /// <summary>Wraps an opened file; the model owns it from here on.</summary>
    public static LanguageModel FromFile(GgufFile file, ModelLoadOptions? options = null)
    {
        try
        {
            return new LanguageModel(file, options ?? new ModelLoadOptions());
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public InferenceSession CreateSession(SessionOptions? options = null) => new(this, options ?? new SessionOptions());

    public void Dispose()
    {
        Weights.Dispose();
        File.Dispose();
    }
}

/// <summary>How a model is loaded.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>
    /// Repack matrices into the layouts the SIMD kernels read fastest (Q4_0 and Q4_K into eight-row groups), as llama.cpp does by
    /// default (its <c>--no-repack</c> turns it off). Costs a native copy of those matrices and a pass over them at load;
    /// changes the float summation order of those products to the one llama.cpp's repacked kernels use.
    /// </summary>
    public bool Repack { get; init; } = true;
}
