// usage: PocketLM.Tests MODEL.gguf PROMPT N — llama.cpp's greedy continuation (BOS added, llama.cpp's default F16 KV cache
// and flash attention, the prompt as one batch), written to stdout as text.
using PocketLM.Tests.Oracle;

if (args.Length != 3 || !int.TryParse(args[2], out int n) || n < 1)
{
    Console.Error.WriteLine("usage: PocketLM.Tests MODEL.gguf PROMPT N");
    return 2;
}
using var llama = LlamaCppModel.Load(args[0], LlamaCppSettings.Defaults, contextSize: 512);
int[] prompt = llama.Tokenize(args[1], addSpecial: true, parseSpecial: false);
Console.Write(llama.Detokenize(llama.Greedy(prompt, n)));
return 0;
