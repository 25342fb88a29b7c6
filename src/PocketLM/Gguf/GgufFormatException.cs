namespace PocketLM.Gguf;

/// <summary>
/// The one exception every malformed GGUF input raises: the message names the file, the byte offset and the problem,
/// so a user can tell a truncated download from an unsupported format at a glance.
/// </summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string file, long offset, string problem)
        : base($"{file}: invalid GGUF at offset {offset}: {problem}")
    {
        File = file;
        Offset = offset;
        Problem = problem;
    }

    public string File { get; }
    public long Offset { get; }
    public string Problem { get; }
}
