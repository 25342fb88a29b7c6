using PocketLM.Bench;

// PocketLM benchmarks.
//   compare [--models a,b] [--types Q8_0,Q4_K_M,Q4_0] [-r 5] [-t 2] [-p 64] [-n 64] [--cache DIR]
//       makes random-weight GGUFs in real model shapes (quantized by llama.cpp), then runs tg/pp through PocketLM and
//       llama.cpp (LLamaSharp) alternately and prints tokens/s, ratios and the bandwidth roofline.
//   kernels [TYPES...]   matvec GB/s of weights per type, 1/2 threads, batch 1/8
//   prefill [-rows R] [-cols C] [-b 64] [TYPES...]   cache-resident prefill matmul, GMAC/s and cycles per 32 MACs
//   pool [-t 2]          WorkerPool per-call overhead
//   ttft [--models a,b] [--types ...] [-r 5] [-t 2] [-p 16]
//       load to first token, PocketLM and llama.cpp alternately on the same files
//   depth [--models a,b] [--types ...] [-d 4000] [-n 32] [-r 5] [-t 2] [--kv f16|q8_0|q4_0|...] [--pp-reps 1]
//       decode speed after a D-token prompt (attention over a long cache), both engines alternately, and the D-token
//       prompt itself (ppD; --pp-reps timed prefills per engine after an untimed one, 0 to skip)
//   bdn [BDN ARGS...]    BenchmarkDotNet matvec benchmarks (KernelBenchmarks.cs) with a GB/s-of-weights column; the args
//                        are BenchmarkDotNet's own, e.g. bdn --filter '*' --job short   or   bdn --filter '*Type: Q4_K*'
return args.FirstOrDefault() switch
{
    "compare" => Compare.Run(args[1..]),
    "kernels" => Kernels.Run(args[1..]),
    "pool" => PoolBench.Run(args[1..]),
    "profile" => Profile.Run(args[1..]),
    "ab" => AB.Run(args[1..]),
    "micro" => Micro.Run(args[1..]),
    "ttft" => FirstToken.Run(args[1..]),
    "depth" => Depth.Run(args[1..]),
    "bdn" => KernelBenchmarks.Run(args[1..]),
    "prefill" => PrefillKernels.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: PocketLM.Bench compare|ttft|depth|kernels|prefill|micro|profile|ab|pool|bdn [options]  (see Program.cs)");
    return 2;
}
