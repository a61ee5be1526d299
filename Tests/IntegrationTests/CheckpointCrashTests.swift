// CheckpointCrashTests: the real binary killed (`_exit`) at every crash point of a checkpoint
// save — a first save, a re-save of the same step, a save that prunes — then resumed: `latest`
// always names a checkpoint that verifies, and the final model is byte-identical to a straight run.
import Foundation
import Testing

@Suite(.serialized)
struct CheckpointCrashTests {
    /// CrashPoint.points["checkpoint"], in save order (checked against the source below).
    static let points = ["checkpoints-folder-synced", "temp-folder-created", "model.safetensors", "optimizer.safetensors",
                         "state-written", "state.json", "state.sha256", "temp-folder-synced", "rename", "checkpoints-synced",
                         "old-removed", "latest-written", "latest", "latest-synced", "prune-renamed", "prune-removed", "prune-synced"]

    @Test func theListMatchesTheCrashPointRegistry() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Worker/CrashPoint.swift").path
        let text = try String(contentsOfFile: source, encoding: .utf8)
        let section = try #require(text.range(of: "\"checkpoint\": [").map { text[$0.upperBound...] }?.prefix { $0 != "]" })
        let listed = section.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("\"") else { return nil }
            return String(trimmed.dropFirst().prefix { $0 != "\"" })
        }
        #expect(listed == Self.points)
    }

    enum Scenario: String, CaseIterable, Sendable { case firstSave, resave, prune }

    /// The straight run every interrupted one must match.
    static let reference: Result<(TinyRun, Data), any Error> = Result {
        let tiny = try TinyRun()
        let straight = try tiny.train("straight")
        guard straight.status == 0 else { throw TestClusterError("straight run failed: \(straight.output)") }
        return (tiny, try tiny.finalModel("straight"))
    }

    @Test("killed at every crash point, then resumed: latest verifies and the final model is byte-identical",
          arguments: Scenario.allCases)
    func killedAtEveryPoint(_ scenario: Scenario) throws {
        let (tiny, expected) = try Self.reference.get()
        var killedAt: [String] = []
        for point in Self.points {
            let run = "\(scenario.rawValue)-\(point)"
            var environment = ["RINGTRAIN_CRASH_AT": "checkpoint:\(point):1"]
            var first: ProcessResult
            switch scenario {
            case .firstSave:
                first = try tiny.train(run, environment: environment)
            case .resave:
                // A complete run whose latest was left one checkpoint behind (as a crash right
                // after the last rename would leave it): the resume re-saves step 30 over itself.
                let setup = try tiny.train(run, ["--set", "job.checkpoint.keep_last=9"])
                #expect(setup.status == 0, "\(setup.output)")
                try "step-00000028\n".write(toFile: "\(tiny.dir)/\(run)/checkpoints/latest", atomically: true, encoding: .utf8)
                first = try TinyRun.ringtrain(["resume", "\(tiny.dir)/\(run)", "--set", "job.checkpoint.keep_last=9"],
                                              environment: environment)
            case .prune:
                // keep_last 1: the second save (step 8) prunes step 4; prune points pass only there.
                environment["RINGTRAIN_CRASH_AT"] = "checkpoint:\(point):\(point.hasPrefix("prune") ? 1 : 2)"
                first = try tiny.train(run, ["--set", "job.checkpoint.keep_last=1"], environment: environment)
            }
            if first.status == 0 {
                // This save never passes the point (e.g. nothing to prune in a first save).
                #expect(try tiny.finalModel(run) == expected, "\(run)")
                continue
            }
            #expect(first.status == 86, "\(run): \(first.output)")
            killedAt.append(point)
            if let latest = tiny.latest(run) {
                let verified = try TinyRun.ringtrain(["evaluate", "\(tiny.dir)/\(run)/checkpoints/\(latest)", "--json"])
                #expect(verified.status == 0, "\(run): latest names \(latest), which must verify: \(verified.output)")
            }
            // Continue as the sweep does: --resume once latest exists, else start again.
            let again = tiny.latest(run) != nil
                ? try TinyRun.ringtrain(["resume", "\(tiny.dir)/\(run)"])
                : try tiny.train(run, scenario == .prune ? ["--set", "job.checkpoint.keep_last=1"] : [])
            #expect(again.status == 0, "\(run): \(again.output)")
            #expect(try tiny.finalModel(run) == expected, "\(run): the final model differs from the straight run")
        }
        let expectedKills: Set<String>
        switch scenario {
        case .firstSave: expectedKills = Set(Self.points).subtracting(["old-removed"])   // prune points: in the third save
        case .resave: expectedKills = Set(Self.points).subtracting(["checkpoints-folder-synced", "prune-renamed", "prune-removed", "prune-synced"])
        case .prune: expectedKills = Set(Self.points).subtracting(["checkpoints-folder-synced", "old-removed"])
        }
        #expect(Set(killedAt) == expectedKills)
    }
}
