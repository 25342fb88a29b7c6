namespace PocketLM.Tensors;

// IQ1 family: grid tables, dequantization, scalar references and AVX2 kernels side by side. (stubs — being written)

internal static unsafe partial class VecDotScalar
{
    public static float IQ1S(byte* vx, byte* vy, int n) => throw new NotImplementedException();
    public static float IQ1M(byte* vx, byte* vy, int n) => throw new NotImplementedException();
}

internal static unsafe partial class VecDotAvx2
{
    public static float IQ1S(byte* vx, byte* vy, int n) => throw new NotImplementedException();
    public static float IQ1M(byte* vx, byte* vy, int n) => throw new NotImplementedException();
}

public static unsafe partial class Dequantize
{
    private static void IQ1S(IQ1SBlock* x, float* y, int n) => throw new NotImplementedException();
    private static void IQ1M(IQ1MBlock* x, float* y, int n) => throw new NotImplementedException();
}
