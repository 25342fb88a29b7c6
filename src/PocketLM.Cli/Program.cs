using PocketLM.Cli;
using PocketLM.Cli.Commands;
using PocketLM.Gguf;
using PocketLM.Inference;
using PocketLM.Models;

return Pocket.Run(args);

namespace PocketLM.Cli
{
    public static class Pocket
    {
        private const string Usage = """
            pocket — run GGUF language models in pure .NET

            usage: pocket <command> [options]

            commands:
              run [MODEL.gguf] -p PROMPT   generate text (without MODEL: the built-in stories260K)
              info MODEL                    metadata, tensors and the memory needed to run it
              tokenize MODEL TEXT           print token ids (also works on vocab-only GGUF files)
              convert-tokenizer DIR         a Hugging Face tokenizer.json as a vocab-only GGUF
              bench [MODEL.gguf]            prefill and decode speed, llama-bench style

            'pocket <command> --help' shows a command's options.
            """;

        public static int Run(string[] args)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.Out.Write(Usage);
                return args.Length == 0 ? 2 : 0;
            }
            if (args[0] is "--version") { Console.Out.WriteLine(typeof(LanguageModel).Assembly.GetName().Version); return 0; }
            string command = args[0];
            var rest = args.Skip(1).ToArray();
            try
            {
                return command switch
                {
                    "run" => RunCommand.Execute(rest),
                    "info" => InfoCommand.Execute(rest),
                    "tokenize" => TokenizeCommand.Execute(rest),
                    "convert-tokenizer" => ConvertTokenizerCommand.Execute(rest),
                    "bench" => BenchCommand.Execute(rest),
                    _ => throw new UsageException($"unknown command '{command}' (commands: run, info, tokenize, bench)"),
                };
            }
            catch (UsageException e) { return Fail(e.Message, 2); }
            catch (Exception e) when (e is GgufFormatException or ModelLoadException or ContextOverflowException or FileNotFoundException
                                        or DirectoryNotFoundException or UnauthorizedAccessException or IOException or InvalidDataException
                                        or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                return Fail(e.Message, 1);
            }
            catch (Exception e)
            {
                if (Environment.GetEnvironmentVariable("POCKET_DEBUG") == "1") Console.Error.WriteLine(e);
                return Fail($"internal error ({e.GetType().Name}): {e.Message}", 1);
            }
        }

        private static int Fail(string message, int code)
        {
            Console.Error.WriteLine($"pocket: error: {OneLine(message)}");
            return code;
        }

        private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

        internal static bool WantsHelp(string[] args) => args.Any(a => a is "-h" or "--help");
    }
}
