// HostPreflight: before a multi-host launch, asks every remote host through the same remote shell
// mpirun will use (ssh, or cluster.mpirun_args' plm_rsh_agent) whether it answers and has the binary.
import Foundation
import Model

/// The pre-flight check of a multi-host launch. mpirun itself reports an unreachable host late
/// and vaguely (or waits on ssh); this check fails in seconds with a message naming the host.
public enum HostPreflight {
    /// Seconds ssh may take to connect (`-o ConnectTimeout`), and the default bound per host.
    public static let connectTimeout = 5
    public static let defaultTimeout = 15.0

    /// What a host answered.
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        case ok
        /// The remote shell could not reach the host (ssh exit 255, or no answer in time).
        case unreachable(String)
        /// The host answered but lacks the binary (or a required file) at the same path.
        case missingBinary

        public var description: String {
            switch self {
            case .ok: return "it answered"
            case .unreachable(let why): return "not reachable: \(why)"
            case .missingBinary: return "it lacks the binary or a required file at the same path"
            }
        }
    }

    /// Remote hosts of `cluster` (from `hosts` or the hostfile), this machine's names left out.
    public static func remoteHosts(_ cluster: ClusterSpec) throws -> [String] {
        let hosts = try RankPlacement.listedHosts(cluster).map(\.host)
        var seen = Set<String>()
        return hosts.filter { !isLocal($0) && seen.insert($0).inserted }
    }

    /// Whether `host` names this machine (`localhost`, a loopback address, its host name).
    public static func isLocal(_ host: String) -> Bool {
        ClusterSpec.isLocal(host, localHost: ProcessInfo.processInfo.hostName)
    }

    /// The remote-shell command mpirun will use: `plm_rsh_agent` from `cluster.mpirun_args`, else
    /// from `OMPI_MCA_plm_rsh_agent`, else ssh. ssh gets BatchMode (never ask for a password) and
    /// a short ConnectTimeout.
    public static func agent(_ cluster: ClusterSpec,
                             environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var agent = environment["OMPI_MCA_plm_rsh_agent"] ?? "ssh"
        let args = cluster.mpirunArgs
        for i in args.indices.dropLast(2) where ["--mca", "-mca", "--gmca", "-gmca"].contains(args[i])
            && args[i + 1] == "plm_rsh_agent" {
            agent = args[i + 2]
        }
        // Open MPI accepts alternatives ("ssh : rsh") and takes the first that exists.
        let first = agent.split(separator: ":").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "ssh"
        var words = first.split(separator: " ").map(String.init)
        if words.isEmpty { words = ["ssh"] }
        if (words[0] as NSString).lastPathComponent == "ssh" {
            words += ["-o", "BatchMode=yes", "-o", "ConnectTimeout=\(connectTimeout)"]
        }
        return words
    }

    /// The command run for `host`: the agent, the host, and one shell string (as ssh takes it)
    /// that prints a marker when `binary` is executable and every one of `files` readable there.
    public static func probe(agent: [String], host: String, binary: String, files: [String] = []) -> LaunchCommand {
        func quoted(_ path: String) -> String { "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let tests = ["test -x \(quoted(binary))"] + files.map { "test -r \(quoted($0))" }
        return LaunchCommand(executable: agent[0],
                             arguments: Array(agent.dropFirst()) + [host, tests.joined(separator: " && ") + " && echo \(marker)"],
                             environment: [:])
    }
    static let marker = "ringtrain-preflight-ok"

    /// Checks every remote host concurrently, each within `timeout` seconds (default 15), and
    /// throws one `LaunchError` naming every host that failed and what it needs. `files` (e.g.
    /// the config) must be readable there too.
    public static func check(_ cluster: ClusterSpec, binary: String, files: [String] = [],
                             timeout: Double = defaultTimeout) throws {
        let agent = agent(cluster)
        var problems: [String] = []
        for (host, outcome) in try outcomes(cluster, binary: binary, files: files, timeout: timeout) {
            switch outcome {
            case .ok: continue
            case .unreachable(let why):
                problems.append("host \(host) is not reachable through `\(agent.joined(separator: " "))`: \(why)")
            case .missingBinary:
                problems.append("host \(host) lacks \(([binary] + files).joined(separator: " or ")) "
                                + "(every host needs the same binary, config and data at the same paths)")
            }
        }
        guard problems.isEmpty else {
            throw LaunchError("pre-flight check failed, the job was not started:\n  " + problems.joined(separator: "\n  ")
                + "\n  (a multi-host run needs passwordless ssh or cluster.mpirun_args' plm_rsh_agent to every host and the "
                + "binary at the same path on each; see docs/multi-host.md; cluster.preflight: false skips this check)")
        }
    }

    /// What every remote host of `cluster` answered, in listed order, all asked at once.
    public static func outcomes(_ cluster: ClusterSpec, binary: String, files: [String] = [],
                                timeout: Double = defaultTimeout) throws -> [(host: String, outcome: Outcome)] {
        let hosts = try remoteHosts(cluster)
        guard !hosts.isEmpty else { return [] }
        let agent = agent(cluster)
        let probes = hosts.map { host in Probe(probe(agent: agent, host: host, binary: binary, files: files)) }
        return zip(hosts, probes).map { ($0, $1.wait(timeout: timeout)) }
    }
}

/// One running probe process.
private final class Probe: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let done = DispatchSemaphore(value: 0)
    private var startError: String?

    init(_ command: LaunchCommand) {
        var executable = command.executable
        if !executable.contains("/"), let found = ExecutableSearch.find(executable) { executable = found }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = command.arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        process.terminationHandler = { [done] _ in done.signal() }
        do { try process.run() } catch { startError = "cannot start \(executable): \(error.fileErrorText)" }
    }

    func wait(timeout: Double) -> HostPreflight.Outcome {
        if let startError { return .unreachable(startError) }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            if done.wait(timeout: .now() + 2) == .timedOut { kill(process.processIdentifier, SIGKILL) }
            return .unreachable("no answer within \(Int(timeout)) s")
        }
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if out.contains(HostPreflight.marker) { return .ok }
        let status = process.terminationStatus
        if status == 255 || process.terminationReason == .uncaughtSignal {
            let lastLine = err.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
            return .unreachable(lastLine)
        }
        return .missingBinary
    }
}
