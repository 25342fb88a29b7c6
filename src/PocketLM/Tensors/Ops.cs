using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PocketLM.Tensors;

/// <summary>
/// The element-wise and reduction operations of a transformer block, with the same arithmetic as ggml's CPU backend where
/// it matters for matching llama.cpp (RMSNorm and softmax accumulate in double, as ggml does with ggml_float).
/// </summary>
public static unsafe class Ops
{
    /// <summary>y = x / sqrt(mean(x²) + eps) · w (w may be null: no scale).</summary>
    public static void RmsNorm(float* x, float* w, float* y, int n, float eps)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[i] * x[i];
        float mean = (float)(sum / n);
        float scale = 1.0f / MathF.Sqrt(mean + eps);
        int k = 0;
        if (Vector256.IsHardwareAccelerated && w != null)
        {
            var vs = Vector256.Create(scale);
            for (; k + 8 <= n; k += 8)
                Vector256.Store(Vector256.Load(x + k) * vs * Vector256.Load(w + k), y + k);
        }
        else if (Vector128.IsHardwareAccelerated && w != null)
        {
            var vs = Vector128.Create(scale);
            for (; k + 4 <= n; k += 4)
                Vector128.Store(Vector128.Load(x + k) * vs * Vector128.Load(w + k), y + k);
        }
        for (; k < n; k++) y[k] = w != null ? x[k] * scale * w[k] : x[k] * scale;
    }

    /// <summary>x += y.</summary>
    public static void Add(float* x, float* y, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(x + i) + Vector256.Load(y + i), x + i);
        else if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) Vector128.Store(Vector128.Load(x + i) + Vector128.Load(y + i), x + i);
        for (; i < n; i++) x[i] += y[i];
    }

    /// <summary>
    /// Dot product in float (the attention score over an F32 cache): eight lanes of fused multiply-adds, reduced in
    /// ggml's hsum order, then the tail — the same bits with AVX (one 256-bit vector), NEON (two 128-bit halves) or none
    /// (<see cref="DotReference"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        if (n < 8) return DotReference(a, b, n);
        int i = 0;
        float sum;
        if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
            sum = VecDotScalar.Hsum8(acc.GetLower(), acc.GetUpper());
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> lo = Vector128<float>.Zero, hi = Vector128<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                lo = Vector128.FusedMultiplyAdd(Vector128.Load(a + i), Vector128.Load(b + i), lo);
                hi = Vector128.FusedMultiplyAdd(Vector128.Load(a + i + 4), Vector128.Load(b + i + 4), hi);
            }
            sum = VecDotScalar.Hsum8(lo, hi);
        }
        else return DotReference(a, b, n);
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

    /// <summary>The scalar form of <see cref="Dot"/>: the same eight lanes and reduction.</summary>
    internal static float DotReference(float* a, float* b, int n)
    {
        int i = 0;
        float sum = 0;
        if (n >= 8)
        {
            float* acc = stackalloc float[8];
            for (int l = 0; l < 8; l++) acc[l] = 0;
            for (; i + 8 <= n; i += 8)
                for (int l = 0; l < 8; l++) acc[l] = MathF.FusedMultiplyAdd(a[i + l], b[i + l], acc[l]);
            sum = VecDotScalar.Hsum8(acc);
        }
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

    /// <summary>y += a · x, fused per element (so every vector width gives the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(float* y, float* x, float a, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(x + i), va, Vector256.Load(y + i)), y + i);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(a);
            for (; i + 4 <= n; i += 4) Vector128.Store(Vector128.FusedMultiplyAdd(Vector128.Load(x + i), va, Vector128.Load(y + i)), y + i);
        }
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(x[i], a, y[i]);
    }

    /// <summary>Index of the largest value; the first one wins ties (as llama.cpp's greedy sampler).</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>
    /// Rotary position embedding of one head in place. <paramref name="cos"/>/<paramref name="sin"/> hold ropeDims/2 values
    /// for this position (see <see cref="RopeTable"/>); dims past ropeDims pass through. ggml writes x0·cos − x1·sin and
    /// x0·sin + x1·cos, which its x86-64 builds compile to a fused multiply-add of the first product onto the rounded
    /// second one; these are those roundings (RopeOracleTests: bit for bit with ggml's GGML_OP_ROPE; with two separate
    /// roundings a fifth of the values differed in the last bit).
    /// </summary>
    public static void Rope(float* x, float* cos, float* sin, int ropeDims, bool neox)
    {
        int half = ropeDims / 2;
        if (neox)
        {
            for (int i = 0; i < half; i++)
            {
                float a = x[i], b = x[i + half];
                x[i] = MathF.FusedMultiplyAdd(a, cos[i], -(b * sin[i]));
                x[i + half] = MathF.FusedMultiplyAdd(a, sin[i], b * cos[i]);
            }
        }
        else
        {
            for (int i = 0; i < half; i++)
            {
                float a = x[2 * i], b = x[2 * i + 1];
                x[2 * i] = MathF.FusedMultiplyAdd(a, cos[i], -(b * sin[i]));
                x[2 * i + 1] = MathF.FusedMultiplyAdd(a, sin[i], b * cos[i]);
            }
        }
    }
}

/// <summary>
/// Precomputed cos/sin of every position × frequency, computed like ggml's rope cache (theta advanced by repeated
/// multiplication in float, optional per-frequency divisors, linear position scaling) so results match llama.cpp.
/// </summary>
public sealed unsafe class RopeTable : IDisposable
{
    private float* _cos;
    private float* _sin;

    public RopeTable(int positions, int ropeDims, float freqBase, float linearScale, float* freqFactors)
    {
        Half = ropeDims / 2;
        Positions = positions;
        nuint bytes = (nuint)((long)positions * Half * sizeof(float));
        _cos = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(Math.Max(bytes, 64), 64);
        _sin = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(Math.Max(bytes, 64), 64);
        float thetaScale = MathF.Pow(freqBase, -2.0f / ropeDims);
        float freqScale = 1.0f / linearScale;
        for (int p = 0; p < positions; p++)
        {
            float theta = p;
            for (int i = 0; i < Half; i++)
            {
                float ff = freqFactors != null ? freqFactors[i] : 1.0f;
                float t = freqScale * (theta / ff);
                _cos[(long)p * Half + i] = MathF.Cos(t);
                _sin[(long)p * Half + i] = MathF.Sin(t);
                theta *= thetaScale;
            }
        }
    }

    public int Half { get; }
    public int Positions { get; }
    public float* Cos(int position) => _cos + (long)position * Half;
    public float* Sin(int position) => _sin + (long)position * Half;

    public void Dispose()
    {
        if (_cos == null) return;
        System.Runtime.InteropServices.NativeMemory.AlignedFree(_cos);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(_sin);
        _cos = _sin = null;
    }
}
