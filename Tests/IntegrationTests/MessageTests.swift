// MessageTests: what the binary says when a person gets something wrong — each message names
// what was given and what would be valid, and none points the wrong way.
import Foundation
import Testing

@Suite(.serialized)
struct MessageTests {
    /// A text corpus of `bytes` bytes and a config training a tiny byte model on it with `context`
    /// (no test split); returns the config's path.
    static func textConfig(in dir: String, bytes: Int, context: Int) throws -> String {
        try String(repeating: "to be or not ", count: bytes / 13 + 1).prefix(bytes)
            .write(toFile: dir + "/corpus.txt", atomically: false, encoding: .utf8)
        let config = dir + "/text.yaml"
        try """
            job:
              name: tinytext
              dataset: {format: text, path: corpus.txt, context: \(context), validation: 0}
              model:
                layers:
                  - {type: embedding, name: wte, vocab: 256, dim: 8}
                  - {type: dense, name: head, units: 256}
              batch_size: 8
              epochs: 1
            """.write(toFile: config, atomically: false, encoding: .utf8)
        return config
    }

    @Test("a context the text cannot hold names the largest that fits, or says the file is too short for any")
    func contextTooLong() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let long = try TinyRun.ringtrain(["validate", Self.textConfig(in: dir, bytes: 40, context: 64)])
        #expect(long.status == 2 && long.stderr.contains("context of at most 39"), "\(long.output)")
        let single = try TinyRun.ringtrain(["validate", Self.textConfig(in: dir, bytes: 1, context: 4)])
        #expect(single.status == 2 && single.stderr.contains("at least 2") && !single.stderr.contains("below 1"), "\(single.output)")
    }

    @Test("validate of a folder says it is a folder, and of a run folder where its config is")
    func validateFolder() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let plain = try TinyRun.ringtrain(["validate", dir])
        #expect(plain.status == 2 && plain.stderr.contains("is a folder, not a config file") && !plain.stderr.contains("permissions"),
                "\(plain.output)")
        try "x".write(toFile: dir + "/resolved.yaml", atomically: false, encoding: .utf8)
        let run = try TinyRun.ringtrain(["validate", dir])
        #expect(run.status == 2 && run.stderr.contains("resolved.yaml") && run.stderr.contains("ringtrain resume"), "\(run.output)")
    }

    @Test("a RINGTRAIN_LOG_LEVEL that is no level is refused, naming the levels")
    func badLogLevelVariable() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let result = try TinyRun.ringtrain(["validate", Self.textConfig(in: dir, bytes: 400, context: 8)],
                                           environment: ["RINGTRAIN_LOG_LEVEL": "loud"])
        #expect(result.status == 2 && result.stderr.contains("RINGTRAIN_LOG_LEVEL='loud'") && result.stderr.contains("warning"),
                "\(result.output)")
    }

    @Test("a run without a test split: sample takes a negative --tokens as a value, evaluate names the splits there are, and a file of another format is named as such")
    func runWithoutTestSplit() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try Self.textConfig(in: dir, bytes: 400, context: 8)
        let trained = try TinyRun.ringtrain(["train", config, "--run-dir", dir + "/run", "--json"])
        #expect(trained.status == 0, "\(trained.output)")
        #expect(trained.stderr.contains("run folder: \(dir)/run"), "train --json names its folder on standard error: \(trained.stderr)")
        #expect(!trained.stdout.contains("run folder"), "standard output holds only JSON lines")

        let tokens = try TinyRun.ringtrain(["sample", dir + "/run", "--prompt", "to", "--tokens", "-5"])
        #expect(tokens.status == 2 && tokens.stderr.contains("--tokens -5 is out of range"), "\(tokens.output)")

        let test = try TinyRun.ringtrain(["evaluate", dir + "/run"])
        #expect(test.status == 2 && test.stderr.contains("no test split") && test.stderr.contains("choose --data train")
                && !test.stderr.contains("--data test"), "\(test.output)")
    }

    @Test("evaluate of a run on IDX images refuses a CSV or .npy file as another format")
    func evaluateOtherFormat() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, subset: 600)
        let trained = try TinyRun.ringtrain(["train", config, "--run-dir", dir + "/run", "--set", "job.epochs=1"])
        #expect(trained.status == 0, "\(trained.output)")
        for file in ["data.csv", "data.npy"] {
            try "1,2\n".write(toFile: dir + "/" + file, atomically: false, encoding: .utf8)
            let result = try TinyRun.ringtrain(["evaluate", dir + "/run", "--data", dir + "/" + file])
            #expect(result.status == 2 && result.stderr.contains("the run trained on IDX data")
                    && !result.stderr.contains("need their labels"), "\(file): \(result.output)")
        }
    }

    @Test("resolved.yaml of a run started by mpirun records the ranks mpirun started")
    func resolvedRanksFromMPIRun() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, subset: 600)
        let result = try DataParallelTests.mpirun(3, ["worker", config, "--run-dir", dir + "/run", "--set", "job.epochs=1"])
        #expect(result.status == 0, "\(result.output)")
        let resolved = try String(contentsOfFile: dir + "/run/resolved.yaml", encoding: .utf8)
        #expect(resolved.contains("ranks: 3"), "\(resolved)")
    }

    @Test("resume of a training run refuses --set sweep.… (it has no sweep: the value was taken and ignored)")
    func resumeOfATrainingRunRefusesSweepKeys() throws {
        let tiny = try TinyRun(epochs: 1)
        #expect(try tiny.train("run").status == 0)
        for key in ["sweep.run_cap=5", "sweep.bogus=5", "sweep={}"] {
            let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/run", "--set", key])
            #expect(resumed.status == 2 && resumed.stderr.contains("applies to sweeps") && resumed.stderr.contains("is a training run"),
                    "\(key): \(resumed.output)")
        }
    }
}
