using System.Buffers;
using BenchmarkDotNet.Attributes;
using WsRooms.Protocol;

namespace WsRooms.Benchmarks;

/// <summary>
/// The codec on a typical broadcast frame (room "bench-0", event "m", 256-byte payload). What it checks:
/// parsing allocates nothing per frame beyond the payload (and the message holding it); encoding into a span or a
/// pooled writer allocates nothing. The V2 cases are the same frame with an 8-byte meta, for comparison with v1.
/// </summary>
[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private readonly FrameLimits _limits = FrameLimits.Default;
    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private readonly byte[] _meta = FramePosition.ToMeta(1);
    private byte[] _frame = [];
    private byte[] _frameV2 = [];
    private byte[] _destination = [];
    private Message _message = null!;

    [GlobalSetup]
    public void Setup()
    {
        _message = new Message("bench-0", "m", "", "5f0c8c1e-7d4e-4a53-9a43-0d3c1a7e9b21", new byte[256]);
        _frame = _message.ToBytes();
        _frameV2 = _message.ToBytes(ProtocolVersion.V2, _meta);
        _destination = new byte[_frame.Length];
    }

    /// <summary>Validation and slicing only: the edge's first look at every frame.</summary>
    [Benchmark]
    public int ReadView()
    {
        FrameReader.TryRead(_frame, _limits, out var view);
        return view.Payload.Length;
    }

    /// <summary>What the edge does per received frame: a Message (strings looked up, payload copied).</summary>
    [Benchmark(Baseline = true)]
    public Message? Parse()
    {
        Message.TryParse(_frame, _limits, out var message);
        return message;
    }

    /// <summary>The same on a v2 frame: the message and its meta.</summary>
    [Benchmark]
    public Message? ParseV2()
    {
        Message.TryParse(_frameV2, _limits, ProtocolVersion.V2, out var message, out _);
        return message;
    }

    [Benchmark]
    public byte[] EncodeToArray() => _message.ToBytes();

    [Benchmark]
    public int EncodeToSpan() =>
        FrameWriter.Write(_destination, _message.Room, _message.Event, _message.Dst, _message.Src, _message.Payload);

    [Benchmark]
    public int EncodeToBufferWriter()
    {
        _writer.ResetWrittenCount();
        _message.WriteTo(_writer);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int EncodeToBufferWriterV2()
    {
        _writer.ResetWrittenCount();
        _message.WriteTo(_writer, ProtocolVersion.V2, _meta);
        return _writer.WrittenCount;
    }
}
