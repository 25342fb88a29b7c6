using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using LLama;
using LLama.Common;
using PocketLM.Gguf;
using PocketLM.Tests.Oracle;
using PocketLM.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Tokenization;

/// <summary>
/// Encode and decode throughput of PocketLM and of llama.cpp (LLamaSharp, same GGUF, same text, same process) as a
/// table in the test output; docs/tokenizers.md records the numbers. Only checks that the ids agree: the machine is
/// shared, so speeds are reported, not asserted.
/// </summary>
[Collection(LlamaCppCollection.Name)]
public class TokenizerSpeedVsLlamaCppTests(ITestOutputHelper output)
{
    private const int Runs = 3;

    internal static string MixedText(int bytes)
    {
        // prose with code, numbers and some non-Latin scripts mixed in (about 10 % of the characters)
        var rng = new Random(11);
        string prose = TokenizerSpeedTests.EnglishText(bytes);
        string[] extras =
        [
            "\n    def f(x):\n        return x * 2  # double\n", " 你好，世界。", " Привет, мир! ", " 3.14159 2024-06-01 ", " 🦙🚀 ", " naïve café ", " مرحبا ",
            "\n\tfor (int i = 0; i < n; i++) { sum += a[i]; }\n",
        ];
        var sb = new StringBuilder(bytes + 1000);
        int pos = 0;
        while (sb.Length < bytes && pos < prose.Length)
        {
            int take = Math.Min(rng.Next(100, 600), prose.Length - pos);
            sb.Append(prose, pos, take);
            pos += take;
            sb.Append(extras[rng.Next(extras.Length)]);
        }
        return sb.ToString();
    }

    /// <summary>Code-like text where most words are new (random identifiers, numbers, operators, indentation): the
    /// worst case for PocketLM's word cache, and the best comparison of the BPE merge loops themselves.</summary>
    internal static string CodeLikeText(int bytes)
    {
        var rng = new Random(5);
        string[] syl = ["get", "set", "val", "ue", "max", "min", "to", "ken", "iz", "er", "buf", "fer", "pos", "len", "idx", "cfg", "Node", "List", "Map", "_", "Async", "ptr", "x", "tmp", "cnt"];
        string[] ops = [" = ", " == ", " += ", "(", ")", ", ", ";\n", " {\n", "}\n", ".", " + ", " * ", "->", "[", "]", " // ", " < ", "::"];
        var sb = new StringBuilder(bytes + 100);
        int indent = 0;
        while (sb.Length < bytes)
        {
            for (int k = rng.Next(1, 4); k > 0; k--) sb.Append(syl[rng.Next(syl.Length)]);
            if (rng.Next(4) == 0) sb.Append(rng.Next(100000));
            string op = ops[rng.Next(ops.Length)];
            sb.Append(op);
            if (op.EndsWith('\n'))
            {
                indent = Math.Clamp(indent + (op.Contains('{') ? 1 : op.Contains('}') ? -1 : 0), 0, 6);
                sb.Append(' ', indent * 4);
            }
        }
        return sb.ToString();
    }

    [Fact]
    public void CompareWithLlamaCpp()
    {
        var vocabs = new List<(string Name, string Path)>
        {
            ("gpt-2", Fixtures.Vocab("ggml-vocab-gpt-2.gguf")),
            ("llama-spm", Fixtures.Vocab("ggml-vocab-llama-spm.gguf")),
        };
        foreach (string p in new[] { "llama3", "qwen3", "deepseek_v3" })
            if (ConvertedVocabDifferentialTests.Converted(p) is { } path) vocabs.Add((p, path));

        // 256 KB keeps the test near 30 s on a loaded 2-core machine; POCKETLM_TOKENIZER_BENCH_KB=1024 for docs/tokenizers.md
        int kb = int.TryParse(Environment.GetEnvironmentVariable("POCKETLM_TOKENIZER_BENCH_KB"), out int k) && k > 0 ? k : 256;
        var texts = new[] { ("English", TokenizerSpeedTests.EnglishText(kb << 10)), ("mixed", MixedText(kb << 10)), ("code", CodeLikeText(kb << 10)) };
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
        output.WriteLine($"load average at start: {load}; {Environment.ProcessorCount} logical CPUs; median of {Runs} runs after a warm-up; MB/s of UTF-8 input");
        output.WriteLine($"{"vocab",-10} {"text",-8} {"tokens",9} | {"PocketLM enc (cold)",19} {"enc (warm)",11} {"dec",8} | {"llama.cpp enc",13} {"dec",8}");
        foreach (var (name, path) in vocabs)
        {
            using var llama = LlamaCppModel.Load(path, vocabOnly: true);
            using var weights = LLamaWeights.LoadFromFile(new ModelParams(path) { VocabOnly = true, GpuLayerCount = 0 });
            nint vocab = LlamaCppExports.GetVocab(weights.NativeHandle);
            Func<Tokenizer> fresh = () => { using var f = GgufFile.Open(path); return Tokenizer.FromGguf(f); };
            Tokenizer tok = fresh();
            foreach (var (textName, text) in texts)
            {
                double mb = Encoding.UTF8.GetByteCount(text) / 1e6;
                int[] ids = tok.Encode(text, addSpecial: false);
                byte[] utf8 = Encoding.UTF8.GetBytes(text);
                var buffer = new int[utf8.Length + 16];
                int[] theirs = buffer.AsSpan(0, RawTokenize(vocab, utf8, buffer)).ToArray();
                Assert.Equal(llama.Tokenize(text, addSpecial: false, parseSpecial: false), theirs);
                Assert.True(ids.AsSpan().SequenceEqual(theirs), $"{name}/{textName}: ids differ from llama.cpp");
                llama.DetokenizeBytes(ids);
                tok.DecodeToBytes(ids);

                var cold = new double[Runs];
                for (int r = 0; r < Runs; r++)
                {
                    Tokenizer t = fresh();
                    t.Encode("warm up", addSpecial: false);
                    GC.Collect();   // not the previous tokenizers' garbage
                    GC.WaitForPendingFinalizers();
                    cold[r] = Seconds(() => t.Encode(text, addSpecial: false));
                }
                double warm = Median(Runs, () => tok.Encode(text, addSpecial: false));
                double dec = Median(Runs, () => tok.DecodeToBytes(ids));
                // one llama_tokenize call into a big enough buffer (LLamaSharp's Tokenize calls it twice: count, then fill);
                // the UTF-16 → UTF-8 conversion is timed too, as PocketLM's Encode takes a .NET string
                double lEnc = Median(Runs, () => RawTokenize(vocab, Encoding.UTF8.GetBytes(text), buffer));
                double lDec = Median(Runs, () => llama.DetokenizeBytes(ids));
                output.WriteLine($"{name,-10} {textName,-8} {ids.Length,9} | {mb / cold.Order().ElementAt(Runs / 2),19:F2} {mb / warm,11:F2} {mb / dec,8:F1} | {mb / lEnc,13:F2} {mb / lDec,8:F1}");
            }
        }
        output.WriteLine($"load average at end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?")}");
    }

    private static readonly Lazy<nint> s_tokenizeFn = new(() =>
    {
        LlamaCppLog.EnsureNativeLoaded();
        foreach (ProcessModule m in Process.GetCurrentProcess().Modules)
            if (m.ModuleName is "libllama.so" or "llama.dll" or "libllama.dylib")
                return NativeLibrary.GetExport(NativeLibrary.Load(m.FileName), "llama_tokenize");
        throw new InvalidOperationException("llama.cpp's native library is not loaded");
    });

    // int32_t llama_tokenize(const llama_vocab *, const char * text, int32_t text_len, llama_token * tokens,
    //                        int32_t n_tokens_max, bool add_special, bool parse_special)
    private static unsafe int RawTokenize(nint vocab, byte[] utf8, int[] tokens)
    {
        var fn = (delegate* unmanaged[Cdecl]<nint, byte*, int, int*, int, byte, byte, int>)s_tokenizeFn.Value;
        fixed (byte* t = utf8)
        fixed (int* o = tokens)
        {
            int n = fn(vocab, t, utf8.Length, o, tokens.Length, 0, 0);
            return n >= 0 ? n : throw new InvalidOperationException($"llama_tokenize returned {n}");
        }
    }

    private static double Seconds(Action a)
    {
        long t0 = Stopwatch.GetTimestamp();
        a();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static double Median(int runs, Action a)
    {
        var t = new double[runs];
        for (int i = 0; i < runs; i++) t[i] = Seconds(a);
        Array.Sort(t);
        return t[runs / 2];
    }
}
