using PocketLM.Tokenization;

namespace PocketLM.Cli.Commands;

/// <summary>
/// <c>pocket convert-tokenizer DIR|tokenizer.json [-o vocab.gguf] [--pre NAME]</c>: a Hugging Face tokenizer as a
/// vocab-only GGUF with the keys llama.cpp's convert_hf_to_gguf.py writes (llama.cpp loads it with vocab_only).
/// </summary>
internal static class ConvertTokenizerCommand
{
    private const string Help = """
        usage: pocket convert-tokenizer DIR|tokenizer.json [-o vocab.gguf] [--pre NAME]
          DIR               a directory holding tokenizer.json (tokenizer_config.json, config.json and
                            chat_template.jinja beside it are read when present)
          -o, --output F    where to write the vocab-only GGUF (default: vocab.gguf in the current directory)
          --pre NAME        the llama.cpp pre-tokenizer (tokenizer.ggml.pre) instead of the detected one
        Only byte-level BPE tokenizers (GPT-2 style: Llama 3, Qwen, DeepSeek, ...) can be converted.
        """;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("convert-tokenizer", args, ["-o|--output", "--pre"], []);
        cl.ExpectPositional(1, "DIR|tokenizer.json");
        if (cl.Positional.Count == 0) throw new UsageException("convert-tokenizer: missing DIR or tokenizer.json");
        var (json, config) = HuggingFaceTokenizer.ResolvePaths(cl.Positional[0]);
        string output = cl.GetString("--output") ?? "vocab.gguf";
        if (Directory.Exists(output)) throw new IOException($"{output}: is a directory");
        var c = HuggingFaceTokenizer.WriteGguf(json, config, output, cl.GetString("--pre"));
        string how = c.PreSource switch
        {
            "option" => "from --pre",
            "regex" => "recognised from the tokenizer.json regex",
            "regex+hash" => "recognised from the tokenizer.json regex, confirmed by llama.cpp's check-text hash",
            _ => "found by llama.cpp's check-text hash",
        };
        var tok = Tokenizer.FromMetadata(c.Metadata);
        Console.Out.WriteLine($"wrote {output}: {tok.VocabSize} tokens, {((Gguf.GgufArray)c.Metadata["tokenizer.ggml.merges"].Value!).Count} merges, pre-tokenizer '{c.Pre}' ({how})");
        Console.Out.WriteLine($"  bos {Show(tok, tok.BosId)} (added: {(tok.AddBos ? "yes" : "no")}), eos {Show(tok, tok.EosId)}, eot {Show(tok, tok.EotId)}"
            + (config == null ? "; no tokenizer_config.json: no special tokens or chat template" : c.Metadata.ContainsKey("tokenizer.chat_template") ? ", chat template included" : ", no chat template"));
        return 0;
    }

    private static string Show(Tokenizer tok, int id) => id < 0 ? "none" : $"{id} '{tok.GetTokenText(id)}'";
}
