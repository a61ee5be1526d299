// CheckpointPolicy tests: when a save is due (every K steps, every S seconds, every epoch, at the end) and which
// checkpoints retention keeps (newest N, best N by a metric, latest), one labelled case per row.
import Testing
@testable import Worker

@Suite("Checkpoint policy")
struct CheckpointPolicyTests {
    struct Due: CustomTestStringConvertible, Sendable {
        let label: String
        let policy: CheckpointPolicy
        let step: Int
        let epochEnded: Bool
        let trainingEnded: Bool
        let save: Bool
        /// The ranks agreed that `every_seconds` have passed (default false).
        var timeDue = false
        var testDescription: String { label }
    }

    static let due: [Due] = [
        Due(label: "every 100 steps, at 200", policy: CheckpointPolicy(everySteps: 100, everyEpoch: false, atEnd: false),
            step: 200, epochEnded: false, trainingEnded: false, save: true),
        Due(label: "every 100 steps, at 250", policy: CheckpointPolicy(everySteps: 100, everyEpoch: false, atEnd: false),
            step: 250, epochEnded: false, trainingEnded: false, save: false),
        Due(label: "every epoch, epoch ended", policy: CheckpointPolicy(), step: 37, epochEnded: true, trainingEnded: false, save: true),
        Due(label: "defaults, mid-epoch", policy: CheckpointPolicy(), step: 37, epochEnded: false, trainingEnded: false, save: false),
        Due(label: "at end only", policy: CheckpointPolicy(everyEpoch: false), step: 41, epochEnded: false, trainingEnded: true, save: true),
        Due(label: "all off", policy: CheckpointPolicy(everyEpoch: false, atEnd: false), step: 40, epochEnded: true, trainingEnded: true, save: false),
        Due(label: "every 30 s, time due mid-epoch", policy: CheckpointPolicy(everySeconds: 30, everyEpoch: false, atEnd: false),
            step: 37, epochEnded: false, trainingEnded: false, save: true, timeDue: true),
        Due(label: "every 30 s, time not due", policy: CheckpointPolicy(everySeconds: 30, everyEpoch: false, atEnd: false),
            step: 37, epochEnded: false, trainingEnded: false, save: false),
    ]

    @Test("a save is due when the policy says so", arguments: due)
    func shouldSave(_ c: Due) {
        #expect(c.policy.shouldSave(at: TrainingPosition(globalStep: c.step), epochEnded: c.epochEnded,
                                    trainingEnded: c.trainingEnded, timeDue: c.timeDue) == c.save)
    }

    struct Keep: CustomTestStringConvertible, Sendable {
        let label: String
        let policy: CheckpointPolicy
        let latest: String?
        let kept: Set<String>
        var testDescription: String { label }
    }

    // a..e at steps 1..5; val_loss a 0.5, b 0.1, c 0.9, d NaN, e missing; val_acc a 0.7, b 0.6, c 0.95.
    static let checkpoints: [(name: String, step: Int, metrics: [String: Double])] = [
        ("a", 1, ["val_loss": 0.5, "val_acc": 0.7]), ("b", 2, ["val_loss": 0.1, "val_acc": 0.6]),
        ("c", 3, ["val_loss": 0.9, "val_acc": 0.95]), ("d", 4, ["val_loss": .nan]), ("e", 5, [:]),
    ]

    static let keep: [Keep] = [
        Keep(label: "keep_last 3 (default)", policy: CheckpointPolicy(), latest: "e", kept: ["c", "d", "e"]),
        Keep(label: "keep_last 1 + best 1 by min val_loss", policy: CheckpointPolicy(keepLast: 1, keepBest: 1), latest: "e", kept: ["b", "e"]),
        Keep(label: "keep_last 1 + best 2 by max val_acc",
             policy: CheckpointPolicy(keepLast: 1, keepBest: 2, bestMetric: "val_acc", bestGoal: .max), latest: "e", kept: ["a", "c", "e"]),
        Keep(label: "latest survives outside both rules", policy: CheckpointPolicy(keepLast: 1), latest: "a", kept: ["a", "e"]),
        Keep(label: "keep_last 0 keeps only latest and best", policy: CheckpointPolicy(keepLast: 0, keepBest: 1), latest: "e", kept: ["b", "e"]),
        Keep(label: "NaN and missing metric never count as best", policy: CheckpointPolicy(keepLast: 0, keepBest: 5), latest: nil, kept: ["a", "b", "c"]),
    ]

    @Test("retention keeps the newest, the best and latest", arguments: keep)
    func retained(_ c: Keep) {
        #expect(c.policy.retained(Self.checkpoints, latest: c.latest) == c.kept)
    }

    @Test("folder names have 8 digits and parse back")
    func folderNames() {
        #expect(CheckpointStore.folderName(step: 1200) == "step-00001200")
        #expect(CheckpointStore.step(ofFolder: "step-00001200") == 1200)
        #expect(CheckpointStore.step(ofFolder: "step-123456789") == 123456789)
        #expect(CheckpointStore.step(ofFolder: "step-12") == nil)
        #expect(CheckpointStore.step(ofFolder: ".tmp-step-00000001-5") == nil)
    }
}
