using PocketLM.Tokenization;

namespace PocketLM.Cli.Commands;

/// <summary><c>pocket tokenize MODEL TEXT</c>: the ids the model sees, like llama.cpp's llama-tokenize.</summary>
internal static class TokenizeCommand
{
    private const string Help = """
        usage: pocket tokenize MODEL.gguf TEXT [--no-bos] [--pieces] [--parse-special] [--file F]
          --no-bos          do not add the BOS token even when the model asks for it
          --pieces          print one token per line as: id -> 'piece'
          --parse-special   recognise control tokens written in the text (e.g. <|im_start|>)
          --file F          tokenize the contents of file F instead of TEXT
        """;

    public static int Execute(string[] args)
    {
        if (Pocket.WantsHelp(args)) { Console.Out.Write(Help); return 0; }
        var cl = new CommandLine("tokenize", args, ["--file"], ["--no-bos", "--pieces", "--parse-special"]);
        cl.ExpectPositional(2, "MODEL.gguf TEXT");
        if (cl.Positional.Count == 0) throw new UsageException("tokenize: missing MODEL.gguf");
        string? text = cl.GetString("--file") is { } path ? File.ReadAllText(path) : cl.Positional.ElementAtOrDefault(1);
        if (text == null) throw new UsageException("tokenize: missing TEXT (or --file F)");
        using var file = ModelSource.OpenFile(cl.Positional[0]);
        var tokenizer = Tokenizer.FromGguf(file);
        int[] ids = tokenizer.Encode(text, addSpecial: !cl.Has("--no-bos"), parseSpecial: cl.Has("--parse-special"));
        if (cl.Has("--pieces"))
        {
            foreach (int id in ids)
                Console.Out.WriteLine($"{id,6} -> '{tokenizer.Decode([id], renderSpecial: true)}'");
        }
        else Console.Out.WriteLine(string.Join(' ', ids));
        return 0;
    }
}
