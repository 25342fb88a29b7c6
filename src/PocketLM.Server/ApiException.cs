namespace PocketLM.Server;

/// <summary>A request the server answers with an OpenAI-style error body: {"error":{"message","type","param","code"}}.</summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string type = "invalid_request_error")
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type { get; } = type;

    public static ApiException Invalid(string message, string? param = null, string? code = null) => new(400, message, param, code);
}
