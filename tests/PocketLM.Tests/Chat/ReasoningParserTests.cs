using System.Text;
using PocketLM.Chat;
using Xunit;

namespace PocketLM.Tests.Chat;

public class ReasoningParserTests
{
    private static (string Reasoning, string Answer) Stream(IEnumerable<string> chunks, bool startInReasoning = false)
    {
        var p = new ReasoningParser(startInReasoning: startInReasoning);
        var r = new StringBuilder();
        var a = new StringBuilder();
        var pieces = chunks.SelectMany(c => p.Push(c)).ToList();
        pieces.AddRange(p.Flush());
        foreach (var piece in pieces)
            (piece.Channel == TextChannel.Reasoning ? r : a).Append(piece.Text);
        return (r.ToString(), a.ToString());
    }

    private static IEnumerable<string> Chop(string s, int size)
    {
        for (int i = 0; i < s.Length; i += size) yield return s.Substring(i, Math.Min(size, s.Length - i));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(1000)]
    public void MarkersSplitAcrossChunksAreFound(int chunk)
    {
        const string text = "<think>\nLet me add 2 and 2. <thin is not a tag.\n</think>\n\nThe answer is 4.";
        var (reasoning, answer) = Stream(Chop(text, chunk));
        Assert.Equal("\nLet me add 2 and 2. <thin is not a tag.\n", reasoning);
        Assert.Equal("The answer is 4.", answer);
    }

    [Fact]
    public void EveryCutPointGivesTheSameSplit()
    {
        const string text = "  <think>a</think>b</think>c";
        for (int cut = 0; cut <= text.Length; cut++)
        {
            var (r, a) = Stream([text[..cut], text[cut..]]);
            Assert.Equal("a", r);
            Assert.Equal("b</think>c", a);
        }
    }

    [Fact]
    public void APromptThatOpenedTheBlockStartsInReasoning()
    {
        var (r, a) = Stream(Chop("Hmm, thinking.\n</think>\n\nDone.", 3), startInReasoning: true);
        Assert.Equal("Hmm, thinking.\n", r);
        Assert.Equal("Done.", a);
    }

    [Fact]
    public void AModelThatNeverClosesKeepsEverythingAsReasoning()
    {
        var (r, a) = Stream(Chop("<think>still thinking </thi", 4));
        Assert.Equal("still thinking </thi", r);
        Assert.Equal("", a);
    }

    [Fact]
    public void NoThinkBlockIsAllAnswer()
    {
        var (r, a) = Stream(Chop("Hello <think> world", 2));
        Assert.Equal("", r);
        Assert.Equal("Hello <think> world", a);
        Assert.Equal((null, "Hi"), ReasoningParser.Split("Hi"));
    }

    [Fact]
    public void PartialOpenMarkerAtTheEndIsAnswer()
    {
        var (r, a) = Stream(["<thi"]);
        Assert.Equal("", r);
        Assert.Equal("<thi", a);
    }

    [Fact]
    public void EmptyThinkBlock()
    {
        Assert.Equal(("", "Answer"), ReasoningParser.Split("<think>\n\n</think>\n\nAnswer"));
    }
}
