namespace PocketLM.Tensors;

// The k-quants (super-blocks of 256). Each follows its ggml reference quantizer (quantize_row_q*_K_ref): a per-sub-block
// scale (and min) search, the scales themselves quantized to 4/6/8 bits against a super-block scale, then every element
// re-rounded against the quantized scales it will be decoded with. The float expressions keep ggml's evaluation order
// (C evaluates a*b*c as (a*b)*c, int operands are converted to float at the operation), and ggml's base library is
// built without FMA contraction, so the search takes the same branches and the bytes come out identical.
public static unsafe partial class Quantizer
{
    private const float GroupMaxEps = 1e-15f;

    /// <summary>ggml's nearest_int: round to nearest, ties to even, via the 1.5·2²³ magic number (valid for |f| ≤ 2²²).</summary>
    private static int NearestInt(float f)
    {
        float v = f + 12582912f;
        return (BitConverter.SingleToInt32Bits(v) & 0x007fffff) - 0x00400000;
    }

    /// <summary>
    /// make_qx_quants for rmse_type 1 and no importance weights (weights x²): symmetric levels −nmax..nmax−1 stored as
    /// L = l + nmax. Starts from the scale that maps the largest-magnitude element to −nmax, then tries 18 nearby scales
    /// (nmax ± 0.1·k) and keeps the weighted least-squares optimum. Returns the scale.
    /// </summary>
    private static float MakeQx(int n, int nmax, float* x, sbyte* L)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            for (int i = 0; i < n; i++) L[i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            L[i] = (sbyte)(l + nmax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
                float w = x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                    L[i] = (sbyte)(nmax + Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>
    /// make_q3_quants with RMSE refinement: levels −nmax..nmax−1 from the max-magnitude scale, then up to 5 passes that
    /// move single elements to the level the current least-squares fit prefers when that improves the fit. L = l + nmax.
    /// </summary>
    private static float MakeQ3(int n, int nmax, float* x, sbyte* L)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            for (int i = 0; i < n; i++) L[i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            L[i] = (sbyte)l;
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int pass = 0; pass < 5; pass++)
        {
            int changed = 0;
            for (int i = 0; i < n; i++)
            {
                float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * L[i];
                if (slx > 0)
                {
                    float sl2 = suml2 - w * L[i] * L[i];
                    int newL = Math.Clamp(NearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
                    if (newL != L[i])
                    {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
                        {
                            L[i] = (sbyte)newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[i] += (sbyte)nmax;
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /// <summary>
    /// make_qkx2_quants: asymmetric levels 0..nmax with x ≈ scale·L − min (min ≥ 0 returned in <paramref name="theMin"/>).
    /// Starts from the min/max range, then for nstep+1 candidate scales solves the weighted least-squares (scale, min)
    /// for the levels that scale gives, keeping the one with the lowest weighted error (absolute when
    /// <paramref name="useMad"/>, squared otherwise).
    /// </summary>
    private static float MakeQkx2(int n, int nmax, float* x, float* weights, byte* L, out float theMin, byte* Laux,
        float rmin, float rdelta, int nstep, bool useMad)
    {
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            for (int i = 0; i < n; i++) L[i] = 0;
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int l = NearestInt(iscale * (x[i] - min));
            L[i] = (byte)Math.Clamp(l, 0, nmax);
            float diff = scale * L[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
                Laux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * Laux[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError)
                {
                    for (int i = 0; i < n; i++) L[i] = Laux[i];
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>Packs 256 2-bit levels: byte l of each 32-byte group of 128 elements holds elements l, l+32, l+64, l+96.</summary>
    private static void Pack2Bit(byte* L, byte* qs)
    {
        for (int j = 0; j < 256; j += 128)
            for (int l = 0; l < 32; l++)
                qs[j / 4 + l] = (byte)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }

    /// <summary>quantize_row_q2_K_ref: 16 sub-blocks of 16, levels 0..3 with a min; scales and mins to 4 bits.</summary>
    private static void Q2K(float* x, Q2KBlock* y, int n)
    {
        byte* L = stackalloc byte[256];
        byte* Laux = stackalloc byte[16];
        float* weights = stackalloc float[16];
        float* mins = stackalloc float[16];
        float* scales = stackalloc float[16];
        const float q4scale = 15f;
        for (int i = 0; i < n / QK.K; i++, x += 256)
        {
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; j++)
            {
                for (int l = 0; l < 16; l++) weights[l] = MathF.Abs(x[16 * j + l]);
                scales[j] = MakeQkx2(16, 3, x + 16 * j, weights, L + 16 * j, out mins[j], Laux, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            byte* sc = y[i].Scales;
            if (maxScale > 0)
            {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < 16; j++) sc[j] = (byte)NearestInt(iscale * scales[j]);
                y[i].D = H(maxScale / q4scale);
            }
            else
            {
                for (int j = 0; j < 16; j++) sc[j] = 0;
                y[i].D = H(0f);
            }
            if (maxMin > 0)
            {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < 16; j++) sc[j] |= (byte)(NearestInt(iscale * mins[j]) << 4);
                y[i].DMin = H(maxMin / q4scale);
            }
            else
            {
                y[i].DMin = H(0f);
            }
            for (int j = 0; j < 16; j++)
            {
                float d = F(y[i].D) * (sc[j] & 0xF);
                if (d == 0) continue;
                float dm = F(y[i].DMin) * (sc[j] >> 4);
                for (int ii = 0; ii < 16; ii++)
                    L[16 * j + ii] = (byte)Math.Clamp(NearestInt((x[16 * j + ii] + dm) / d), 0, 3);
            }
            Pack2Bit(L, y[i].Qs);
        }
    }

    /// <summary>quantize_row_q3_K_ref: 16 sub-blocks of 16, symmetric levels −4..3; signed 6-bit scales.</summary>
    private static void Q3K(float* x, Q3KBlock* y, int n)
    {
        sbyte* L = stackalloc sbyte[256];
        float* scales = stackalloc float[16];
        for (int i = 0; i < n / QK.K; i++, x += 256)
        {
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; j++)
            {
                scales[j] = MakeQ3(16, 4, x + 16 * j, L + 16 * j);
                float scale = MathF.Abs(scales[j]);
                if (scale > amax) { amax = scale; maxScale = scales[j]; }
            }
            byte* sc = y[i].Scales;
            for (int j = 0; j < 12; j++) sc[j] = 0;
            if (maxScale != 0)
            {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++)
                {
                    int l = Math.Clamp((int)(sbyte)NearestInt(iscale * scales[j]), -32, 31) + 32;
                    if (j < 8) sc[j] = (byte)(l & 0xF);
                    else sc[j - 8] |= (byte)((l & 0xF) << 4);
                    l >>= 4;
                    sc[j % 4 + 8] |= (byte)(l << (2 * (j / 4)));
                }
                y[i].D = H(1 / iscale);
            }
            else
            {
                y[i].D = H(0f);
            }
            float dAll = F(y[i].D);
            for (int j = 0; j < 16; j++)
            {
                int s = j < 8 ? sc[j] & 0xF : sc[j - 8] >> 4;
                s = (s | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
                float d = dAll * s;
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++)
                    L[16 * j + ii] = (sbyte)(Math.Clamp(NearestInt(x[16 * j + ii] / d), -4, 3) + 4);
            }
            // The high bit (level ≥ 4) of element j goes to bit j/32 of hmask[j % 32]; the two low bits to qs.
            byte* hmask = y[i].HMask;
            for (int j = 0; j < 32; j++) hmask[j] = 0;
            for (int j = 0; j < 256; j++)
            {
                if (L[j] > 3)
                {
                    hmask[j % 32] |= (byte)(1 << (j / 32));
                    L[j] -= 4;
                }
            }
            Pack2Bit((byte*)L, y[i].Qs);
        }
    }

    /// <summary>Stores 8 six-bit scales and mins in the 12-byte k-quant layout (get_scale_min_k4's inverse).</summary>
    private static void PackScaleMinK4(byte* scales, int j, byte ls, byte lm)
    {
        if (j < 4)
        {
            scales[j] = ls;
            scales[j + 4] = lm;
        }
        else
        {
            scales[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
            scales[j - 4] |= (byte)((ls >> 4) << 6);
            scales[j] |= (byte)((lm >> 4) << 6);
        }
    }

    private static void ScaleMinK4(int j, byte* q, out int d, out int m)
    {
        if (j < 4)
        {
            d = q[j] & 63;
            m = q[j + 4] & 63;
        }
        else
        {
            d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    /// <summary>
    /// The shared part of quantize_row_q4_K_ref and quantize_row_q5_K_ref: 8 sub-blocks of 32 with levels 0..nmax and
    /// a min, weights √(mean x²) + |x|; scales and mins quantized to 6 bits; final levels into <paramref name="L"/>.
    /// </summary>
    private static void ScaleMinSubBlocks(float* x, byte* L, byte* scalesOut, ushort* d, ushort* dmin, int nmax,
        float rmin, float rdelta, int nstep, byte* Laux, float* weights, float* mins, float* scales)
    {
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++)
        {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[32 * j + l] * x[32 * j + l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(x[32 * j + l]);
            scales[j] = MakeQkx2(32, nmax, x + 32 * j, weights, L + 32 * j, out mins[j], Laux, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++)
        {
            byte ls = (byte)NearestInt(invScale * scales[j]);
            byte lm = (byte)NearestInt(invMin * mins[j]);
            PackScaleMinK4(scalesOut, j, Math.Min((byte)63, ls), Math.Min((byte)63, lm));
        }
        *d = H(maxScale / 63f);
        *dmin = H(maxMin / 63f);
        for (int j = 0; j < 8; j++)
        {
            ScaleMinK4(j, scalesOut, out int sc, out int m);
            float dd = F(*d) * sc;
            if (dd == 0) continue;
            float dm = F(*dmin) * m;
            for (int ii = 0; ii < 32; ii++)
                L[32 * j + ii] = (byte)Math.Clamp(NearestInt((x[32 * j + ii] + dm) / dd), 0, nmax);
        }
    }

    /// <summary>quantize_row_q4_K_ref: levels 0..15, scale search −1 + 0.1·k for k = 0..20.</summary>
    private static void Q4K(float* x, Q4KBlock* y, int n)
    {
        byte* L = stackalloc byte[256];
        byte* Laux = stackalloc byte[32];
        float* weights = stackalloc float[32];
        float* mins = stackalloc float[8];
        float* scales = stackalloc float[8];
        for (int i = 0; i < n / QK.K; i++, x += 256)
        {
            byte* sc = y[i].Scales;
            for (int j = 0; j < 12; j++) sc[j] = 0;
            ScaleMinSubBlocks(x, L, sc, &y[i].D, &y[i].DMin, 15, -1f, 0.1f, 20, Laux, weights, mins, scales);
            byte* q = y[i].Qs;
            for (int j = 0; j < 256; j += 64, q += 32)
                for (int l = 0; l < 32; l++) q[l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
        }
    }

    /// <summary>quantize_row_q5_K_ref: levels 0..31, scale search −0.5 + 0.1·k for k = 0..15; 5th bits to qh.</summary>
    private static void Q5K(float* x, Q5KBlock* y, int n)
    {
        byte* L = stackalloc byte[256];
        byte* Laux = stackalloc byte[32];
        float* weights = stackalloc float[32];
        float* mins = stackalloc float[8];
        float* scales = stackalloc float[8];
        for (int i = 0; i < n / QK.K; i++, x += 256)
        {
            byte* sc = y[i].Scales;
            for (int j = 0; j < 12; j++) sc[j] = 0;
            ScaleMinSubBlocks(x, L, sc, &y[i].D, &y[i].DMin, 31, -0.5f, 0.1f, 15, Laux, weights, mins, scales);
            byte* qh = y[i].Qh;
            byte* ql = y[i].Qs;
            for (int j = 0; j < 32; j++) qh[j] = 0;
            byte m1 = 1, m2 = 2;
            for (int nn = 0; nn < 256; nn += 64, ql += 32, m1 <<= 2, m2 <<= 2)
            {
                for (int j = 0; j < 32; j++)
                {
                    int l1 = L[nn + j];
                    if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                    int l2 = L[nn + j + 32];
                    if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                    ql[j] = (byte)(l1 | (l2 << 4));
                }
            }
        }
    }

    /// <summary>quantize_row_q6_K_ref: 16 sub-blocks of 16, levels −32..31 (make_qx_quants), signed 8-bit scales.</summary>
    private static void Q6K(float* x, Q6KBlock* y, int n)
    {
        sbyte* L = stackalloc sbyte[256];
        float* scales = stackalloc float[16];
        for (int i = 0; i < n / QK.K; i++, x += 256)
        {
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++)
            {
                float scale = MakeQx(16, 32, x + 16 * ib, L + 16 * ib);
                scales[ib] = scale;
                float abs = MathF.Abs(scale);
                if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scale; }
            }
            if (maxAbsScale < GroupMaxEps)
            {
                new Span<byte>(&y[i], sizeof(Q6KBlock)).Clear();
                y[i].D = H(0f);
                continue;
            }
            float iscale = -128f / maxScale;
            y[i].D = H(1 / iscale);
            sbyte* sc = y[i].Scales;
            for (int ib = 0; ib < 16; ib++) sc[ib] = (sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
            float dAll = F(y[i].D);
            for (int j = 0; j < 16; j++)
            {
                float d = dAll * sc[j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++)
                    L[16 * j + ii] = (sbyte)(Math.Clamp(NearestInt(x[16 * j + ii] / d), -32, 31) + 32);
            }
            byte* ql = y[i].Ql;
            byte* qh = y[i].Qh;
            for (int j = 0; j < 256; j += 128, ql += 64, qh += 32)
            {
                for (int l = 0; l < 32; l++)
                {
                    int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                    ql[l] = (byte)(q1 | (q3 << 4));
                    ql[l + 32] = (byte)(q2 | (q4 << 4));
                    qh[l] = (byte)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
            }
        }
    }
}
