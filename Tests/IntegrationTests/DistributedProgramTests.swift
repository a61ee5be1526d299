// DistributedProgramTests: program trials on several ranks under the real mpirun — every rank gets
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE and a rendezvous address and port that work; the
// metric is rank 0's; a time-out, or a kill of any process, leaves no rank behind; trials running
// at once on the namespace cluster share its hosts out without going past any host's slots.
import Foundation
import Testing

@Suite(.serialized)
struct DistributedProgramTests {
    /// Fixtures/rendezvous.py.
    static let program: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/rendezvous.py").path
        chmod(path, 0o755)
        return path
    }()

    /// A grid sweep of rendezvous.py over `values` of x on `ranks` ranks a trial; `cluster` lines
    /// (indented two spaces), further sweep keys and the stop grace period (default 3 s). Returns
    /// the config's path.
    static func config(in dir: String, values: [Double], ranks: Int, cluster: [String] = [], keys: [String] = [],
                       grace: Int = 3) throws -> String {
        let path = dir + "/sweep.yaml"
        try (["cluster:", "  stop_grace_period: \(grace)"] + cluster.map { "  " + $0 }
             + ["sweep:", "  method: grid", "  program: \(program)", "  program_ranks: \(ranks)",
                "  metric: {name: value, goal: minimize}", "  parameters:",
                "    x: {values: [\(values.map { String($0) }.joined(separator: ", "))]}"] + keys.map { "  " + $0 })
            .joined(separator: "\n").appending("\n").write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// The lines rendezvous.py's ranks logged on meeting (`stopped` false) or when stopped.
    static func rankLines(_ path: String, stopped: Bool = false) -> [[String: Any]] {
        TrainingFixtures.jsonLines((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").filter { ($0["stopped"] as? Bool ?? false) == stopped }
    }

    /// The trials of the sweep in `run`, from its JSON report.
    static func trials(_ run: String, mark: String) throws -> [[String: Any]] {
        try #require(try SweepHarness.report(run, mark: mark)["trials"] as? [[String: Any]])
    }

    /// Whether process `pid` is alive and still the one `mark` started.
    static func alive(_ pid: Int, mark: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "\(SweepHarness.markVariable)=\(mark)" }
    }

    @Test func everyRankGetsItsEnvironmentAndTheMetricIsRankZeros() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let config = try Self.config(in: dir, values: [1.5, 2.5], ranks: 2, cluster: ["env: {RANKS_LOG: \(dir)/ranks.jsonl}"])
        let result = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: mark)
        #expect(result.status == 0, "\(result.output)")
        let trials = try Self.trials(dir + "/run", mark: mark)
        let values = trials.sorted { ($0["id"] as? Int ?? 0) < ($1["id"] as? Int ?? 0) }.map { $0["metric"] as? Double }
        #expect(values == [2.25, 6.25], "rank 0's value, never another rank's decoy: \(trials)")
        let lines = Self.rankLines(dir + "/ranks.jsonl")
        #expect(lines.count == 4, "\(lines)")
        for trial in Set(lines.compactMap { $0["trial"] as? String }) {
            let ranks = lines.filter { $0["trial"] as? String == trial }
            #expect(ranks.compactMap { $0["rank"] as? Int }.sorted() == [0, 1])
            #expect(ranks.allSatisfy { $0["world"] as? Int == 2 && $0["local_world"] as? Int == 2 })
            #expect(ranks.compactMap { $0["local"] as? Int }.sorted() == [0, 1])
            #expect(ranks.allSatisfy { $0["attempt"] as? Int == 1 })
            // The other rank's output is kept apart, decoy included.
            let rankLog = (try? String(contentsOfFile: trial + "/ranks/rank-1.log", encoding: .utf8)) ?? ""
            #expect(rankLog.contains("-1000"), "\(trial)/ranks/rank-1.log: \(rankLog)")
            let output = (try? String(contentsOfFile: trial + "/output.log", encoding: .utf8)) ?? ""
            #expect(!output.contains("-1000"), "\(output)")
        }
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
    }

    /// The sweep stopped (SIGINT) while a trial's ranks run: every rank gets SIGTERM and the stop
    /// grace period to wind up — here 3 s of 8 (mpirun, asked first, would SIGKILL them 2 s after
    /// its SIGTERM) — and nothing is left.
    @Test func aStopReachesEveryRankWithItsGracePeriod() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let config = try Self.config(in: dir, values: [1.0], ranks: 2,
                                     cluster: ["env: {RANKS_LOG: \(dir)/ranks.jsonl, HOLD: \"600\", STOP_TAKES: \"3\"}"],
                                     keys: ["max_retries: 0"], grace: 8)
        let coordinator = try SweepAttackTests.start(["sweep", config, "--run-dir", dir + "/run"], mark: mark)
        #expect(SweepAttackTests.wait(60) { Self.rankLines(dir + "/ranks.jsonl").count == 2 }, "the ranks never met")
        kill(coordinator.processIdentifier, SIGINT)
        #expect(SweepAttackTests.wait(60) { !coordinator.isRunning }, "the sweep did not stop")
        coordinator.waitUntilExit()
        let stopped = Self.rankLines(dir + "/ranks.jsonl", stopped: true).compactMap { $0["rank"] as? Int }.sorted()
        #expect(stopped == [0, 1], "every rank wound up after SIGTERM: \(stopped)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
    }

    @Test func aTimeOutReachesEveryRankAndLeavesNothing() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let config = try Self.config(in: dir, values: [1.0], ranks: 2, cluster: ["env: {RANKS_LOG: \(dir)/ranks.jsonl, HOLD: \"600\"}"],
                                     keys: ["trial_timeout: 3s", "max_retries: 0"])
        let result = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: mark, timeout: 90)
        #expect(!result.timedOut, "\(result.output)")
        let trials = try Self.trials(dir + "/run", mark: mark)
        #expect(trials.first?["status"] as? String == "failed", "\(trials)")
        let error = (trials.first?["error"] as? String) ?? ""
        #expect(error.contains("trial_timeout"), "\(trials)")
        let pids = Self.rankLines(dir + "/ranks.jsonl").compactMap { $0["pid"] as? Int }
        #expect(pids.count == 2, "both ranks met before the time-out")
        #expect(pids.allSatisfy { !Self.alive($0, mark: mark) }, "a rank outlived the time-out")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
    }

    /// What a kill test kills while a trial's first attempt holds.
    enum Victim: String, CaseIterable, Sendable { case supervisor, mpirun, rank1, coordinator }

    /// Any process of a running distributed trial killed (SIGKILL): its other ranks go, and the trial
    /// is run again (or, when the coordinator died, followed by the next one) to its value.
    @Test(arguments: Victim.allCases)
    func aKillOfAnyProcessLeavesNoRankBehind(victim: Victim) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let hold = victim == .coordinator ? "4" : "300"
        let config = try Self.config(in: dir, values: [3.0], ranks: 2,
                                     cluster: ["env: {RANKS_LOG: \(dir)/ranks.jsonl, HOLD_FIRST: \"\(hold)\"}"], keys: ["max_retries: 1"])
        let run = dir + "/run"
        let coordinator = try SweepAttackTests.start(["sweep", config, "--run-dir", run], mark: mark)
        #expect(SweepAttackTests.wait(60) { Self.rankLines(dir + "/ranks.jsonl").count == 2 }, "the ranks never met")
        let first = Self.rankLines(dir + "/ranks.jsonl").compactMap { $0["pid"] as? Int }
        let processes = SweepHarness.leftovers(mark)
        func pid(running word: String) -> Int32? {
            processes.first { $0.split(separator: " ").dropFirst().first.map { $0.hasSuffix(word) } == true
                || $0.contains(" \(word) ") }.flatMap { Int32($0.prefix { $0 != ":" }) }
        }
        let target: Int32?
        switch victim {
        case .supervisor: target = pid(running: "trial-exec")
        case .mpirun: target = pid(running: "mpirun")
        case .rank1: target = Self.rankLines(dir + "/ranks.jsonl").first { $0["rank"] as? Int == 1 }.flatMap { ($0["pid"] as? Int).map(Int32.init) }
        case .coordinator: target = coordinator.processIdentifier
        }
        let victimPID = try #require(target, "no \(victim) among \(processes)")
        kill(victimPID, SIGKILL)
        if victim == .coordinator {
            coordinator.waitUntilExit()
            let resumed = try SweepHarness.run(["resume", run], mark: mark, timeout: 120)
            #expect(resumed.status == 0, "\(resumed.output)")
        } else {
            #expect(SweepAttackTests.wait(120) { !coordinator.isRunning }, "the sweep did not end")
            coordinator.waitUntilExit()
            #expect(coordinator.terminationStatus == 0)
        }
        let trials = try Self.trials(run, mark: mark)
        #expect(trials.first?["status"] as? String == "finished" && trials.first?["metric"] as? Double == 9.0, "\(trials)")
        #expect(trials.first?["attempts"] as? Int == (victim == .coordinator ? 1 : 2), "\(trials)")
        #expect(first.allSatisfy { !Self.alive($0, mark: mark) }, "a rank of the killed attempt is still running")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
    }
}

// In MultiHostTests' suite: one namespace cluster at a time (every test makes its own, same names).
extension MultiHostTests {
    /// Three hosts of two slots, trials of three ranks, two at a time: each trial's ranks are spread
    /// over free slots only, so no host ever runs more than two ranks, and the rendezvous works
    /// across hosts.
    @Test func programTrialsAtOnceShareTheHostsWithinTheirSlots() throws {
        let cluster = try TestCluster.up(3)
        defer { cluster.down() }
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let lines = cluster.clusterSection(slots: 2).split(separator: "\n").dropFirst().map { String($0.dropFirst(2)) }
        let config = try DistributedProgramTests.config(in: dir, values: [1, 2, 3, 4], ranks: 3,
                                                        cluster: lines + ["env: {RANKS_LOG: \(dir)/ranks.jsonl, HOLD: \"1.5\"}"],
                                                        keys: ["parallel: 2", "max_retries: 0"])
        let result = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: mark,
                                          environment: TestCluster.environment, timeout: 180)
        #expect(result.status == 0, "\(result.output)")
        let trials = try DistributedProgramTests.trials(dir + "/run", mark: mark)
        #expect(trials.count == 4 && trials.allSatisfy { $0["status"] as? String == "finished" }, "\(trials)")
        #expect(result.stdout.contains("ranks on \(cluster.addresses[0]):2,\(cluster.addresses[1]):1"), "\(result.stdout)")
        let ranks = DistributedProgramTests.rankLines(dir + "/ranks.jsonl")
        #expect(ranks.count == 12, "\(ranks)")
        // Per host (network namespace): ranks alive at once, from each rank's start and end.
        var events: [(time: Double, net: Int, change: Int)] = []
        for rank in ranks {
            guard let net = rank["net"] as? Int, let start = rank["start"] as? Double, let end = rank["end"] as? Double else { continue }
            events += [(start, net, 1), (end, net, -1)]
        }
        var load: [Int: Int] = [:], peak: [Int: Int] = [:]
        for event in events.sorted(by: { ($0.time, $0.change) < ($1.time, $1.change) }) {
            load[event.net, default: 0] += event.change
            peak[event.net] = max(peak[event.net] ?? 0, load[event.net]!)
        }
        #expect(peak.count == 3, "every host ran ranks: \(peak)")
        #expect(peak.values.allSatisfy { $0 <= 2 }, "a host ran more ranks than its 2 slots: \(peak)")
        // Two trials ran side by side: some ranks of different trials were alive at once.
        let spans = ranks.compactMap { rank -> (trial: String, start: Double, end: Double)? in
            guard let trial = rank["trial"] as? String, let start = rank["start"] as? Double, let end = rank["end"] as? Double else { return nil }
            return (trial, start, end)
        }
        #expect(spans.contains { a in spans.contains { b in a.trial != b.trial && a.start < b.end && b.start < a.end } },
                "trials never ran side by side")
        for trial in Set(ranks.compactMap { $0["trial"] as? String }) {
            let mine = ranks.filter { $0["trial"] as? String == trial }
            #expect(mine.count == 3 && Set(mine.compactMap { $0["net"] as? Int }).count == 2, "3 ranks over 2 hosts: \(mine)")
            for net in Set(mine.compactMap { $0["net"] as? Int }) {
                let here = mine.filter { $0["net"] as? Int == net }
                #expect(here.allSatisfy { $0["local_world"] as? Int == here.count }, "LOCAL_WORLD_SIZE: \(here)")
                #expect(Set(here.compactMap { $0["local"] as? Int }) == Set(0..<here.count), "LOCAL_RANK: \(here)")
            }
        }
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
    }
}
