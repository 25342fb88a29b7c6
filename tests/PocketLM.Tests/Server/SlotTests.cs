using Xunit;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using PocketLM.Server;

namespace PocketLM.Tests.Server;

/// <summary>The bounded queue and cancellation, on a one-slot server with a random-weight model (it rarely stops by itself).</summary>
[Collection("Server")]
public sealed class SlotTests
{
    // The fixture model (8-wide, one layer) decodes thousands of tokens a second, so a 4000-token reply could end on a loaded
    // machine before the test cancelled it. A reply this long takes seconds to tens of seconds, and the KV cache stays small
    // (8 MiB), so "still generating when cancelled" holds however slow or fast the machine is.
    const int LongContext = 1 << 18, LongReply = LongContext - 64;

    [Fact]
    public async Task FullQueueGets503_AndACancelledStreamFreesItsSlot()
    {
        var log = new LogCapture();
        await using var server = await PocketServer.StartAsync(new ServerOptions
        {
            ModelPath = Fixtures.Model("llama-2-tiny-random.gguf"), Port = 0, Slots = 1, QueueSize = 1, ContextSize = LongContext, Threads = 1, Log = log,
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        // A: a long stream holds the only slot.
        using var cancelA = new CancellationTokenSource();
        var requestA = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = Api.Body(new { prompt = "Hello", temperature = 0, max_tokens = LongReply, stream = true }),
        };
        var responseA = await http.SendAsync(requestA, HttpCompletionOption.ResponseHeadersRead, cancelA.Token);
        Assert.Equal(HttpStatusCode.OK, responseA.StatusCode);
        string idA = responseA.Headers.GetValues("X-Request-Id").Single();
        var streamA = await responseA.Content.ReadAsStreamAsync(cancelA.Token);
        var reader = new StreamReader(streamA);
        for (int events = 0; events < 3;)
            if ((await reader.ReadLineAsync(cancelA.Token))!.StartsWith("data: ", StringComparison.Ordinal)) events++;

        // B waits in the queue (of one)...
        var taskB = Api.PostAsync(http, "v1/completions", new { prompt = "Hi", temperature = 0, max_tokens = 5 });
        var clock = Stopwatch.StartNew();
        while ((await Api.GetAsync(http, "health")).Json.GetProperty("queue_depth").GetInt32() != 1)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "B never queued");
            await Task.Delay(10);
        }
        // ...so C is turned away.
        var c = await Api.PostAsync(http, "v1/completions", new { prompt = "Hey", max_tokens = 5 });
        Assert.Equal(503, c.Status);
        Assert.Equal("server_busy", c.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromSeconds(1), c.Response.Headers.RetryAfter!.Delta);

        // The client of A goes away: its generation stops within a token and B gets the slot.
        cancelA.Cancel();
        reader.Dispose();
        responseA.Dispose();
        var b = await taskB.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(200, b.Status);
        Assert.Equal(5, b.Json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var lineA = await log.RequestLineAsync(idA);
        Assert.True(lineA.GetProperty("cancelled").GetBoolean());
        Assert.Equal("cancelled", lineA.GetProperty("finish_reason").GetString());
        Assert.InRange(lineA.GetProperty("completion_tokens").GetInt32(), 3, LongReply - 1);

        string metrics = await http.GetStringAsync("metrics");
        Assert.Contains("\npocket_generations_cancelled_total 1\n", metrics);
        Assert.Contains("\npocket_requests_rejected_total 1\n", metrics);
        Assert.Contains("\npocket_slots_busy 0\n", metrics);
        Assert.Contains("\npocket_queue_depth 0\n", metrics);
    }

    [Fact]
    public async Task CancelledNonStreamingRequest_FreesItsSlotToo()
    {
        await using var server = await PocketServer.StartAsync(new ServerOptions
        {
            ModelPath = Fixtures.Model("llama-2-tiny-random.gguf"), Port = 0, Slots = 1, ContextSize = LongContext, Threads = 1, Log = TextWriter.Null,
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var cancel = new CancellationTokenSource();
        var long_ = http.PostAsync("v1/completions", Api.Body(new { prompt = "Hello", temperature = 0, max_tokens = LongReply }), cancel.Token);
        var clock = Stopwatch.StartNew();
        while ((await Api.GetAsync(http, "health")).Json.GetProperty("slots_processing").GetInt32() != 1)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the request never started");
            await Task.Delay(10);
        }
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => long_);
        var next = await Api.PostAsync(http, "v1/completions", new { prompt = "Hi", temperature = 0, max_tokens = 3 });
        Assert.Equal(200, next.Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        string metrics = await http.GetStringAsync("metrics");
        Assert.Contains("\npocket_generations_cancelled_total 1\n", metrics);
    }
}

/// <summary>Which slot a request lands on.</summary>
[Collection("Server")]
public sealed class SlotRoutingTests
{
    [Fact]
    public async Task EachConversationReturnsToTheSlotThatCachesIt()
    {
        var log = new LogCapture();
        await using var server = await PocketServer.StartAsync(new ServerOptions
        {
            ModelPath = Fixtures.Model("stories260K.gguf"), Port = 0, Slots = 2, ContextSize = 256, Threads = 2, Log = log,
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        async Task<(int Slot, int Cached)> Ask(string text)
        {
            var r = await Api.PostAsync(http, "v1/chat/completions", new { messages = new[] { new { role = "user", content = text } }, temperature = 0, max_tokens = 2 });
            Assert.Equal(200, r.Status);
            var line = await log.RequestLineAsync(r.Response.Headers.GetValues("X-Request-Id").Single());
            return (line.GetProperty("slot").GetInt32(), line.GetProperty("cached_tokens").GetInt32());
        }
        const string a = "Tom and his big red ball went to the beach to play all day long.";
        const string b = "Sue found a tiny blue bird in the garden behind the old house.";
        var a1 = await Ask(a);
        var b1 = await Ask(b);
        Assert.NotEqual(a1.Slot, b1.Slot); // b shares only the template's first tokens with a: it takes the other slot
        var a2 = await Ask(a);
        var b2 = await Ask(b);
        Assert.Equal(a1.Slot, a2.Slot);
        Assert.Equal(b1.Slot, b2.Slot);
        Assert.True(a2.Cached > 10 && b2.Cached > 10, $"cached {a2.Cached}, {b2.Cached}");
    }
}
