using PocketLM.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Cli;

/// <summary>
/// The 512-bit prefill kernels on a CPU without AVX-512: <c>POCKETLM_EMULATE_AVX512=1</c> makes them run with each
/// AVX-512 instruction done as two AVX2 halves (<see cref="Avx512"/>), so the kernel check holds them to the scalar
/// references bit for bit and the whole program must write the same greedy text as on the 256-bit paths. On a CPU with
/// AVX-512 they run the real instructions (and the switch changes nothing).
/// </summary>
public sealed class Avx512EmulationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private static readonly Dictionary<string, string> EmulateAvx512 = new() { ["POCKETLM_EMULATE_AVX512"] = "1" };

    [Theory]
    [InlineData("0")]
    [InlineData("1")] // with the AVX-VNNI branches emulated too
    public void KernelCheckPasses(string vnni)
    {
        if (!VecDotAvx2.IsSupported) return; // the x86 kernels do not run here
        var r = Arm64EmulationTests.Arm64Build.Run("dotnet", Environment.CurrentDirectory,
            new Dictionary<string, string> { ["POCKETLM_EMULATE_AVX512"] = "1", ["POCKETLM_EMULATE_VNNI"] = vnni }, TimeSpan.FromMinutes(3),
            Path.Combine(AppContext.BaseDirectory, "PocketLM.KernelCheck.dll"));
        output.WriteLine(r.Stdout);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("+AVX-512", r.Stdout.Split('\n')[0]);
        if (!Avx512.Enabled) Assert.Contains("+AVX-512(emulated)", r.Stdout.Split('\n')[0]);
        Assert.Equal(Arm64EmulationTests.KernelCheckDotTypes, r.Stdout.Split('\n').Count(l => l.StartsWith("ok") && l.Contains(" dot: ")));
        // the types with 512-bit kernels, through the pool: Q8_0, Q4_0, Q5_0, Q6_K tiles; Q4_0, Q4_K, IQ4_NL repacked
        foreach (string line in new[] { "Q8_0    matmul 41×1024, batch 9", "Q5_0    matmul 41×1024, batch 5", "Q6_K    matmul 41×1024, batch 9",
                                        "Q4_0    matmul 40×1024, batch 9, repacked", "Q4_K    matmul 40×1024, batch 5, repacked",
                                        "IQ4_NL  matmul 40×1024, batch 9, repacked" })
            Assert.Contains("ok   " + line, r.Stdout);
        Assert.Contains("kernel check passed", r.Stdout);
    }

    [Theory]
    [InlineData("Q8_0")] // 8 × 2 tile
    [InlineData("Q4_0")] // repacked, 16 rows × 4 tokens
    [InlineData("Q4_K")] // repacked, 16 rows × 4 tokens
    [InlineData("Q6_K")] // 2 × 2 tile
    [InlineData("Q5_0")] // 4 × 4 tile
    public void GreedyTextIsTheSameOnThe512BitPaths(string type)
    {
        if (!VecDotAvx2.IsSupported) return;
        string q = Fixtures.QuantizedSyntheticModel(_dir, "qwen2-gqa-untied", type, 17);
        PocketProcess.AssertSameOutput(EmulateAvx512, "run", q, "-p", "Once upon a time there was a little", "-n", "32", "--temp", "0", "-t", "2");
    }

    [Fact]
    public void BenchNamesTheEmulatedKernels()
    {
        if (!VecDotAvx2.IsSupported || Avx512.Enabled) return;
        var r = PocketProcess.RunWith(Environment.CurrentDirectory, null, EmulateAvx512, "bench", "-p", "8", "-n", "4", "-r", "1", "-t", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("kernels: AVX2+FMA+AVX-512(emulated) on X64", r.Stdout);
    }
}
