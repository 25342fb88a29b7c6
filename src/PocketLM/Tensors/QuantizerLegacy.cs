namespace PocketLM.Tensors;

// The 32-element formats. Each block: find the scale (and minimum), then round every element; ggml's reference
// rounds by truncating x + 0.5 (or + 8.5 / + 16.5 for the offset formats) toward zero, except Q8_0 which uses roundf
// (half away from zero). Float operations are kept in ggml's order so the results are bit-identical.
public static unsafe partial class Quantizer
{
    /// <summary>quantize_row_q4_0_ref: d = max / −8 where max is the element of largest magnitude (sign kept).</summary>
    private static void Q4_0(float* x, Q4_0Block* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++)
            {
                float v = x[j];
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            y[i].D = H(d);
            byte* qs = y[i].Qs;
            for (int j = 0; j < 16; j++)
            {
                float x0 = x[j] * id, x1 = x[16 + j] * id;
                int xi0 = Math.Min(15, (int)(sbyte)(int)(x0 + 8.5f));
                int xi1 = Math.Min(15, (int)(sbyte)(int)(x1 + 8.5f));
                qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>quantize_row_q4_1_ref: d = (max − min) / 15, m = min.</summary>
    private static void Q4_1(float* x, Q4_1Block* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            float min = float.MaxValue, max = -float.MaxValue;
            for (int j = 0; j < 32; j++)
            {
                float v = x[j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            y[i].D = H(d);
            y[i].M = H(min);
            byte* qs = y[i].Qs;
            for (int j = 0; j < 16; j++)
            {
                float x0 = (x[j] - min) * id, x1 = (x[16 + j] - min) * id;
                int xi0 = Math.Min(15, (int)(sbyte)(int)(x0 + 0.5f));
                int xi1 = Math.Min(15, (int)(sbyte)(int)(x1 + 0.5f));
                qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>quantize_row_q5_0_ref: d = max / −16; the 5th bits go to qh.</summary>
    private static void Q5_0(float* x, Q5_0Block* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++)
            {
                float v = x[j];
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            y[i].D = H(d);
            uint qh = 0;
            byte* qs = y[i].Qs;
            for (int j = 0; j < 16; j++)
            {
                float x0 = x[j] * id, x1 = x[16 + j] * id;
                uint xi0 = (uint)Math.Min(31, (int)(sbyte)(int)(x0 + 16.5f));
                uint xi1 = (uint)Math.Min(31, (int)(sbyte)(int)(x1 + 16.5f));
                qs[j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << j;
                qh |= ((xi1 & 0x10u) >> 4) << (j + 16);
            }
            *(uint*)y[i].Qh = qh;
        }
    }

    /// <summary>quantize_row_q5_1_ref: d = (max − min) / 31, m = min; the 5th bits go to qh.</summary>
    private static void Q5_1(float* x, Q5_1Block* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            float min = float.MaxValue, max = -float.MaxValue;
            for (int j = 0; j < 32; j++)
            {
                float v = x[j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            y[i].D = H(d);
            y[i].M = H(min);
            uint qh = 0;
            byte* qs = y[i].Qs;
            for (int j = 0; j < 16; j++)
            {
                float x0 = (x[j] - min) * id, x1 = (x[16 + j] - min) * id;
                uint xi0 = (byte)(int)(x0 + 0.5f);
                uint xi1 = (byte)(int)(x1 + 0.5f);
                qs[j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << j;
                qh |= ((xi1 & 0x10u) >> 4) << (j + 16);
            }
            *(uint*)y[i].Qh = qh;
        }
    }

    /// <summary>quantize_row_q8_0_ref: d = amax / 127, q = roundf(x / d).</summary>
    private static void Q8_0(float* x, Q8_0Block* y, int n)
    {
        for (int i = 0; i < n / QK.Small; i++, x += 32)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++) { float a = MathF.Abs(x[j]); amax = amax > a ? amax : a; }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            y[i].D = H(d);
            sbyte* qs = y[i].Qs;
            for (int j = 0; j < 32; j++) qs[j] = (sbyte)(int)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }
}
