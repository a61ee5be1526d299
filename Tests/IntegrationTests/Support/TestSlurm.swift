// TestSlurm: drives scripts/testslurm from the tests — a one-node Slurm (munged, slurmctld, slurmd)
// made for one test in a fresh folder, its client commands, and what its jobs became.
import Foundation
import Testing

/// One running Slurm; `down()` stops it (call it in a `defer`).
struct TestSlurm {
    /// scripts/testslurm of this checkout (found from this source file's path).
    static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/testslurm").path

    /// Whether a Slurm can be started here: root, and the daemons and clients installed.
    static let available: Bool = getuid() == 0
        && ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
        && ["salloc", "sbatch", "scancel", "scontrol"].allSatisfy { BuiltBinary.onPath($0) != nil }

    /// The folder every file of this Slurm lives in.
    let dir: String
    /// What every client command (and ringtrain under them) needs: SLURM_CONF and the test
    /// environment (OpenBLAS threads, mpirun as root).
    var environment: [String: String] { TrainingFixtures.environment.merging(["SLURM_CONF": dir + "/slurm.conf"]) { $1 } }

    /// Starts a Slurm in a new short folder under /tmp (its socket paths must stay short).
    static func up() throws -> TestSlurm {
        var template = Array("/tmp/rtslurm.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSlurmError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        let slurm = TestSlurm(dir: String(cString: made))
        // The daemons carry a mark of their own, so no test's leftover check counts them.
        let result = try ProcessRunner.run("/bin/bash", [script, "up", slurm.dir],
                                           environment: [SweepHarness.markVariable: "slurm-daemons-\(slurm.dir)"], timeout: 60)
        guard result.status == 0 else {
            slurm.down()
            throw TestSlurmError("testslurm up failed: \(result.output)")
        }
        return slurm
    }

    /// Cancels every job, stops the daemons, removes the folder. A daemon or slurmstepd still
    /// alive afterwards is a test failure (and is killed).
    func down() {
        guard FileManager.default.fileExists(atPath: dir) else { return }
        let mark = "slurm-daemons-\(dir)"
        let result = try? ProcessRunner.run("/bin/bash", [Self.script, "down", dir], environment: [SweepHarness.markVariable: mark], timeout: 90)
        if result?.status != 0 { Issue.record("testslurm down \(dir) failed: \(result?.output ?? "did not run")") }
        let left = SweepHarness.leftoversAfterSettling(mark)
        if !left.isEmpty {
            Issue.record("testslurm down left processes of the Slurm in \(dir): \(left)")
            for entry in left { if let pid = Int32(entry.prefix { $0 != ":" }) { kill(pid, SIGKILL) } }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Runs a Slurm client command (`salloc`, `sbatch`, `scontrol`, ...) against this Slurm.
    /// `mark` tags the processes it starts (a batch job's too, which outlives `sbatch`): give
    /// one for a command whose processes outlive it, and check them with `leftovers`.
    func client(_ tool: String, _ arguments: [String], environment extra: [String: String] = [:], mark: String? = nil,
                timeout: Double = 120) throws -> ProcessResult {
        let path = try #require(BuiltBinary.onPath(tool), "\(tool) not on PATH (scripts/setup installs slurm-wlm)")
        var env = environment.merging(extra) { $1 }
        if let mark { env[SweepHarness.markVariable] = mark }
        return try ProcessRunner.run(path, arguments, environment: env, timeout: timeout)
    }

    /// The job id `salloc` reports it was granted (`salloc: Granted job allocation N`).
    static func allocation(granted result: ProcessResult) -> Int? {
        result.stderr.firstMatch(of: /Granted job allocation (\d+)/).flatMap { Int($0.1) }
    }

    /// Submits `script` with sbatch; returns the job id. Its processes carry `mark`.
    func submit(_ script: String, environment extra: [String: String] = [:], mark: String) throws -> Int {
        let result = try client("sbatch", ["--parsable", script], environment: extra, mark: mark, timeout: 30)
        try #require(result.status == 0, "sbatch failed: \(result.output)")
        return try #require(Int(result.stdout.split(separator: ";").first?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""),
                            "sbatch printed no job id: \(result.output)")
    }

    /// A job as `scontrol show job` describes it: its state (RUNNING, FAILED, ...) and exit code
    /// (`3:0`), or nil when Slurm no longer knows it.
    func job(_ id: Int) throws -> (state: String, exitCode: String, restarts: Int)? {
        let result = try client("scontrol", ["show", "job", "\(id)", "--oneliner"], timeout: 30)
        guard result.status == 0 else { return nil }
        func field(_ name: String) -> String? {
            result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix(name + "=") }
                .map { String($0.dropFirst(name.count + 1)) }
        }
        guard let state = field("JobState") else { return nil }
        return (state, field("ExitCode") ?? "", Int(field("Restarts") ?? "") ?? 0)
    }

    /// Waits (at most `timeout` s) until job `id` is in a state other than those `while` lists;
    /// returns what it became.
    func waitWhile(_ id: Int, in states: Set<String>, timeout: Double = 120) throws -> (state: String, exitCode: String, restarts: Int) {
        let deadline = Date().addingTimeInterval(timeout)
        var last: (state: String, exitCode: String, restarts: Int)?
        repeat {
            last = try job(id)
            if let last, !states.contains(last.state) { return last }
            usleep(200_000)
        } while Date() < deadline
        throw TestSlurmError("job \(id) still \(last?.state ?? "unknown") after \(Int(timeout)) s; slurmctld.log:\n"
                             + ((try? String(contentsOfFile: dir + "/slurmctld.log", encoding: .utf8)) ?? "").suffix(3000))
    }

    /// The job steps slurmd launched for job `id` (`StepId=ID.N` of its log), in order (a requeued
    /// job numbers its steps from 0 again), and the most of them that ran at once (launched, and
    /// not yet `done with job`).
    func steps(job id: Int) -> (launched: [String], mostAtOnce: Int) {
        let log = (try? String(contentsOfFile: dir + "/slurmd.log", encoding: .utf8)) ?? ""
        var launched: [String] = []
        var running = Set<String>()
        var most = 0
        for line in log.split(separator: "\n") {
            if let range = line.range(of: "launch task StepId=\(id).") {
                let step = "\(id)." + line[range.upperBound...].prefix { $0.isNumber }
                launched.append(step)
                running.insert(step)
                most = max(most, running.count)
            } else if line.hasSuffix(" done with job"), let open = line.range(of: "] ["), let close = line.range(of: "] done") {
                running.remove(String(line[open.upperBound..<close.lowerBound]))
            }
        }
        return (launched, most)
    }
}

struct TestSlurmError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
