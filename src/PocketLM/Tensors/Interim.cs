// INTERIM: a stand-in for the tokenizer being written on the `tokenizer` branch; deleted when it is merged.
namespace PocketLM.Tokenization
{
    // INTERIM: the real tokenizer is being written on the `tokenizer` branch.
    public sealed class Tokenizer
    {
        public static Tokenizer FromGguf(PocketLM.Gguf.GgufFile file) => throw new NotImplementedException();
        public int VocabSize => 0;
        public int BosId => 0;
        public int EosId => 0;
        public bool AddBos => false;
        public bool IsEndOfGeneration(int id) => false;
        public string GetTokenText(int id) => "";
        public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false) => throw new NotImplementedException();
        public string Decode(ReadOnlySpan<int> ids, bool renderSpecial = false) => throw new NotImplementedException();
        public StreamingDecoder CreateStreamingDecoder(bool renderSpecial = false) => throw new NotImplementedException();
    }

    public sealed class StreamingDecoder
    {
        public string Append(int id) => "";
        public string Flush() => "";
    }
}
