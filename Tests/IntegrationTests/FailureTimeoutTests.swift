// FailureTimeoutTests: on 2 real ranks with a short cluster.failure_timeout, a checkpoint save
// slower than the timeout completes (rank 0 is busy, not dead), while a rank stopped with
// SIGSTOP still ends the job within the bound, the message naming that rank.
import Foundation
import Testing

@Suite(.serialized)
struct FailureTimeoutTests {
    @Test func aSaveSlowerThanTheFailureTimeoutIsNotADeadRank() throws {
        let tiny = try TinyRun(epochs: 2, job: "  checkpoint: {every_steps: 0, keep_last: 1}", failureTimeout: 1)
        let result = try tiny.train("run", ["--ranks", "2"], environment: ["RINGTRAIN_TEST_SAVE_DELAY": "3"])
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.stderr.contains("no reply from the other ranks"), "\(result.stderr)")
        #expect(tiny.latest("run") == "step-00000020")
    }

    @Test func aStoppedRankEndsTheJobNamingIt() throws {
        let tiny = try TinyRun(epochs: 100_000, job: "  checkpoint: {every_steps: 0, every_epoch: false, keep_last: 1}",
                               failureTimeout: 2)
        let run = tiny.dir + "/run"
        let job = try Background(["train", tiny.config, "--ranks", "2", "--run-dir", run])
        #expect(job.wait(until: { ((try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? "").contains("\n") }))
        let stopped = try #require(Background.rank(1, mentioning: run))
        kill(stopped, SIGSTOP)
        defer { for pid in Background.processes(mentioning: run) { kill(pid, SIGKILL) } }
        let status = job.finish(timeout: 90)
        #expect(status != nil && status != 0, "the job must end on its own: \(job.stderr)")
        #expect(job.stderr.contains("rank 1 (pid \(stopped), this host) is stopped"), "\(job.stderr)")
        #expect(job.stderr.contains("cluster.failure_timeout"), "\(job.stderr)")
    }
}
