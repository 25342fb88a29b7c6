namespace PocketLM.Tensors;

// IQ3 family: grid tables, dequantization, scalar references and AVX2 kernels side by side. (stubs — being written)

internal static unsafe partial class VecDotScalar
{
    public static float IQ3XXS(byte* vx, byte* vy, int n) => throw new NotImplementedException();
    public static float IQ3S(byte* vx, byte* vy, int n) => throw new NotImplementedException();
}

internal static unsafe partial class VecDotAvx2
{
    public static float IQ3XXS(byte* vx, byte* vy, int n) => throw new NotImplementedException();
    public static float IQ3S(byte* vx, byte* vy, int n) => throw new NotImplementedException();
}

public static unsafe partial class Dequantize
{
    private static void IQ3XXS(IQ3XXSBlock* x, float* y, int n) => throw new NotImplementedException();
    private static void IQ3S(IQ3SBlock* x, float* y, int n) => throw new NotImplementedException();
}
