using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace PocketLM.Tensors;

/// <summary>
/// ARM64 NEON dot kernels (SDOT where the CPU has the dot-product extension). They keep the eight-lane structure of
/// <see cref="VecDotScalar"/> in two 128-bit halves — lanes 0–3 from elements 0–15 of a 32-element group, lanes 4–7 from
/// 16–31 — with the same integer lane sums, the same fused float steps and the same reduction order, so an ARM64 machine
/// computes the bits an x86 one does (and llama.cpp's AVX2 build does). Callers must check <see cref="IsSupported"/>.
/// </summary>
[SkipLocalsInit]
internal static unsafe partial class VecDotNeon
{
    public static bool IsSupported => AdvSimd.Arm64.IsSupported;

    /// <summary>The NEON kernel for a weight type, or null where only the scalar one exists.</summary>
    public static delegate*<byte*, byte*, int, float> For(GgmlType weight) => weight switch
    {
        GgmlType.F32 => &F32, GgmlType.F16 => &F16, GgmlType.BF16 => &BF16,
        GgmlType.Q8_0 => &Block32<Q8_0Quants>, GgmlType.Q4_0 => &Block32<Q4_0Quants>, GgmlType.Q4_1 => &Block32<Q4_1Quants>,
        GgmlType.Q5_0 => &Block32<Q5_0Quants>, GgmlType.Q5_1 => &Block32<Q5_1Quants>,
        GgmlType.Q2_K => &Q2K, GgmlType.Q3_K => &Q3K, GgmlType.Q4_K => &Q4K, GgmlType.Q5_K => &Q5K, GgmlType.Q6_K => &Q6K,
        GgmlType.IQ4_NL => &IQ4NL, GgmlType.IQ4_XS => &IQ4XS, GgmlType.IQ1_S => &IQ1S, GgmlType.IQ1_M => &IQ1M,
        GgmlType.IQ2_XXS => &IQ2XXS, GgmlType.IQ2_XS => &IQ2XS, GgmlType.IQ2_S => &IQ2S,
        GgmlType.IQ3_XXS => &IQ3XXS, GgmlType.IQ3_S => &IQ3S,
        _ => null,
    };

    // ---- helpers ----

    /// <summary>Lane k: Σ a[4k..4k+3]·b[4k..4k+3] — one SDOT, or (without the dot-product extension) widening products
    /// summed pairwise twice, which gives the same exact integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> Dot4(Vector128<sbyte> a, Vector128<sbyte> b)
    {
        if (Dp.IsSupported) return Dp.DotProduct(Vector128<int>.Zero, a, b);
        Vector128<short> lo = AdvSimd.MultiplyWideningLower(a.GetLower(), b.GetLower());
        Vector128<short> hi = AdvSimd.MultiplyWideningUpper(a, b);
        return AdvSimd.Arm64.AddPairwise(AdvSimd.AddPairwiseWidening(lo), AdvSimd.AddPairwiseWidening(hi));
    }

    /// <summary>acc + <see cref="Dot4(Vector128{sbyte}, Vector128{sbyte})"/>: SDOT adds into its destination, which saves
    /// the zeroed register and the add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> Dot4(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b) =>
        Dp.IsSupported ? Dp.DotProduct(acc, a, b) : acc + Dot4(a, b);

    /// <summary>acc + d·lanes, fused, lane by lane (the scalar reference's MathF.FusedMultiplyAdd(d, lane, acc)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma(Vector128<float> acc, Vector128<int> lanes, float d) =>
        AdvSimd.FusedMultiplyAdd(acc, AdvSimd.ConvertToSingle(lanes), Vector128.Create(d));

    private static readonly Vector128<byte> BitMask = Vector128.Create(0x8040201008040201UL).AsByte();

    /// <summary>The fifth bits of Q5_0/Q5_1 elements 16·half .. 16·half+15 (bit i of <paramref name="qh"/> for element i)
    /// as 16 bytes of 16 (set) or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> FifthBits(uint qh, int half)
    {
        Vector128<byte> b = Vector128.Create(qh >> (16 * half)).AsByte();
        Vector128<byte> spread = Vector128.Shuffle(b, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        return (Vector128.Equals(spread & BitMask, BitMask) & Vector128.Create((byte)16)).AsSByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> Low(Vector128<byte> q) => (q & Vector128.Create((byte)0xF)).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> High(Vector128<byte> q) => Vector128.ShiftRightLogical(q, 4).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Load(byte* p) => Vector128.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> Load(sbyte* p) => Vector128.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Bf16ToSingle4(ushort* p) =>
        Vector128.ShiftLeft(AdvSimd.ZeroExtendWideningLower(Vector64.Load(p)), 16).AsSingle();

    // ---- 32-element formats against Q8_0 / Q8_1 ----

    /// <summary>
    /// A 32-element weight format as its NEON dot sees it: the block's quants in two halves (elements 0–15, 16–31), signed
    /// with the offset taken off (Q8_0, Q4_0, Q5_0; Q8_0 activations) or as stored (Q4_1, Q5_1, whose minimum m at byte 2
    /// goes through Q8_1's s). Every block starts with its half scale d.
    /// </summary>
    internal interface IBlock32
    {
        static abstract int BlockBytes { get; }
        static abstract bool HasMin { get; }
        static abstract void Quants(byte* block, out Vector128<sbyte> lo, out Vector128<sbyte> hi);
    }

    internal struct Q8_0Quants : IBlock32
    {
        public static int BlockBytes => 34;
        public static bool HasMin => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Quants(byte* b, out Vector128<sbyte> lo, out Vector128<sbyte> hi)
        {
            lo = Load((sbyte*)(b + 2)); hi = Load((sbyte*)(b + 18));
        }
    }

    internal struct Q4_0Quants : IBlock32
    {
        public static int BlockBytes => 18;
        public static bool HasMin => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Quants(byte* b, out Vector128<sbyte> lo, out Vector128<sbyte> hi)
        {
            Vector128<byte> q = Load(b + 2);
            var eight = Vector128.Create((sbyte)8);
            lo = Low(q) - eight; hi = High(q) - eight;
        }
    }

    internal struct Q5_0Quants : IBlock32
    {
        public static int BlockBytes => 22;
        public static bool HasMin => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Quants(byte* b, out Vector128<sbyte> lo, out Vector128<sbyte> hi)
        {
            FiveBitQuants(b + 2, out lo, out hi);
            var sixteen = Vector128.Create((sbyte)16);
            lo -= sixteen; hi -= sixteen;
        }
    }

    internal struct Q4_1Quants : IBlock32
    {
        public static int BlockBytes => 20;
        public static bool HasMin => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Quants(byte* b, out Vector128<sbyte> lo, out Vector128<sbyte> hi)
        {
            Vector128<byte> q = Load(b + 4);
            lo = Low(q); hi = High(q);
        }
    }

    internal struct Q5_1Quants : IBlock32
    {
        public static int BlockBytes => 24;
        public static bool HasMin => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Quants(byte* b, out Vector128<sbyte> lo, out Vector128<sbyte> hi) => FiveBitQuants(b + 4, out lo, out hi);
    }

    /// <summary>Q5_0/Q5_1 stored quants (0..31) from the block's qh word and the 16 nibble bytes after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FiveBitQuants(byte* qhThenQs, out Vector128<sbyte> lo, out Vector128<sbyte> hi)
    {
        uint qh = Unsafe.ReadUnaligned<uint>(qhThenQs);
        Vector128<byte> q = Load(qhThenQs + 4);
        lo = Low(q) | FifthBits(qh, 0); hi = High(q) | FifthBits(qh, 1);
    }

    /// <summary>Bytes of one activation block (Q8_1 for formats with a minimum, else Q8_0) and where its quants start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ActivationBlockBytes<T>() where T : IBlock32 => T.HasMin ? sizeof(Q8_1Block) : sizeof(Q8_0Block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ActivationQuantsOffset<T>() where T : IBlock32 => T.HasMin ? 4 : 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Half(byte* p) => Fp16.ToSingle(*(ushort*)p);

    /// <summary>Per block: d·d′ once, the two halves' lane sums fused into the two accumulators (and m·s into a running
    /// sum for formats with a minimum, added after the horizontal sum).</summary>
    public static float Block32<T>(byte* vx, byte* vy, int n) where T : IBlock32
    {
        int xb = T.BlockBytes, yb = ActivationBlockBytes<T>(), yq = ActivationQuantsOffset<T>();
        Vector128<float> lo = default, hi = default;
        float summs = 0;
        for (int ib = 0; ib < n / 32; ib++, vx += xb, vy += yb)
        {
            float d = Half(vx) * Half(vy);
            if (T.HasMin) summs = MathF.FusedMultiplyAdd(Half(vx + 2), Half(vy + 2), summs);
            T.Quants(vx, out Vector128<sbyte> q0, out Vector128<sbyte> q1);
            lo = Fma(lo, Dot4(q0, Load((sbyte*)(vy + yq))), d);
            hi = Fma(hi, Dot4(q1, Load((sbyte*)(vy + yq + 16))), d);
        }
        float h = VecDotScalar.Hsum8(lo, hi);
        return T.HasMin ? h + summs : h;
    }

    // ---- k-quant unpacking shared by the one-row kernels and the prefill tiles (VecDotNeonTiles.cs) ----

    /// <summary>Q2_K: the 2-bit quants at shift 2·sh of one 32-byte qs group (two halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q2KQuants(Vector128<byte> q0, Vector128<byte> q1, int sh, out Vector128<sbyte> v0, out Vector128<sbyte> v1)
    {
        var three = Vector128.Create((byte)3);
        v0 = (Vector128.ShiftRightLogical(q0, 2 * sh) & three).AsSByte();
        v1 = (Vector128.ShiftRightLogical(q1, 2 * sh) & three).AsSByte();
    }

    /// <summary>Q3_K: q − 4 where hmask bit <paramref name="bit"/> is clear, i.e. (q | bit·4) − 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q3KQuants(Vector128<byte> q0, Vector128<byte> q1, Vector128<byte> m0, Vector128<byte> m1, int sh, int bit,
                                   out Vector128<sbyte> v0, out Vector128<sbyte> v1)
    {
        var one = Vector128.Create((byte)1);
        var four = Vector128.Create((sbyte)4);
        Q2KQuants(q0, q1, sh, out v0, out v1);
        v0 = (v0.AsByte() | Vector128.ShiftLeft(Vector128.ShiftRightLogical(m0, bit) & one, 2)).AsSByte() - four;
        v1 = (v1.AsByte() | Vector128.ShiftLeft(Vector128.ShiftRightLogical(m1, bit) & one, 2)).AsSByte() - four;
    }

    /// <summary>Q5_K: the four 32-element sub-block halves of group j (low and high nibbles of 32 qs bytes, fifth bits
    /// 2j and 2j+1 of qh).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q5KQuants(byte* q5, Vector128<byte> h0, Vector128<byte> h1, int j,
                                   out Vector128<sbyte> l0, out Vector128<sbyte> u0, out Vector128<sbyte> l1, out Vector128<sbyte> u1)
    {
        var one = Vector128.Create((byte)1);
        Vector128<byte> q0 = Load(q5), q1 = Load(q5 + 16);
        l0 = Low(q0) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h0, 2 * j) & one, 4).AsSByte();
        u0 = High(q0) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h0, 2 * j + 1) & one, 4).AsSByte();
        l1 = Low(q1) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h1, 2 * j) & one, 4).AsSByte();
        u1 = High(q1) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h1, 2 * j + 1) & one, 4).AsSByte();
    }

    /// <summary>Q4_K: the low and high nibbles of a 32-byte qs group (sub-blocks 2j and 2j + 1), two halves each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q4KQuants(byte* q4, out Vector128<sbyte> a0, out Vector128<sbyte> b0, out Vector128<sbyte> a1, out Vector128<sbyte> b1)
    {
        Vector128<byte> q0 = Load(q4), q1 = Load(q4 + 16);
        a0 = Low(q0); b0 = High(q0); a1 = Low(q1); b1 = High(q1);
    }

    /// <summary>Q4_K group j's lanes against the 64 activations at <paramref name="q8"/>: scale s0 for the low nibbles,
    /// s1 for the high.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q4KLanes(Vector128<sbyte> a0, Vector128<sbyte> b0, Vector128<sbyte> a1, Vector128<sbyte> b1, int s0, int s1,
                                  sbyte* q8, ref Vector128<int> lo, ref Vector128<int> hi)
    {
        lo += Dot4(a0, Load(q8)) * s0 + Dot4(b0, Load(q8 + 32)) * s1;
        hi += Dot4(a1, Load(q8 + 16)) * s0 + Dot4(b1, Load(q8 + 48)) * s1;
    }

    /// <summary>Q4_K's four min lanes fused with dmin, reduced as the one-row kernel does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float MinSum(Vector128<float> m) => (m.GetElement(0) + m.GetElement(2)) + (m.GetElement(1) + m.GetElement(3));

    /// <summary>Q6_K's −32 offset through bsums, in the lanes llama.cpp's AVX2 kernel puts it (see VecDotScalar.Q6K).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q6KOffsets(short* bsums, sbyte* scl, int* offset)
    {
        for (int k = 0; k < 8; k++) offset[k] = -32 * (bsums[2 * k] * scl[2 * k] + bsums[2 * k + 1] * scl[2 * k + 1]);
    }

    /// <summary>Q6_K part lanes against 32 activations: scale s0 for the first 16, s1 for the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q6KLanes(Vector128<sbyte> v0, Vector128<sbyte> v1, int s0, int s1, sbyte* q8, ref Vector128<int> lo, ref Vector128<int> hi)
    {
        lo += Dot4(v0, Load(q8)) * s0;
        hi += Dot4(v1, Load(q8 + 16)) * s1;
    }

    /// <summary>Q6_K: the 6-bit quants (0..63, offset applied through bsums) of part p of a 128-element half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Q6KQuants(byte* ql, Vector128<byte> h0, Vector128<byte> h1, int p, out Vector128<sbyte> v0, out Vector128<sbyte> v1)
    {
        var nibble = Vector128.Create((byte)0xF);
        var three = Vector128.Create((byte)3);
        byte* lowSrc = ql + ((p & 1) != 0 ? 32 : 0);
        int lowShift = p >= 2 ? 4 : 0;
        v0 = ((Vector128.ShiftRightLogical(Load(lowSrc), lowShift) & nibble)
              | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h0, 2 * p) & three, 4)).AsSByte();
        v1 = ((Vector128.ShiftRightLogical(Load(lowSrc + 16), lowShift) & nibble)
              | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h1, 2 * p) & three, 4)).AsSByte();
    }

    // ---- k-quants against Q8_K (lanes as in VecDotScalar: lane k of a 32-element group holds elements 4k..4k+3) ----

    public static float Q2K(byte* vx, byte* vy, int n)
    {
        var x = (Q2KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector128<float> lo = default, hi = default;
        int* prod = stackalloc int[8];
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            float dmin = -y[i].D * Fp16.ToSingle(x[i].DMin);
            byte* sc = x[i].Scales;
            short* bsums = y[i].BSums;
            for (int k = 0; k < 8; k++) prod[k] = (sc[2 * k] >> 4) * bsums[2 * k] + (sc[2 * k + 1] >> 4) * bsums[2 * k + 1];
            lo = Fma(lo, Vector128.Load(prod), dmin);
            hi = Fma(hi, Vector128.Load(prod + 4), dmin);
            Vector128<int> laneLo = default, laneHi = default;
            for (int c = 0; c < 2; c++)
            {
                Vector128<byte> q0 = Load(x[i].Qs + 32 * c), q1 = Load(x[i].Qs + 32 * c + 16);
                for (int sh = 0; sh < 4; sh++)
                {
                    sbyte* q8 = y[i].Qs + 128 * c + 32 * sh;
                    int s = 8 * c + 2 * sh;
                    Q2KQuants(q0, q1, sh, out Vector128<sbyte> v0, out Vector128<sbyte> v1);
                    laneLo += Dot4(v0, Load(q8)) * (sc[s] & 0xF);
                    laneHi += Dot4(v1, Load(q8 + 16)) * (sc[s + 1] & 0xF);
                }
            }
            lo = Fma(lo, laneLo, d);
            hi = Fma(hi, laneHi, d);
        }
        return VecDotScalar.Hsum8(lo, hi);
    }

    public static float Q3K(byte* vx, byte* vy, int n)
    {
        var x = (Q3KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector128<float> lo = default, hi = default;
        sbyte* scales = stackalloc sbyte[16];
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            Dequantize.UnpackQ3KScales(x[i].Scales, scales);
            Vector128<byte> m0 = Load(x[i].HMask), m1 = Load(x[i].HMask + 16);
            Vector128<int> laneLo = default, laneHi = default;
            for (int c = 0; c < 2; c++)
            {
                Vector128<byte> q0 = Load(x[i].Qs + 32 * c), q1 = Load(x[i].Qs + 32 * c + 16);
                for (int sh = 0; sh < 4; sh++)
                {
                    sbyte* q8 = y[i].Qs + 128 * c + 32 * sh;
                    int bit = 4 * c + sh, s = 8 * c + 2 * sh;
                    Q3KQuants(q0, q1, m0, m1, sh, bit, out Vector128<sbyte> v0, out Vector128<sbyte> v1);
                    laneLo += Dot4(v0, Load(q8)) * scales[s];
                    laneHi += Dot4(v1, Load(q8 + 16)) * scales[s + 1];
                }
            }
            lo = Fma(lo, laneLo, d);
            hi = Fma(hi, laneHi, d);
        }
        return VecDotScalar.Hsum8(lo, hi);
    }

    public static float Q4K(byte* vx, byte* vy, int n)
    {
        var x = (Q4KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector128<float> lo = default, hi = default, accm = default;
        int* sm = stackalloc int[16];
        int* mins = stackalloc int[4];
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            float dmin = -y[i].D * Fp16.ToSingle(x[i].DMin);
            VecDotScalar.ScalesAndMins(x[i].Scales, sm);
            for (int k = 0; k < 4; k++) mins[k] = VecDotScalar.MinLane(sm, y[i].BSums, k);
            accm = Fma(accm, Vector128.Load(mins), dmin);
            Vector128<int> laneLo = default, laneHi = default;
            for (int j = 0; j < 4; j++)
            {
                Q4KQuants(x[i].Qs + 32 * j, out var a0, out var b0, out var a1, out var b1);
                Q4KLanes(a0, b0, a1, b1, sm[2 * j], sm[2 * j + 1], y[i].Qs + 64 * j, ref laneLo, ref laneHi);
            }
            lo = Fma(lo, laneLo, d);
            hi = Fma(hi, laneHi, d);
        }
        return VecDotScalar.Hsum8(lo, hi) + MinSum(accm);
    }

    public static float Q5K(byte* vx, byte* vy, int n)
    {
        var x = (Q5KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector128<float> lo = default, hi = default;
        int* sm = stackalloc int[16];
        float summs = 0;
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            float dmin = -y[i].D * Fp16.ToSingle(x[i].DMin);
            VecDotScalar.ScalesAndMins(x[i].Scales, sm);
            int mins = 0;
            for (int k = 0; k < 4; k++) mins += VecDotScalar.MinLane(sm, y[i].BSums, k);
            summs = MathF.FusedMultiplyAdd(dmin, mins, summs);
            Vector128<byte> h0 = Load(x[i].Qh), h1 = Load(x[i].Qh + 16);
            Vector128<int> laneLo = default, laneHi = default;
            for (int j = 0; j < 4; j++)
            {
                sbyte* q8 = y[i].Qs + 64 * j;
                Q5KQuants(x[i].Qs + 32 * j, h0, h1, j, out var l0, out var u0, out var l1, out var u1);
                laneLo += Dot4(l0, Load(q8)) * sm[2 * j] + Dot4(u0, Load(q8 + 32)) * sm[2 * j + 1];
                laneHi += Dot4(l1, Load(q8 + 16)) * sm[2 * j] + Dot4(u1, Load(q8 + 48)) * sm[2 * j + 1];
            }
            lo = Fma(lo, laneLo, d);
            hi = Fma(hi, laneHi, d);
        }
        return VecDotScalar.Hsum8(lo, hi) + summs;
    }

    public static float Q6K(byte* vx, byte* vy, int n)
    {
        var x = (Q6KBlock*)vx; var y = (Q8KBlock*)vy;
        Vector128<float> lo = default, hi = default;
        int* offset = stackalloc int[8];
        for (int i = 0; i < n / QK.K; i++)
        {
            float d = y[i].D * Fp16.ToSingle(x[i].D);
            sbyte* scl = x[i].Scales;
            Q6KOffsets(y[i].BSums, scl, offset);
            Vector128<int> laneLo = Vector128.Load(offset), laneHi = Vector128.Load(offset + 4);
            for (int c = 0; c < 2; c++)
            {
                byte* ql = x[i].Ql + 64 * c;
                byte* qh = x[i].Qh + 32 * c;
                sbyte* sc = scl + 8 * c;
                Vector128<byte> h0 = Load(qh), h1 = Load(qh + 16);
                for (int p = 0; p < 4; p++)
                {
                    sbyte* q8 = y[i].Qs + 128 * c + 32 * p;
                    Q6KQuants(ql, h0, h1, p, out Vector128<sbyte> v0, out Vector128<sbyte> v1);
                    Q6KLanes(v0, v1, sc[2 * p], sc[2 * p + 1], q8, ref laneLo, ref laneHi);
                }
            }
            lo = Fma(lo, laneLo, d);
            hi = Fma(hi, laneHi, d);
        }
        return VecDotScalar.Hsum8(lo, hi);
    }

    // ---- IQ4 (non-linear 4-bit table): the low nibbles of a 16-byte group are elements 0–15 (lanes 0–3), the high
    // nibbles 16–31 (lanes 4–7), each looked up in the 16-value table by one TBL ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> IQ4Values() => Vector128.Create(IQ4Table.Values);

    /// <summary>One 32-element IQ4 group's values: elements 0–15 (the low nibbles) and 16–31 (the high ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ4Quants(byte* qs, Vector128<sbyte> table, out Vector128<sbyte> lo, out Vector128<sbyte> hi)
    {
        Vector128<byte> q = Load(qs);
        lo = AdvSimd.Arm64.VectorTableLookup(table, Low(q));
        hi = AdvSimd.Arm64.VectorTableLookup(table, High(q));
    }

    /// <summary>Two consecutive IQ4_NL blocks' values (a1, b1 and a2, b2) against two Q8_0 blocks: each pair of halves
    /// takes its own d·d′ in one fused step per half, as <see cref="IQ4NL"/> sums even and odd blocks apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ4NLPair(Vector128<sbyte> a1, Vector128<sbyte> b1, Vector128<sbyte> a2, Vector128<sbyte> b2, float dx1, float dx2,
                                  Q8_0Block* y, ref Vector128<float> lo1, ref Vector128<float> hi1, ref Vector128<float> lo2, ref Vector128<float> hi2)
    {
        float d1 = Fp16.ToSingle(y[0].D) * dx1, d2 = Fp16.ToSingle(y[1].D) * dx2;
        lo1 = Fma(lo1, Dot4(a1, Load(y[0].Qs)), d1); hi1 = Fma(hi1, Dot4(b1, Load(y[0].Qs + 16)), d1);
        lo2 = Fma(lo2, Dot4(a2, Load(y[1].Qs)), d2); hi2 = Fma(hi2, Dot4(b2, Load(y[1].Qs + 16)), d2);
    }

    /// <summary>An odd last IQ4_NL block, fused into the finished sum with its eight lanes added as integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float IQ4NLLast(Vector128<sbyte> a, Vector128<sbyte> b, float dx, Q8_0Block* y, float sum) =>
        MathF.FusedMultiplyAdd(Fp16.ToSingle(y->D) * dx, Vector128.Sum(Dot4(a, Load(y->Qs)) + Dot4(b, Load(y->Qs + 16))), sum);

    /// <summary>VecDotScalar.IQ4NL's order (ggml's AVX2 one): even blocks into one pair of halves, odd blocks into
    /// another, added lane-wise before the horizontal sum; an odd last block fused afterwards. ARM64 never repacks, so
    /// this, not the per-block order of the repacked kernels, is what an IQ4_NL matrix computes with there.</summary>
    public static float IQ4NL(byte* vx, byte* vy, int n)
    {
        var x = (IQ4NLBlock*)vx; var y = (Q8_0Block*)vy;
        Vector128<sbyte> table = IQ4Values();
        Vector128<float> lo1 = default, hi1 = default, lo2 = default, hi2 = default;
        for (IQ4NLBlock* pairsEnd = x + (n / 32 & ~1); x < pairsEnd; x += 2, y += 2)
        {
            IQ4Quants(x[0].Qs, table, out Vector128<sbyte> a1, out Vector128<sbyte> b1);
            IQ4Quants(x[1].Qs, table, out Vector128<sbyte> a2, out Vector128<sbyte> b2);
            IQ4NLPair(a1, b1, a2, b2, Fp16.ToSingle(x[0].D), Fp16.ToSingle(x[1].D), y, ref lo1, ref hi1, ref lo2, ref hi2);
        }
        float sum = VecDotScalar.Hsum8(lo1 + lo2, hi1 + hi2);
        if ((n / 32 & 1) != 0)
        {
            IQ4Quants(x->Qs, table, out Vector128<sbyte> a, out Vector128<sbyte> b);
            sum = IQ4NLLast(a, b, Fp16.ToSingle(x->D), y, sum);
        }
        return sum;
    }

    /// <summary>One IQ4_NL row × four Q8_0 activation rows, each token in <see cref="IQ4NL"/>'s order; a block's table
    /// lookups and half scale serve the four tokens.</summary>
    public static void IQ4NLTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var x = (IQ4NLBlock*)w;
        Q8_0Block* y0 = (Q8_0Block*)act, y1 = (Q8_0Block*)(act + actRow), y2 = (Q8_0Block*)(act + 2 * actRow), y3 = (Q8_0Block*)(act + 3 * actRow);
        Vector128<sbyte> table = IQ4Values();
        Vector128<float> e0 = default, f0 = default, o0 = default, p0 = default, e1 = default, f1 = default, o1 = default, p1 = default;
        Vector128<float> e2 = default, f2 = default, o2 = default, p2 = default, e3 = default, f3 = default, o3 = default, p3 = default;
        for (IQ4NLBlock* pairsEnd = x + (n / 32 & ~1); x < pairsEnd; x += 2, y0 += 2, y1 += 2, y2 += 2, y3 += 2)
        {
            IQ4Quants(x[0].Qs, table, out Vector128<sbyte> a1, out Vector128<sbyte> b1);
            IQ4Quants(x[1].Qs, table, out Vector128<sbyte> a2, out Vector128<sbyte> b2);
            float dx1 = Fp16.ToSingle(x[0].D), dx2 = Fp16.ToSingle(x[1].D);
            IQ4NLPair(a1, b1, a2, b2, dx1, dx2, y0, ref e0, ref f0, ref o0, ref p0);
            IQ4NLPair(a1, b1, a2, b2, dx1, dx2, y1, ref e1, ref f1, ref o1, ref p1);
            IQ4NLPair(a1, b1, a2, b2, dx1, dx2, y2, ref e2, ref f2, ref o2, ref p2);
            IQ4NLPair(a1, b1, a2, b2, dx1, dx2, y3, ref e3, ref f3, ref o3, ref p3);
        }
        float s0 = VecDotScalar.Hsum8(e0 + o0, f0 + p0), s1 = VecDotScalar.Hsum8(e1 + o1, f1 + p1);
        float s2 = VecDotScalar.Hsum8(e2 + o2, f2 + p2), s3 = VecDotScalar.Hsum8(e3 + o3, f3 + p3);
        if ((n / 32 & 1) != 0)
        {
            IQ4Quants(x->Qs, table, out Vector128<sbyte> a, out Vector128<sbyte> b);
            float dx = Fp16.ToSingle(x->D);
            s0 = IQ4NLLast(a, b, dx, y0, s0); s1 = IQ4NLLast(a, b, dx, y1, s1);
            s2 = IQ4NLLast(a, b, dx, y2, s2); s3 = IQ4NLLast(a, b, dx, y3, s3);
        }
        y[0] = s0; y[yStride] = s1; y[2 * yStride] = s2; y[3 * yStride] = s3;
    }

    /// <summary>One IQ4_XS sub-block's values against its 32 activations, times its scale, into the super-block's
    /// integer lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IQ4XSLanes(Vector128<sbyte> a, Vector128<sbyte> b, Vector128<int> ls, sbyte* q8, ref Vector128<int> laneLo, ref Vector128<int> laneHi)
    {
        laneLo = AdvSimd.MultiplyAdd(laneLo, Dot4(a, Load(q8)), ls);
        laneHi = AdvSimd.MultiplyAdd(laneHi, Dot4(b, Load(q8 + 16)), ls);
    }

    /// <summary>VecDotScalar.IQ4XS's lanes: each sub-block's lanes times its 6-bit scale, summed as integers over the
    /// super-block, then one fused step with d·d′.</summary>
    public static float IQ4XS(byte* vx, byte* vy, int n)
    {
        var x = (IQ4XSBlock*)vx; var y = (Q8KBlock*)vy;
        Vector128<sbyte> table = IQ4Values();
        Vector128<float> lo = default, hi = default;
        for (int i = 0; i < n / QK.K; i++)
        {
            Vector128<int> laneLo = default, laneHi = default;
            for (int ib = 0; ib < 8; ib++)
            {
                IQ4Quants(x[i].Qs + 16 * ib, table, out Vector128<sbyte> a, out Vector128<sbyte> b);
                IQ4XSLanes(a, b, Vector128.Create(IQ4Table.Scale(x + i, ib)), y[i].Qs + 32 * ib, ref laneLo, ref laneHi);
            }
            float d = Fp16.ToSingle(x[i].D) * y[i].D;
            lo = Fma(lo, laneLo, d);
            hi = Fma(hi, laneHi, d);
        }
        return VecDotScalar.Hsum8(lo, hi);
    }

    /// <summary>One IQ4_XS row × four Q8_K activation rows, each token in <see cref="IQ4XS"/>'s order; a sub-block's
    /// table lookups and scale serve the four tokens.</summary>
    public static void IQ4XSTile14(byte* w, long rowBytes, byte* act, long actRow, int n, float* y, long yStride)
    {
        var x = (IQ4XSBlock*)w;
        const int T = KTileTokens;
        Vector128<sbyte> table = IQ4Values();
        Vector128<float>* lo = stackalloc Vector128<float>[T], hi = stackalloc Vector128<float>[T];
        Vector128<int>* laneLo = stackalloc Vector128<int>[T], laneHi = stackalloc Vector128<int>[T];
        for (int t = 0; t < T; t++) lo[t] = hi[t] = default;
        for (int i = 0; i < n / QK.K; i++)
        {
            for (int t = 0; t < T; t++) laneLo[t] = laneHi[t] = default;
            for (int ib = 0; ib < 8; ib++)
            {
                IQ4Quants(x[i].Qs + 16 * ib, table, out Vector128<sbyte> a, out Vector128<sbyte> b);
                var ls = Vector128.Create(IQ4Table.Scale(x + i, ib));
                for (int t = 0; t < T; t++) IQ4XSLanes(a, b, ls, Q8K(act, actRow, t, i)->Qs + 32 * ib, ref laneLo[t], ref laneHi[t]);
            }
            FuseLanes(lo, hi, laneLo, laneHi, act, actRow, i, Fp16.ToSingle(x[i].D));
        }
        for (int t = 0; t < T; t++) y[t * yStride] = VecDotScalar.Hsum8(lo[t], hi[t]);
    }

    // ---- float formats: 32 accumulators as eight vectors (s[4m..4m+3] in a[m]), VecDotScalar's reductions ----

    private interface IFloatFormat
    {
        static abstract Vector128<float> Load4(byte* p, int i);
        static abstract float Load1(byte* p, int i);
    }

    private struct F32Format : IFloatFormat
    {
        public static Vector128<float> Load4(byte* p, int i) => Vector128.Load((float*)p + i);
        public static float Load1(byte* p, int i) => ((float*)p)[i];
    }

    private struct F16Format : IFloatFormat
    {
        public static Vector128<float> Load4(byte* p, int i) => Fp16.ToSingle4((ushort*)p + i);
        public static float Load1(byte* p, int i) => Fp16.ToSingle(((ushort*)p)[i]);
    }

    private struct Bf16Format : IFloatFormat
    {
        public static Vector128<float> Load4(byte* p, int i) => Bf16ToSingle4((ushort*)p + i);
        public static float Load1(byte* p, int i) => Fp16.Bf16ToSingle(((ushort*)p)[i]);
    }

    /// <summary>ggml_vec_dot_f32/f16/bf16's structure: 32 accumulators over steps of 32, folded to eight, reduced
    /// (F32/F16: (0+4)+(1+5) + (2+6)+(3+7) pairwise; BF16: hsum_float_8), the tail added in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FloatDot<T>(byte* x, byte* y, int n, bool hsum8) where T : IFloatFormat
    {
        Vector128<float>* a = stackalloc Vector128<float>[8];
        for (int m = 0; m < 8; m++) a[m] = default;
        int np = n & ~31;
        for (int i = 0; i < np; i += 32)
            for (int m = 0; m < 8; m++)
                a[m] = AdvSimd.FusedMultiplyAdd(a[m], T.Load4(x, i + 4 * m), T.Load4(y, i + 4 * m));
        Vector128<float> vlo = (a[0] + a[4]) + (a[2] + a[6]), vhi = (a[1] + a[5]) + (a[3] + a[7]);
        Vector128<float> t = vlo + vhi;
        double sum = hsum8 ? VecDotScalar.Hsum8(vlo, vhi) : (t.GetElement(0) + t.GetElement(1)) + (t.GetElement(2) + t.GetElement(3));
        for (int i = np; i < n; i++) sum += T.Load1(x, i) * T.Load1(y, i);
        return (float)sum;
    }

    public static float F32(byte* vx, byte* vy, int n) => FloatDot<F32Format>(vx, vy, n, hsum8: false);

    public static float F16(byte* vx, byte* vy, int n) => FloatDot<F16Format>(vx, vy, n, hsum8: false);

    public static float BF16(byte* vx, byte* vy, int n) => FloatDot<Bf16Format>(vx, vy, n, hsum8: true);
}
