// BenchScalingCommand: `ringtrain bench scaling CONFIG` — predicted all-reduce and step times and
// efficiency at 1…1024 ranks for a config's model, from its measured compute and measured or given links.
import ArgumentParser
import Collective
import Coordinator
import Foundation

struct BenchScaling: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Predict step time and efficiency at many ranks for a config's model.",
        discussion: """
        Measures one rank's compute and update for the config's model on this machine, then the
        links: --probe HOST,HOST times a 2-rank exchange between the two hosts (the network) and
        between 2 ranks on the first (the local link); or give --latency-us and --gbps (and
        --local-latency-us, --local-gbps; otherwise the local link is probed on this machine).
        Predicts the flat ring, the two-level all-reduce where ranks share hosts, the sharded
        update and overlap. --network and --mpirun-args act as cluster.network and
        cluster.mpirun_args for the probe.
        Example: ringtrain bench scaling cluster.yaml --latency-us 30 --gbps 7.5 --ranks-per-host 8
        """)

    @Argument(help: "The run config whose model is measured.")
    var config: String?

    @Option(parsing: .unconditional, help: "Comma-separated rank counts to predict (default 1,2,4,…,1024).")
    var ranks: String = ScalingBenchmarkSettings.defaultRankCounts.map(String.init).joined(separator: ",")

    @Option(parsing: .unconditional, help: "Ranks per host; hosts fill in order (default: the config's first host's slots, else 1).")
    var ranksPerHost: Int?

    @Option(help: "Two hosts, HOST,HOST, to measure the links on: the network between them, the local link on the first.")
    var probe: String?

    @OptionGroup var hostOptions: MPIHostOptions

    @Option(parsing: .unconditional, help: "Latency between hosts, microseconds per message (with --gbps, instead of --probe).")
    var latencyUs: Double?

    @Option(parsing: .unconditional, help: "Bandwidth one stream reaches between hosts, Gbit/s (with --latency-us).")
    var gbps: Double?

    @Option(parsing: .unconditional, help: "Latency between ranks of one host, microseconds (with --local-gbps; default: probed).")
    var localLatencyUs: Double?

    @Option(parsing: .unconditional, help: "Bandwidth between ranks of one host, Gbit/s (with --local-latency-us).")
    var localGbps: Double?

    @Option(parsing: .unconditional, help: "Samples per rank per step (default: the config's, batch_size ÷ (ranks × accumulate)).")
    var batch: Int?

    @Option(parsing: .unconditional, help: "Training steps per timed repetition of the 1-rank measurement (default as bench train).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Timed repetitions of the 1-rank measurement; medians count.")
    var repeats: Int = 3

    @Flag(inversion: .prefixedNo, help: "fp16 gradients on the wire (default: the config's job.gradient_compression).")
    var fp16: Bool?

    @Flag(help: "One JSON object per prediction instead of a table.")
    var json = false

    @Flag(help: .hidden) var probeWorker = false

    func validate() throws {
        if probeWorker { return }
        guard config != nil else { throw ValidationError("missing the config: ringtrain bench scaling CONFIG") }
        _ = try rankCounts()
        try BenchCounts.check([("--ranks-per-host", ranksPerHost, BenchCounts.ranks), ("--batch", batch, Int.max),
                               ("--steps", steps, BenchCounts.steps), ("--repeats", repeats, BenchCounts.repeats)])
        if let probe {
            let hosts = probe.split(separator: ",", omittingEmptySubsequences: false)
            guard hosts.count == 2, hosts.allSatisfy({ !$0.isEmpty }), !probe.contains(":") else {
                throw ValidationError("--probe: '\(probe)' is not two hosts; expected HOST,HOST (names or IPv4 addresses)")
            }
            guard hosts[0] != hosts[1] else { throw ValidationError("--probe: '\(probe)' names one host twice; the network is between two") }
        } else if hostOptions.given {
            throw ValidationError("--network and --mpirun-args are for the probe's mpirun; give --probe HOST,HOST too")
        }
        _ = try link("--latency-us", latencyUs, "--gbps", gbps)
        _ = try link("--local-latency-us", localLatencyUs, "--local-gbps", localGbps)
        if probe != nil && latencyUs != nil {
            throw ValidationError("--probe measures the network; drop it or --latency-us and --gbps")
        }
        if probe == nil && latencyUs == nil {
            throw ValidationError("say how fast the links between hosts are: --probe HOST,HOST measures them, or give --latency-us and --gbps")
        }
    }

    /// The rank counts of --ranks.
    func rankCounts() throws -> [Int] {
        let items = ranks.split(separator: ",", omittingEmptySubsequences: false)
        let counts = items.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !items.isEmpty, counts.count == items.count, counts.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else {
            throw ValidationError("--ranks: '\(ranks)' is not a comma-separated list of rank counts from 1 to 1048576")
        }
        return counts
    }

    /// The link two options give (both or neither, positive and finite).
    func link(_ latencyName: String, _ latency: Double?, _ bandwidthName: String, _ bandwidth: Double?) throws -> LinkCost? {
        switch (latency, bandwidth) {
        case (nil, nil): return nil
        case let (latency?, bandwidth?):
            // Beyond these (1,000 s a message; 1 kbit/s to 1 Pbit/s) the model's times overflow or mean nothing.
            guard latency.isFinite, (0...1e9).contains(latency) else {
                throw ValidationError("\(latencyName) must be a number of microseconds from 0 to 1e9, not \(latency)")
            }
            guard bandwidth.isFinite, (1e-6...1e6).contains(bandwidth) else {
                throw ValidationError("\(bandwidthName) must be a number of Gbit/s from 1e-6 to 1e6, not \(bandwidth)")
            }
            return LinkCost(latency: latency / 1e6, bandwidth: bandwidth * 1e9 / 8)
        default: throw ValidationError("\(latencyName) and \(bandwidthName) go together: give both or neither")
        }
    }

    func run() throws {
        try exitOnUserError {
            if probeWorker { return try ScalingBenchmark.probeRank() }
            var settings = ScalingBenchmarkSettings(config: config!)
            (settings.batch, settings.steps, settings.repeats, settings.rankCounts) = (batch, steps, repeats, try rankCounts())
            (settings.ranksPerHost, settings.network, settings.mpirunArgs, settings.fp16, settings.json) =
                (ranksPerHost, hostOptions.network, hostOptions.mpirunArgs, fp16, json)
            settings.probeHosts = probe.map { $0.split(separator: ",").map(String.init) }
            settings.networkLink = try link("--latency-us", latencyUs, "--gbps", gbps)
            settings.localLink = try link("--local-latency-us", localLatencyUs, "--local-gbps", localGbps)
            try ScalingBenchmark.run(settings, probeArguments: ["bench", "scaling", "--probe-worker"])
        }
    }
}
