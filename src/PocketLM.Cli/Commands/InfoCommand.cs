using System.Globalization;
using PocketLM.Gguf;
using PocketLM.Inference;
using PocketLM.Models;

namespace PocketLM.Cli.Commands;

/// <summary><c>pocket info MODEL</c>: metadata, the tensor table and an estimate of the memory a session needs.</summary>
internal static class InfoCommand
{
    private const string Help = """
        usage: pocket info MODEL.gguf [--ctx N] [-ctk T] [-ctv T] [--all]
          --ctx N   context size used for the memory estimate (default: min(model context, 4096))
          -ctk, -ctv T  K and V cache types for the estimate (default f16; q8_0, q4_0, q4_1, q5_0, q5_1, bf16, f32)
          --all     print long arrays in full length (not abbreviated)
        """;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("info", args, ["--ctx", .. CommandLine.CacheTypeOptions], ["--all"]);
        cl.ExpectPositional(1, "MODEL.gguf");
        if (cl.Positional.Count == 0) throw new UsageException("info: missing MODEL.gguf");
        using var file = ModelSource.OpenFile(cl.Positional[0]);
        var o = Console.Out;
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine($"file: {file.Name}");
        o.WriteLine($"GGUF version {file.Version}, {file.Length:N0} bytes, {file.MetadataKeys.Count} metadata keys, {file.Tensors.Count} tensors, alignment {file.Alignment}");
        o.WriteLine();
        o.WriteLine("metadata:");
        int maxItems = cl.Has("--all") ? int.MaxValue : 8;
        foreach (string key in file.MetadataKeys)
        {
            var v = file.Metadata[key];
            string type = v.Value is GgufArray a ? $"{a.ElementType}[{a.Count}]" : v.Type.ToString();
            o.WriteLine($"  {key,-44} {type,-14} {v.Describe(maxItems)}");
        }
        if (file.Tensors.Count > 0)
        {
            o.WriteLine();
            o.WriteLine($"tensors: {"name",-34} {"type",-6} {"shape",-22} {"bytes",14}");
            foreach (var t in file.Tensors)
                o.WriteLine($"         {t.Name,-34} {t.Type,-6} {t.ShapeText,-22} {t.ByteSize,14:N0}");
            long totalBytes = file.Tensors.Sum(t => t.ByteSize);
            long parameters = file.Tensors.Sum(t => t.ElementCount);
            o.WriteLine($"         {file.Tensors.Count} tensors, {parameters:N0} parameters, {totalBytes:N0} bytes ({totalBytes * 8.0 / parameters:F2} bits/weight)");
        }

        o.WriteLine();
        try
        {
            var family = ModelFamily.ForArchitecture(file.GetString("general.architecture"), file.Name);
            var c = ModelConfig.FromGguf(file, family);
            int ctx = cl.GetInt("--ctx", Math.Min(c.ContextLength, InferenceSession.DefaultContext), 1);
            var kType = cl.GetCacheType("--cache-type-k");
            var vType = cl.GetCacheType("--cache-type-v");
            string cacheText = kType == vType ? kType.ToString() : $"K {kType}, V {vType}";
            if (KvCache.Check(kType, vType, c.HeadDim, c.ValueHeadDim) is { } cacheError) throw new ArgumentException(cacheError);
            long kv = KvCache.BytesFor(c.BlockCount, c.KvHeadCount, c.HeadDim, c.ValueHeadDim, ctx, kType, vType);
            int batch = Math.Min(512, ctx);
            long buffers = (long)batch * (3L * c.EmbeddingLength + c.QueryWidth + c.KeyWidth + c.ValueWidth + c.HeadCount * c.ValueHeadDim + 2L * c.FeedForwardLength) * sizeof(float)
                           + (long)c.VocabSize * sizeof(float);
            o.WriteLine($"model: {c.Architecture}, {c.BlockCount} layers, d_model {c.EmbeddingLength}, {c.HeadCount} heads ({c.KvHeadCount} KV) × {c.HeadDim}, d_ff {c.FeedForwardLength}, vocab {c.VocabSize}, context {c.ContextLength}, rope base {c.RopeBase.ToString(inv)} ({c.RopeStyle})");
            o.WriteLine($"memory to run with a {ctx}-token context: weights {Mib(file.Length)} (memory-mapped) + KV cache {Mib(kv)} ({cacheText}) + buffers {Mib(buffers)} = {Mib(file.Length + kv + buffers)}");
        }
        catch (ModelLoadException e)
        {
            o.WriteLine($"model: cannot run: {e.Message}");
        }
        return 0;
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB";
}
