// SlurmBatchScriptTests: the batch script `ringtrain sbatch` writes — its #SBATCH lines, paths with
// spaces and quotes surviving bash, the train branch on a fresh folder and the resume branch once a
// checkpoint exists (run by bash with a stand-in binary that prints its arguments).
import Foundation
import Testing
@testable import Coordinator

@Suite struct SlurmBatchScriptTests {
    static func script(in dir: String, workingDirectory: String, binary: String) -> SlurmBatchScript {
        var script = SlurmBatchScript(configPath: workingDirectory + "/my 'cfg'.yaml", runDirectory: dir + "/run", binary: binary,
                                      jobName: "tiny", ranks: 3, workingDirectory: workingDirectory)
        (script.overrides, script.timeLimit, script.partition, script.restartsOn) = (["job.epochs=2"], "00:30:00", "debug", true)
        return script
    }

    @Test("the #SBATCH lines: tasks, requeue, appended log, USR1 to the batch shell 60 s ahead, time and partition")
    func directives() throws {
        let text = try Self.script(in: "/runs", workingDirectory: "/w", binary: "/bin/ringtrain").text()
        for line in ["#SBATCH --job-name=tiny", "#SBATCH --ntasks=3", "#SBATCH --requeue", "#SBATCH --open-mode=append",
                     "#SBATCH --output=/runs/run/slurm-%j.out", "#SBATCH --signal=B:USR1@60", "#SBATCH --time=00:30:00",
                     "#SBATCH --partition=debug"] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "\(line) in:\n\(text)")
        }
        #expect(text.hasPrefix("#!/bin/bash\n"))
    }

    @Test("time limits in Slurm's forms; shorter than 2 minutes or not a time is refused naming --time",
          arguments: [("2", 120), ("90", 5400), ("1:30", 90), ("02:00:00", 7200), ("1-0", 86400), ("1-2:03", 93780),
                      ("0-0:2:0", 120), ("UNLIMITED", Int.max), ("x", nil), ("1:2:3:4", nil), ("-5", nil), ("", nil), ("5:", nil)])
    func timeLimits(_ text: String, _ seconds: Int?) {
        #expect(SlurmBatchScript.seconds(ofTimeLimit: text) == seconds)
        var script = Self.script(in: "/runs", workingDirectory: "/w", binary: "/bin/ringtrain")
        script.timeLimit = text
        if let seconds, seconds >= 120 {
            #expect(throws: Never.self) { try script.text() }
        } else {
            #expect { try script.text() } throws: { ($0 as? ConfigError)?.keyPath == "--time" }
        }
    }

    @Test("what cannot go into an #SBATCH line is refused, naming it", arguments: ["/runs/a b", "/runs/50%", "/runs/x\"y"])
    func unsafeRunFolder(_ path: String) {
        var script = Self.script(in: "/runs", workingDirectory: "/w", binary: "/bin/ringtrain")
        script.runDirectory = path
        #expect(throws: ConfigError.self) { try script.text() }
    }

    @Test("bash runs train on a fresh folder and resume once a checkpoint exists; odd paths survive quoting")
    func branches() throws {
        let dir = try TestFolder.make()
        let work = dir + "/work dir 'quoted'"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let binary = dir + "/fake ringtrain"
        try TestFolder.writeExecutable("#!/bin/sh\nprintf '%s|' \"$PWD\" \"$@\"\n", to: binary)
        let path = dir + "/job.sbatch"
        try Self.script(in: dir, workingDirectory: work, binary: binary).text().write(toFile: path, atomically: true, encoding: .utf8)
        func run() throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(out)")
            return out.split(separator: "\n").last.map(String.init) ?? ""
        }
        let fresh = try run()
        #expect(fresh == [work, "train", work + "/my 'cfg'.yaml", "--run-dir", dir + "/run", "--set", "cluster.launcher=slurm",
                          "--set", "cluster.restarts=0", "--set", "job.epochs=2", "--slurm-requeue"].joined(separator: "|") + "|", "\(fresh)")
        try FileManager.default.createDirectory(atPath: dir + "/run/checkpoints/step-00000004", withIntermediateDirectories: true)
        #expect(try run() == [work, "resume", dir + "/run", "--slurm-requeue"].joined(separator: "|") + "|")

        // A sweep's script starts the sweep, and resumes once its store exists.
        var sweep = Self.script(in: dir + "/s", workingDirectory: work, binary: binary)
        sweep.sweep = true
        try sweep.text().write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/s/run/checkpoints/step-00000004", withIntermediateDirectories: true)
        #expect(try run() == [work, "sweep", work + "/my 'cfg'.yaml", "--run-dir", dir + "/s/run", "--set", "cluster.launcher=slurm",
                              "--set", "cluster.restarts=0", "--set", "job.epochs=2", "--slurm-requeue"].joined(separator: "|") + "|")
        FileManager.default.createFile(atPath: dir + "/s/run/sweep.sqlite", contents: Data())
        #expect(try run() == [work, "resume", dir + "/s/run", "--slurm-requeue"].joined(separator: "|") + "|")
    }
}

@Test("the job state is read from scontrol's one-line description; cancelled and ended jobs are not requeued")
func slurmJobState() {
    let line = "JobId=7 JobName=tiny UserId=root(0) JobState=CANCELLED Reason=None Dependency=(null) Requeue=1 Restarts=0"
    #expect(SlurmRequeue.jobState(in: line) == "CANCELLED")
    #expect(SlurmRequeue.jobState(in: "JobId=7\n   JobState=RUNNING Reason=None") == "RUNNING")
    #expect(SlurmRequeue.jobState(in: "slurm_load_jobs error: Invalid job id specified") == nil)
    #expect(SlurmRequeue.ending.contains("CANCELLED") && !SlurmRequeue.ending.contains("RUNNING"))
}

@Test("a stop by SIGTERM or SIGINT, or a run that saved nothing past its resume point, is not requeued; outside Slurm it is an error")
func slurmRequeueRefusals() throws {
    let job = ["SLURM_JOB_ID": "7"]
    for signal in [SIGTERM, SIGINT] {
        guard case .notRequeued(_, let reason) = try SlurmRequeue.requeueAfterStop(signal: signal, slurm: job) else {
            Issue.record("signal \(signal) requeued"); continue
        }
        #expect(reason.contains("stopped by SIG"), "\(reason)")
    }
    guard case .notRequeued(_, let reason) = try SlurmRequeue.requeueAfterStop(signal: SIGUSR1, progressed: false, slurm: job) else {
        Issue.record("a run without progress requeued"); return
    }
    #expect(reason.contains("no checkpoint past the one it resumed from"), "\(reason)")
    #expect(throws: LaunchError.self) { try SlurmRequeue.requeueAfterStop(signal: SIGUSR1, slurm: [:]) }
}
