// ProgramRank: the shim every rank of a distributed program trial runs first (`ringtrain
// program-rank -- PROGRAM ...`): it sets the environment a PyTorch or MPI program expects from
// what mpirun or srun gave this rank, sends ranks other than 0 to their own log, and execs the program.
import Foundation

/// The per-rank environment of a distributed program trial.
public enum ProgramRank {
    /// Variables the coordinator passes to every rank: the rendezvous address and port, and the
    /// attempt (for the rank logs' markers).
    public static let addressVariable = "MASTER_ADDR"
    public static let portVariable = "MASTER_PORT"
    public static let attemptVariable = "RINGTRAIN_TRIAL_ATTEMPT"
    /// Set by the shim on every rank (to its rank): how the trial's supervisor tells the ranks
    /// among the trial's processes.
    public static let marker = "RINGTRAIN_PROGRAM_RANK"
    /// Folder of the trial folder where ranks other than 0 write `rank-N.log`.
    public static let rankLogFolder = "ranks"

    /// What went wrong setting up a rank.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `LOCAL_WORLD_SIZE` from Open MPI's `OMPI_COMM_WORLD_*`
    /// or Slurm's `SLURM_*` variables in `environment`; under srun also `MASTER_ADDR`, the step's
    /// first node (where its task 0 runs), whatever the environment held before. Throws when
    /// neither launcher started this process.
    public static func variables(from environment: [String: String]) throws -> [String: String] {
        func number(_ key: String) throws -> Int {
            guard let text = environment[key], let value = Int(text), value >= 0 else {
                throw Failure(description: "\(key) is \(environment[key].map { "'\($0)'" } ?? "unset"), not a rank or count")
            }
            return value
        }
        var out: [String: String] = [:]
        if environment["OMPI_COMM_WORLD_RANK"] != nil {
            out["RANK"] = String(try number("OMPI_COMM_WORLD_RANK"))
            out["WORLD_SIZE"] = String(try number("OMPI_COMM_WORLD_SIZE"))
            out["LOCAL_RANK"] = String(try number("OMPI_COMM_WORLD_LOCAL_RANK"))
            out["LOCAL_WORLD_SIZE"] = String(try number("OMPI_COMM_WORLD_LOCAL_SIZE"))
        } else if environment["SLURM_PROCID"] != nil {
            out["RANK"] = String(try number("SLURM_PROCID"))
            out["WORLD_SIZE"] = String(try number(environment["SLURM_STEP_NUM_TASKS"] != nil ? "SLURM_STEP_NUM_TASKS" : "SLURM_NTASKS"))
            out["LOCAL_RANK"] = String(try number("SLURM_LOCALID"))
            let perNode = try tasksPerNode(environment["SLURM_STEP_TASKS_PER_NODE"] ?? environment["SLURM_TASKS_PER_NODE"] ?? "")
            let node = try number("SLURM_NODEID")
            guard node < perNode.count else {
                throw Failure(description: "SLURM_NODEID \(node) is past the \(perNode.count) node(s) of SLURM_STEP_TASKS_PER_NODE")
            }
            out["LOCAL_WORLD_SIZE"] = String(perNode[node])
            guard let nodes = environment["SLURM_STEP_NODELIST"] ?? environment["SLURM_JOB_NODELIST"] else {
                throw Failure(description: "SLURM_STEP_NODELIST is unset: the first node's address is not known")
            }
            out[addressVariable] = firstHost(ofHostlist: nodes)
        } else {
            throw Failure(description: "not started by mpirun or srun (neither OMPI_COMM_WORLD_RANK nor SLURM_PROCID is set)")
        }
        return out
    }

    /// Slurm's tasks-per-node list, e.g. `2(x3),1` → [2, 2, 2, 1].
    static func tasksPerNode(_ text: String) throws -> [Int] {
        var counts: [Int] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "(")
            guard let count = Int(parts[0]) else { throw Failure(description: "cannot read tasks per node '\(text)'") }
            var repeats = 1
            if parts.count == 2 {
                guard parts[1].hasPrefix("x"), parts[1].hasSuffix(")"), let n = Int(parts[1].dropFirst().dropLast()) else {
                    throw Failure(description: "cannot read tasks per node '\(text)'")
                }
                repeats = n
            }
            counts += Array(repeating: count, count: repeats)
        }
        guard !counts.isEmpty else { throw Failure(description: "tasks per node is empty") }
        return counts
    }

    /// The first host of a Slurm hostlist: `node[07-09,12],gpu1` → `node07`,
    /// `rack[1-2]-n[01-04]` → `rack1-n01` (each bracket's first value).
    static func firstHost(ofHostlist list: String) -> String {
        var host = "", bracket: String?
        for character in list {
            if var inside = bracket {
                if character == "]" {
                    host += inside.split(whereSeparator: { $0 == "," || $0 == "-" }).first.map(String.init) ?? ""
                    bracket = nil
                } else {
                    inside.append(character)
                    bracket = inside
                }
            } else if character == "[" {
                bracket = ""
            } else if character == "," {
                break
            } else {
                host.append(character)
            }
        }
        return host
    }

    /// Runs `command` as this rank: sets `variables(from:)`, sends a rank other than 0's output
    /// to `ranks/rank-N.log` in the trial folder (or, where that folder is not on this host, to a
    /// folder of the temporary directory, named on standard error), checks on rank 0 that
    /// MASTER_PORT is free here, then execs. Returns only when it cannot: with the reason.
    public static func exec(_ command: [String]) -> Failure {
        let environment = ProcessInfo.processInfo.environment
        let variables: [String: String]
        do { variables = try Self.variables(from: environment) } catch { return error as! Failure }
        guard let program = command.first else { return Failure(description: "no program given after --") }
        for (key, value) in variables { setenv(key, value, 1) }
        let rank = Int(variables["RANK"]!)!
        setenv(marker, String(rank), 1)
        if rank != 0 { redirectOutput(rank: rank, environment: environment) }
        // The port was free on the coordinator's machine; rank 0 may run on another.
        if rank == 0, let text = environment[portVariable], let port = Int(text), !TCPPort.isFree(port) {
            return Failure(description: "MASTER_PORT \(port) is in use on \(ProcessInfo.processInfo.hostName): this attempt fails, and the trial's next one gets another port")
        }
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        execvp(program, &argv)
        return Failure(description: "cannot run \(program): \(String(cString: strerror(errno)))")
    }

    /// Points standard output and error of rank `rank` at its log, after a marker line.
    private static func redirectOutput(rank: Int, environment: [String: String]) {
        var folders: [String] = []
        var isFolder: ObjCBool = false
        if let trial = environment["RINGTRAIN_TRIAL_DIR"], FileManager.default.fileExists(atPath: trial, isDirectory: &isFolder), isFolder.boolValue {
            folders.append(trial + "/" + rankLogFolder)   // the trial folder is here (shared, or this is the coordinator's machine)
        }
        let tag = (environment[TrialExec.tagVariable] ?? "trial").map { $0.isLetter || $0.isNumber ? $0 : "-" }
        folders.append(NSTemporaryDirectory() + "ringtrain-ranks/" + String(tag))
        for (i, folder) in folders.enumerated() {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: i > 0)
            let path = folder + "/rank-\(rank).log"
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { continue }
            if i > 0 {
                FileHandle.standardError.writeText("ringtrain: rank \(rank) on \(ProcessInfo.processInfo.hostName): the trial folder is not here; its output goes to \(path)\n")
            }
            let marker = "\n" + TrialExec.attemptMarker(Int(environment[attemptVariable] ?? "") ?? 0) + "\n"
            _ = marker.withCString { write(fd, $0, strlen($0)) }
            dup2(fd, STDOUT_FILENO)
            dup2(fd, STDERR_FILENO)
            close(fd)
            return
        }
    }
}
