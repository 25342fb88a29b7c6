using System.Runtime.InteropServices;

namespace PocketLM.Tensors;

/// <summary>
/// Native memory for large buffers that every decode step streams through (the repacked weights): aligned to 2 MiB and,
/// on Linux, advised as transparent huge pages (<c>madvise(MADV_HUGEPAGE)</c>). Why: with 4 KiB pages a matvec that
/// reads hundreds of MiB per token takes a TLB miss every 64 cache lines, and under a hypervisor every miss is a
/// two-level page walk. On the VM (THP in "madvise" mode) a plain two-thread streaming read measured 15 GB/s
/// over 4 KiB pages and 20 GB/s over huge pages; the model file's own mapping already gets huge pages from the page
/// cache (ext4 large folios), so only memory PocketLM allocates itself needs the advice. Elsewhere it is a no-op.
/// </summary>
internal static unsafe partial class HugePages
{
    public const long PageBytes = 2 << 20;
    private const int MadvHugePage = 14;

    /// <summary><paramref name="bytes"/> of uninitialised memory, 2 MiB aligned; free with <see cref="NativeMemory.AlignedFree"/>.</summary>
    public static byte* Alloc(long bytes)
    {
        var p = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), (nuint)PageBytes);
        Advise(p, bytes);
        return p;
    }

    /// <summary>Asks for huge pages over the whole 2 MiB pages inside [p, p + bytes); true when the kernel took the
    /// advice. A refusal (another OS, THP compiled out, no libc) only costs the speed-up.</summary>
    public static bool Advise(byte* p, long bytes)
    {
        if (!OperatingSystem.IsLinux() || !_available) return false;
        long start = ((long)p + PageBytes - 1) & ~(PageBytes - 1), end = ((long)p + bytes) & ~(PageBytes - 1);
        if (end <= start) return false;
        try { return Madvise((nint)start, (nuint)(end - start), MadvHugePage) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { _available = false; return false; }
    }

    private static bool _available = true;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
