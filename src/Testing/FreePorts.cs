using System.Net;
using System.Net.Sockets;

namespace WsRooms.Testing;

/// <summary>Loopback TCP ports for servers a test starts, so tests never fight over a fixed port.</summary>
public static class FreePorts
{
    /// <summary>A port the operating system reports free on 127.0.0.1 now.</summary>
    public static int One()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A port P such that P … P+<paramref name="count"/>-1 are all free now.</summary>
    public static int Consecutive(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = One();
            if (first + count - 1 > 65535)
            {
                continue;
            }

            if (Enumerable.Range(first + 1, count - 1).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free ports found on 127.0.0.1.");
    }

    /// <summary>Whether nothing listens on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Whether something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
