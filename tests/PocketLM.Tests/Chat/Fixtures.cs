using System.Text.Json;
using PocketLM.Chat;

namespace PocketLM.Tests.Chat;

internal static class ChatFixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures", "chat-templates");

    public static string ReadTemplate(string fileName) => File.ReadAllText(Path.Combine(Dir, fileName));

    private static readonly Lazy<JsonDocument> Cases = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "llama.cpp-cases.json"))));

    public static JsonElement CasesRoot => Cases.Value.RootElement;

    public static IReadOnlyList<ChatMessage> Conversation =>
        ChatMessage.ListFromJson(CasesRoot.GetProperty("conversation").GetRawText());
}
