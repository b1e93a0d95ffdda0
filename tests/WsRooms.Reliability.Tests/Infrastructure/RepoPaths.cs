namespace WsRooms.Reliability.Tests.Infrastructure;

/// <summary>Where the repository and its build outputs are: the drills run the built silo and edge host apps.</summary>
public static class RepoPaths
{
    /// <summary>The directory holding WsRooms.sln, found above the test's own directory.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A built app's dll: Release (what test.sh builds) or, failing that, Debug; the newer when both exist.</summary>
    public static string BuiltDll(string project, string assembly)
    {
        var candidates = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(Root, "src", project, "bin", c, "net10.0", assembly + ".dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .ToArray();
        return candidates.Length > 0
            ? candidates[0]
            : throw new InvalidOperationException($"{assembly}.dll is not built under src/{project}/bin/(Release|Debug)/net10.0: build the solution first.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WsRooms.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("WsRooms.sln not found above " + AppContext.BaseDirectory);
    }
}
