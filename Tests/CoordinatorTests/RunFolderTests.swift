// RunFolderTests: which folders a run may be written into — marked, empty or new ones; never the
// working folder, a folder of other files, or a run with checkpoints unless resuming — and
// default folder names that never collide.
import Foundation
import Testing
@testable import Coordinator
import Worker

@Suite struct RunFolderTests {
    static func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "ringtrain-runfolder-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aNewOrEmptyFolderIsMarkedAndAccepted() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RunFolder.claim(dir + "/new/run", resume: false)
        #expect(FileManager.default.fileExists(atPath: dir + "/new/run/" + RunFolder.markerFile))
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        try RunFolder.claim(dir + "/empty", resume: false)
        #expect(FileManager.default.fileExists(atPath: dir + "/empty/" + RunFolder.markerFile))
    }

    @Test func theWorkingFolderAndItsParentsAreRefused() throws {
        for path in [".", "..", "/", FileManager.default.currentDirectoryPath] {
            #expect { try RunFolder.claim(path, resume: false) } throws: { "\($0)".contains("working folder") }
            #expect { try RunFolder.claim(path, resume: true) } throws: { "\($0)".contains("working folder") }
        }
    }

    @Test func aFolderOfOtherFilesIsRefusedAndLeftAlone() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "mine".write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        #expect { try RunFolder.claim(dir, resume: false) } throws: { "\($0)".contains("holds files that are not a ringtrain run (cluster.yaml)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["cluster.yaml"])
    }

    /// The sweep coordinator marks each trial folder; the trial's first run and its retries with
    /// --resume are accepted, a plain rerun over its checkpoints is not.
    @Test func aPreparedTrialFolderTakesItsRunAndResumes() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trial = dir + "/trial-0001"
        try RunFolder.prepareTrialFolder(path: trial)
        try RunFolder.prepareTrialFolder(path: trial)   // idempotent
        try "job: {}".write(toFile: trial + "/config.yaml", atomically: true, encoding: .utf8)
        try RunFolder.claim(trial, resume: false)
        try FileManager.default.createDirectory(atPath: trial + "/checkpoints", withIntermediateDirectories: true)
        try "step-00000010\n".write(toFile: trial + "/checkpoints/latest", atomically: true, encoding: .utf8)
        #expect { try RunFolder.claim(trial, resume: false) } throws: { "\($0)".contains("--resume") }
        try RunFolder.claim(trial, resume: true)
    }

    @Test func defaultFoldersStartedInTheSameSecondDiffer() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = TrainingJob(dataset: .fashionMNIST(directory: "/nowhere"))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let paths = Array(repeating: 0, count: 6).map { _ in try? RunFolder.makeDefault(for: job, now: now, parent: dir + "/runs") }
        #expect(Set(paths.compactMap { $0 }).count == 6, "\(paths)")
        #expect(paths[1] == paths[0].map { $0 + "-2" })
    }

    @Test func aLongJobNameStillMakesADefaultFolder() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var job = TrainingJob(dataset: .fashionMNIST(directory: "/nowhere"))
        job.name = String(repeating: "a", count: 300)   // a name the config accepts; 255 bytes is the file system's limit
        let first = try RunFolder.makeDefault(for: job, parent: dir + "/runs")
        #expect((first as NSString).lastPathComponent.hasPrefix(String(repeating: "a", count: 200) + "-2"))
        let second = try RunFolder.makeDefault(for: job, now: Date(), parent: dir + "/runs")
        #expect(FileManager.default.fileExists(atPath: first) && FileManager.default.fileExists(atPath: second))
    }
}

@Suite struct UnmarkedTrialFolderTests {
    /// Until the sweep coordinator marks its trial folders, a trial folder inside a sweep folder
    /// holding only the coordinator's files is taken; the same files elsewhere are not.
    @Test func aTrialFolderOfASweepIsTakenOtherFoldersAreNot() throws {
        let dir = try RunFolderTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for folder in ["sweep/trial-0001", "plain/trial-0001"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true)
            try "job: {}".write(toFile: dir + "/\(folder)/config.yaml", atomically: true, encoding: .utf8)
            try "".write(toFile: dir + "/\(folder)/output.log", atomically: true, encoding: .utf8)
        }
        try "".write(toFile: dir + "/sweep/sweep.sqlite", atomically: true, encoding: .utf8)
        try RunFolder.claim(dir + "/sweep/trial-0001", resume: false)
        #expect(FileManager.default.fileExists(atPath: dir + "/sweep/trial-0001/" + RunFolder.markerFile))
        #expect(throws: ConfigError.self) { try RunFolder.claim(dir + "/plain/trial-0001", resume: false) }
    }

    /// A run or sweep of its own made directly inside a sweep's folder would be taken for a trial
    /// (and the sweep's store reported damaged); the trial folders the coordinator prepares are taken.
    @Test func aNewFolderInsideASweepIsRefused() throws {
        let dir = try RunFolderTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SweepFolder.claim(dir + "/sweep")
        for path in [dir + "/sweep/trial-0005", dir + "/sweep/trial-12"] {
            #expect { try RunFolder.claim(path, resume: false) } throws: { "\($0)".contains("inside the sweep folder") }
            #expect { try SweepFolder.claim(path) } throws: { "\($0)".contains("inside the sweep folder") }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        try FileManager.default.createDirectory(atPath: dir + "/sweep/trial-0009", withIntermediateDirectories: true)
        #expect { try RunFolder.claim(dir + "/sweep/trial-0009", resume: false) } throws: { "\($0)".contains("inside the sweep folder") }
        try RunFolder.claim(dir + "/sweep/retrained-best", resume: false)   // no trial's name: the sweep leaves it alone
        try RunFolder.prepareTrialFolder(path: dir + "/sweep/trial-0001")
        try RunFolder.claim(dir + "/sweep/trial-0001", resume: false)
        // The sweep's own folder is named as such, and one whose store never came is told apart.
        for resume in [false, true] {
            #expect { try RunFolder.claim(dir + "/sweep", resume: resume) } throws: { "\($0)".contains("is a sweep's folder, not a training run's") }
        }
        #expect { _ = try RunFolder.holdsSweep(dir + "/sweep") } throws: { "\($0)".contains("without its store (sweep.sqlite)") }
    }

    /// A run that kept no checkpoint but wrote its final line is finished: a new run is not
    /// trained over it.
    @Test func aFinishedRunWithoutCheckpointsIsNotTrainedOver() throws {
        let dir = try RunFolderTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = dir + "/run"
        try RunFolder.claim(run, resume: false)
        try RunFolder.claim(run, resume: false)   // stopped before any line: taken again
        try "{\"epoch\":1,\"step\":10}\n{\"final\":true,\"step\":10}\n".write(toFile: run + "/metrics.jsonl", atomically: true, encoding: .utf8)
        #expect { try RunFolder.claim(run, resume: false) } throws: { "\($0)".contains("already holds a finished run") }
    }
}

@Suite struct WorkerStartupTimeoutTests {
    /// Before the config is read, the ranks bound the config broadcast by the failure timeout
    /// of the command line (identical on every rank), else by the default.
    @Test func theCommandLineFailureTimeoutBoundsTheConfigBroadcast() {
        #expect(RankOptions(configPath: "", overrides: []).startupTimeout == 60)
        #expect(RankOptions(configPath: "", overrides: ["job.epochs=3", "cluster.failure_timeout=5"]).startupTimeout == 5)
        #expect(RankOptions(configPath: "", overrides: ["cluster.failure_timeout=5", "cluster.failure_timeout=7"]).startupTimeout == 7)
        #expect(RankOptions(configPath: "", overrides: ["cluster.failure_timeout=0"]).startupTimeout == 60)
        #expect(RankOptions(configPath: "", overrides: ["cluster.failure_timeout=soon"]).startupTimeout == 60)
    }
}
