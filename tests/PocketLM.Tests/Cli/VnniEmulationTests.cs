using PocketLM.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Cli;

/// <summary>
/// The AVX-VNNI branches of the x86 kernels on a CPU without AVX-VNNI: <c>POCKETLM_EMULATE_VNNI=1</c> makes them run with
/// <c>vpdpbusd</c> emulated exactly in AVX2 (<see cref="Vnni"/>), so the kernel check holds them to the scalar references
/// bit for bit and the whole program must write the same greedy text as on the plain AVX2 paths. On a CPU that has
/// AVX-VNNI the same tests run the real instruction.
/// </summary>
public sealed class VnniEmulationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private static readonly Dictionary<string, string> EmulateVnni = new() { ["POCKETLM_EMULATE_VNNI"] = "1" };

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public void KernelCheckPasses(string emulate)
    {
        if (!VecDotAvx2.IsSupported) return; // the x86 kernels do not run here
        var r = Arm64EmulationTests.Arm64Build.Run("dotnet", Environment.CurrentDirectory,
            new Dictionary<string, string> { ["POCKETLM_EMULATE_VNNI"] = emulate }, TimeSpan.FromMinutes(3),
            Path.Combine(AppContext.BaseDirectory, "PocketLM.KernelCheck.dll"));
        output.WriteLine(r.Stdout);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        bool vnni = emulate == "1" || System.Runtime.Intrinsics.X86.AvxVnni.IsSupported;
        Assert.Contains(vnni ? "kernel check on X64: AVX2+AVX-VNNI" : "kernel check on X64: AVX2", r.Stdout);
        if (emulate == "1" && !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) Assert.Contains("AVX-VNNI(emulated)", r.Stdout);
        Assert.Equal(Arm64EmulationTests.KernelCheckDotTypes, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(" dot: ")));
        Assert.Equal(9, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(", repacked: "))); // Q4_0, Q4_K, IQ4_NL × batches 1, 5, 9
        Assert.Contains("kernel check passed", r.Stdout);
    }

    [Theory]
    [InlineData("Q8_0")] // the one-row kernel and the prefill tile
    [InlineData("Q4_0")] // repacked eight-row kernels
    [InlineData("Q5_0")]
    public void GreedyTextIsTheSameOnTheVnniPaths(string type)
    {
        if (!VecDotAvx2.IsSupported) return;
        string q = Fixtures.QuantizedSyntheticModel(_dir, "qwen2-gqa-untied", type, 13);
        PocketProcess.AssertSameOutput(EmulateVnni, "run", q, "-p", "Once upon a time there was a little", "-n", "24", "--temp", "0", "-t", "2");
    }

    [Fact]
    public void BenchNamesTheEmulatedKernels()
    {
        if (!VecDotAvx2.IsSupported || System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) return;
        var r = PocketProcess.RunWith(Environment.CurrentDirectory, null, EmulateVnni, "bench", "-p", "8", "-n", "4", "-r", "1", "-t", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("kernels: AVX2+FMA+AVX-VNNI(emulated) on X64", r.Stdout);
    }
}
