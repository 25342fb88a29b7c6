namespace PocketLM.Tensors;

// IQ2 family: grid tables, dequantization, scalar references and AVX2 kernels side by side. (stubs — being written)

internal static unsafe partial class VecDotScalar
{
    public static float IQ2XXS(byte* vx, byte* vy, int n) => throw new NotImplementedException();
    public static float IQ2XS(byte* vx, byte* vy, int n) => throw new NotImplementedException();
    public static float IQ2S(byte* vx, byte* vy, int n) => throw new NotImplementedException();
}

internal static unsafe partial class VecDotAvx2
{
    public static float IQ2XXS(byte* vx, byte* vy, int n) => throw new NotImplementedException();
    public static float IQ2XS(byte* vx, byte* vy, int n) => throw new NotImplementedException();
    public static float IQ2S(byte* vx, byte* vy, int n) => throw new NotImplementedException();
}

public static unsafe partial class Dequantize
{
    private static void IQ2XXS(IQ2XXSBlock* x, float* y, int n) => throw new NotImplementedException();
    private static void IQ2XS(IQ2XSBlock* x, float* y, int n) => throw new NotImplementedException();
    private static void IQ2S(IQ2SBlock* x, float* y, int n) => throw new NotImplementedException();
}
