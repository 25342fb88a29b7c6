using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PocketLM.Tensors;

/// <summary>
/// Causal attention of one query row against one head's cached keys and values, in the two numerics llama.cpp uses:
/// <list type="bullet">
/// <item><see cref="F32"/>: F32 cache, scores → softmax (double sum) → weighted sum, as ggml's soft_max + mul_mat path.</item>
/// <item><see cref="F16Online"/>: F16 cache, llama.cpp's CPU flash-attention kernel (its default): the query rounded to
/// F16, F16·F16 scores, an online softmax, and the value accumulator itself kept in F16 (rounded after every update).</item>
/// </list>
/// Each has a scalar reference; the SIMD versions must give identical bits (tests compare them).
/// </summary>
public static unsafe class Attention
{
    /// <summary>
    /// out[0..vd) = Σ_j softmax(q·k_j · scale)_j · v_j over j &lt; len. <paramref name="scores"/> holds
    /// <see cref="ScoreCapacity"/>(len) floats of scratch (left as the probabilities). The softmax runs over the row padded
    /// with masked (−∞) entries to a whole SIMD group, as llama.cpp's padded KV rows are, so its exp/sum grouping is ggml's.
    /// The two products follow the code llama.cpp's mul_mat picks for them: scores by ggml_vec_dot_f32 in a prompt
    /// (<paramref name="batch"/>) and by tinyBLAS in a one-token decode; the weighted sum by tinyBLAS (the values are
    /// stored transposed there, so cell j feeds lane j mod 8 of eight fused chains, then tinyBLAS's horizontal sum).
    /// </summary>
    public static void F32(float* q, float* keys, float* values, int len, int hd, int vd, float scale, float* output, float* scores, bool batch = false)
    {
        for (int j = 0; j < len; j++) scores[j] = (batch ? VecDotF32(keys + (long)j * hd, q, hd) : Ops.Dot(q, keys + (long)j * hd, hd)) * scale;
        int padded = ScoreCapacity(len);
        for (int j = len; j < padded; j++) scores[j] = float.NegativeInfinity;
        float max = float.NegativeInfinity;
        for (int j = 0; j < len; j++) max = MathF.Max(max, scores[j]);
        double sum = GgmlExp.SoftMaxExp(scores, scores, padded, max);
        float inv = (float)(1.0 / sum);
        for (int j = 0; j < len; j++) scores[j] *= inv;
        float* lanes = stackalloc float[8 * vd]; // lane t of every output element, element-major within a lane
        new Span<float>(lanes, 8 * vd).Clear();
        for (int j = 0; j < len; j++) Ops.AddScaled(lanes + (j & 7) * vd, values + (long)j * vd, scores[j], vd);
        for (int d = 0; d < vd; d++)
        {
            float* l = lanes + d;
            output[d] = ((l[4 * vd] + l[0]) + (l[6 * vd] + l[2 * vd])) + ((l[5 * vd] + l[vd]) + (l[7 * vd] + l[3 * vd]));
        }
    }

    /// <summary>
    /// ggml_vec_dot_f32 as its AVX2 build computes it: four eight-lane fused chains over 32-element steps (element e in
    /// chain e/8 mod 4, lane e mod 8), its reduction, then the tail. llama.cpp scores a prompt's keys with it
    /// (its permuted queries are not contiguous, so tinyBLAS declines); a one-token decode goes to tinyBLAS (<see cref="Ops.Dot"/>).
    /// </summary>
    internal static float VecDotF32(float* x, float* y, int n, bool simd = true)
    {
        int np = n & ~31;
        Vector128<float> lo, hi; // lanes 0–3 and 4–7 of (chain0 + chain2) + (chain1 + chain3)
        if (simd && Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < np; i += 32)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(y + i), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 8), Vector256.Load(y + i + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 16), Vector256.Load(y + i + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 24), Vector256.Load(y + i + 24), a3);
            }
            var r = (a0 + a2) + (a1 + a3);
            lo = r.GetLower(); hi = r.GetUpper();
        }
        else
        {
            float* acc = stackalloc float[32];
            for (int k = 0; k < 32; k++) acc[k] = 0;
            for (int i = 0; i < np; i += 32)
                for (int k = 0; k < 32; k++) acc[k] = MathF.FusedMultiplyAdd(x[i + k], y[i + k], acc[k]);
            float* r = stackalloc float[8];
            for (int k = 0; k < 8; k++) r[k] = (acc[k] + acc[16 + k]) + (acc[8 + k] + acc[24 + k]);
            lo = Vector128.Create(r[0], r[1], r[2], r[3]); hi = Vector128.Create(r[4], r[5], r[6], r[7]);
        }
        var t = lo + hi;
        float sum = (t.GetElement(0) + t.GetElement(1)) + (t.GetElement(2) + t.GetElement(3));
        // The tail (head sizes that are not a multiple of 32): float multiply-adds, which match ggml in most but not all
        // cases (255 of 300 random 17-element dots); the sizes of the supported families (64, 128) have no tail.
        for (int i = np; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>Scratch floats <see cref="F32"/> needs for a row of <paramref name="len"/> keys.</summary>
    public static int ScoreCapacity(int len) => (len + 15) / 16 * 16;

    /// <summary>
    /// llama.cpp's flash-attention numerics over an F16 cache. <paramref name="q16"/> is the query already rounded to F16,
    /// <paramref name="acc"/> vd floats of scratch (the F16 accumulator, held as floats that are always F16 values).
    /// When <paramref name="probabilities"/> is given it receives the final softmax weights (recomputed from the scores;
    /// for inspection only).
    /// </summary>
    public static void F16Online(ushort* q16, ushort* keys, ushort* values, int len, int hd, int vd, float scale, float* output, float* acc,
                                 float* probabilities = null, bool simd = true) =>
        F16Online(q16, 1, keys, values, len, hd, vd, scale, output, acc, probabilities, 0, simd);

    /// <summary>
    /// <see cref="F16Online"/> for <paramref name="heads"/> query heads that share one key/value head (grouped-query
    /// attention): query g at q16 + g·hd, its output at output + g·vd, accumulators acc + g·vd (heads·vd floats),
    /// probabilities + g·<paramref name="probabilityStride"/>. Each head gets exactly the bits it would get alone; with
    /// AVX2 each cached key and value is widened once for all of them.
    /// </summary>
    public static void F16Online(ushort* q16, int heads, ushort* keys, ushort* values, int len, int hd, int vd, float scale, float* output,
                                 float* acc, float* probabilities, long probabilityStride, bool simd = true)
    {
        float* max = stackalloc float[heads], sum = stackalloc float[heads];
        OnlineChunk(q16, heads, keys, values, 0, len, hd, vd, scale, acc, max, sum, probabilities, probabilityStride, simd);
        Finish(heads, len, vd, output, acc, max, sum, probabilities, probabilityStride);
    }

    /// <summary>output = acc / sum per head (ggml_vec_scale_f32 by 1/S, 0 when S = 0); the probabilities, when asked for,
    /// recomputed from the raw scores left in them.</summary>
    private static void Finish(int heads, int len, int vd, float* output, float* acc, float* max, float* sum, float* probabilities, long probabilityStride)
    {
        for (int g = 0; g < heads; g++)
        {
            float inv = sum[g] == 0 ? 0 : 1.0f / sum[g];
            for (int d = 0; d < vd; d++) output[g * vd + d] = acc[g * vd + d] * inv;
            float* p = probabilities == null ? null : probabilities + g * probabilityStride;
            if (p != null)
                for (int j = 0; j < len; j++) p[j] = MathF.Exp(p[j] - max[g]) * inv;
        }
    }

    /// <summary>KV cells from which llama.cpp splits a one-token decode's attention across its threads.</summary>
    public const int SplitMinCells = 512;

    /// <summary>
    /// The KV length llama.cpp's attention sees for <paramref name="len"/> used cells: its cache view is padded to a
    /// multiple of 256 cells, within a cache of <paramref name="contextSize"/> padded the same way.
    /// </summary>
    public static int PaddedCells(int len, int contextSize) => Math.Min(RoundUp256(contextSize), RoundUp256(Math.Max(len, 1)));

    private static int RoundUp256(int n) => (n + 255) / 256 * 256;

    /// <summary>Floats of scratch <see cref="F16Split"/> needs for <paramref name="heads"/> heads of <paramref name="vd"/> values.</summary>
    public static int SplitScratchFloats(int heads, int vd) => heads * (vd + 4);

    /// <summary>
    /// llama.cpp's split-KV decode (one query row, an F16 cache of at least <see cref="SplitMinCells"/> padded cells):
    /// the padded cells are cut into one chunk per llama.cpp thread, each chunk runs <see cref="F16Online"/>'s loop
    /// on its own (F16 accumulator, its own maximum and sum), and the partial results are merged in chunk order with
    /// libm expf rescaling. The bits therefore depend on llama.cpp's thread count, <paramref name="chunks"/>.
    /// <paramref name="scratch"/> holds <see cref="SplitScratchFloats"/>(1, vd) floats.
    /// </summary>
    public static void F16Split(ushort* q16, ushort* keys, ushort* values, int len, int cells, int chunks, int hd, int vd, float scale,
                                float* output, float* acc, float* scratch, float* probabilities = null, bool simd = true) =>
        F16Split(q16, 1, keys, values, len, cells, chunks, hd, vd, scale, output, acc, scratch, probabilities, 0, simd);

    /// <summary><see cref="F16Split"/> for <paramref name="heads"/> query heads sharing one key/value head, laid out as in
    /// the grouped <see cref="F16Online"/>; <paramref name="scratch"/> holds <see cref="SplitScratchFloats"/>(heads, vd) floats.</summary>
    public static void F16Split(ushort* q16, int heads, ushort* keys, ushort* values, int len, int cells, int chunks, int hd, int vd,
                                float scale, float* output, float* acc, float* scratch, float* probabilities, long probabilityStride,
                                bool simd = true)
    {
        int size = (cells + chunks - 1) / chunks;
        float* merged = scratch, mergedMax = scratch + heads * vd, mergedSum = mergedMax + heads;
        float* max = mergedSum + heads, sum = max + heads;
        new Span<float>(merged, heads * vd).Clear();
        for (int g = 0; g < heads; g++) { mergedMax[g] = float.NegativeInfinity; mergedSum[g] = 0; }
        for (int c = 0; c < chunks; c++)
        {
            int j0 = c * size, j1 = Math.Min(Math.Min(j0 + size, cells), len);
            if (j1 <= j0) continue; // an empty or fully masked chunk leaves S = 0, which the merge skips
            OnlineChunk(q16, heads, keys, values, j0, j1, hd, vd, scale, acc, max, sum, probabilities, probabilityStride, simd);
            for (int g = 0; g < heads; g++)
            {
                if (sum[g] == 0) continue;
                float now = MathF.Max(mergedMax[g], max[g]);
                float keep = MathF.Exp(mergedMax[g] - now), add = MathF.Exp(max[g] - now);
                float* m = merged + g * vd, part = acc + g * vd;
                // ggml_flash_attn_ext_reduce_partials: a·b + c·d, which the AVX2 build computes as fma(a, b, c·d)
                for (int d = 0; d < vd; d++) m[d] = MathF.FusedMultiplyAdd(m[d], keep, part[d] * add);
                mergedSum[g] = MathF.FusedMultiplyAdd(mergedSum[g], keep, sum[g] * add);
                mergedMax[g] = now;
            }
        }
        for (int g = 0; g < heads; g++)
        {
            float inv = mergedSum[g] != 0 ? 1.0f / mergedSum[g] : 1.0f;
            for (int d = 0; d < vd; d++) output[g * vd + d] = merged[g * vd + d] * inv;
            float* p = probabilities == null ? null : probabilities + g * probabilityStride;
            if (p != null)
                for (int j = 0; j < len; j++) p[j] = mergedSum[g] == 0 ? 0 : MathF.Exp(p[j] - mergedMax[g]) * inv;
        }
    }

    /// <summary>
    /// ggml's one-chunk flash-attention loop over cells [j0, j1) for each of <paramref name="heads"/> query heads: F16·F16
    /// scores, online softmax, F16 accumulator in acc + g·vd (cleared first); max[g] and sum[g] end as the head's running
    /// maximum and sum of weights. The accumulator is kept as floats rounded to F16 after every step
    /// (<see cref="Fp16.RoundToHalf8"/>): the same values as ggml's F16 vector, without converting it to and from 16 bits
    /// at every cell (.NET has no F16C). With AVX2 the queries are widened once and each key and value once per cell for
    /// all heads (the same products and sums as the F16 kernels: see <see cref="VecDotAvx2.F16Widened"/>).
    /// </summary>
    private static void OnlineChunk(ushort* q16, int heads, ushort* keys, ushort* values, int j0, int j1, int hd, int vd, float scale,
                                    float* acc, float* max, float* sum, float* scores, long scoreStride, bool simd)
    {
        new Span<float>(acc, heads * vd).Clear();
        for (int g = 0; g < heads; g++) { max[g] = float.NegativeInfinity; sum[g] = 0; }
        if (!(simd && VecDotAvx2.IsSupported))
        {
            var dot = MatMul.Kernel(GgmlType.F16, simd);
            for (int g = 0; g < heads; g++)
            {
                float* a = acc + g * vd, sc = scores == null ? null : scores + g * scoreStride;
                for (int j = j0; j < j1; j++)
                {
                    float s = dot((byte*)(keys + (long)j * hd), (byte*)(q16 + g * hd), hd) * scale;
                    if (sc != null) sc[j] = s;
                    OnlineStep(s, ref max[g], ref sum[g], a, vd, simd, values + (long)j * vd);
                }
            }
            return;
        }
        float* q = stackalloc float[heads * hd];
        float* k = stackalloc float[hd];
        float* v = stackalloc float[vd];
        Fp16.ToSingleRow(q16, q, heads * hd);
        OnlineBlocks(q, heads, keys, values, j0, j1, hd, vd, scale, acc, max, sum, scores, scoreStride, k, v);
    }

    /// <summary>Floats of scratch <see cref="OneChunk"/> needs for <paramref name="heads"/> query heads.</summary>
    public static int OneChunkScratchFloats(GgmlType keyType, int heads, int hd, int vd) =>
        heads * QueryRowFloats(keyType, hd) + heads * vd + vd + 2 * heads;

    private static int QueryRowFloats(GgmlType keyType, int hd) =>
        (int)((GgmlTypeInfo.RowBytes(ActivationQuantizer.VecDotType(keyType), hd) + 63) / 64 * 16);

    /// <summary>
    /// llama.cpp's one-row flash-attention kernel over caches of any types (the only one it runs when K and V are not
    /// both F16: quantized or mixed caches take neither its tiled nor its split-KV kernel), for <paramref name="heads"/>
    /// query heads that share one key/value head, laid out as in the grouped <see cref="F16Online"/>. Each query (F32) is
    /// converted to the key type's dot-product format (Q8_0 for Q8_0/Q4_0/Q5_0 keys, Q8_1 for Q4_1/Q5_1, F16, BF16) and
    /// scored with that type's dot product, as ggml does; the online softmax then accumulates F16 values in an F16
    /// accumulator (see <see cref="F16Online"/>) and any other value type dequantized into an F32 accumulator
    /// (ggml_vec_mad_f32: one fused multiply-add per element). Rows of the cache are <paramref name="keyRowBytes"/> and
    /// <paramref name="valueRowBytes"/> apart. <paramref name="scratch"/> holds <see cref="OneChunkScratchFloats"/> floats.
    /// </summary>
    public static void OneChunk(GgmlType keyType, GgmlType valueType, float* q, int heads, byte* keys, long keyRowBytes, byte* values,
                                long valueRowBytes, int len, int hd, int vd, float scale, float* output, float* scratch,
                                float* probabilities = null, long probabilityStride = 0, bool simd = true)
    {
        int qFloats = QueryRowFloats(keyType, hd);
        byte* qx = (byte*)scratch;
        float* acc = scratch + heads * qFloats, v32 = acc + heads * vd, max = v32 + vd, sum = max + heads;
        var vecDot = ActivationQuantizer.VecDotType(keyType);
        for (int g = 0; g < heads; g++)
        {
            if (simd) ActivationQuantizer.Row(vecDot, q + g * hd, qx + g * qFloats * 4L, hd);
            else ActivationQuantizer.RowScalar(vecDot, q + g * hd, qx + g * qFloats * 4L, hd);
            max[g] = float.NegativeInfinity;
            sum[g] = 0;
        }
        new Span<float>(acc, heads * vd).Clear();
        var dot = MatMul.Kernel(keyType, simd);
        var rows = simd ? KeyRows(keyType) : null;
        long qBytes = qFloats * 4L;
        bool halfValues = valueType == GgmlType.F16, widen = halfValues && simd && VecDotAvx2.IsSupported;
        float* s = stackalloc float[heads * ExpBlock];
        float* e = stackalloc float[heads * ExpBlock];
        bool* grew = stackalloc bool[heads * ExpBlock];
        // in blocks of cells, as OnlineBlocks: scores, then the exponents, then the accumulators in cell order
        for (int jb = 0; jb < len; jb += ExpBlock)
        {
            int nb = Math.Min(ExpBlock, len - jb);
            for (int jj = 0; jj < nb; jj++)
            {
                byte* k = keys + (jb + jj) * keyRowBytes;
                if (rows != null) rows(k, qx, qBytes, heads, hd, s + jj, ExpBlock);
                else
                    for (int g = 0; g < heads; g++) s[g * ExpBlock + jj] = dot(k, qx + g * qBytes, hd);
                for (int g = 0; g < heads; g++)
                {
                    float sv = s[g * ExpBlock + jj] * scale;
                    s[g * ExpBlock + jj] = sv;
                    if (probabilities != null) probabilities[g * probabilityStride + jb + jj] = sv;
                }
            }
            BlockExponents(s, e, grew, heads, nb, max, simd);
            for (int jj = 0; jj < nb; jj++)
            {
                byte* v = values + (jb + jj) * valueRowBytes;
                if (widen) Fp16.ToSingleRow((ushort*)v, v32, vd);
                else if (!halfValues)
                {
                    if (simd) Dequantize.RowVector(valueType, v, v32, vd);
                    else Dequantize.Row(valueType, v, v32, vd);
                }
                if (widen) AddCellHalf(acc, sum, e + jj, grew + jj, heads, vd, v32);
                else if (simd && !halfValues && Vector256.IsHardwareAccelerated && vd % 32 == 0)
                    AddCellF32(acc, sum, e + jj, grew + jj, heads, vd, v32);
                else
                    AddCell(acc, sum, e + jj, grew + jj, heads, vd, halfValues, halfValues ? (ushort*)v : null, halfValues ? null : v32, simd);
            }
        }
        Finish(heads, len, vd, output, acc, max, sum, probabilities, probabilityStride);
    }

    /// <summary>One key row against all query heads at once (<see cref="VecDotTiles.Q0Rows{T}"/> and
    /// <see cref="VecDotTiles.Q1Rows{T}"/>, the one-row kernel's bits) for the 4-, 5- and 8-bit key types, on AVX2; null
    /// otherwise (F16/BF16 keys).</summary>
    private static delegate*<byte*, byte*, long, int, int, float*, long, void> KeyRows(GgmlType keyType) =>
        !VecDotAvx2.IsSupported ? null
        : keyType switch
        {
            GgmlType.Q8_0 => &VecDotTiles.Q0Rows<Q8_0Format>,
            GgmlType.Q4_0 => &VecDotTiles.Q0Rows<Q4_0Format>,
            GgmlType.Q5_0 => &VecDotTiles.Q0Rows<Q5_0Format>,
            GgmlType.Q4_1 => &VecDotTiles.Q1Rows<Q4_1Format>,
            GgmlType.Q5_1 => &VecDotTiles.Q1Rows<Q5_1Format>,
            _ => null,
        };

    /// <summary>y = y · v, ggml_vec_scale_f32 (one rounding per element at any width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleF32(float* y, float v, int n)
    {
        int i = 0;
        var vv = Vector256.Create(v);
        for (; i + 8 <= n; i += 8) (Vector256.Load(y + i) * vv).Store(y + i);
        for (; i < n; i++) y[i] *= v;
    }

    /// <summary>y = fma(x, v, y), ggml_vec_mad_f32 (fused in its vector loop and, for the head sizes here, everywhere).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulAddF32(float* y, float* x, float v, int n, bool simd)
    {
        int i = 0;
        if (simd && Vector256.IsHardwareAccelerated)
        {
            var vv = Vector256.Create(v);
            for (; i + 8 <= n; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i), vv, Vector256.Load(y + i)).Store(y + i);
        }
        else if (simd && Vector128.IsHardwareAccelerated)
        {
            var vv = Vector128.Create(v);
            for (; i + 4 <= n; i += 4) Vector128.FusedMultiplyAdd(Vector128.Load(x + i), vv, Vector128.Load(y + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(x[i], v, y[i]);
    }

    private const int ExpBlock = 16;

    /// <summary>
    /// <see cref="OnlineChunk"/>'s AVX2 loop with the exponentials taken out of it: a block of cells is scored for every
    /// head first, the running maximum walked through the block decides each cell's exponent (the rescale factor
    /// exp(old − new) where the maximum grows, else the weight exp(s − max)), those are computed four at a time
    /// (<see cref="LibmExp"/>, the same bits as the scalar libm call, which it falls back to under another C library),
    /// and then the accumulator is updated cell by cell in the original order: every head sees the operations of the
    /// cell-by-cell loop (the reference path above) on the same values.
    /// </summary>
    private static void OnlineBlocks(float* q, int heads, ushort* keys, ushort* values, int j0, int j1, int hd, int vd, float scale,
                                     float* acc, float* max, float* sum, float* scores, long scoreStride, float* k, float* v)
    {
        float* s = stackalloc float[heads * ExpBlock];
        float* e = stackalloc float[heads * ExpBlock];
        bool* grew = stackalloc bool[heads * ExpBlock];
        for (int jb = j0; jb < j1; jb += ExpBlock)
        {
            int nb = Math.Min(ExpBlock, j1 - jb);
            for (int jj = 0; jj < nb; jj++)
            {
                Fp16.ToSingleRow(keys + (long)(jb + jj) * hd, k, hd);
                for (int g = 0; g < heads; g++)
                {
                    float sv = VecDotAvx2.F16Widened(k, q + g * hd, hd) * scale;
                    s[g * ExpBlock + jj] = sv;
                    if (scores != null) scores[g * scoreStride + jb + jj] = sv;
                }
            }
            BlockExponents(s, e, grew, heads, nb, max, true);
            for (int jj = 0; jj < nb; jj++)
            {
                Fp16.ToSingleRow(values + (long)(jb + jj) * vd, v, vd);
                AddCellHalf(acc, sum, e + jj, grew + jj, heads, vd, v);
            }
        }
    }

    /// <summary>
    /// One cell's value into every head's accumulator, with the cell's exponent e[g·ExpBlock] (see
    /// <see cref="BlockExponents"/>): an F16 accumulator (<paramref name="half"/>) fed the value as halves, or an F32
    /// accumulator fed <paramref name="value32"/> (the reference and NEON paths; AVX2 takes <see cref="AddCellHalf"/>
    /// and <see cref="AddCellF32"/>, which do the same per element).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddCell(float* acc, float* sum, float* e, bool* grew, int heads, int vd, bool half, ushort* value16,
                                float* value32, bool simd)
    {
        for (int g = 0; g < heads; g++)
        {
            float x = e[g * ExpBlock], ms = 1, vs = x;
            float* a = acc + g * vd;
            if (grew[g * ExpBlock])
            {
                ms = x;
                vs = 1;
                if (half) ScaleF16(a, ms, vd, simd);
                else ScaleF32(a, ms, vd);
            }
            if (!half) MulAddF32(a, value32, vs, vd, simd);
            else MulAddF16(a, value16, vs, vd, simd);
            sum[g] = sum[g] * ms + vs;
        }
    }

    /// <summary>
    /// <see cref="AddCell"/> for an F32 accumulator in 256-bit vectors (<paramref name="vd"/> a multiple of 32): the
    /// rescales where the maximum grew first, then the value row 32 floats at a time in registers against every head's
    /// accumulator. Each element sees the same operations in the same order (a rescale, then one fused multiply-add).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddCellF32(float* acc, float* sum, float* e, bool* grew, int heads, int vd, float* value)
    {
        RescaleAndSum(acc, sum, e, grew, heads, vd, half: false);
        for (int i = 0; i < vd; i += 32)
        {
            var v0 = Vector256.Load(value + i);
            var v1 = Vector256.Load(value + i + 8);
            var v2 = Vector256.Load(value + i + 16);
            var v3 = Vector256.Load(value + i + 24);
            float* a = acc + i;
            for (int g = 0; g < heads; g++, a += vd)
            {
                var w = Vector256.Create(grew[g * ExpBlock] ? 1f : e[g * ExpBlock]);
                Vector256.FusedMultiplyAdd(v0, w, Vector256.Load(a)).Store(a);
                Vector256.FusedMultiplyAdd(v1, w, Vector256.Load(a + 8)).Store(a + 8);
                Vector256.FusedMultiplyAdd(v2, w, Vector256.Load(a + 16)).Store(a + 16);
                Vector256.FusedMultiplyAdd(v3, w, Vector256.Load(a + 24)).Store(a + 24);
            }
        }
    }

    /// <summary>The part of a cell that comes before its value is added (<see cref="AddCell"/>'s order per head): where
    /// the maximum grew, the accumulator rescaled (AVX2 widths) and the sum × the factor + 1; else the sum + the weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RescaleAndSum(float* acc, float* sum, float* e, bool* grew, int heads, int vd, bool half)
    {
        for (int g = 0; g < heads; g++)
        {
            float x = e[g * ExpBlock];
            if (grew[g * ExpBlock])
            {
                if (half) ScaleF16(acc + g * vd, x, vd, true);
                else ScaleF32(acc + g * vd, x, vd);
                sum[g] = sum[g] * x + 1;
            }
            else sum[g] += x;
        }
    }

    /// <summary>
    /// <see cref="AddCell"/> for an F16 accumulator fed a widened value row (AVX2), in the form of
    /// <see cref="AddCellF32"/>: the rescales first, then 16 floats of the value at a time against every head, each
    /// element rounded to F16 after its fused multiply-add as <see cref="MulAddWidened"/> does.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddCellHalf(float* acc, float* sum, float* e, bool* grew, int heads, int vd, float* value)
    {
        RescaleAndSum(acc, sum, e, grew, heads, vd, half: true);
        int i = 0;
        for (; i + 16 <= vd; i += 16)
        {
            var v0 = Vector256.Load(value + i);
            var v1 = Vector256.Load(value + i + 8);
            float* a = acc + i;
            for (int g = 0; g < heads; g++, a += vd)
            {
                var w = Vector256.Create(grew[g * ExpBlock] ? 1f : e[g * ExpBlock]);
                Fp16.RoundToHalf8(System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(v0, w, Vector256.Load(a))).Store(a);
                Fp16.RoundToHalf8(System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(v1, w, Vector256.Load(a + 8))).Store(a + 8);
            }
        }
        if (i < vd)
            for (int g = 0; g < heads; g++)
                MulAddWidened(acc + g * vd + i, value + i, grew[g * ExpBlock] ? 1f : e[g * ExpBlock], vd - i);
    }

    /// <summary>
    /// The online softmax's exponentials for a block of <paramref name="nb"/> scores per head (s + g·ExpBlock): walking the
    /// running maximum (max[g], updated), a cell that raises it gets exp(old − new), the accumulator's rescale factor
    /// (grew = true; its own weight is 1), any other exp(s − max), its weight. With <paramref name="simd"/> four at a
    /// time (<see cref="LibmExp"/>, libm's bits), else by the scalar libm call.
    /// </summary>
    private static void BlockExponents(float* s, float* e, bool* grew, int heads, int nb, float* max, bool simd)
    {
        for (int g = 0; g < heads; g++)
        {
            float m = max[g];
            float* sg = s + g * ExpBlock, eg = e + g * ExpBlock;
            bool* gg = grew + g * ExpBlock;
            for (int jj = 0; jj < nb; jj++)
            {
                float sv = sg[jj];
                if (sv > m) { eg[jj] = m - sv; gg[jj] = true; m = sv; }
                else { eg[jj] = sv - m; gg[jj] = false; }
            }
            max[g] = m;
            if (simd) LibmExp.Exp(eg, eg, nb);
            else for (int jj = 0; jj < nb; jj++) eg[jj] = MathF.Exp(eg[jj]);
        }
    }

    /// <summary>One cell of the online softmax, the reference for <see cref="OnlineBlocks"/>: rescale the accumulator when
    /// the maximum grows, add the weighted value, update the sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OnlineStep(float s, ref float max, ref float sum, float* acc, int vd, bool simd, ushort* value16)
    {
        float ms = 1, vs = 1;
        if (s > max)
        {
            float old = max;
            max = s;
            ms = MathF.Exp(old - max);
            ScaleF16(acc, ms, vd, simd);
        }
        else vs = MathF.Exp(s - max);
        MulAddF16(acc, value16, vs, vd, simd);
        sum = sum * ms + vs;
    }

    /// <summary><see cref="MulAddF16"/> with the value row already widened to floats (AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulAddWidened(float* y, float* x, float v, int n)
    {
        int i = 0;
        var vv = Vector256.Create(v);
        for (; i + 8 <= n; i += 8)
            Fp16.RoundToHalf8(System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(Vector256.Load(x + i), vv, Vector256.Load(y + i))).Store(y + i);
        for (; i < n; i++) y[i] = Fp16.RoundToHalf(MathF.FusedMultiplyAdd(x[i], v, y[i]));
    }

    /// <summary>y = f16(y · v), ggml_vec_scale_f16 on an accumulator held as F16-valued floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleF16(float* y, float v, int n, bool simd)
    {
        int i = 0;
        if (simd && VecDotAvx2.IsSupported)
        {
            var vv = Vector256.Create(v);
            for (; i + 8 <= n; i += 8) Fp16.RoundToHalf8(Vector256.Load(y + i) * vv).Store(y + i);
        }
        else if (simd && VecDotNeon.IsSupported)
        {
            var vv = Vector128.Create(v);
            ulong h; // four halves
            for (; i + 4 <= n; i += 4)
            {
                Fp16.FromSingle4(Vector128.Load(y + i) * vv, (ushort*)&h);
                Fp16.ToSingle4((ushort*)&h).Store(y + i);
            }
        }
        for (; i < n; i++) y[i] = Fp16.RoundToHalf(y[i] * v);
    }

    /// <summary>y = f16(fma(f32(x), v, y)), ggml_vec_mad_f16 on an accumulator held as F16-valued floats (the reference and
    /// NEON paths; AVX2 widens each value row once and uses <see cref="AddCellHalf"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MulAddF16(float* y, ushort* x, float v, int n, bool simd)
    {
        int i = 0;
        if (simd && VecDotNeon.IsSupported)
        {
            var vv = Vector128.Create(v);
            ulong h; // four halves
            for (; i + 4 <= n; i += 4)
            {
                Fp16.FromSingle4(System.Runtime.Intrinsics.Arm.AdvSimd.FusedMultiplyAdd(Vector128.Load(y + i), Fp16.ToSingle4(x + i), vv), (ushort*)&h);
                Fp16.ToSingle4((ushort*)&h).Store(y + i);
            }
        }
        for (; i < n; i++) y[i] = Fp16.RoundToHalf(MathF.FusedMultiplyAdd(Fp16.ToSingle(x[i]), v, y[i]));
    }

    /// <summary>Rounds n floats to F16 (RNE), as ggml's fp32→fp16 conversion.</summary>
    public static void ToF16(float* x, ushort* y, int n, bool simd = true)
    {
        int i = 0;
        if (simd && VecDotAvx2.IsSupported)
            for (; i + 8 <= n; i += 8) Fp16.FromSingle8(Vector256.Load(x + i), y + i);
        else if (simd && VecDotNeon.IsSupported)
            for (; i + 4 <= n; i += 4) Fp16.FromSingle4(Vector128.Load(x + i), y + i);
        for (; i < n; i++) y[i] = Fp16.FromSingle(x[i]);
    }
}
