using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

public sealed class CpuTopologyTests
{
    [Theory]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("0-1,8,10-11\n", new[] { 0, 1, 8, 10, 11 })]
    [InlineData(" 5 ", new[] { 5 })]
    public void ParsesLinuxCpuLists(string list, int[] expected) =>
        Assert.Equal(expected, CpuTopology.ParseCpuList(list));

    [Theory]
    [InlineData("3-1")]
    [InlineData("a-b")]
    public void RejectsMalformedCpuLists(string list) =>
        Assert.Throws<FormatException>(() => CpuTopology.ParseCpuList(list));

    /// <summary>A 4-thread, 2-core machine in sysfs form (siblings 0+2 and 1+3, as Linux numbers SMT threads).</summary>
    [Fact]
    public void CountsDistinctSiblingSetsAmongTheAllowedCpus()
    {
        string dir = Directory.CreateTempSubdirectory("pocketlm-sys-").FullName;
        try
        {
            string[] siblings = ["0,2", "1,3", "0,2", "1,3"];
            for (int cpu = 0; cpu < siblings.Length; cpu++)
            {
                string topo = Path.Combine(dir, $"cpu{cpu}", "topology");
                Directory.CreateDirectory(topo);
                File.WriteAllText(Path.Combine(topo, "thread_siblings_list"), siblings[cpu] + "\n");
            }
            Assert.Equal(2, CpuTopology.PhysicalCores(dir, [0, 1, 2, 3]));
            Assert.Equal(1, CpuTopology.PhysicalCores(dir, [0, 2])); // pinned to one core's two threads
            Assert.Equal(2, CpuTopology.PhysicalCores(dir, [2, 3]));
            Assert.Null(CpuTopology.PhysicalCores(dir, [0, 4])); // no topology for cpu4: unknown, not zero
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DefaultIsBetweenOneAndTheLogicalCpus()
    {
        Assert.InRange(CpuTopology.DefaultThreads, 1, Environment.ProcessorCount);
        if (OperatingSystem.IsLinux() && File.Exists("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list"))
        {
            var allowed = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Cpus_allowed_list:"))["Cpus_allowed_list:".Length..];
            int? cores = CpuTopology.PhysicalCores("/sys/devices/system/cpu", CpuTopology.ParseCpuList(allowed));
            Assert.Equal(Math.Min(Environment.ProcessorCount, cores ?? Environment.ProcessorCount), CpuTopology.DefaultThreads);
        }
    }
}
