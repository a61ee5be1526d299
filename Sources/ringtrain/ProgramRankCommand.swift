// ProgramRankCommand: `ringtrain program-rank -- PROGRAM ARGS...` (hidden) — the shim each rank of a
// distributed program trial runs under mpirun or srun; it sets RANK, WORLD_SIZE, ... and execs.
import ArgumentParser
import Coordinator
import Foundation

struct ProgramRankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "program-rank", shouldDisplay: false)

    @Argument(parsing: .postTerminator, help: "The program and its arguments.")
    var command: [String] = []

    func run() throws {
        let failure = ProgramRank.exec(command)
        FileHandle.standardError.writeText("ringtrain program-rank: \(failure)\n")
        throw ExitCode(127)
    }
}
