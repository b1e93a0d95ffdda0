using System.Diagnostics;

namespace WsRooms.Testing;

/// <summary>A child process's output: the last lines kept for failure messages, and everything optionally in a file.</summary>
public sealed class OutputLog
{
    // Enough for the start of a failure and its cause; a long-running process does not grow the test's memory.
    private const int KeptLines = 400;

    private readonly Queue<string> _lines = new();
    private readonly string _name;
    private readonly StreamWriter? _file;

    /// <summary>Starts reading <paramref name="process"/>'s standard output and error (both must be redirected).</summary>
    /// <param name="process">A started process with redirected output.</param>
    /// <param name="name">How failure messages name the process.</param>
    /// <param name="file">Where to write every line as well, or null.</param>
    public OutputLog(Process process, string name, string? file = null)
    {
        ArgumentNullException.ThrowIfNull(process);
        _name = name;
        if (file is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            _file = new StreamWriter(file, append: false) { AutoFlush = true };
        }

        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The last <paramref name="lines"/> lines, under a header naming the process.</summary>
    public string Tail(int lines = 40)
    {
        lock (_lines)
        {
            // Stack traces make lines long: the start of each line says what happened.
            return $"--- last lines of {_name} ---\n" + string.Join('\n', _lines.TakeLast(lines).Select(l => l.Length <= 300 ? l : l[..300] + " …"));
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _file?.WriteLine(line);
            _lines.Enqueue(line);
            while (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }
        }
    }
}
