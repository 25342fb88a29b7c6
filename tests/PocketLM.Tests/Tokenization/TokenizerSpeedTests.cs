using System.Diagnostics;
using System.Text;
using PocketLM.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace PocketLM.Tests.Tokenization;

/// <summary>Encode throughput on ~1 MB of English-like text (reported in the test output; the bound is only a smoke check).</summary>
public class TokenizerSpeedTests(ITestOutputHelper output)
{
    private static readonly string[] s_words =
    ("the of and to a in is it you that he was for on are with as I his they be at one have this from or had by hot word but what " +
     "some we can out other were all there when up use your how said an each she which do their time if will way about many then them " +
     "write would like so these her long make thing see him two has look more day could go come did number sound no most people my over " +
     "know water than call first who may down side been now find any new work part take get place made live where after back little only " +
     "round man year came show every good me give our under name very through just form sentence great think say help low line differ turn " +
     "cause much mean before move right boy old too same tell does set three want air well also play small end put home read hand port large " +
     "spell add even land here must big high such follow act why ask men change went light kind off need house picture try us again animal " +
     "point mother world near build self earth father head stand own page should country found answer school grow study still learn plant " +
     "cover food sun four between state keep eye never last let thought city tree cross farm hard start might story saw far sea draw left " +
     "late run don't while press close night real life few north open seem together next white children begin got walk example ease paper " +
     "group always music those both mark often letter until mile river car feet care second book carry took science eat room friend began " +
     "idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red list " +
     "though feel talk bird soon body dog family direct pose leave song measure door product black short numeral class wind question happen " +
     "complete ship area half rock order fire south problem piece told knew pass since top whole king space heard best hour better true during " +
     "hundred five remember step early hold west ground interest reach fast verb sing listen six table travel less morning ten simple several " +
     "vowel toward war lay against pattern slow center love person money serve appear road map rain rule govern pull cold notice voice unit " +
     "power town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done beauty " +
     "drive stood contain front teach week final gave green oh quick develop ocean warm free minute strong special mind behind clear tail " +
     "produce fact street inch multiply nothing course stay wheel full force blue object decide surface deep moon island foot system busy test " +
     "record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow tire " +
     "bring yes distant fill east paint language among it's we're they'll Mr. Smith's 1999 2024 3.5 100%").Split(' ');

    internal static string EnglishText(int bytes)
    {
        var rng = new Random(7);
        var sb = new StringBuilder(bytes + 100);
        int sentence = 0;
        while (sb.Length < bytes)
        {
            string w = s_words[rng.Next(s_words.Length)];
            sb.Append(sentence == 0 ? char.ToUpperInvariant(w[0]) + w[1..] : w);
            sentence++;
            if (sentence > 6 && rng.Next(8) == 0)
            {
                sb.Append(rng.Next(5) == 0 ? "?" : ".");
                sentence = 0;
                sb.Append(rng.Next(6) == 0 ? "\n\n" : " ");
            }
            else sb.Append(rng.Next(12) == 0 ? ", " : " ");
        }
        return sb.ToString();
    }

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("gpt-2")]
    [InlineData("falcon")]
    public void EncodeThroughput(string vocab)
    {
        Tokenizer tok = VocabVectors.Gguf(vocab);
        string text = EnglishText(1 << 20);
        double mb = Encoding.UTF8.GetByteCount(text) / 1e6;
        tok.Encode(text[..20000], addSpecial: false);   // warm up (JIT, regex compilation)
        var sw = Stopwatch.StartNew();
        int[] ids = tok.Encode(text, addSpecial: false);
        double cold = sw.Elapsed.TotalSeconds;
        sw.Restart();
        ids = tok.Encode(text, addSpecial: false);
        double warm = sw.Elapsed.TotalSeconds;
        sw.Restart();
        string back = tok.Decode(ids);
        double dec = sw.Elapsed.TotalSeconds;
        output.WriteLine($"{vocab}: {mb:F2} MB → {ids.Length} tokens; encode {mb / cold:F1} MB/s (first pass), {mb / warm:F1} MB/s (second pass); decode {mb / dec:F1} MB/s");
        Assert.True(ids.Length > 100_000);
        Assert.True(mb / cold > 0.5, $"encode too slow: {mb / cold:F2} MB/s");
        Assert.Equal(tok.CleanSpaces ? back : text, back);
    }
}
