using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests;

public class SmokeTests
{
    [Fact]
    public void KQuantBlocksHold256Elements() => Assert.Equal(256, GgmlTypeInfo.BlockSize(GgmlType.Q4_K));
}
