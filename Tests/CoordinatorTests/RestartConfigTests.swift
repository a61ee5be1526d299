// RestartConfigTests: `cluster.restarts` — a bare count or a mapping, off by default, durations as
// numbers or with units, every bad value named by key path and range, Slurm refused, resolved.yaml.
import Foundation
import Testing
@testable import Coordinator

@Suite("cluster.restarts in the config")
struct RestartConfigTests {
    /// A job (lines 1-4) and `cluster:` on line 5, so `restarts:` is on line 6.
    static let job = """
    job:
      dataset:
        train: train.csv
        label: label
    cluster:

    """

    /// The config with `cluster.restarts: <text>` on line 6, after `extra` cluster keys.
    static func config(_ text: String, extra: String = "") throws -> RunConfig {
        try load(job + extra + "  restarts: \(text)\n")
    }

    /// A spec with the given fields, the rest defaults.
    static func spec(max: Int, minRanks: Int = 1, backoff: Double = 10, window: Double = 1800) -> RestartSpec {
        var spec = RestartSpec()
        (spec.max, spec.minRanks, spec.backoff, spec.window) = (max, minRanks, backoff, window)
        return spec
    }

    @Test("restarts are off by default: max 0, min_ranks 1, backoff 10 s, window 30 min, backoff limit 300 s")
    func offByDefault() throws {
        let restarts = try load(Self.job.replacingOccurrences(of: "cluster:\n", with: "")).cluster.restarts
        #expect(restarts == RestartSpec())
        #expect(!restarts.enabled)
        #expect(restarts.max == 0 && restarts.minRanks == 1 && restarts.backoff == 10 && restarts.window == 1800)
        #expect(restarts.backoffLimit == 300)
        #expect(try Self.config("~").cluster.restarts == RestartSpec(), "null is absent")
    }

    @Test("a bare count, a mapping with defaults, and durations as numbers or with s, m, h", arguments: [
        ("3", spec(max: 3)),
        ("0", spec(max: 0)),
        ("1000", spec(max: 1000)),
        ("{}", spec(max: 0)),
        ("{max: 2}", spec(max: 2)),
        ("{max: 5, min_ranks: 2, backoff: 10s, window: 2m}", spec(max: 5, minRanks: 2, backoff: 10, window: 120)),
        ("{max: 1, backoff: 30, window: 3600}", spec(max: 1, backoff: 30, window: 3600)),
        ("{max: 1, backoff: 1.5, window: 1h}", spec(max: 1, backoff: 1.5, window: 3600)),
        ("{max: 1, backoff: 0}", spec(max: 1, backoff: 0)),
        ("{max: 1, backoff: \"2m\", window: 1}", spec(max: 1, backoff: 120, window: 1)),
        ("{max: 1, backoff: 24h, window: 720h}", spec(max: 1, backoff: 86_400, window: 2_592_000)),
    ])
    func parses(text: String, expected: RestartSpec) throws {
        let restarts = try Self.config(text).cluster.restarts
        #expect(restarts == expected)
        #expect(restarts.enabled == (expected.max > 0))
    }

    @Test("the backoff limit is 300 s, or the backoff itself when that is longer", arguments: [
        (0.0, 300.0), (10, 300), (300, 300), (600, 600),
    ])
    func backoffLimit(backoff: Double, limit: Double) {
        #expect(Self.spec(max: 1, backoff: backoff).backoffLimit == limit)
    }

    @Test("bad restarts values name the key path and what is valid", arguments: [
        BadConfig(label: "negative bare count", yaml: job + "  restarts: -1\n", line: 6,
                  keyPath: "cluster.restarts", fragments: ["-1 is out of range", "0 (off) to 1000", "mapping {max, min_ranks, backoff, window}"]),
        BadConfig(label: "negative max", yaml: job + "  restarts: {max: -1}\n", line: 6,
                  keyPath: "cluster.restarts.max", fragments: ["-1 is out of range", "0 (off) to 1000"]),
        BadConfig(label: "max above 1000", yaml: job + "  restarts: {max: 1001}\n", line: 6,
                  keyPath: "cluster.restarts.max", fragments: ["1001 is out of range", "0 (off) to 1000"]),
        BadConfig(label: "max not a number", yaml: job + "  restarts: {max: two}\n", line: 6,
                  keyPath: "cluster.restarts.max", fragments: ["expected a whole number", "0 (off) to 1000"]),
        BadConfig(label: "min_ranks 0", yaml: job + "  restarts: {max: 2, min_ranks: 0}\n", line: 6,
                  keyPath: "cluster.restarts.min_ranks", fragments: ["0 is out of range: 1 to 1000000"]),
        BadConfig(label: "unknown key", yaml: job + "  restarts: {maxx: 2}\n", line: 6,
                  keyPath: "cluster.restarts.maxx", fragments: ["unknown key 'maxx'", "did you mean 'max'",
                                                               "valid keys here: max, min_ranks, backoff, window"]),
        BadConfig(label: "backoff abc", yaml: job + "  restarts: {max: 2, backoff: abc}\n", line: 6,
                  keyPath: "cluster.restarts.backoff", fragments: ["'abc' is not a duration", "from 0 s to 1 day)"]),
        BadConfig(label: "negative backoff", yaml: job + "  restarts: {max: 2, backoff: -5s}\n", line: 6,
                  keyPath: "cluster.restarts.backoff", fragments: ["out of range", "from 0 s to 1 day)"]),
        BadConfig(label: "backoff beyond a day", yaml: job + "  restarts: {max: 2, backoff: 25h}\n", line: 6,
                  keyPath: "cluster.restarts.backoff", fragments: ["out of range", "from 0 s to 1 day)"]),
        BadConfig(label: "window 0", yaml: job + "  restarts: {max: 2, window: 0}\n", line: 6,
                  keyPath: "cluster.restarts.window", fragments: ["'0' is out of range", "from 1 s to 30 days"]),
        BadConfig(label: "window 0s", yaml: job + "  restarts: {max: 2, window: 0s}\n", line: 6,
                  keyPath: "cluster.restarts.window", fragments: ["out of range", "from 1 s to 30 days"]),
        BadConfig(label: "window in days", yaml: job + "  restarts: {max: 2, window: 31d}\n", line: 6,
                  keyPath: "cluster.restarts.window", fragments: ["'31d' is not a duration", "from 1 s to 30 days"]),
        BadConfig(label: "window infinite", yaml: job + "  restarts: {max: 2, window: infs}\n", line: 6,
                  keyPath: "cluster.restarts.window", fragments: ["'infs' is not a duration"]),
        BadConfig(label: "a list", yaml: job + "  restarts: [2]\n", line: 6,
                  keyPath: "cluster.restarts", fragments: ["expected a mapping"]),
    ])
    func badValueIsReported(_ bad: BadConfig) {
        bad.expectReported(in: "test.yaml") { _ = try load($0) }
    }

    @Test("launcher: slurm with restarts on is refused naming cluster.restarts, whichever key comes first", arguments: [
        "  launcher: slurm\n  restarts: 2\n",
        "  restarts: {max: 1}\n  launcher: slurm\n",
    ])
    func slurmRefused(cluster: String) {
        let line = cluster.hasPrefix("  launcher") ? 7 : 6
        BadConfig(label: "slurm", yaml: Self.job + cluster, line: line, keyPath: "cluster.restarts",
                  fragments: ["launcher: mpirun only", "sbatch --requeue"])
            .expectReported(in: "test.yaml") { _ = try load($0) }
    }

    @Test("launcher: slurm with restarts off is accepted")
    func slurmWithRestartsOff() throws {
        let config = try Self.config("{max: 0, min_ranks: 2}", extra: "  launcher: slurm\n")
        #expect(config.cluster.launcher == .slurm)
        #expect(!config.cluster.restarts.enabled && config.cluster.restarts.minRanks == 2)
    }

    @Test("--set reaches cluster.restarts, and a bad value set there names the override")
    func overrides() throws {
        let base = Self.job.replacingOccurrences(of: "cluster:\n", with: "")
        #expect(try load(base, overrides: ["cluster.restarts=4"]).cluster.restarts.max == 4)
        #expect(try load(Self.job + "  restarts: {max: 1}\n", overrides: ["cluster.restarts.window=5m"]).cluster.restarts
            == Self.spec(max: 1, window: 300))
        do {
            _ = try load(Self.job + "  restarts: {max: 1}\n", overrides: ["cluster.restarts.min_ranks=0"])
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.keyPath == "cluster.restarts.min_ranks" && error.file.hasPrefix("--set"), "\(error)")
        }
    }

    @Test("resolved.yaml writes restarts and reads back to the same cluster", arguments: [
        "0", "3", "{max: 5, min_ranks: 2, backoff: 10s, window: 2m}", "{max: 1, backoff: 1.5, window: 1h}",
        "{max: 2, backoff: 0}",
    ])
    func resolvedRoundTrip(text: String) throws {
        let original = try Self.config(text)
        let yaml = ResolvedConfig.yaml(job: original.job, cluster: original.cluster)
        #expect(yaml.contains("restarts:\n"), "\(yaml)")
        #expect(yaml.contains("max: \(original.cluster.restarts.max)\n"), "\(yaml)")
        let again = try RunConfig(file: ConfigFile.parse(text: yaml, path: "resolved.yaml"))
        #expect(again.cluster.restarts == original.cluster.restarts, "\(yaml)")
        #expect(again.cluster == original.cluster, "\(yaml)")
        #expect(again.job == original.job)
    }
}
