using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/WsRooms.Benchmarks -- --filter '*'   (or --filter '*Codec*', '*FanOut*')
BenchmarkSwitcher.FromAssembly(typeof(WsRooms.Benchmarks.FrameCodecBenchmarks).Assembly).Run(args);
