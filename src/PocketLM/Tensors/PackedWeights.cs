using Microsoft.Win32.SafeHandles;

namespace PocketLM.Tensors;

/// <summary>
/// Weight matrices repacked once at load into groups of eight rows for the AVX2 kernels — the types llama.cpp's CPU backend
/// repacks on x86 with AVX2 (Q4_0, Q4_K, IQ4_NL), with the numerics of its repacked kernels, so these products match what
/// llama.cpp computes for the same file. Every packed type has a scalar reference that reads the original rows.
/// </summary>
internal static unsafe class PackedWeights
{
    public const int Rows = 8;

    public static bool CanPack(in WeightMatrix w) => w.Type is GgmlType.Q4_0 or GgmlType.Q4_K or GgmlType.IQ4_NL && w.Rows % Rows == 0;

    /// <summary>Bytes of one packed group of eight rows.</summary>
    public static long GroupBytes(GgmlType type, int cols) => type switch
    {
        GgmlType.Q4_0 or GgmlType.IQ4_NL => (long)cols / 32 * PackedQ4_0.GroupBlockBytes,
        GgmlType.Q4_K => (long)cols / QK.K * PackedQ4K.GroupBlockBytes,
        _ => throw new NotSupportedException($"{type} is not packed."),
    };

    public static long Bytes(in WeightMatrix w) => GroupBytes(w.Type, w.Cols) * (w.Rows / Rows);

    /// <summary>The one-row scalar reference with the packed kernels' numerics (on the original rows).</summary>
    public static delegate*<byte*, byte*, int, float> Reference(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => &VecDotScalar.Q4_0PerBlock,
        GgmlType.Q4_K => &VecDotScalar.Q4KPerBlock,
        GgmlType.IQ4_NL => &VecDotScalar.IQ4NLPerBlock,
        _ => throw new NotSupportedException($"{type} is not packed."),
    };

    /// <summary>Eight rows × one token: y[0..7].</summary>
    public static delegate*<byte*, byte*, int, float*, void> Gemv(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => &PackedQ4_0.Gemv,
        GgmlType.Q4_K => &PackedQ4K.Gemv,
        GgmlType.IQ4_NL => &PackedIQ4NL.Gemv,
        _ => throw new NotSupportedException($"{type} is not packed."),
    };

    /// <summary>Eight rows × four tokens: y[t·yStride + r].</summary>
    public static delegate*<byte*, byte*, long, int, float*, long, void> Gemm4(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => &PackedQ4_0.Gemm4,
        GgmlType.Q4_K => &PackedQ4K.Gemm4,
        GgmlType.IQ4_NL => &PackedIQ4NL.Gemm4,
        _ => throw new NotSupportedException($"{type} is not packed."),
    };

    /// <summary>Sixteen rows (two consecutive groups) × four tokens with 512-bit vectors (<see cref="Avx512"/>), the same bits
    /// as two <see cref="Gemm4"/> calls: y[t·yStride + r].</summary>
    public static delegate*<byte*, long, byte*, long, int, float*, long, void> Gemm16x4(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => &PackedQ4_0.Gemm16x4,
        GgmlType.Q4_K => &PackedQ4K.Gemm16x4,
        GgmlType.IQ4_NL => &PackedIQ4NL.Gemm16x4,
        _ => throw new NotSupportedException($"{type} is not packed."),
    };

    /// <summary>
    /// Writes the packed copy of <paramref name="w"/> (<see cref="Bytes"/> bytes) to <paramref name="dst"/>. With
    /// <paramref name="file"/>, the rows are read from the file at
    /// <paramref name="fileOffset"/> instead of through the mapping, so the mapped pages of a repacked matrix are never
    /// touched and do not count in the process's resident memory: the packed copy replaces them rather than doubling them.
    /// </summary>
    public static void Pack(in WeightMatrix w, byte* dst, SafeFileHandle? file = null, long fileOffset = 0)
    {
        if (!CanPack(w)) throw new ArgumentException($"Cannot pack a {w.Type} matrix of {w.Rows} rows.", nameof(w));
        // an IQ4_NL block has Q4_0's layout (half scale, 16 bytes of nibbles), so it packs the same way
        delegate*<byte*, long, int, byte*, void> packGroup = w.Type == GgmlType.Q4_K ? &PackedQ4K.PackGroup : &PackedQ4_0.PackGroup;
        nint src = (nint)w.Data, to = (nint)dst, pack = (nint)packGroup;
        long rowBytes = w.RowBytes, groupBytes = rowBytes * Rows, outBytes = GroupBytes(w.Type, w.Cols);
        int cols = w.Cols, groups = w.Rows / Rows;
        Parallel.For(0, groups, () => file != null ? new byte[groupBytes] : null, (g, _, buffer) =>
        {
            fixed (byte* staged = buffer)
            {
                byte* rows = (byte*)src + g * groupBytes;
                if (file != null)
                {
                    var span = new Span<byte>(staged, (int)groupBytes);
                    for (int done = 0; done < span.Length;)
                    {
                        int n = RandomAccess.Read(file, span[done..], fileOffset + g * groupBytes + done);
                        if (n <= 0) throw new EndOfStreamException("The model file ended inside a tensor while repacking it.");
                        done += n;
                    }
                    rows = staged;
                }
                ((delegate*<byte*, long, int, byte*, void>)pack)(rows, rowBytes, cols, (byte*)to + g * outBytes);
            }
            return buffer;
        }, _ => { });
    }
}
