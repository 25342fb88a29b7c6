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
        /// <summary>Every command: name, one-line summary for the usage text, and its entry point.</summary>
        private static readonly (string Name, string Synopsis, Func<string[], int> Execute)[] Commands =
        [
            ("run", "run [MODEL.gguf] -p PROMPT      generate text (without MODEL: the built-in stories260K)", RunCommand.Execute),
            ("chat", "chat MODEL                       interactive chat with the model's template, thinking shown apart", ChatCommand.Execute),
            ("serve", "serve MODEL                      OpenAI-compatible HTTP server (docs/server.md)", ServeCommand.Execute),
            ("template", "template MODEL_OR_FILE --messages M.json   print the rendered chat prompt", TemplateCommand.Execute),
            ("info", "info MODEL                       metadata, tensors and the memory needed to run it", InfoCommand.Execute),
            ("tokenize", "tokenize MODEL TEXT              print token ids (also works on vocab-only GGUF files)", TokenizeCommand.Execute),
            ("convert-tokenizer", "convert-tokenizer DIR_OR_JSON -o vocab.gguf   Hugging Face tokenizer.json to a vocab-only GGUF", ConvertTokenizerCommand.Execute),
            ("bench", "bench [MODEL.gguf]               prefill and decode speed, llama-bench style", BenchCommand.Execute),
            ("quantize", "quantize IN.gguf OUT.gguf TYPE   requantize a model (Q8_0, Q4_0, Q4_K_M, Q5_K_M, Q6_K, ...)", QuantizeCommand.Execute),
            ("synth", "synth --shape NAME -o OUT.gguf   write a random-weight model with a real model's shapes", SynthCommand.Execute),
        ];

        private static string Usage => "pocket — run GGUF language models in pure .NET\n\nusage: pocket <command> [options]\n\ncommands:\n"
            + string.Concat(Commands.Select(c => "  " + c.Synopsis + "\n"))
            + "\n'pocket <command> --help' shows a command's options.\n";

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
                foreach (var c in Commands)
                    if (c.Name == command) return c.Execute(rest);
                throw new UsageException($"unknown command '{command}' (commands: {string.Join(", ", Commands.Select(c => c.Name))})");
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
