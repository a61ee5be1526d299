// Step-budget bounds tests: a checkpoint of a job budgeted in steps is only its global step —
// epoch 0, step_in_epoch equal to it, at most the job's steps — and anything else names the field.
import Testing
@testable import Worker

private func state(epoch: Int, stepInEpoch: Int, globalStep: Int) -> CheckpointState {
    CheckpointState(position: TrainingPosition(epoch: epoch, stepInEpoch: stepInEpoch, globalStep: globalStep),
                    learningRate: 0.1, seed: 1, worldSize: 2, configHash: "")
}

private let bounds = CheckpointState.Bounds(epochs: 10, stepsPerEpoch: 7, trainSamples: 70, steps: 100)

@Test("positions of a steps budget from the start to the end load")
func stepPositionsFit() throws {
    for step in [0, 1, 55, 100] { try state(epoch: 0, stepInEpoch: step, globalStep: step).check(against: bounds) }
}

@Test("a position outside a steps budget is refused naming the field and what is valid", arguments: [
    (state(epoch: 0, stepInEpoch: 101, globalStep: 101), "global_step", "raise job.steps"),
    (state(epoch: 2, stepInEpoch: 3, globalStep: 17), "epoch", "budgeted in epochs"),
    (state(epoch: 0, stepInEpoch: 3, globalStep: 17), "step_in_epoch", "valid: 17"),
])
func stepPositionsRefused(state: CheckpointState, field: String, fragment: String) {
    #expect {
        try state.check(against: bounds)
    } throws: { error in
        guard let error = error as? CheckpointStateFieldError else { return false }
        return error.field == field && error.description.contains(fragment)
    }
}
