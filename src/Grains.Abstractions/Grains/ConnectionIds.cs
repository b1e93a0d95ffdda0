using System.Buffers.Binary;
using System.Security.Cryptography;

namespace WsRooms.Grains;

/// <summary>
/// Connection ids. Each is a canonical UUID (RFC 9562 version 8, the version for application layouts) whose first
/// 48 bits are the tag of the edge host process that holds the socket, and whose other 74 bits are random.
/// </summary>
/// <remarks>
/// The tag is what lets the cluster learn of a connection only when something asks for it: an edge host opens no
/// grain on connect, and a <see cref="IConnectionGrain"/> that is asked about a connection it has never heard of
/// finds its edge host from the tag (<see cref="IEdgeDirectoryGrain.ResolveAsync"/>) and asks it
/// (<see cref="IEdgeConnectionLookup"/>). A tag is drawn at random per edge process, so an id never resolves to a
/// later process, even one that reuses a configured edge id. To clients the id stays opaque.
/// </remarks>
public static class ConnectionIds
{
    private const long TagMask = (1L << 48) - 1;

    /// <summary>A random edge tag for one edge host process: 48 bits, never 0.</summary>
    public static long NewEdgeTag()
    {
        Span<byte> bytes = stackalloc byte[8];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            var tag = BinaryPrimitives.ReadInt64BigEndian(bytes) & TagMask;
            if (tag != 0)
            {
                return tag;
            }
        }
    }

    /// <summary>A new connection id on the edge host process tagged <paramref name="edgeTag"/>.</summary>
    public static string Create(long edgeTag)
    {
        if (edgeTag <= 0 || edgeTag > TagMask)
        {
            throw new ArgumentOutOfRangeException(nameof(edgeTag), edgeTag, "An edge tag is a positive 48-bit number.");
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[6..]);
        Span<byte> tag = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(tag, edgeTag);
        tag[2..].CopyTo(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // the RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    /// <summary>
    /// The edge tag inside <paramref name="connectionId"/>, when it is a version-8 UUID as <see cref="Create"/> makes
    /// them. Any other string (a version-4 UUID from an older edge host, an application's own id) has none.
    /// </summary>
    public static bool TryGetEdgeTag(string? connectionId, out long edgeTag)
    {
        edgeTag = 0;
        if (connectionId is null || connectionId.Length != 36 || !Guid.TryParseExact(connectionId, "D", out var id))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        if ((bytes[6] >> 4) != 8 || (bytes[8] >> 6) != 2)
        {
            return false;
        }

        Span<byte> tag = stackalloc byte[8];
        bytes[..6].CopyTo(tag[2..]);
        edgeTag = BinaryPrimitives.ReadInt64BigEndian(tag);
        return edgeTag != 0;
    }
}
