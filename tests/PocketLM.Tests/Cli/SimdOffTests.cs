using PocketLM.Models;
using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Cli;

/// <summary>
/// The whole program with the runtime's AVX2 switched off (<c>DOTNET_EnableAVX2=0</c>): every kernel falls back to its
/// scalar twin, and greedy output must be the same text, since each SIMD kernel reproduces its scalar reference bit for
/// bit. (Q4_0/Q4_K are left out: with AVX2 they are repacked and computed in llama.cpp's repacked order, without it in
/// the plain order — both match what llama.cpp runs on such a CPU, but not each other to the last bit.)
/// </summary>
public sealed class SimdOffTests : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private static readonly Dictionary<string, string> NoAvx2 = new() { ["DOTNET_EnableAVX2"] = "0" };

    private static void AssertSameGreedy(params string[] args) => PocketProcess.AssertSameOutput(NoAvx2, args);

    [Fact]
    public void BuiltInModelGivesTheSameTextWithAvx2Off() =>
        AssertSameGreedy("run", "-p", "Once upon a time", "-n", "40", "--temp", "0", "-t", "2");

    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q5_0")]
    [InlineData("Q6_K")]
    public void QuantizedModelGivesTheSameTextWithAvx2Off(string type)
    {
        if (!VecDotAvx2.IsSupported) return; // nothing to switch off
        string q = Fixtures.QuantizedSyntheticModel(_dir, "qwen2-gqa-untied", type, 11);
        AssertSameGreedy("run", q, "-p", "Once upon a time there was", "-n", "24", "--temp", "0", "-t", "2");
    }
}
