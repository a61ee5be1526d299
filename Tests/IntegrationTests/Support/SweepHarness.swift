// SweepHarness: what the sweep attack tests share — program-objective sweep configs, runs of the
// real binary marked so every process they start can be found, the ledger, the report, and the
// check that a sweep ended whole: each trial once, nothing lost, no process left behind.
import Foundation
import Testing

enum SweepHarness {
    /// The fast shell objective (see Fixtures/objective.sh).
    static let objective: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/objective.sh").path
        chmod(path, 0o755)
        return path
    }()

    /// Environment variable marking every process a test run starts (inherited by all of them).
    static let markVariable = "RINGTRAIN_TEST_RUN"

    /// A sweep shape the attack tests run.
    struct Shape: Sendable, CustomStringConvertible {
        let name: String
        let method: String
        let parameters: String
        let runCap: Int
        let parallel: Int
        var extra = ""
        var epochs = 3
        var description: String { name }
    }

    static let shapes: [Shape] = [
        Shape(name: "grid", method: "grid", parameters: "x: {values: [0.1, 0.5]}\n    y: {values: [0.2, 0.9]}", runCap: 4, parallel: 1),
        Shape(name: "random, 2 in parallel", method: "random", parameters: "x: {min: 0.0, max: 1.0}\n    y: {values: [0.2, 0.9]}",
              runCap: 4, parallel: 2),
        Shape(name: "bayes with hyperband, 2 in parallel", method: "bayes", parameters: "x: {min: 0.0, max: 1.0}",
              runCap: 6, parallel: 2, extra: "  early_terminate: {type: hyperband, min_iter: 1, eta: 2}\n", epochs: 4),
        Shape(name: "random with retries", method: "random", parameters: "x: {min: 0.0, max: 1.0}\n    fail: {value: once}",
              runCap: 3, parallel: 1, extra: "  max_retries: 1\n"),
    ]

    /// Writes the sweep config of `shape` into `dir`; returns its path.
    static func config(_ shape: Shape, in dir: String) throws -> String {
        let path = dir + "/sweep.yaml"
        try """
        cluster: {stop_grace_period: 5}
        sweep:
          method: \(shape.method)
          program: \(objective)
          metric: {name: score, goal: minimize}
          parameters:
            \(shape.parameters)
          run_cap: \(shape.runCap)
          parallel: \(shape.parallel)
          seed: 5
        \(shape.extra.contains("max_retries") ? "" : "  max_retries: 0\n")\(shape.extra)
        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// Writes the smallest sweep config — a grid over two values of x, `runCap` trials (default
    /// 2), no retries — into `dir` as grid.yaml; returns its path.
    static func gridConfig(in dir: String, runCap: Int = 2) throws -> String {
        let path = dir + "/grid.yaml"
        try """
        cluster: {stop_grace_period: 2}
        sweep:
          program: \(objective)
          method: grid
          metric: {name: score, goal: minimize}
          parameters:
            x: {values: [0.1, 0.5]}
          run_cap: \(runCap)
          max_retries: 0
        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// Writes a sweep of the shell objective (metric `score`, minimized; stop grace 2 s) into
    /// `dir` as sweep.yaml: `method`, `parameters` (one `name: {…}` line each) and any further
    /// sweep keys (`run_cap: 4`, `parallel: 2`, ...); returns its path.
    static func objectiveSweep(in dir: String, method: String, parameters: [String], keys: [String] = []) throws -> String {
        let path = dir + "/sweep.yaml"
        try (["cluster: {stop_grace_period: 2}", "sweep:", "  program: \(objective)", "  method: \(method)",
              "  metric: {name: score, goal: minimize}", "  parameters:"]
            + parameters.map { "    " + $0 } + keys.map { "  " + $0 }).joined(separator: "\n")
            .appending("\n").write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    /// Runs the binary with `arguments`, every process it starts marked with `mark`.
    static func run(_ arguments: [String], mark: String, environment: [String: String] = [:], timeout: Double = 120) throws -> ProcessResult {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        var env = TrainingFixtures.environment.merging(environment) { $1 }
        env[markVariable] = mark
        return try ProcessRunner.run(binary, arguments, environment: env, timeout: timeout)
    }

    /// Processes still alive that carry `mark` (found through /proc).
    static func leftovers(_ mark: String) -> [String] {
        let needle = "\(markVariable)=\(mark)"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> String? in
            guard Int32(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { return nil }
            guard data.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == needle }) else { return nil }
            let command = (FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") ?? Data())
                .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            return "\(entry): \(command)"
        }
    }

    /// Waits (up to a few seconds) for processes of `mark` to go, then returns those still alive.
    static func leftoversAfterSettling(_ mark: String) -> [String] {
        for _ in 0..<50 {
            if leftovers(mark).isEmpty { return [] }
            usleep(100_000)
        }
        return leftovers(mark)
    }

    /// `ringtrain report RUN --format json`, parsed.
    static func report(_ runDirectory: String, mark: String) throws -> [String: Any] {
        let result = try run(["report", runDirectory, "--format", "json", "--no-save"], mark: mark)
        #expect(result.status == 0, "\(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// Checks that a sweep ended whole: `expected` trials, all ended (none pending, running or
    /// interrupted), distinct configurations, every finished trial's objective completed exactly
    /// once and with all its epochs recorded, no objective completed twice, no process left, and
    /// at most `lostAttempts` attempts started again beyond the retries the shape asks for (a
    /// crash costs at most the one attempt it cut short; an adopted trial costs none).
    static func expectWhole(_ runDirectory: String, ledger: String, shape: Shape, mark: String, lostAttempts: Int = 1,
                            _ label: String) throws {
        let trials = try #require(try report(runDirectory, mark: mark)["trials"] as? [[String: Any]])
        let retries = shape.parameters.contains("fail: {value: once}") ? trials.count : 0
        let extra = trials.map { $0["attempts"] as? Int ?? 0 }.reduce(0, +) - trials.count - retries
        #expect(extra <= lostAttempts, "\(label): \(extra) attempts started again: \(trials.map { $0["attempts"] ?? "" })")
        #expect(trials.count == shape.runCap, "\(label): \(trials.count) trials")
        let statuses = trials.map { $0["status"] as? String ?? "?" }
        #expect(statuses.allSatisfy { ["finished", "stopped"].contains($0) }, "\(label): \(statuses)")
        if !shape.extra.contains("max_retries") {
            #expect(trials.allSatisfy { $0["error"] is NSNull }, "\(label): no attempt may fail: \(trials.map { $0["error"] ?? "" })")
        }
        let parameters = trials.compactMap { $0["params"] as? [String: Any] }.map { "\($0.sorted { $0.key < $1.key })" }
        #expect(Set(parameters).count == trials.count, "\(label): a configuration twice: \(parameters)")
        let lines = ((try? String(contentsOfFile: ledger, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(Set(lines).count == lines.count, "\(label): an objective completed twice: \(lines.sorted())")
        for trial in trials where trial["status"] as? String == "finished" {
            let id = trial["id"] as? Int ?? -1
            let folder = String(format: "/trial-%04d", id)
            #expect(lines.filter { $0.hasSuffix(folder) }.count == 1, "\(label): trial \(id) completed \(lines.filter { $0.hasSuffix(folder) }.count) times")
            #expect(trial["epochs"] as? Int == shape.epochs, "\(label): trial \(id) kept \(trial["epochs"] ?? "no") of \(shape.epochs) epochs")
        }
        #expect(leftoversAfterSettling(mark).isEmpty, "\(label): left behind: \(leftovers(mark))")
    }
}
