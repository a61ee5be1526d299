// TestHookOptions: the hidden flags that make one rank fail on purpose (the tests' way to lose a
// rank at a chosen step), shared by `worker` and `train`, which passes them on to its ranks.
import ArgumentParser
import Worker

struct TestHookOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: .hidden) var failRank: Int?
    @Option(parsing: .unconditional, help: .hidden) var failStep: Int?
    @Option(help: .hidden) var failMode: String = "error"

    /// The hooks these flags ask for.
    func hooks() throws -> RankTestHooks {
        guard let mode = RankTestHooks.Failure(rawValue: failMode) else {
            throw ValidationError("--fail-mode must be one of: " + RankTestHooks.Failure.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return RankTestHooks(failRank: failRank, failStep: failStep, failMode: mode)
    }
}
