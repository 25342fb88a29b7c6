using System.Diagnostics;

namespace PocketLM.Tests.Cli;

/// <summary>Runs the real <c>pocket</c> executable (built beside the tests) as a child process, as a user would.</summary>
internal static class PocketProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunIn(Environment.CurrentDirectory, null, args);

    /// <summary>Runs <c>pocket</c> as is and with <paramref name="environment"/> added: both succeed and print the same
    /// (non-trivial) output.</summary>
    public static void AssertSameOutput(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var plain = Run(args);
        var changed = RunWith(Environment.CurrentDirectory, null, environment, args);
        Xunit.Assert.True(plain.ExitCode == 0, plain.Stderr);
        Xunit.Assert.True(changed.ExitCode == 0, changed.Stderr);
        Xunit.Assert.True(plain.Stdout.Length > 20, $"too little output: '{plain.Stdout}'");
        Xunit.Assert.Equal(plain.Stdout, changed.Stdout);
    }

    public static Result RunIn(string workingDirectory, string? stdin, params string[] args) => RunWith(workingDirectory, stdin, null, args);

    public static Result RunWith(string workingDirectory, string? stdin, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin != null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pocket.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (environment != null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin != null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"pocket {string.Join(' ', args)} did not finish in 120 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
