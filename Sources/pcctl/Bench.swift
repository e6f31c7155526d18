import ArgumentParser

/// `pcctl bench <suite>`: the benchmarks of every hot path, printing a table or JSON.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark a hot path and print medians (a table, or JSON with --json).",
        subcommands: [BenchNumerics.self, BenchSims.self, BenchAgents.self, BenchBridge.self, BenchPC.self]
    )
}

/// Options every benchmark suite shares.
struct BenchOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .long, help: "Repeats per measurement; the median is reported.")
    var repeats: Int = 7

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1 (got \(repeats))") }
    }
}
