using System.Runtime.InteropServices;
using System.Text.Json;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Cli;

/// <summary>
/// <c>pocket</c> published with Native AOT (the CLI project picks the instruction set the kernels need): it must build
/// without trimming/AOT warnings turning into failures, run the AVX2 kernels (a baseline AOT build would silently run the
/// scalar references), and write exactly the JIT build's greedy text. Linux x86-64 with a C toolchain only (the linker
/// AOT needs); the build takes a minute or two, once for the class.
/// </summary>
public sealed class NativeAotTests(NativeAotTests.AotBuild build) : IClassFixture<NativeAotTests.AotBuild>, IDisposable
{
    private readonly string _dir = Fixtures.TempDir();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    public sealed class AotBuild : IDisposable
    {
        private readonly Lazy<string?> _pocket;
        public string Dir { get; } = Fixtures.TempDir();

        public AotBuild() => _pocket = new(Publish);

        /// <summary>The published executable, or null where this machine cannot build one.</summary>
        public string? Pocket => _pocket.Value;

        private string? Publish()
        {
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !HasCompiler()) return null;
            string output = Path.Combine(Dir, "pocket");
            var r = Arm64EmulationTests.Arm64Build.Run("dotnet", Arm64EmulationTests.Arm64Build.RepositoryRoot(), null, TimeSpan.FromMinutes(8),
                "publish", "src/PocketLM.Cli", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true",
                "--artifacts-path", Path.Combine(Dir, "artifacts"), "-o", output, "--nologo");
            if (r.ExitCode != 0) throw new InvalidOperationException($"Native AOT publish failed:\n{r.Stdout}\n{r.Stderr}");
            return Path.Combine(output, "pocket");
        }

        private static bool HasCompiler() =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
                .Any(dir => new[] { "clang", "gcc", "cc" }.Any(name => File.Exists(Path.Combine(dir, name))));

        public void Dispose()
        {
            try { Directory.Delete(Dir, recursive: true); }
            catch (IOException) { }
        }
    }

    private PocketProcess.Result RunAot(params string[] args) =>
        Arm64EmulationTests.Arm64Build.Run(build.Pocket!, Environment.CurrentDirectory, null, TimeSpan.FromMinutes(3), args);

    [Fact]
    public void RunsTheSimdKernelsAndWritesBenchJson()
    {
        if (build.Pocket == null) return;
        var r = RunAot("bench", "-p", "8", "-n", "4", "-r", "1", "-t", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("warning", r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length); // pp8 and tg4
        using var json = JsonDocument.Parse(lines[0]);
        Assert.True(json.RootElement.GetProperty("avg_ts").GetDouble() > 0);
        if (VecDotAvx2.IsSupported) Assert.StartsWith("AVX2+FMA", json.RootElement.GetProperty("kernels").GetString());
    }

    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")] // repacked
    [InlineData("Q4_K")] // repacked
    public void GreedyTextIsTheJitBuildsText(string type)
    {
        if (build.Pocket == null) return;
        string q = Fixtures.QuantizedSyntheticModel(_dir, "qwen2-gqa-untied", type, 23);
        string[] args = ["run", q, "-p", "Once upon a time there was a little", "-n", "32", "--temp", "0", "-t", "2"];
        var jit = PocketProcess.Run(args);
        var aot = RunAot(args);
        Assert.True(jit.ExitCode == 0, jit.Stderr);
        Assert.True(aot.ExitCode == 0, aot.Stderr);
        Assert.True(jit.Stdout.Length > 20, $"too little output: '{jit.Stdout}'");
        Assert.Equal(jit.Stdout, aot.Stdout);
    }
}
