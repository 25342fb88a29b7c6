using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PocketLM.Tensors;

/// <summary>
/// llama.cpp's tiled CPU flash attention, which ggml runs instead of the one-row kernel (<see cref="Attention.F16Online"/>)
/// when a micro-batch has at least <see cref="MinRows"/> query rows over an F16 cache. Its numerics differ from the
/// one-row kernel's, so a prompt of 64 tokens or more only gives llama.cpp's logits if it takes this path too:
/// <list type="bullet">
/// <item>the query stays F32; keys and values are widened to F32 a tile of <see cref="TileKeys"/> cells at a time;</item>
/// <item>each score is one fused multiply-add chain over the head dimension in ascending order (ggml's simd_gemm keeps
/// one chain per output element), then × scale;</item>
/// <item>per tile and row: the tile's maximum updates the running maximum once (libm expf rescales the accumulator and
/// the sum), the tile's weights are ggml's vector exp with the sum in double (<see cref="GgmlExp.SoftMaxExp(float*, float*, int, float, bool)"/>),
/// and the value accumulator stays F32: one fused chain per element over the tile's cells in order.</item>
/// </list>
/// Every output element is a sequence of single-rounded operations in a fixed order, so the vector code (any width)
/// and <see cref="Reference"/> give the same bits. The grouping of rows into tiles does not change any row's result.
/// </summary>
public static unsafe class TiledAttention
{
    /// <summary>ggml's GGML_FA_TILE_Q: micro-batches with at least this many query rows take the tiled kernel.</summary>
    public const int MinRows = 64;
    /// <summary>ggml's GGML_FA_TILE_KV: cells per key/value tile.</summary>
    public const int TileKeys = 64;

    /// <summary>Whether llama.cpp (AVX2 build) takes the tiled kernel for a micro-batch of <paramref name="rows"/> tokens.</summary>
    public static bool Applies(int rows, int valueDim) => rows >= MinRows && valueDim % 8 == 0;

    /// <summary>Floats of scratch <see cref="Run"/> needs for up to <paramref name="rows"/> query rows.</summary>
    public static long ScratchFloats(int rows, int hd, int vd) => (long)hd * TileKeys + (long)TileKeys * vd + (long)rows * (TileKeys + vd + 2);

    /// <summary>
    /// Attention of <paramref name="rows"/> query rows against one head's F16 cache. Row r reads q[r] (F32, hd values),
    /// attends to cells 0..positions[r] and writes vd floats to output[r]; probabilities[r], when given, receives the
    /// softmax weights (recomputed at the end; for inspection only).
    /// </summary>
    public static void Run(float** q, int* positions, float** output, int rows, ushort* keys, ushort* values, int hd, int vd, float scale,
                           float* scratch, float** probabilities = null, bool simd = true)
    {
        float* kt = scratch;                        // [hd][TileKeys], keys transposed
        float* vt = kt + (long)hd * TileKeys;       // [TileKeys][vd]
        float* kq = vt + (long)TileKeys * vd;       // [rows][TileKeys], scores, then weights
        float* acc = kq + (long)rows * TileKeys;    // [rows][vd]
        float* max = acc + (long)rows * vd;
        float* sum = max + rows;
        new Span<float>(acc, rows * vd).Clear();
        float* half = Fp16.Table; // read once (see VecDotAvx2.Q8_0)
        int last = 0;
        for (int r = 0; r < rows; r++)
        {
            max[r] = float.NegativeInfinity;
            sum[r] = 0;
            last = Math.Max(last, positions[r]);
        }

        for (int t0 = 0; t0 <= last; t0 += TileKeys)
        {
            int cells = Math.Min(TileKeys, last + 1 - t0);
            for (int tk = 0; tk < cells; tk++)
            {
                ushort* k = keys + (long)(t0 + tk) * hd;
                for (int dk = 0; dk < hd; dk++) kt[dk * TileKeys + tk] = half[k[dk]];
                Fp16.ToSingleRow(values + (long)(t0 + tk) * vd, vt + (long)tk * vd, vd);
            }
            for (int tk = cells; tk < TileKeys; tk++)
                for (int dk = 0; dk < hd; dk++) kt[dk * TileKeys + tk] = 0;

            for (int r = 0; r < rows; r++)
            {
                if (positions[r] < t0) continue; // every cell of this tile is masked for the row: ggml skips it
                int valid = Math.Min(TileKeys, positions[r] - t0 + 1);
                float* s = kq + (long)r * TileKeys;
                Scores(q[r], kt, hd, scale, s, simd);
                for (int j = valid; j < TileKeys; j++) s[j] = float.NegativeInfinity;
                if (probabilities != null && probabilities[r] != null) new Span<float>(s, valid).CopyTo(new Span<float>(probabilities[r] + t0, valid));

                float tileMax = float.NegativeInfinity;
                for (int j = 0; j < valid; j++) tileMax = MathF.Max(tileMax, s[j]);
                float old = max[r], now = MathF.Max(old, tileMax);
                if (now > old)
                {
                    float ms = MathF.Exp(old - now);
                    Scale(acc + (long)r * vd, ms, vd, simd);
                    sum[r] *= ms;
                }
                max[r] = now;
                sum[r] = (float)(sum[r] + GgmlExp.SoftMaxExp(s, s, TileKeys, now, simd));
                Accumulate(acc + (long)r * vd, s, vt, valid, vd, simd);
            }
        }

        for (int r = 0; r < rows; r++)
        {
            float inv = sum[r] == 0 ? 0 : 1.0f / sum[r];
            float* a = acc + (long)r * vd, o = output[r];
            for (int d = 0; d < vd; d++) o[d] = a[d] * inv;
            if (probabilities != null && probabilities[r] != null)
            {
                float* p = probabilities[r];
                for (int j = 0; j <= positions[r]; j++) p[j] = MathF.Exp(p[j] - max[r]) * inv;
            }
        }
    }

    /// <summary>
    /// The same computation written plainly, one row and one cell at a time: the reference the vector code is tested
    /// against.
    /// </summary>
    public static void Reference(float* q, int position, ushort* keys, ushort* values, int hd, int vd, float scale, float* output)
    {
        var acc = new float[vd];
        var s = new float[TileKeys];
        float max = float.NegativeInfinity, sum = 0;
        for (int t0 = 0; t0 <= position; t0 += TileKeys)
        {
            int valid = Math.Min(TileKeys, position - t0 + 1);
            for (int j = 0; j < TileKeys; j++)
            {
                if (j >= valid) { s[j] = float.NegativeInfinity; continue; }
                float dot = 0;
                for (int dk = 0; dk < hd; dk++) dot = MathF.FusedMultiplyAdd(q[dk], Fp16.Table[keys[(long)(t0 + j) * hd + dk]], dot);
                s[j] = dot * scale;
            }
            float tileMax = float.NegativeInfinity;
            for (int j = 0; j < valid; j++) tileMax = MathF.Max(tileMax, s[j]);
            float now = MathF.Max(max, tileMax);
            if (now > max)
            {
                float ms = MathF.Exp(max - now);
                for (int d = 0; d < vd; d++) acc[d] *= ms;
                sum *= ms;
            }
            max = now;
            fixed (float* ps = s) sum = (float)(sum + GgmlExp.SoftMaxExp(ps, ps, TileKeys, now, simd: false));
            for (int j = 0; j < valid; j++)
                for (int d = 0; d < vd; d++) acc[d] = MathF.FusedMultiplyAdd(s[j], Fp16.Table[values[(long)(t0 + j) * vd + d]], acc[d]);
        }
        float inv = sum == 0 ? 0 : 1.0f / sum;
        for (int d = 0; d < vd; d++) output[d] = acc[d] * inv;
    }

    /// <summary>s[j] = (Σ_dk fma chain q[dk]·kt[dk][j]) · scale for the 64 cells of a tile.</summary>
    private static void Scores(float* q, float* kt, int hd, float scale, float* s, bool simd)
    {
        if (simd && Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int dk = 0; dk < hd; dk++)
            {
                var qb = Vector256.Create(q[dk]);
                float* k = kt + dk * TileKeys;
                a0 = Vector256.FusedMultiplyAdd(qb, Vector256.Load(k), a0);
                a1 = Vector256.FusedMultiplyAdd(qb, Vector256.Load(k + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(qb, Vector256.Load(k + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(qb, Vector256.Load(k + 24), a3);
                a4 = Vector256.FusedMultiplyAdd(qb, Vector256.Load(k + 32), a4);
                a5 = Vector256.FusedMultiplyAdd(qb, Vector256.Load(k + 40), a5);
                a6 = Vector256.FusedMultiplyAdd(qb, Vector256.Load(k + 48), a6);
                a7 = Vector256.FusedMultiplyAdd(qb, Vector256.Load(k + 56), a7);
            }
            var sc = Vector256.Create(scale);
            (a0 * sc).Store(s); (a1 * sc).Store(s + 8); (a2 * sc).Store(s + 16); (a3 * sc).Store(s + 24);
            (a4 * sc).Store(s + 32); (a5 * sc).Store(s + 40); (a6 * sc).Store(s + 48); (a7 * sc).Store(s + 56);
            return;
        }
        if (simd && Vector128.IsHardwareAccelerated)
        {
            // 16 four-lane chains in two passes of eight (registers), each the same per-element chain
            for (int half = 0; half < TileKeys; half += 32)
            {
                Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int dk = 0; dk < hd; dk++)
                {
                    var qb = Vector128.Create(q[dk]);
                    float* k = kt + dk * TileKeys + half;
                    a0 = Vector128.FusedMultiplyAdd(qb, Vector128.Load(k), a0);
                    a1 = Vector128.FusedMultiplyAdd(qb, Vector128.Load(k + 4), a1);
                    a2 = Vector128.FusedMultiplyAdd(qb, Vector128.Load(k + 8), a2);
                    a3 = Vector128.FusedMultiplyAdd(qb, Vector128.Load(k + 12), a3);
                    a4 = Vector128.FusedMultiplyAdd(qb, Vector128.Load(k + 16), a4);
                    a5 = Vector128.FusedMultiplyAdd(qb, Vector128.Load(k + 20), a5);
                    a6 = Vector128.FusedMultiplyAdd(qb, Vector128.Load(k + 24), a6);
                    a7 = Vector128.FusedMultiplyAdd(qb, Vector128.Load(k + 28), a7);
                }
                var sc = Vector128.Create(scale);
                float* o = s + half;
                (a0 * sc).Store(o); (a1 * sc).Store(o + 4); (a2 * sc).Store(o + 8); (a3 * sc).Store(o + 12);
                (a4 * sc).Store(o + 16); (a5 * sc).Store(o + 20); (a6 * sc).Store(o + 24); (a7 * sc).Store(o + 28);
            }
            return;
        }
        for (int j = 0; j < TileKeys; j++)
        {
            float dot = 0;
            for (int dk = 0; dk < hd; dk++) dot = MathF.FusedMultiplyAdd(q[dk], kt[dk * TileKeys + j], dot);
            s[j] = dot * scale;
        }
    }

    /// <summary>acc[d] = fma(w[j], v[j][d], acc[d]) for j = 0..cells-1 in order (vd a multiple of 8 on the vector paths).</summary>
    private static void Accumulate(float* acc, float* w, float* vt, int cells, int vd, bool simd)
    {
        int d0 = 0;
        if (simd && Vector256.IsHardwareAccelerated)
        {
            for (; d0 + 32 <= vd; d0 += 32)
            {
                var a0 = Vector256.Load(acc + d0); var a1 = Vector256.Load(acc + d0 + 8);
                var a2 = Vector256.Load(acc + d0 + 16); var a3 = Vector256.Load(acc + d0 + 24);
                for (int j = 0; j < cells; j++)
                {
                    var wb = Vector256.Create(w[j]);
                    float* v = vt + (long)j * vd + d0;
                    a0 = Vector256.FusedMultiplyAdd(wb, Vector256.Load(v), a0);
                    a1 = Vector256.FusedMultiplyAdd(wb, Vector256.Load(v + 8), a1);
                    a2 = Vector256.FusedMultiplyAdd(wb, Vector256.Load(v + 16), a2);
                    a3 = Vector256.FusedMultiplyAdd(wb, Vector256.Load(v + 24), a3);
                }
                a0.Store(acc + d0); a1.Store(acc + d0 + 8); a2.Store(acc + d0 + 16); a3.Store(acc + d0 + 24);
            }
            for (; d0 + 8 <= vd; d0 += 8)
            {
                var a = Vector256.Load(acc + d0);
                for (int j = 0; j < cells; j++) a = Vector256.FusedMultiplyAdd(Vector256.Create(w[j]), Vector256.Load(vt + (long)j * vd + d0), a);
                a.Store(acc + d0);
            }
        }
        else if (simd && Vector128.IsHardwareAccelerated)
        {
            for (; d0 + 16 <= vd; d0 += 16)
            {
                var a0 = Vector128.Load(acc + d0); var a1 = Vector128.Load(acc + d0 + 4);
                var a2 = Vector128.Load(acc + d0 + 8); var a3 = Vector128.Load(acc + d0 + 12);
                for (int j = 0; j < cells; j++)
                {
                    var wb = Vector128.Create(w[j]);
                    float* v = vt + (long)j * vd + d0;
                    a0 = Vector128.FusedMultiplyAdd(wb, Vector128.Load(v), a0);
                    a1 = Vector128.FusedMultiplyAdd(wb, Vector128.Load(v + 4), a1);
                    a2 = Vector128.FusedMultiplyAdd(wb, Vector128.Load(v + 8), a2);
                    a3 = Vector128.FusedMultiplyAdd(wb, Vector128.Load(v + 12), a3);
                }
                a0.Store(acc + d0); a1.Store(acc + d0 + 4); a2.Store(acc + d0 + 8); a3.Store(acc + d0 + 12);
            }
        }
        for (; d0 < vd; d0++)
        {
            float a = acc[d0];
            for (int j = 0; j < cells; j++) a = MathF.FusedMultiplyAdd(w[j], vt[(long)j * vd + d0], a);
            acc[d0] = a;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale(float* y, float v, int n, bool simd)
    {
        int i = 0;
        if (simd && Vector256.IsHardwareAccelerated)
            for (var vv = Vector256.Create(v); i + 8 <= n; i += 8) (Vector256.Load(y + i) * vv).Store(y + i);
        for (; i < n; i++) y[i] *= v;
    }
}
