using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace WsRooms.Testing;

/// <summary>
/// Reads one meter's instruments with a <see cref="MeterListener"/>: sums per instrument and per instrument and tag,
/// counts of measurements, last values of observable gauges. Scoped to one meter factory (one edge host or silo) when
/// given one, so hosts in the same process do not add up.
/// </summary>
public sealed class MeterCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    /// <summary>Starts listening to the instruments of the meter named <paramref name="meterName"/>.</summary>
    /// <param name="meterName">The meter's name.</param>
    /// <param name="scope">Only meters created by this factory (a host's <c>IMeterFactory</c>), or null for all.</param>
    public MeterCollector(string meterName, IMeterFactory? scope = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && (scope is null || ReferenceEquals(instrument.Meter.Scope, scope)))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>
    /// The sum of everything recorded on <paramref name="instrument"/>, or only of the measurements carrying
    /// <paramref name="tag"/> (written <c>key=value</c>); a gauge's last observation.
    /// </summary>
    public double Sum(string instrument, string? tag = null) => _sums.GetValueOrDefault(tag is null ? instrument : $"{instrument}|{tag}");

    /// <summary>How many measurements <paramref name="instrument"/> recorded.</summary>
    public long Count(string instrument) => _counts.GetValueOrDefault(instrument);

    /// <summary>Reads the observable instruments now.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument is ObservableGauge<int> or ObservableGauge<long>)
        {
            _sums[instrument.Name] = value; // a gauge: its last observation
            return;
        }

        _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
        _counts.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1);
        foreach (var tag in tags)
        {
            var key = $"{instrument.Name}|{tag.Key}={tag.Value}";
            _sums.AddOrUpdate(key, value, (_, sum) => sum + value);
        }
    }
}
