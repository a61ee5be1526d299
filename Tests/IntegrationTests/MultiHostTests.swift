// MultiHostTests: `ringtrain train` across three namespace hosts through the real launcher — same
// parameters as one process, with loss on a link too; a dead or unreachable host ends it with its name.
import Foundation
import Testing

@Suite(.serialized,
       .enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed (scripts/setup installs it)"),
       .enabled(if: TestCluster.available, "network namespaces cannot be created here (needs root and `ip netns`)"))
struct MultiHostTests {
    /// Steps traced by the equivalence tests.
    static let steps = 20

    /// A 3-rank Fashion-MNIST MLP job on the cluster's hosts.
    static func config(_ cluster: TestCluster, in dir: String, epochs: Int = 2, failureTimeout: Int = 20) throws -> String {
        let path = dir + "/multihost.yaml"
        try """
        \(cluster.clusterSection(failureTimeout: failureTimeout))
        job:
          name: multihost
          seed: 3
          dataset: {name: fashion-mnist, subset: 3000, validation: 500}
          model: {type: mlp, hidden: [32]}
          optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
          batch_size: 48
          epochs: \(epochs)
          ranks: \(cluster.addresses.count)
        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// Losses and final parameters of `steps` steps of `config` in one process (the reference).
    static func oneProcess(_ config: String, dir: String) throws -> (losses: [Double], parameters: [Float]) {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        let result = try ProcessRunner.run(binary, ["worker", config, "--trace-steps", "\(steps)", "--dump-parameters", dir + "/one.bin"],
                                           environment: TrainingFixtures.environment, timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        return (TrainingFixtures.jsonLines(result.stdout).compactMap { $0["loss"] as? Double },
                try DataParallelTests.floats(dir + "/one.bin"))
    }

    /// `ringtrain train config --trace-steps` across the hosts, checked against one process.
    static func expectSameAsOneProcess(_ config: String, dir: String) throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let reference = try oneProcess(config, dir: dir)
        let result = try ProcessRunner.run(binary, ["train", config, "--run-dir", dir + "/run", "--trace-steps", "\(steps)",
                                                    "--dump-parameters", dir + "/hosts.bin"],
                                           environment: TestCluster.environment, timeout: 120)
        #expect(!result.timedOut, "the job hung: \(result.output)")
        #expect(result.status == 0, "\(result.output)")
        let losses = TrainingFixtures.jsonLines(result.stdout).compactMap { $0["loss"] as? Double }
        #expect(losses.count == steps && reference.losses.count == steps, "\(result.output)")
        for (x, y) in zip(reference.losses, losses) { #expect(abs(x - y) <= 1e-5 * abs(x), "loss \(x) vs \(y)") }
        let p = reference.parameters, q = try DataParallelTests.floats(dir + "/hosts.bin")
        #expect(p.count == q.count && !p.isEmpty)
        let difference = zip(p, q).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let norm = p.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(difference <= 1e-5 * norm, "‖Δθ‖/‖θ‖ = \(difference / norm)")
    }

    /// In the background: once `file` exists (at most 60 s), kill every process on node2 and
    /// note when; gives up if the job ends first.
    fileprivate static func killNode2(once file: String) -> KillTime {
        let killed = KillTime()
        DispatchQueue.global().async {
            for _ in 0..<600 where !killed.jobEnded {
                if FileManager.default.fileExists(atPath: file) { break }
                usleep(100_000)
            }
            guard !killed.jobEnded else { return }
            killed.set(Date())
            _ = try? TestCluster.run(["kill", "node2"])
        }
        return killed
    }

    @Test func threeHostsTrainLikeOneProcess() throws {
        let cluster = try TestCluster.up(3)
        defer { cluster.down() }
        let dir = try TrainingFixtures.temporaryDirectory()
        try Self.expectSameAsOneProcess(try Self.config(cluster, in: dir), dir: dir)
    }

    /// 50 ms delay and 1 % loss on node2's link (both ways). Where the kernel lacks sch_netem,
    /// testcluster emulates the loss with nftables and says the delay is not emulated (exit 3).
    @Test func latencyAndLossKeepTheResult() throws {
        let cluster = try TestCluster.up(3)
        defer { cluster.down() }
        let netem = try TestCluster.run(["netem", "node2", "delay", "50ms", "loss", "1%"])
        #expect(netem.status == 0 || netem.status == 3, "\(netem.output)")
        if netem.status == 3 { print("note: \(netem.stderr.split(separator: "\n").joined(separator: "; "))") }
        let dir = try TrainingFixtures.temporaryDirectory()
        try Self.expectSameAsOneProcess(try Self.config(cluster, in: dir), dir: dir)
    }

    /// Every process in node2's namespace is killed once training is under way: the job ends
    /// with an error naming that host, within cluster.failure_timeout (plus start-up slack).
    @Test func deadHostEndsTheJob() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let cluster = try TestCluster.up(3)
        defer { cluster.down() }
        let dir = try TrainingFixtures.temporaryDirectory()
        let failureTimeout = 8
        let config = try Self.config(cluster, in: dir, epochs: 200, failureTimeout: failureTimeout)
        let killed = Self.killNode2(once: dir + "/run/checkpoints/latest")
        let result = try ProcessRunner.run(binary, ["train", config, "--run-dir", dir + "/run", "--json"],
                                           environment: TestCluster.environment, timeout: 120)
        let ended = Date()
        killed.endJob()
        #expect(!result.timedOut, "the job hung: \(result.output)")
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains(cluster.addresses[1]), "the lost host is not named: \(result.output)")
        let killedAt = try #require(killed.get(), "the job ended before the host was killed: \(result.output)")
        #expect(ended.timeIntervalSince(killedAt) <= Double(failureTimeout) + 10, "took \(ended.timeIntervalSince(killedAt)) s")

        // The job continues on the two hosts left, from its last checkpoint, with fewer ranks.
        let remaining = [cluster.addresses[0], cluster.addresses[2]].map { "{host: \($0), slots: 1}" }.joined(separator: ", ")
        let resumed = try ProcessRunner.run(binary, ["resume", dir + "/run", "--ranks", "2", "--set", "job.epochs=2",
                                                     "--set", "cluster.hosts=[\(remaining)]"],
                                            environment: TestCluster.environment, timeout: 120)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("saved by 3 ranks, now 2"), "\(resumed.output)")
        #expect(resumed.stdout.contains("test: loss"), "\(resumed.output)")
    }

    /// node3's namespace is gone: the launcher's pre-flight fails in seconds naming it, and
    /// nothing is started (no run folder).
    /// A 2-trial sweep across the hosts; a host's processes are killed during the first trial,
    /// which is retried automatically (from its checkpoint), and the sweep completes.
    @Test func sweepAcrossHostsSurvivesAHostDying() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let cluster = try TestCluster.up(3)
        defer { cluster.down() }
        let dir = try TrainingFixtures.temporaryDirectory()
        let base = try Self.config(cluster, in: dir, epochs: 3, failureTimeout: 8)
        let sweep = try String(contentsOfFile: base, encoding: .utf8) + """

            sweep:
              method: grid
              metric: {name: val_acc, goal: maximize}
              parameters:
                optimizer.lr: {values: [0.02, 0.08]}
              max_retries: 1

            """
        try sweep.write(toFile: base, atomically: false, encoding: .utf8)
        let killed = Self.killNode2(once: dir + "/sweep/trial-0001/checkpoints/latest")
        let result = try ProcessRunner.run(binary, ["sweep", base, "--run-dir", dir + "/sweep"],
                                           environment: TestCluster.environment, timeout: 240)
        killed.endJob()
        #expect(!result.timedOut, "\(result.output)")
        #expect(result.status == 0, "\(result.output)")
        #expect(killed.get() != nil, "the host was never killed: \(result.output)")
        let report = try ProcessRunner.run(binary, ["report", dir + "/sweep", "--format", "json", "--no-save"],
                                           environment: TestCluster.environment, timeout: 60)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let trials = try #require(object["trials"] as? [[String: Any]])
        #expect(trials.count == 2)
        #expect(trials.allSatisfy { $0["status"] as? String == "finished" }, "\(trials)")
        #expect(trials.contains { $0["attempts"] as? Int == 2 }, "the interrupted trial was retried: \(trials)")
    }

    /// Two hosts of two slots, two 2-rank training trials at once: each trial gets a host of its
    /// own (its config.yaml lists it), instead of both starting on the first host.
    @Test func trainingTrialsAtOnceShareTheHostsOut() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let cluster = try TestCluster.up(2)
        defer { cluster.down() }
        let dir = try TrainingFixtures.temporaryDirectory()
        let path = try Self.config(cluster, in: dir, epochs: 1)
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: cluster.clusterSection(failureTimeout: 20), with: cluster.clusterSection(failureTimeout: 20, slots: 2)) + """

            sweep:
              method: grid
              metric: {name: val_acc, goal: maximize}
              parameters:
                optimizer.lr: {values: [0.02, 0.08]}
              parallel: 2
              max_retries: 0

            """
        #expect(text.contains("slots: 2"))
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let result = try ProcessRunner.run(binary, ["sweep", path, "--run-dir", dir + "/sweep"], environment: TestCluster.environment, timeout: 240)
        #expect(result.status == 0, "\(result.output)")
        var placed: [String] = []
        for id in 1...2 {
            let config = try String(contentsOfFile: dir + String(format: "/sweep/trial-%04d/config.yaml", id), encoding: .utf8)
            let hosts = cluster.addresses.filter { config.contains("host: \"\($0)\"") }
            #expect(hosts.count == 1 && config.contains("slots: 2"), "trial \(id): \(config)")
            placed += hosts
        }
        #expect(Set(placed).count == 2, "both trials on \(placed)")
        #expect(result.stdout.contains("ranks on \(cluster.addresses[0]):2") && result.stdout.contains("ranks on \(cluster.addresses[1]):2"),
                "\(result.stdout)")
    }

    @Test func unreachableHostFailsFast() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let cluster = try TestCluster.up(3)
        defer { cluster.down() }
        #expect(try TestCluster.run(["stop", "node3"]).status == 0)
        let dir = try TrainingFixtures.temporaryDirectory()
        let result = try ProcessRunner.run(binary, ["train", try Self.config(cluster, in: dir), "--run-dir", dir + "/run"],
                                           environment: TestCluster.environment, timeout: 30)
        #expect(!result.timedOut, "the launch hung: \(result.output)")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("host \(cluster.addresses[2]) is not reachable"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/run"))
    }
}

/// When the killer thread struck (nil before), and whether the job has already ended (then
/// the killer stands down, so it never touches a later test's cluster).
private final class KillTime: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date?
    private var ended = false
    func set(_ date: Date) { lock.withLock { time = date } }
    func get() -> Date? { lock.withLock { time } }
    func endJob() { lock.withLock { ended = true } }
    var jobEnded: Bool { lock.withLock { ended } }
}
