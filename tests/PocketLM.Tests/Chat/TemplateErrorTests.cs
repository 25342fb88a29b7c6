using PocketLM.Chat;
using Xunit;

namespace PocketLM.Tests.Chat;

public class TemplateErrorTests
{
    private static TemplateException RenderError(string template, Dictionary<string, object?>? vars = null) =>
        Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template).Render(vars ?? []));

    private static TemplateException ParseError(string template) =>
        Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template));

    [Theory]
    [InlineData("Hello\n{% if x %}\nabc", 3, 4, "looking for 'elif' or 'else' or 'endif'")]
    [InlineData("a\n  {% foo %}", 2, 6, "unknown tag 'foo'")]
    [InlineData("{{ 1 + }}", 1, 8, "unexpected '}}'")]
    [InlineData("x\n{{ 'abc }}", 2, 4, "unterminated string literal")]
    [InlineData("{# never closed", 1, 1, "missing end of comment tag")]
    [InlineData("{% for x in y %}{% endif %}", 1, 20, "unknown tag 'endif'")]
    [InlineData("{% break %}", 1, 4, "'break' outside of a loop")]
    [InlineData("{{ (1, 2 }}", 1, 10, "unexpected '}'")]
    [InlineData("{% set = 1 %}", 1, 8, "expected a name")]
    [InlineData("{{ x", 1, 1, "unexpected end of template")]
    public void ParseErrorsHaveLineAndColumn(string template, int line, int column, string reason)
    {
        var e = ParseError(template);
        Assert.Contains(reason, e.Reason);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains($"line {line}, column {column}", e.Message);
    }

    [Theory]
    [InlineData("ok\n{{ 'x' | nosuchfilter }}", 2, 10, "unknown filter 'nosuchfilter'")]
    [InlineData("{{ 1 is nosuchtest }}", 1, 6, "unknown test 'nosuchtest'")]
    [InlineData("{{ 'a' + 1 }}", 1, 8, "can only concatenate str (not \"int\") to str")]
    [InlineData("{{ nofn() }}", 1, 4, "'nofn' is undefined")]
    [InlineData("{{ 1 // 0 }}", 1, 6, "integer division or modulo by zero")]
    [InlineData("{{ none + 1 }}", 1, 9, "unsupported operand type(s) for +: 'NoneType' and 'int'")]
    [InlineData("{% for a, b in [[1, 2, 3]] %}{% endfor %}", 1, 4, "too many values to unpack")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", 1, 19, "cannot assign attribute on non-namespace object")]
    [InlineData("{% for x in none %}{% endfor %}", 1, 4, "'NoneType' object is not iterable")]
    [InlineData("{{ 'abc'.nosuchmethod() }}", 1, 4, "'str object' has no attribute 'nosuchmethod'")]
    [InlineData("{{ 1 < 'a' }}", 1, 4, "'<' not supported between instances of 'int' and 'str'")]
    [InlineData("{{ x.y + 1 }}", 1, 8, "'x' is undefined")]
    [InlineData("{{ {} | tojson ~ (x | tojson) }}", 1, 23, "Object of type Undefined is not JSON serializable")]
    public void RuntimeErrorsHaveLineAndColumn(string template, int line, int column, string reason)
    {
        var e = RenderError(template);
        Assert.Contains(reason, e.Reason);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplateMessage()
    {
        var t = ChatTemplate.Parse("{% if messages[0].role == 'system' %}\n  {{ raise_exception('System role not supported') }}\n{% endif %}");
        var e = Assert.Throws<TemplateException>(() => t.Render([new ChatMessage("system", "x")], false));
        Assert.Equal("System role not supported", e.Reason);
        Assert.Equal((2, 6), (e.Line, e.Column));
        Assert.Equal("Template error at line 2, column 6: System role not supported", e.Message);
    }

    [Fact]
    public void DeepNestingIsAnErrorNotACrash()
    {
        string deep = "{{ " + new string('(', 20000) + "1" + new string(')', 20000) + " }}";
        Assert.Throws<TemplateException>(() => ChatTemplate.Parse(deep));
    }

    [Fact]
    public void RunawayRecursionIsAnErrorNotACrash()
    {
        var e = RenderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        Assert.True(e.Reason.Contains("recursion") || e.Reason.Contains("too deep"), e.Reason);
    }
}
