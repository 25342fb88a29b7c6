using PocketLM.Tensors;
using Xunit;

namespace PocketLM.Tests.Tensors;

/// <summary>
/// The tiled prefill kernel and the split-KV decode against their plain forms: bit for bit, at every vector width the
/// machine has and with SIMD off, and independent of how rows are grouped into one call.
/// </summary>
public unsafe class TiledAttentionTests
{
    private static ushort[] RandomHalves(Random rng, int n, double range = 2) =>
        Enumerable.Range(0, n).Select(_ => Fp16.FromSingle((float)((rng.NextDouble() - 0.5) * range))).ToArray();

    private static float[] RandomFloats(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();

    private static void AssertSameBits(float[] want, float[] got, string what)
    {
        for (int i = 0; i < want.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]), $"{what}[{i}]: {want[i]:R} vs {got[i]:R}");
    }

    [Theory]
    [InlineData(64, 64, 64, 0)]     // one full tile
    [InlineData(64, 64, 150, 50)]   // several tiles, a partial last one, rows starting mid-sequence
    [InlineData(128, 128, 200, 130)]
    [InlineData(16, 8, 70, 0)]      // small heads
    [InlineData(48, 32, 129, 60)]
    public void TiledRunEqualsReferenceForEveryRow(int hd, int vd, int len, int firstRow)
    {
        var rng = new Random(hd * 7 + len);
        ushort[] k = RandomHalves(rng, hd * len, 6), v = RandomHalves(rng, vd * len);
        int rows = len - firstRow;
        float[] q = RandomFloats(rng, rows * hd);
        float scale = 1 / MathF.Sqrt(hd);
        var want = new float[rows * vd];
        fixed (ushort* pk = k, pv = v) fixed (float* pq = q, pw = want)
            for (int r = 0; r < rows; r++) TiledAttention.Reference(pq + r * hd, firstRow + r, pk, pv, hd, vd, scale, pw + r * vd);

        foreach (bool simd in new[] { true, false })
            foreach (int group in new[] { rows, 16, 5 })
            {
                var got = new float[rows * vd];
                var scratch = new float[TiledAttention.ScratchFloats(group, hd, vd)];
                var qp = new nint[group]; var op = new nint[group]; var pos = new int[group];
                fixed (ushort* pk = k, pv = v) fixed (float* pq = q, pg = got, ps = scratch) fixed (nint* qq = qp, oo = op) fixed (int* pp = pos)
                    for (int r0 = 0; r0 < rows; r0 += group)
                    {
                        int n = Math.Min(group, rows - r0);
                        for (int i = 0; i < n; i++)
                        {
                            // rows in reverse order within a call: a row's result must not depend on its neighbours
                            int r = r0 + n - 1 - i;
                            qq[i] = (nint)(pq + r * hd); oo[i] = (nint)(pg + r * vd); pp[i] = firstRow + r;
                        }
                        TiledAttention.Run((float**)qq, pp, (float**)oo, n, pk, pv, hd, vd, scale, ps, simd: simd);
                    }
                AssertSameBits(want, got, $"simd={simd} group={group}");
            }
    }

    [Fact]
    public void TiledProbabilitiesSumToOne()
    {
        var rng = new Random(3);
        int hd = 64, vd = 64, len = 100;
        ushort[] k = RandomHalves(rng, hd * len, 6), v = RandomHalves(rng, vd * len);
        float[] q = RandomFloats(rng, hd), o = new float[vd], probs = new float[len], scratch = new float[TiledAttention.ScratchFloats(1, hd, vd)];
        fixed (ushort* pk = k, pv = v) fixed (float* pq = q, po = o, pr = probs, ps = scratch)
        {
            float** qq = stackalloc float*[1]; float** oo = stackalloc float*[1]; float** pp = stackalloc float*[1]; int* pos = stackalloc int[1];
            qq[0] = pq; oo[0] = po; pp[0] = pr; pos[0] = len - 1;
            TiledAttention.Run(qq, pos, oo, 1, pk, pv, hd, vd, 0.125f, ps, pp);
        }
        Assert.InRange(probs.Sum(), 0.999, 1.001);
        Assert.All(probs, p => Assert.InRange(p, 0, 1));
    }

    [Theory]
    [InlineData(64, 64, 300, 512)]
    [InlineData(128, 128, 700, 768)]
    [InlineData(40, 24, 513, 768)]
    public void SplitWithOneChunkIsTheOneRowKernel(int hd, int vd, int len, int cells)
    {
        var rng = new Random(len);
        ushort[] q = RandomHalves(rng, hd), k = RandomHalves(rng, hd * len, 6), v = RandomHalves(rng, vd * len);
        var a = new float[vd]; var b = new float[vd]; var acc = new float[vd]; var scratch = new float[2 * vd];
        fixed (ushort* pq = q, pk = k, pv = v) fixed (float* oa = a, ob = b, ps = scratch, pa = acc)
        {
            Attention.F16Online(pq, pk, pv, len, hd, vd, 0.1f, oa, pa);
            Attention.F16Split(pq, pk, pv, len, cells, 1, hd, vd, 0.1f, ob, pa, ps);
        }
        AssertSameBits(a, b, "one chunk");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void SplitMergesChunksInOrderAndSimdEqualsScalar(int chunks)
    {
        int hd = 64, vd = 64, len = 600, cells = 768;
        var rng = new Random(chunks);
        ushort[] q = RandomHalves(rng, hd), k = RandomHalves(rng, hd * len, 6), v = RandomHalves(rng, vd * len);
        var a = new float[vd]; var b = new float[vd]; var whole = new float[vd]; var acc = new float[vd]; var scratch = new float[2 * vd];
        fixed (ushort* pq = q, pk = k, pv = v) fixed (float* oa = a, ob = b, ow = whole, ps = scratch, pa = acc)
        {
            Attention.F16Split(pq, pk, pv, len, cells, chunks, hd, vd, 0.1f, oa, pa, ps);
            Attention.F16Split(pq, pk, pv, len, cells, chunks, hd, vd, 0.1f, ob, pa, ps, simd: false);
            Attention.F16Online(pq, pk, pv, len, hd, vd, 0.1f, ow, pa);
        }
        AssertSameBits(a, b, $"{chunks} chunks simd vs scalar");
        // the same attention, computed in another order: close, and (the point of emulating it) not always the same bits
        for (int d = 0; d < vd; d++) Assert.InRange(a[d] - whole[d], -2e-3f, 2e-3f);
        Assert.Contains(Enumerable.Range(0, vd), d => a[d] != whole[d]);
    }

    [Theory]
    [InlineData(1, 4096, 256)]
    [InlineData(256, 4096, 256)]
    [InlineData(257, 4096, 512)]
    [InlineData(600, 4096, 768)]
    [InlineData(600, 700, 768)]
    [InlineData(300, 300, 512)]
    public void PaddedCellsFollowLlamaCpp(int len, int context, int cells) => Assert.Equal(cells, Attention.PaddedCells(len, context));
}
