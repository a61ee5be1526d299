// CheckpointResumeTests: interrupt real runs — SIGKILL to a rank at a chosen step, SIGTERM
// mid-epoch, a crash while a checkpoint is written — then resume, and require the final
// model.safetensors to be byte-identical to an uninterrupted run; in one process and on 2 ranks.
import Foundation
import Testing

@Suite(.serialized, .enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed (scripts/setup installs it)"))
struct CheckpointResumeTests {
    static let extra = "  checkpoint: {every_steps: 15, keep_last: 2}"
    static let model = "{type: mlp, hidden: [32], dropout: 0.2}"

    /// The newest checkpoint's model file of a run folder.
    static func finalModel(_ runDirectory: String) throws -> Data {
        let latest = try String(contentsOfFile: runDirectory + "/checkpoints/latest", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try Data(contentsOf: URL(fileURLWithPath: "\(runDirectory)/checkpoints/\(latest)/model.safetensors"))
    }

    static func ringtrain(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 180) throws -> ProcessResult {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        return try ProcessRunner.run(binary, arguments, environment: TrainingFixtures.environment.merging(environment) { $1 },
                                     timeout: timeout)
    }

    /// Starts `ringtrain train`, sends SIGTERM once the first epoch is reported, waits.
    static func trainAndInterrupt(_ arguments: [String], runDirectory: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(BuiltBinary.ringtrain))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(TrainingFixtures.environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && process.isRunning {
            let lines = (try? String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8))?.split(separator: "\n").count ?? 0
            if lines >= 1 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// `sharded`: each rank updates only its shard, so the checkpoint's optimizer state must be
    /// gathered from both ranks before it is written, or the resumed run would drift.
    @Test(arguments: [(1, false), (2, false), (2, true)])
    func killedRankThenResumeIsExact(ranks: Int, sharded: Bool) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: Self.extra + "\n  sharded_update: \(sharded)",
                                                      model: Self.model)
        let straight = try Self.ringtrain(["train", config, "--ranks", "\(ranks)", "--run-dir", dir + "/straight"])
        #expect(straight.status == 0, "\(straight.output)")

        // The interrupted run: rank (ranks - 1) dies by SIGKILL after step 37 (mid-epoch 1).
        let workerArguments = ["worker", config, "--set", "job.ranks=\(ranks)", "--run-dir", dir + "/killed",
                               "--fail-rank", "\(ranks - 1)", "--fail-step", "37", "--fail-mode", "kill"]
        let killed = ranks == 1
            ? try Self.ringtrain(workerArguments)
            : try DataParallelTests.mpirun(ranks, workerArguments)
        #expect(killed.status != 0, "\(killed.output)")
        #expect(try String(contentsOfFile: dir + "/killed/checkpoints/latest", encoding: .utf8).contains("step-00000030"))

        let resumed = try Self.ringtrain(["resume", dir + "/killed"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("resumed from"), "\(resumed.output)")
        #expect(try Self.finalModel(dir + "/killed") == Self.finalModel(dir + "/straight"))
    }

    /// A stop agreed at an epoch's last step is honoured after that epoch's report: the checkpoint
    /// holds the next epoch's start (a valid position), resume takes it without skipping it, the
    /// epoch's metrics line is written once, and the final model is the uninterrupted one.
    @Test(arguments: [1, 2])
    func stopAtAnEpochsLastStepResumesFromIt(ranks: Int) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: Self.extra, model: Self.model)
        let straight = try Self.ringtrain(["train", config, "--ranks", "\(ranks)", "--run-dir", dir + "/straight"])
        #expect(straight.status == 0, "\(straight.output)")
        let straightLines = TrainingFixtures.jsonLines(try String(contentsOfFile: dir + "/straight/metrics.jsonl", encoding: .utf8))
        let epochEnd = try #require(straightLines.first?["step"] as? Int)

        // The request is made after step epochEnd - 1 and agreed in step epochEnd's exchange.
        let workerArguments = ["worker", config, "--set", "job.ranks=\(ranks)", "--run-dir", dir + "/stopped",
                               "--fail-rank", "\(ranks - 1)", "--fail-step", "\(epochEnd - 1)", "--fail-mode", "signal"]
        let stopped = ranks == 1 ? try Self.ringtrain(workerArguments) : try DataParallelTests.mpirun(ranks, workerArguments)
        #expect(stopped.status == 3, "\(stopped.output)")
        #expect(stopped.stdout.contains("stopped by a signal at step \(epochEnd)"), "\(stopped.output)")
        let resumed = try Self.ringtrain(["resume", dir + "/stopped"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("resumed from") && resumed.stdout.contains(String(format: "step-%08d (epoch 2", epochEnd)),
                "\(resumed.output)")
        #expect(!resumed.output.contains("skipped"), "\(resumed.output)")
        #expect(try Self.finalModel(dir + "/stopped") == Self.finalModel(dir + "/straight"))
        let epochs = TrainingFixtures.jsonLines(try String(contentsOfFile: dir + "/stopped/metrics.jsonl", encoding: .utf8))
            .compactMap { $0["epoch"] as? Int }
        #expect(epochs == straightLines.compactMap { $0["epoch"] as? Int })
    }

    /// With batch norm, model.safetensors also holds the running statistics (and the count of
    /// batches): a run killed mid-epoch and resumed ends byte-identical to one never stopped.
    @Test(arguments: [1, 2])
    func killedRunWithBatchNormResumesExactly(ranks: Int) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let model = "{layers: [{type: flatten}, {type: dense, units: 32}, {type: batch_norm}, {type: activation, function: relu}, {type: dense, units: 10}]}"
        let config = try TrainingFixtures.smallConfig(in: dir, extra: Self.extra, model: model)
        let straight = try Self.ringtrain(["train", config, "--ranks", "\(ranks)", "--run-dir", dir + "/straight"])
        #expect(straight.status == 0, "\(straight.output)")

        let workerArguments = ["worker", config, "--set", "job.ranks=\(ranks)", "--run-dir", dir + "/killed",
                               "--fail-rank", "\(ranks - 1)", "--fail-step", "37", "--fail-mode", "kill"]
        let killed = ranks == 1 ? try Self.ringtrain(workerArguments) : try DataParallelTests.mpirun(ranks, workerArguments)
        #expect(killed.status != 0, "\(killed.output)")
        let resumed = try Self.ringtrain(["resume", dir + "/killed"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("resumed from"), "\(resumed.output)")
        let final = try Self.finalModel(dir + "/killed")
        #expect(final == (try Self.finalModel(dir + "/straight")))
        #expect(String(decoding: final.prefix(2048), as: UTF8.self).contains(#""batch_norm_2.num_batches_tracked":{"dtype":"I64","shape":[]"#))

        // `ringtrain evaluate` uses the saved running statistics: the same accuracy as the run's own test.
        let evaluated = try Self.ringtrain(["evaluate", dir + "/straight", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.output)")
        let metrics = try String(contentsOfFile: dir + "/straight/metrics.jsonl", encoding: .utf8)
        let trained = try #require(TrainingFixtures.jsonLines(metrics).compactMap { $0["test_acc"] as? Double }.last, "\(metrics)")
        let accuracy = try #require(TrainingFixtures.jsonLines(evaluated.stdout).compactMap { $0["accuracy"] as? Double }.first,
                                    "\(evaluated.output)")
        #expect(accuracy == trained, "evaluate \(accuracy), the run's own test \(trained)")
    }

    @Test(arguments: [1, 2])
    func sigtermSavesAndResumeIsExact(ranks: Int) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: Self.extra, model: Self.model)
        let long = ["--set", "job.epochs=8", "--ranks", "\(ranks)"]
        let straight = try Self.ringtrain(["train", config, "--run-dir", dir + "/straight"] + long)
        #expect(straight.status == 0, "\(straight.output)")

        let status = try Self.trainAndInterrupt(["train", config, "--run-dir", dir + "/stopped"] + long, runDirectory: dir + "/stopped")
        #expect(status == 3, "interrupted runs exit with 3")
        let resumed = try Self.ringtrain(["train", config, "--run-dir", dir + "/stopped", "--resume"] + long)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try Self.finalModel(dir + "/stopped") == Self.finalModel(dir + "/straight"))
    }

    @Test func crashWhileWritingACheckpointLosesNothing() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: Self.extra, model: Self.model)
        let straight = try Self.ringtrain(["train", config, "--run-dir", dir + "/straight"])
        #expect(straight.status == 0)
        // First attempt dies inside its first checkpoint write (after model.safetensors); the
        // second dies inside a later one; the third finishes.
        let first = try Self.ringtrain(["train", config, "--run-dir", dir + "/crash"],
                                       environment: ["RINGTRAIN_CRASH_AT": "checkpoint:model.safetensors"])
        #expect(first.status != 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/crash/checkpoints/latest"))
        let fresh = try Self.ringtrain(["train", config, "--run-dir", dir + "/crash2"])
        #expect(fresh.status == 0)
        let again = try Self.ringtrain(["train", config, "--set", "job.epochs=3", "--run-dir", dir + "/crash2", "--resume"],
                                       environment: ["RINGTRAIN_CRASH_AT": "checkpoint:optimizer.safetensors"])
        #expect(again.status != 0, "\(again.output)")
        let verified = try Self.ringtrain(["evaluate", dir + "/crash2", "--json"])
        #expect(verified.status == 0, "latest still names a complete checkpoint: \(verified.output)")
        #expect(verified.stdout.contains("\"step\":82"), "the end of epoch 2 (41 steps each): \(verified.stdout)")
    }

    /// The newest checkpoint's optimizer file of a run folder.
    static func finalOptimizerState(_ runDirectory: String) throws -> Data {
        let latest = try String(contentsOfFile: runDirectory + "/checkpoints/latest", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try Data(contentsOf: URL(fileURLWithPath: "\(runDirectory)/checkpoints/\(latest)/optimizer.safetensors"))
    }

    /// With the sharded update each rank keeps AdamW's moments for its shard only: a checkpoint
    /// gathers them on rank 0, and a resume at another rank count hands each rank its new shard.
    /// Any lost or misplaced element would make the run drift from the same run whose ranks keep
    /// the whole state (`sharded_update: false`, the same bits otherwise), so both are compared
    /// after each leg: 2 ranks, then 3, then 1.
    @Test func shardedOptimizerStateResumesAtOtherRankCounts() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        var legs: [String: [(model: Data, state: Data)]] = [:]
        for sharded in [true, false] {
            let config = dir + "/sharded-\(sharded).yaml"
            try """
            cluster: {oversubscribe: true, failure_timeout: 20}
            job:
              seed: 3
              dataset: {name: fashion-mnist, subset: 1200, validation: 200}
              model: \(Self.model)
              optimizer: {name: adamw, lr: 0.003, weight_decay: 0.01}
              batch_size: 60
              epochs: 3
              sharded_update: \(sharded)
            """.write(toFile: config, atomically: false, encoding: .utf8)
            let run = dir + "/sharded-\(sharded)"
            let commands = [["train", config, "--ranks", "2", "--stop-after", "1", "--run-dir", run],
                            ["resume", run, "--ranks", "3", "--stop-after", "2"],
                            ["resume", run, "--ranks", "1"]]
            for command in commands {
                let result = try Self.ringtrain(command)
                // A leg ended by --stop-after exits 3, as a stop that saved does.
                #expect(result.status == (command.contains("--stop-after") ? 3 : 0), "\(command): \(result.output)")
                legs[String(sharded), default: []].append((try Self.finalModel(run), try Self.finalOptimizerState(run)))
            }
        }
        let sharded = try #require(legs["true"]), whole = try #require(legs["false"])
        #expect(sharded.count == 3 && whole.count == 3)
        for (leg, ranks) in zip(0..<min(sharded.count, whole.count), [2, 3, 1]) {
            // Compared as Bools: a failed expectation on two large Data values would be diffed element by element.
            let sameState = sharded[leg].state == whole[leg].state, sameModel = sharded[leg].model == whole[leg].model
            #expect(sameState, "optimizer state differs after the \(ranks)-rank leg")
            #expect(sameModel, "weights differ after the \(ranks)-rank leg")
        }
    }

    @Test func resumeWithOtherRanksAndRefusedShapeChange() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: Self.extra, model: Self.model)
        let status = try Self.trainAndInterrupt(["train", config, "--set", "job.epochs=8", "--run-dir", dir + "/run"],
                                                runDirectory: dir + "/run")
        #expect(status == 3)
        let shape = try Self.ringtrain(["train", config, "--set", "job.epochs=8", "--set", "job.model.hidden=[16]",
                                        "--run-dir", dir + "/run", "--resume"])
        #expect(shape.status == 2, "\(shape.output)")
        #expect(shape.stderr.contains("changes the model's shape"), "\(shape.stderr)")
        let twoRanks = try Self.ringtrain(["resume", dir + "/run", "--ranks", "2"])
        #expect(twoRanks.status == 0, "\(twoRanks.output)")
        #expect(twoRanks.stdout.contains("saved by 1 ranks, now 2"), "\(twoRanks.stdout)")
        let nothing = try Self.ringtrain(["train", config, "--run-dir", dir + "/empty", "--resume"])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("nothing to resume"), "\(nothing.stderr)")
    }
}
