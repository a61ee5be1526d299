// StepTraceTests: `--trace-steps` refuses a step count outside 1 ... the job's budget, and with a
// budget in steps before any data is read.
import Testing
@testable import Worker
import Model
import Collective

/// A steps-budget job whose data does not exist: any load fails.
private func jobWithoutData(steps: Int) -> TrainingJob {
    var job = TrainingJob(dataset: .fashionMNIST(directory: "/nonexistent/fashion-mnist"))
    job.model = ModelSpec(kind: .mlp, hidden: [4])
    job.epochs = 1
    job.steps = steps
    return job
}

@Test("--trace-steps below 1 or beyond job.steps is refused before the data loads",
      arguments: [(0, "--trace-steps must be from 1 to the job's step budget (got 0)"),
                  (-2, "--trace-steps must be from 1 to the job's step budget (got -2)"),
                  (6, "--trace-steps 6 is more than the job trains: 5 steps; give 1 to 5")])
func traceStepsOutOfRangeIsRefused(steps: Int, message: String) throws {
    let error = #expect(throws: TrainingError.self) {
        try StepTrace.run(job: jobWithoutData(steps: 5), collectives: .singleRank(), steps: steps) { _ in 0 }
    }
    #expect(error?.description == message)
}

@Test("--trace-steps within job.steps goes on to load the data (and fails there, the data being missing)")
func traceStepsInRangeLoads() throws {
    do {
        try StepTrace.run(job: jobWithoutData(steps: 5), collectives: .singleRank(), steps: 5) { _ in 0 }
        Issue.record("trained without data")
    } catch {
        #expect(!(error is TrainingError), "\(error)")
    }
}
