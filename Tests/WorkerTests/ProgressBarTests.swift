// Progress bar tests: the line drawn for an epoch of an epochs job, and for the whole budget of a
// job budgeted in steps (which has no epochs to name).
import Testing
@testable import Worker

@Test("the progress bar counts a steps budget's steps, not an epoch")
func progressBarOfAStepsBudget() {
    #expect(ProgressBar.line(TrainingPosition(epoch: 0, stepInEpoch: 50, globalStep: 50), of: 200, budgetInSteps: true)
            == "step [#######.......................] 50/200")
    #expect(ProgressBar.line(TrainingPosition(epoch: 2, stepInEpoch: 5, globalStep: 25), of: 10, budgetInSteps: false)
            == "epoch 3 [###############...............] 5/10")
}
