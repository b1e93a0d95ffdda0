using Microsoft.Extensions.Options;

namespace WsRooms.Edge.Limits;

/// <summary>
/// Counts this edge host's connections in total, per user and per IP address, and hands out a slot only while all
/// three are under their limits (<see cref="QuotaOptions"/>). A slot is taken before the connection is registered
/// and given back when it has ended. One lock: connects are rare next to frames, and the check must be atomic.
/// </summary>
internal sealed class ConnectionLimiter(IOptions<WsRoomsEdgeOptions> options)
{
    private readonly QuotaOptions _quotas = options.Value.Quotas;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perIp = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>Whether any connection limit is configured; when not, nothing is counted.</summary>
    public bool Enabled => _quotas.HasConnectionLimits;

    /// <summary>Connections currently holding a slot.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>Takes a slot for a connection of <paramref name="user"/> from <paramref name="ip"/>, or says which limit refuses it.</summary>
    public bool TryAcquire(string? user, string? ip, out Slot slot, out string refusal)
    {
        user = _quotas.MaxConnectionsPerUser > 0 && !string.IsNullOrEmpty(user) ? user : null;
        ip = _quotas.MaxConnectionsPerIp > 0 && !string.IsNullOrEmpty(ip) ? ip : null;
        lock (_gate)
        {
            if (_quotas.MaxConnections > 0 && _total >= _quotas.MaxConnections)
            {
                slot = default;
                refusal = "too many connections on this server";
                return false;
            }

            if (user is not null && _perUser.GetValueOrDefault(user) >= _quotas.MaxConnectionsPerUser)
            {
                slot = default;
                refusal = "too many connections for this user";
                return false;
            }

            if (ip is not null && _perIp.GetValueOrDefault(ip) >= _quotas.MaxConnectionsPerIp)
            {
                slot = default;
                refusal = "too many connections from this address";
                return false;
            }

            _total++;
            if (user is not null)
            {
                _perUser[user] = _perUser.GetValueOrDefault(user) + 1;
            }

            if (ip is not null)
            {
                _perIp[ip] = _perIp.GetValueOrDefault(ip) + 1;
            }
        }

        slot = new Slot(this, user, ip);
        refusal = "";
        return true;
    }

    private void Release(string? user, string? ip)
    {
        lock (_gate)
        {
            _total--;
            Decrement(_perUser, user);
            Decrement(_perIp, ip);
        }
    }

    private static void Decrement(Dictionary<string, int> counts, string? key)
    {
        if (key is not null && counts.TryGetValue(key, out var count))
        {
            if (count <= 1)
            {
                counts.Remove(key); // nothing kept for users and addresses that have gone
            }
            else
            {
                counts[key] = count - 1;
            }
        }
    }

    /// <summary>One connection's place in the counts; disposing it gives the place back (once).</summary>
    public struct Slot(ConnectionLimiter? owner, string? user, string? ip) : IDisposable
    {
        private ConnectionLimiter? _owner = owner;

        public void Dispose()
        {
            Interlocked.Exchange(ref _owner, null)?.Release(user, ip);
        }
    }
}
