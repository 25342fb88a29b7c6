using System.Text;

namespace PocketLM.Tokenization;

/// <summary>
/// Incremental detokenizer for generation: <see cref="Append"/> one id at a time and print what it returns. It never
/// returns part of a UTF-8 character (bytes of a character split across byte tokens wait for the rest), and it holds
/// back text the clean-up pass of <see cref="Tokenizer.CleanSpaces"/> vocabularies might still change (a trailing space
/// before a possible "." and the like). The concatenation of all returns and <see cref="Flush"/> equals
/// <see cref="Tokenizer.Decode(ReadOnlySpan{int}, bool)"/> of the same ids.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _renderSpecial;
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private readonly List<byte> _pending = new();   // raw bytes not yet past the clean-up window
    private bool _first = true;
    private char[] _chars = new char[64];

    internal StreamingDecoder(Tokenizer tokenizer, bool renderSpecial)
    {
        _tokenizer = tokenizer;
        _renderSpecial = renderSpecial;
    }

    /// <summary>Adds one token; returns the text that is now final (possibly empty).</summary>
    public string Append(int id)
    {
        ReadOnlySpan<byte> piece = _tokenizer.Piece(id, _renderSpecial);
        if (_first && _tokenizer.AddSpacePrefix && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
        _first = false;
        if (!_tokenizer.CleanSpaces) return DecodeBytes(piece, flush: false);

        foreach (byte b in piece) _pending.Add(b);
        // The clean-up passes only look at windows that start with a space and span at most four characters in their
        // own output, so text up to a point preceded by three non-space bytes can no longer change.
        int cut = -1;
        for (int c = _pending.Count; c >= 3; c--)
        {
            if (_pending[c - 1] != ' ' && _pending[c - 2] != ' ' && _pending[c - 3] != ' ') { cut = c; break; }
        }
        if (cut <= 0) return "";
        byte[] chunk = _pending.GetRange(0, cut).ToArray();
        _pending.RemoveRange(0, cut);
        return DecodeBytes(Tokenizer.CleanUp(chunk), flush: false);
    }

    /// <summary>Ends the stream: returns whatever was held back (an incomplete UTF-8 sequence becomes U+FFFD).</summary>
    public string Flush()
    {
        byte[] rest = _tokenizer.CleanSpaces ? Tokenizer.CleanUp(_pending.ToArray()) : [];
        _pending.Clear();
        string s = DecodeBytes(rest, flush: true);
        _first = true;
        return s;
    }

    private string DecodeBytes(ReadOnlySpan<byte> bytes, bool flush)
    {
        int max = _utf8.GetCharCount(bytes, flush: false) + 8;
        if (_chars.Length < max) _chars = new char[Math.Max(max, _chars.Length * 2)];
        int n = _utf8.GetChars(bytes, _chars, flush);
        return n == 0 ? "" : new string(_chars, 0, n);
    }
}
