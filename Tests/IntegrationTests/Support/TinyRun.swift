// TinyRun: a run small enough to repeat a hundred times in a test — a generated 3-class CSV, an
// MLP of 8 hidden units, 10 steps per epoch — and helpers to run `ringtrain` on it.
import Foundation
import Testing

/// A tiny training setup in a fresh temporary folder.
struct TinyRun {
    /// The folder holding the data, the config and the runs.
    let dir: String
    /// The config file.
    let config: String

    /// Writes 200 training and 60 test rows (6 features, label 0–2, seeded) and a config: batch
    /// 16, validation 40, so 10 steps per epoch; `epochs` epochs (default 3); `job` lines are
    /// added to the job section (e.g. a checkpoint policy); `failureTimeout` is
    /// cluster.failure_timeout (default 20 s); `mpirunArgs` cluster.mpirun_args (default none);
    /// `hidden` the MLP's hidden units (default 8).
    /// `outlier` puts a huge feature value in three rows, not normalized (fp16 overflow tests).
    /// `model` replaces the MLP (a YAML flow mapping; default nil).
    init(epochs: Int = 3, job: String = "  checkpoint: {every_steps: 4, keep_last: 2}", failureTimeout: Int = 20,
         mpirunArgs: [String] = [], hidden: Int = 8, outlier: Float? = nil, model: String? = nil) throws {
        dir = try TrainingFixtures.temporaryDirectory()
        var state: UInt64 = 0x5eed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float((state >> 40) % 1000) / 1000
        }
        for (file, rows) in [("train.csv", 200), ("test.csv", 60)] {
            var text = "f0,f1,f2,f3,f4,f5,label\n"
            for row in 0..<rows {
                let label = row % 3
                var features = (0..<6).map { i in next() + (i % 3 == label ? 1 : 0) }
                if let outlier, file == "train.csv", [7, 77, 150].contains(row) { features[0] = outlier }
                text += features.map { String($0) }.joined(separator: ",") + ",\(label)\n"
            }
            try text.write(toFile: dir + "/" + file, atomically: false, encoding: .utf8)
        }
        config = dir + "/tiny.yaml"
        try """
        cluster:
          oversubscribe: true
          failure_timeout: \(failureTimeout)
          mpirun_args: [\(mpirunArgs.joined(separator: ", "))]
        job:
          name: tiny
          seed: 5
          dataset: {train: train.csv, test: test.csv, label: label, validation: 40\(outlier == nil ? "" : ", normalize: none")}
          model: \(model ?? "{type: mlp, hidden: [\(hidden)]}")
          optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
          batch_size: 16
          epochs: \(epochs)
        \(job)
        """.write(toFile: config, atomically: false, encoding: .utf8)
    }

    /// Adds a grid sweep over `optimizer.lr` (`lrs`: the values as YAML list items), minimising val_loss.
    func appendLearningRateGrid(_ lrs: String) throws {
        try append("""
        sweep:
          method: grid
          metric: {name: val_loss}
          parameters:
            optimizer.lr: {values: [\(lrs)]}
        """)
    }

    /// Adds `section` (e.g. a sweep section) to the end of the config.
    func append(_ section: String) throws {
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n" + section).write(toFile: config, atomically: false, encoding: .utf8)
    }

    /// Runs the built `ringtrain` with `arguments` (bounded by `timeout`, default 120 s).
    static func ringtrain(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> ProcessResult {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        return try ProcessRunner.run(binary, arguments, environment: TrainingFixtures.environment.merging(environment) { $1 },
                                     timeout: timeout)
    }

    /// `ringtrain train` of this config into `run` (a folder name under `dir`).
    func train(_ run: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> ProcessResult {
        try Self.ringtrain(["train", config, "--run-dir", dir + "/" + run] + extra, environment: environment)
    }

    /// The name `checkpoints/latest` holds in `run`, if any.
    func latest(_ run: String) -> String? {
        (try? String(contentsOfFile: dir + "/" + run + "/checkpoints/latest", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The model file of the checkpoint `latest` names in `run`.
    func finalModel(_ run: String) throws -> Data {
        let name = try #require(latest(run), "no latest in \(run)")
        return try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(run)/checkpoints/\(name)/model.safetensors"))
    }

    /// Rewrites state.json of checkpoint `name` in `run` with `field` set to `json` (a JSON
    /// value), and its state.sha256 to match, as a careful hand would.
    func editState(_ run: String, _ name: String, field: String, json: String) throws {
        let folder = "\(dir)/\(run)/checkpoints/\(name)"
        var text = try String(contentsOfFile: folder + "/state.json", encoding: .utf8)
        // Top-level fields only (two spaces in): `config_start` nests fields of the same names.
        let pattern = try NSRegularExpression(pattern: "^  \"\(field)\" : [^,\\n]+", options: .anchorsMatchLines)
        text = pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text),
                                                withTemplate: "  \"\(field)\" : \(json)")
        try text.write(toFile: folder + "/state.json", atomically: false, encoding: .utf8)
        let sum = try ProcessRunner.run("/usr/bin/sha256sum", [folder + "/state.json"], timeout: 10)
        try (String(sum.stdout.prefix(64)) + "\n").write(toFile: folder + "/state.sha256", atomically: false, encoding: .utf8)
    }
}
