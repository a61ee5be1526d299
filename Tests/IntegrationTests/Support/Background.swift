// Background: a `ringtrain` process left running while a test does other things to its run
// folder, and a scan of /proc for the processes still working on a folder.
import Foundation
import Testing

/// A started `ringtrain` whose output goes to files.
final class Background {
    let process = Process()
    private let errorPath: String
    private let outputPath: String?

    /// Starts `ringtrain arguments` (or `executable arguments`) with `environment` added to the
    /// test environment, in `directory` (default: the test's working folder).
    /// With `keepOutput`, standard output is kept too (`stdout`); by default it is discarded.
    init(executable: String? = nil, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
         keepOutput: Bool = false) throws {
        let ringtrain = try #require(BuiltBinary.ringtrain)
        process.executableURL = URL(fileURLWithPath: executable ?? ringtrain)
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(TrainingFixtures.environment) { $1 }
            .merging(environment) { $1 }
        let folder = try TrainingFixtures.temporaryDirectory()
        errorPath = folder + "/stderr"
        outputPath = keepOutput ? folder + "/stdout" : nil
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        if let outputPath {
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
    }

    var pid: pid_t { process.processIdentifier }

    /// Standard output so far (empty unless kept).
    var stdout: String { outputPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? "" }

    /// Standard error so far.
    var stderr: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Waits (at most `timeout` seconds, default 120) for `condition` while the process runs;
    /// true if it held.
    func wait(until condition: () -> Bool, timeout: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the end (SIGKILL to its process group after `timeout` seconds); the exit status,
    /// or nil if it had to be killed.
    func finish(timeout: Double = 120) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        guard !process.isRunning else {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Processes whose command line mentions `text` (e.g. a run folder), this test's excepted.
    static func processes(mentioning text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?.dropFirst().first
            return state != "Z" && String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }

    /// The pid of the rank `rank` of a job working on `text`, from its environment.
    static func rank(_ rank: Int, mentioning text: String) -> pid_t? {
        processes(mentioning: text).first { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }
        }
    }
}
