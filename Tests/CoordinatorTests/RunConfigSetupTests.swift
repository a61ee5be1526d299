// RunConfigSetupTests: the job rank 0 sends in its canonical JSON reads back on every other rank
// as the same job (no YAML read), and a job that would not is refused rather than trained.
import Foundation
import Testing
@testable import Coordinator
import Worker

@Suite("rank 0's job, decoded on the other ranks")
struct RunConfigSetupTests {
    static let job = """
    job:
      name: agreed
      dataset:
        train: train.csv
        label: label
        validation: 0.25
      model:
        type: mlp
        hidden: [16, 8]
      optimizer:
        name: adam
        lr: 0.001
      batch_size: 32
      epochs: 4

    """

    @Test("the canonical JSON decodes to the job rank 0 read, with the same hash", arguments: [
        [], ["job.optimizer={name: sgd, lr: 0.1, momentum: 0.9, nesterov: true, clip_norm: 1.5}"],
        ["job.on_nonfinite=continue", "job.seed=12345"], ["job.epochs=null", "job.steps=40", "job.eval_every=10"],
        ["job.model={layers: [{type: dense, units: 8}, {type: activation, function: relu}, {type: dropout, rate: 0.5}, {type: dense, units: 2}]}"],
        ["job.schedule={name: cosine, warmup_steps: 5}", "job.checkpoint={every_steps: 3, keep_last: 2}"],
        ["job.checkpoint={every_steps: 3, every_seconds: 2m}"], ["job.checkpoint.every_seconds=1.5"],
    ])
    func decodesToTheSameJob(overrides: [String]) throws {
        let config = try load(Self.job, overrides: overrides)
        let setup = RunConfigSetup(config: config)
        let agreed = try setup.load()
        let other = RunConfigSetup(configPath: csvDirectory + "/test.yaml", overrides: [])
        let decoded = try other.decodeJob(agreed.encodedJob)
        #expect(decoded == config.job)
        #expect(other.hash(job: decoded) == ResolvedConfig.hash(job: config.job))
        #expect(try agreed.settings().failureTimeout == config.cluster.failureTimeout)
    }

    @Test("the cluster settings the ranks read travel beside the job")
    func clusterSettings() throws {
        let config = try load("cluster:\n  failure_timeout: 7\n  stop_grace_period: 9\n  allreduce: two_level\n" + Self.job)
        let settings = try RunConfigSetup(config: config).load().settings()
        #expect(settings.failureTimeout == 7 && settings.allReduce == .twoLevel)
        #expect(try RunConfigSetup(config: try load(Self.job)).load().settings().allReduce == .ring, "the default")
        // Settings sent by an earlier version, without the key, read as the ring.
        let earlier = try JSONDecoder().decode(RankSettings.self, from: Data(#"{"failure_timeout": 5}"#.utf8))
        #expect(earlier.allReduce == .ring && earlier.failureTimeout == 5)
    }

    @Test("cluster.allreduce other than ring, two_level or auto is refused, naming the choices")
    func unknownAllReduceIsRefused() throws {
        do {
            _ = try load("cluster:\n  allreduce: tree\n" + Self.job)
            Issue.record("allreduce: tree was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("allreduce") && text.contains("two_level") && text.contains("auto"), "\(text)")
        }
    }

    @Test("a job that does not read back as sent is refused")
    func changedJobIsRefused() throws {
        let config = try load(Self.job)
        let text = ResolvedConfig.canonicalJSON(job: config.job).replacingOccurrences(of: "\"agreed\"", with: "\"agreed\",\"unknown\":1")
        #expect(throws: (any Error).self) { try RunConfigSetup(configPath: csvDirectory + "/test.yaml", overrides: []).decodeJob(text) }
    }
}
