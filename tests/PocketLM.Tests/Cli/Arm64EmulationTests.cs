using System.Diagnostics;
using PocketLM.Models;
using PocketLM.Tensors;
using PocketLM.Tests.Oracle;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Cli;

/// <summary>
/// Publishes the kernel check and <c>pocket</c> for linux-arm64 (self-contained, so the ARM64 runtime and JIT come with
/// them) and runs them under qemu's user-mode emulator, whose CPU has NEON and the dot-product extension: the NEON
/// kernels must reproduce their scalar references bit for bit (with and without SDOT), and the ARM64 program must write
/// the same greedy text as the x86-64 one. qemu-aarch64 and the arm64 C runtime come from Debian
/// (<c>qemu-user-static libc6:arm64 libstdc++6:arm64</c>; <c>.ci/run</c> installs them). Without them these tests pass
/// vacuously, unless POCKETLM_REQUIRE_ARM64=1 (CI), which makes a missing emulator a failure.
/// </summary>
public sealed class Arm64EmulationTests(Arm64EmulationTests.Arm64Build build, ITestOutputHelper output)
    : IClassFixture<Arm64EmulationTests.Arm64Build>
{
    public sealed class Arm64Build : IDisposable
    {
        private readonly Lazy<(string KernelCheck, string Pocket)?> _paths;
        public string Dir { get; } = Fixtures.TempDir();
        public string? Qemu { get; } = FindQemu();

        public Arm64Build() => _paths = new(Publish);

        /// <summary>The published executables, or null when there is no emulator to run them.</summary>
        public (string KernelCheck, string Pocket)? Paths => _paths.Value;

        private static string? FindQemu()
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/lib/ld-linux-aarch64.so.1") || !File.Exists("/usr/lib/aarch64-linux-gnu/libstdc++.so.6")) return null;
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
                foreach (string name in new[] { "qemu-aarch64-static", "qemu-aarch64" })
                    if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
            return null;
        }

        private (string, string)? Publish()
        {
            if (Qemu == null)
            {
                if (Environment.GetEnvironmentVariable("POCKETLM_REQUIRE_ARM64") == "1")
                    throw new InvalidOperationException("POCKETLM_REQUIRE_ARM64=1 but qemu-aarch64 or the arm64 C runtime is not installed.");
                return null;
            }
            string root = RepositoryRoot();
            string artifacts = Path.Combine(Dir, "artifacts");
            string kc = Path.Combine(Dir, "kernel-check"), pocket = Path.Combine(Dir, "pocket");
            // A separate artifacts folder keeps this build's obj/ and bin/ away from the ones the test run is using.
            DotnetPublish(root, "tests/PocketLM.KernelCheck", artifacts, kc);
            DotnetPublish(root, "src/PocketLM.Cli", artifacts, pocket);
            return (Path.Combine(kc, "PocketLM.KernelCheck"), Path.Combine(pocket, "pocket"));
        }

        internal static string RepositoryRoot()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "PocketLM.slnx"))) return d.FullName;
            throw new DirectoryNotFoundException("PocketLM.slnx not found above the test output.");
        }

        private static void DotnetPublish(string root, string project, string artifacts, string output)
        {
            var r = Run("dotnet", root, null, TimeSpan.FromMinutes(6),
                "publish", project, "-c", "Release", "-r", "linux-arm64", "--self-contained", "-p:InvariantGlobalization=true",
                "--artifacts-path", artifacts, "-o", output, "--nologo");
            if (r.ExitCode != 0) throw new InvalidOperationException($"dotnet publish {project} for linux-arm64 failed:\n{r.Stdout}\n{r.Stderr}");
        }

        internal PocketProcess.Result RunArm64(string exe, IReadOnlyDictionary<string, string>? env, params string[] args) =>
            Run(Qemu!, Environment.CurrentDirectory, env, TimeSpan.FromMinutes(5), ["-L", "/", exe, .. args]);

        internal static PocketProcess.Result Run(string file, string cwd, IReadOnlyDictionary<string, string>? env, TimeSpan limit, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
            foreach (string a in args) psi.ArgumentList.Add(a);
            psi.Environment["DOTNET_NOLOGO"] = "1";
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            if (env != null)
                foreach (var (k, v) in env) psi.Environment[k] = v;
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(limit))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {limit.TotalSeconds} s");
            }
            return new PocketProcess.Result(p.ExitCode, stdout.Result, stderr.Result);
        }

        public void Dispose()
        {
            try { Directory.Delete(Dir, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>Weight types whose dot kernel the kernel check compares with the scalar reference (every type with a
    /// SIMD kernel on both x86-64 and ARM64).</summary>
    internal const int KernelCheckDotTypes = 22;

    [Theory]
    [InlineData("1", "NEON+dotprod")]
    [InlineData("0", "NEON")] // DOTNET_EnableArm64Dp=0: the widening-multiply fallback of Dot4
    public void NeonKernelsMatchScalarReferences(string dotProduct, string isa)
    {
        if (build.Paths is not var (kernelCheck, _)) return;
        var r = build.RunArm64(kernelCheck, new Dictionary<string, string> { ["DOTNET_EnableArm64Dp"] = dotProduct });
        output.WriteLine(r.Stdout);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains($"kernel check on Arm64: {isa}", r.Stdout);
        Assert.Equal(KernelCheckDotTypes, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(" dot: ")));
        Assert.Contains("ok   half conversions", r.Stdout);
        Assert.Equal(4, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(" activation quantizer: ")));
        Assert.Equal(3, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(" attention F16 ")));
        Assert.Contains("ok   attention F32 dot and axpy", r.Stdout);
        Assert.Equal(4, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(" swiglu and softmax exp")));
        Assert.Equal(6, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(" cache row dequantization ")));
        Assert.Equal(3, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(" attention over a ")));
        Assert.Contains("kernel check passed", r.Stdout);
    }

    [Fact]
    public void BenchReportsTheNeonKernelsOnArm64()
    {
        if (build.Paths is not var (_, pocket)) return;
        var r = build.RunArm64(pocket, null, "bench", "-p", "8", "-n", "4", "-r", "1", "-t", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(" pp8 |", r.Stdout);
        Assert.Contains("kernels: NEON+dotprod on Arm64", r.Stdout);
    }

    private static readonly Dictionary<string, string> NoAvx2 = new() { ["DOTNET_EnableAVX2"] = "0" };

    private void AssertSameGreedyAsX64(IReadOnlyDictionary<string, string>? x64Env, int minLength, params string[] args)
    {
        if (build.Paths is not var (_, pocket)) return;
        var arm = build.RunArm64(pocket, null, args);
        var x64 = PocketProcess.RunWith(Environment.CurrentDirectory, null, x64Env, args);
        output.WriteLine(arm.Stdout + arm.Stderr);
        Assert.True(arm.ExitCode == 0, arm.Stderr);
        Assert.True(x64.ExitCode == 0, x64.Stderr);
        Assert.True(arm.Stdout.Length >= minLength, $"too little output: '{arm.Stdout}'");
        Assert.Equal(x64.Stdout, arm.Stdout);
    }

    private bool Skipped => build.Qemu == null && Environment.GetEnvironmentVariable("POCKETLM_REQUIRE_ARM64") != "1";

    [Fact]
    public void BuiltInModelGivesTheSameTextOnArm64() =>
        AssertSameGreedyAsX64(null, 80, "run", "-p", "Once upon a time", "-n", "40", "--temp", "0", "-t", "2");

    /// <summary>A real (tiny) model requantized by PocketLM: English text, so one flipped argmax shows. Against x86-64
    /// with AVX2 off, because there Q4_0 is not repacked either (the repacked order is llama.cpp's AVX2 one, which
    /// ARM64 does not use); SimdOffTests ties AVX2-off to AVX2-on for the other types.</summary>
    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    [InlineData("Q5_1")]
    [InlineData("F16")]
    public void RequantizedTinyStoriesGivesTheSameTextOnArm64(string type)
    {
        if (Skipped) return;
        string q = Path.Combine(build.Dir, $"TinyStories-656K-{type}.gguf");
        ModelQuantizer.Quantize(Fixtures.Model("TinyStories-656K-Q8_0.gguf"), q, QuantFileType.Find(type)!, new QuantizeOptions { Threads = 2 });
        AssertSameGreedyAsX64(NoAvx2, 100, "run", q, "-p", "Once upon a time", "-n", "40", "--temp", "0", "-t", "2");
    }

    /// <summary>The k-quant kernels (rows of 256 and more): random weights in a real model's shapes, llama.cpp's mixture
    /// recipes (Q2_K … Q6_K tensors). The text is random bytes, so only its identity is checked.</summary>
    [Theory]
    [InlineData("Q2_K")]
    [InlineData("Q3_K_M")]
    [InlineData("Q4_K_M")]
    [InlineData("Q5_K_M")]
    public void KQuantModelGivesTheSameTokensOnArm64(string type)
    {
        if (Skipped) return;
        string f32 = Path.Combine(build.Dir, $"synthetic-{type}-F32.gguf"), q = Path.Combine(build.Dir, $"synthetic-{type}.gguf");
        SyntheticModel.Write(SyntheticShape.Find("qwen2-gqa-untied")!, f32, new SyntheticOptions { WeightType = GgmlType.F32, Seed = 5 });
        ModelQuantizer.Quantize(f32, q, QuantFileType.Find(type)!, new QuantizeOptions { Threads = 2 });
        AssertSameGreedyAsX64(NoAvx2, 1, "run", q, "-p", "Once upon a time there was", "-n", "24", "--temp", "0", "-t", "2");
    }

    /// <summary>I-quant kernels, as above but every matrix in one type, written by llama.cpp's row quantizer
    /// (<see cref="ImatrixQuantizer"/>; PocketLM's writes no i-quants). Without AVX2, x86-64 does not repack IQ4_NL
    /// either. Two of the four types with NEON kernels, to keep the suite short (the kernel check has all of them).</summary>
    [Theory]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.IQ1_S)]
    public void IQuantModelGivesTheSameTokensOnArm64(GgmlType type)
    {
        if (Skipped || !GgmlNative.Available) return;
        string f32 = Path.Combine(build.Dir, $"synthetic-{type}-F32.gguf"), q = Path.Combine(build.Dir, $"synthetic-{type}.gguf");
        SyntheticModel.Write(SyntheticShape.Find("qwen2-gqa-untied")!, f32, new SyntheticOptions { WeightType = GgmlType.F32, Seed = 5 });
        ImatrixQuantizer.Quantize(f32, q, type);
        AssertSameGreedyAsX64(NoAvx2, 1, "run", q, "-p", "Once upon a time there was", "-n", "24", "--temp", "0", "-t", "2");
    }
}
