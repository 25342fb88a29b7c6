using PocketLM.Chat;
using Xunit;

namespace PocketLM.Tests.Chat;

/// <summary>llama.cpp's own chat-template cases (tests/test-chat-template.cpp), rendered the way llama.cpp does.</summary>
public class LlamaCppCasesTests
{
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in ChatFixtures.CasesRoot.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void RendersExactly(string name)
    {
        var c = ChatFixtures.CasesRoot.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var template = ChatTemplate.Parse(c.GetProperty("template").GetString()!);
        string text = template.RenderPrompt(ChatFixtures.Conversation, addGenerationPrompt: true,
            bos: c.GetProperty("bos_token").GetString()!, eos: c.GetProperty("eos_token").GetString()!);
        Assert.Equal(c.GetProperty("expected").GetString(), text);
    }

    [Fact]
    public void HasAllTwentyCases() => Assert.Equal(20, CaseNames().Count);
}
