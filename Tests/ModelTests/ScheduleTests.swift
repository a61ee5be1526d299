// Tests for the learning-rate schedules: warmup boundaries, step-decay points, cosine midpoint
// and end, defaults and validation. All runs use base rate 0.1.

import Foundation
import Testing
@testable import Model

struct ScheduleCase: CustomTestStringConvertible, Sendable {
    let label: String
    let spec: ScheduleSpec
    let totalSteps: Int
    /// (step, expected learning rate), worked by hand.
    let points: [(Int, Double)]
    var testDescription: String { label }
}

@Test("Learning rate at chosen steps", arguments: [
    ScheduleCase(label: "constant", spec: .init(), totalSteps: 100,
                 points: [(0, 0.1), (50, 0.1), (99, 0.1), (500, 0.1)]),
    // Warmup 10: step s < 10 gets 0.1·(s+1)/10.
    ScheduleCase(label: "constant, warmup 10", spec: .init(warmupSteps: 10), totalSteps: 100,
                 points: [(0, 0.01), (4, 0.05), (8, 0.09), (9, 0.1), (10, 0.1), (99, 0.1)]),
    ScheduleCase(label: "step every 30, gamma 0.1", spec: .init(kind: .step, stepSize: 30), totalSteps: 100,
                 points: [(0, 0.1), (29, 0.1), (30, 0.01), (59, 0.01), (60, 0.001), (90, 0.0001)]),
    ScheduleCase(label: "step every 30, gamma 0.5, warmup 10",
                 spec: .init(kind: .step, warmupSteps: 10, stepSize: 30, gamma: 0.5), totalSteps: 100,
                 points: [(0, 0.01), (9, 0.1), (10, 0.1), (39, 0.1), (40, 0.05), (69, 0.05), (70, 0.025)]),
    // Cosine over K = 100 steps: 0.1·(1 + cos(π·k/100))/2.
    ScheduleCase(label: "cosine to 0", spec: .init(kind: .cosine), totalSteps: 100,
                 points: [(0, 0.1), (25, 0.05 * (1 + 0.5.squareRoot())), (50, 0.05),
                          (75, 0.05 * (1 - 0.5.squareRoot())), (100, 0), (150, 0)]),
    ScheduleCase(label: "cosine to 0.01", spec: .init(kind: .cosine, minLearningRate: 0.01), totalSteps: 100,
                 points: [(0, 0.1), (50, 0.055), (100, 0.01), (200, 0.01)]),
    // Warmup 20, then cosine over the remaining K = 100 steps.
    ScheduleCase(label: "cosine, warmup 20", spec: .init(kind: .cosine, warmupSteps: 20), totalSteps: 120,
                 points: [(0, 0.005), (9, 0.05), (19, 0.1), (20, 0.1), (70, 0.05), (120, 0)]),
    ScheduleCase(label: "warmup longer than the run", spec: .init(kind: .cosine, warmupSteps: 50), totalSteps: 10,
                 points: [(0, 0.002), (9, 0.02), (49, 0.1), (50, 0.1), (51, 0)]),
])
func scheduleValues(_ c: ScheduleCase) {
    let schedule = LearningRateSchedule(c.spec, baseLearningRate: 0.1, totalSteps: c.totalSteps)
    for (step, expected) in c.points {
        let lr = schedule.learningRate(atStep: step)
        #expect(abs(lr - expected) < 1e-12, "step \(step): expected \(expected), got \(lr)")
    }
}

@Test("Warmup rises to the base rate; afterwards the rate never rises", arguments: ScheduleKind.allCases)
func monotone(_ kind: ScheduleKind) {
    let schedule = LearningRateSchedule(.init(kind: kind, warmupSteps: 5, stepSize: 7), baseLearningRate: 0.1, totalSteps: 40)
    let rates = (0..<40).map(schedule.learningRate(atStep:))
    #expect(zip(rates[0..<4], rates[1..<5]).allSatisfy { $0 < $1 })
    #expect(zip(rates[5..<39], rates[6..<40]).allSatisfy { $0 >= $1 })
    #expect(rates.allSatisfy { $0 > 0 && $0 <= 0.1 })
}

@Test("Schedule spec defaults")
func scheduleDefaults() {
    let spec = ScheduleSpec()
    #expect(spec.kind == .constant && spec.warmupSteps == 0 && spec.stepSize == 1000)
    #expect(spec.gamma == 0.1 && spec.minLearningRate == 0)
}

struct ScheduleSpecCase: CustomTestStringConvertible, Sendable {
    let label: String
    let spec: ScheduleSpec
    let field: String?
    var testDescription: String { label }
}

@Test("Schedule spec validation names the offending field", arguments: [
    ScheduleSpecCase(label: "defaults", spec: .init(), field: nil),
    ScheduleSpecCase(label: "negative warmup", spec: .init(warmupSteps: -1), field: "warmupSteps"),
    ScheduleSpecCase(label: "zero step size", spec: .init(kind: .step, stepSize: 0), field: "stepSize"),
    ScheduleSpecCase(label: "zero gamma", spec: .init(kind: .step, gamma: 0), field: "gamma"),
    ScheduleSpecCase(label: "negative minimum", spec: .init(kind: .cosine, minLearningRate: -0.1), field: "minLearningRate"),
])
func scheduleValidation(_ c: ScheduleSpecCase) {
    if let field = c.field {
        let error = #expect(throws: ScheduleSpecError.self) { try c.spec.validate() }
        #expect(error?.field == field)
    } else {
        #expect(throws: Never.self) { try c.spec.validate() }
    }
}
