namespace PocketLM.Chat;

/// <summary>
/// A chat template failed to parse or to render. <see cref="Line"/> and <see cref="Column"/> (1-based) point into the
/// template source (0 when unknown); <see cref="Reason"/> is what went wrong, without the position. A template's own
/// <c>raise_exception(msg)</c> surfaces as this exception with <see cref="Reason"/> equal to <c>msg</c>.
/// </summary>
public sealed class TemplateException : Exception
{
    public TemplateException(string reason, int line, int column)
        : base(line > 0 ? $"Template error at line {line}, column {column}: {reason}" : $"Template error: {reason}")
    {
        Reason = reason;
        Line = line;
        Column = column;
    }

    public TemplateException(string reason) : this(reason, 0, 0) { }

    public TemplateException() : this("unknown error", 0, 0) { }

    public TemplateException(string reason, Exception inner) : base($"Template error: {reason}", inner)
    {
        Reason = reason;
    }

    /// <summary>What went wrong, without the position.</summary>
    public string Reason { get; } = "";

    /// <summary>1-based line in the template source, 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column in the template source, 0 when unknown.</summary>
    public int Column { get; }
}
