// MultiHostRestartTests: (part of MultiHostTests) a 3-host run over TCP between namespace hosts that restarts itself — a host
// whose link is cut is left out and the run goes on with fewer ranks, and once the host is back it is
// used again at the next restart; the record names the host each time.
import Foundation
import Testing

// In MultiHostTests' suite: one namespace cluster at a time (every test makes its own, same names).
extension MultiHostTests {
    @Test("a host cut off mid-run is left out and the run completes on the rest; back again, it is used at the next restart")
    func lostHostAndItsReturn() throws {
        let cluster = try TestCluster.up(3)
        defer { cluster.down() }
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try MultiHostTests.config(cluster, in: dir, epochs: 5, failureTimeout: 8)
        let run = dir + "/run"
        // 52 steps an epoch, 50 ms each on every rank: long enough for two failures to land mid-run.
        let training = try Background(["train", config, "--run-dir", run,
                                       "--set", "cluster.restarts={max: 3, backoff: 1s}",
                                       "--set", "job.checkpoint={every_steps: 10}",
                                       "--set", "cluster.env={RINGTRAIN_TEST_STEP_DELAY: \"0.05\"}"],
                                      environment: TestCluster.environment)
        defer { if training.process.isRunning { kill(training.pid, SIGKILL) } }
        func records() -> [[String: Any]] {   // as `ringtrain status` reads them
            guard let status = try? TinyRun.ringtrain(["status", run, "--json"], timeout: 30), status.status == 0,
                  let object = try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] else { return [] }
            return object["restarts"] as? [[String: Any]] ?? []
        }
        let node2 = cluster.addresses[1]
        #expect(training.wait(until: { FileManager.default.fileExists(atPath: run + "/checkpoints/latest") }), "\(training.stderr)")
        #expect(try TestCluster.run(["cut", "node2"]).status == 0)
        let trainingAgain = { ((try? String(contentsOfFile: run + "/restarts.jsonl", encoding: .utf8)) ?? "").contains("training_again") }
        #expect(training.wait(until: trainingAgain, timeout: 90),
                "no restart after the cut, or it did not get back to training: \(training.stderr)")

        // node2 is back; node3 dies: the next restart runs on node1, node2 and node3 again.
        #expect(try TestCluster.run(["restore", "node2"]).status == 0)
        #expect(try TestCluster.run(["kill", "node3"]).status == 0)
        let status = training.finish(timeout: 180)
        #expect(status == 0, "\(training.stderr)")

        let all = records()
        try #require(all.count == 2, "\(all) \(training.stderr)")
        #expect(["silent_rank", "lost_host"].contains(all[0]["cause"] as? String ?? ""), "\(all[0])")
        #expect(all[0]["host"] as? String == node2, "the record names the host that was cut: \(all[0])")
        #expect(all[0]["dropped_hosts"] as? [String] == [node2], "\(all[0])")
        #expect(all[0]["ranks_before"] as? Int == 3 && all[0]["ranks_after"] as? Int == 2, "\(all[0])")
        #expect(all[1]["host"] as? String == cluster.addresses[2], "the record names the killed host: \(all[1])")
        #expect(["lost_host", "lost_rank"].contains(all[1]["cause"] as? String ?? ""), "\(all[1])")
        #expect(all[1]["ranks_before"] as? Int == 2 && all[1]["ranks_after"] as? Int == 3, "\(all[1])")
        #expect(all[1]["hosts"] as? [String] == cluster.addresses, "node2 is used again: \(all[1])")
        #expect(all.allSatisfy { ($0["seconds_to_training"] as? Double ?? -1) > 0 }, "\(all)")
        let metrics = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
        #expect(metrics.contains("\"final\":true") || metrics.contains("\"final\" : true"), "the run wrote its end: \(metrics)")
    }
}
