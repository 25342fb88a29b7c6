using System.Runtime.CompilerServices;

namespace PocketLM.Tests.Oracle;

/// <summary>
/// Loads llama.cpp (LLamaSharp's choice of native build) when the test assembly loads, before any test can touch
/// <see cref="GgmlNative"/>. GgmlNative loads the AVX2 build of libggml-base/libggml-cpu by path; if that happens first,
/// LLamaSharp's libllama later resolves its libggml-cpu.so dependency by soname to that already-loaded AVX2 build, and
/// on an AVX-512 machine llama.cpp then computes exp (softmax, SwiGLU) with the AVX2 variant while PocketLM uses the
/// AVX-512 one: logits differ by ~0.1 at some positions (measured on a Q8_0 file whose bytes equal llama.cpp's own).
/// </summary>
internal static class NativeLoadOrder
{
#pragma warning disable CA2255 // a module initializer is exactly what is needed: before the first test of any class
    [ModuleInitializer]
    internal static void LoadLlamaCppFirst() => LlamaCppLog.EnsureNativeLoaded();
#pragma warning restore CA2255
}
