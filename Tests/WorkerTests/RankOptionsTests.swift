// What crosses from the launcher and from rank 0 to every rank: the options value (as JSON and
// as `ringtrain worker` arguments) and a resume point, rank 0's encoded CheckpointState.
import Collective
import Foundation
import Testing
@testable import Worker

@Suite("Rank options and resume points")
struct RankOptionsTests {
    static func options() -> RankOptions {
        var options = RankOptions(configPath: "/runs/a/resolved.yaml", overrides: ["job.epochs=3", "cluster.failure_timeout=5"])
        options.runDirectory = "/runs/a"
        (options.json, options.resume, options.resetOptimizer, options.launched) = (true, true, true, true)
        (options.traceSteps, options.dumpParameters) = (4, "/tmp/p.bin")
        options.testHooks = RankTestHooks(failRank: 1, failStep: 7, failMode: .hang)
        return options
    }

    @Test("the options survive a JSON round trip, every field set or left at its default",
          arguments: [options(), RankOptions(configPath: "cluster.yaml")])
    func jsonRoundTrip(options: RankOptions) throws {
        let decoded = try JSONDecoder().decode(RankOptions.self, from: JSONEncoder().encode(options))
        #expect(decoded == options)
    }

    @Test("the worker arguments carry every option, in the order the launcher always wrote them")
    func workerArguments() {
        #expect(Self.options().workerArguments == [
            "worker", "/runs/a/resolved.yaml", "--run-dir", "/runs/a", "--set", "job.epochs=3", "--set", "cluster.failure_timeout=5",
            "--json", "--resume", "--reset-optimizer", "--launched", "--trace-steps", "4", "--dump-parameters", "/tmp/p.bin",
            "--fail-rank", "1", "--fail-step", "7", "--fail-mode", "hang",
        ])
        #expect(RankOptions(configPath: "c.yaml").workerArguments == ["worker", "c.yaml"])
        #expect(Self.options().checkpointDirectory == "/runs/a/checkpoints")
    }

    @Test("only the failing rank fails, at its step")
    func failingRank() {
        let hooks = RankTestHooks(failRank: 1, failStep: 7)
        #expect(hooks.failStep(rank: 1) == 7)
        #expect(hooks.failStep(rank: 0) == nil)
        #expect(RankTestHooks().failStep(rank: 0) == nil)
    }

    @Test("the cluster settings decode from the cluster's canonical JSON, defaults for what it leaves out")
    func clusterSettings() throws {
        let agreed = AgreedJob(job: TrainingJob(dataset: .fashionMNIST()), encodedJob: "{}",
                               encodedCluster: #"{"failure_timeout":7.5,"launcher":"mpirun","stop_grace_period":30}"#)
        let settings = try agreed.settings()
        #expect(settings.failureTimeout == 7.5)
        let empty = AgreedJob(job: agreed.job, encodedJob: "{}", encodedCluster: "{}")
        #expect(try empty.settings() == RankSettings())
        guard case .success(let parts) = AgreedJob.parts(of: agreed.message) else { Issue.record("not OK"); return }
        #expect(parts.job == "{}" && parts.cluster == agreed.encodedCluster)
        guard case .failure(let error) = AgreedJob.parts(of: Array("ERR\nbad key".utf8)) else { Issue.record("not an error"); return }
        #expect(error.message == "bad key")
    }

    static func state() -> CheckpointState {
        var state = CheckpointState(position: TrainingPosition(epoch: 2, stepInEpoch: 3, globalStep: 43), learningRate: 0.05,
                                    seed: 7, worldSize: 2, configHash: "v2-0123456789abcdef",
                                    metrics: ["val_loss": 0.25, "loss": .nan, "val_acc": .infinity])
        state.skippedSteps = 2
        state.reportWindow.lossSum = 1.5
        state.configStart = ConfigStart(stepsPerEpoch: 20)
        state.files = ["model.safetensors": CheckpointFileDigest(sha256: String(repeating: "a", count: 64), bytes: 1024)]
        return state
    }

    @Test("rank 0's resume point reaches every other rank whole: position, skipped steps, optimizer step, reset")
    func resumePointCrossesRanks() throws {
        let point = ResumePoint(state: Self.state(), optimizerStepCount: 41, resetOptimizer: false)
        let sent = try point.encoded()
        let received = try InProcessCommunicator.run(size: 3) { comm in
            let collectives = Collectives(comm)
            let bytes = try collectives.broadcast(comm.rank == 0 ? sent : [], root: 0)
            return try ResumePoint.decode(bytes)
        }
        for (rank, got) in received.enumerated() {
            #expect(got.state.position == point.state.position, "rank \(rank)")
            #expect(got.state.skippedSteps == 2 && got.optimizerStepCount == 41 && !got.resetOptimizer, "rank \(rank)")
            #expect(got.state.configHash == point.state.configHash && got.state.configStart == point.state.configStart, "rank \(rank)")
            #expect(got.state.metrics["loss"]!.isNaN && got.state.metrics["val_acc"] == .infinity && got.state.metrics["val_loss"] == 0.25)
            #expect(got.state.files == point.state.files && got.state.reportWindow == point.state.reportWindow)
        }
        let reset = ResumePoint(state: Self.state(), optimizerStepCount: 0, resetOptimizer: true)
        #expect(try ResumePoint.decode(reset.encoded()).resetOptimizer)
        // Every rank reads the state through state.json's checked reader: a header or a field out
        // of range is refused, never taken.
        #expect(throws: (any Error).self) { try ResumePoint.decode(Array("x 0\n".utf8) + Array(try Self.state().encoded())) }
        let text = String(decoding: sent, as: UTF8.self)
        #expect(text.contains("\"global_step\" : 43"))
        let outOfRange = text.replacingOccurrences(of: "\"global_step\" : 43", with: "\"global_step\" : 1")
        #expect(throws: CheckpointStateFieldError.self) { try ResumePoint.decode(Array(outOfRange.utf8)) }
    }
}
