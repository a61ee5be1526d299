// Sweep folders owned like run folders, through the real binary: never the working folder, a
// foreign folder or a training run's; the config copy kept as sweep.yaml; older sweeps still resume.
import Foundation
import Testing

@Suite(.serialized)
struct SweepFolderOwnershipTests {
    @Test func aSweepNeverTakesTheWorkingFolderAForeignFolderOrATrainingRunsFolder() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try SweepHarness.gridConfig(in: dir)
        let env = try #require(BuiltBinary.onPath("env"))
        let binary = try #require(BuiltBinary.ringtrain)
        try FileManager.default.createDirectory(atPath: dir + "/work", withIntermediateDirectories: true)
        for runDir in [".", ".."] {
            let result = try ProcessRunner.run(env, ["-C", dir + "/work", binary, "sweep", config, "--run-dir", runDir],
                                               environment: TrainingFixtures.environment, timeout: 60)
            #expect(result.status == 2 && result.stderr.contains("working folder"), "\(runDir): \(result.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/work/sweep.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/sweep.sqlite"))

        // A folder of someone else's files, one holding a cluster.yaml, and a training run's folder.
        let fm = FileManager.default
        for (folder, file, contents) in [("mine", "notes.txt", "keep me"), ("configured", "cluster.yaml", "sweep: {method: grid}"),
                                         ("trained", "resolved.yaml", "job: {epochs: 1}")] {
            try fm.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true)
            try contents.write(toFile: dir + "/\(folder)/\(file)", atomically: true, encoding: .utf8)
        }
        try "ringtrain run folder\n".write(toFile: dir + "/trained/.ringtrain-run", atomically: true, encoding: .utf8)
        for (folder, says) in [("mine", "not a ringtrain sweep"), ("configured", "not a ringtrain sweep"), ("trained", "training run")] {
            let before = try fm.contentsOfDirectory(atPath: dir + "/" + folder).sorted()
            let result = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/" + folder], mark: UUID().uuidString)
            #expect(result.status == 2 && result.stderr.contains(says), "\(folder): \(result.output)")
            #expect(try fm.contentsOfDirectory(atPath: dir + "/" + folder).sorted() == before, "\(folder) was written into")
        }
        #expect(try String(contentsOfFile: dir + "/configured/cluster.yaml", encoding: .utf8) == "sweep: {method: grid}")
    }

    @Test func aSweepKeepsItsConfigAsSweepYAMLRefusesAnotherSweepAndOlderSweepsStillResume() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try SweepHarness.gridConfig(in: dir)
        let mark = UUID().uuidString
        let first = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: mark)
        #expect(first.status == 0, "\(first.output)")
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: dir + "/run/sweep.yaml") && !fm.fileExists(atPath: dir + "/run/cluster.yaml"))

        try fm.createDirectory(atPath: dir + "/other", withIntermediateDirectories: true)
        let other = try SweepHarness.gridConfig(in: dir + "/other", runCap: 1)
        let refused = try SweepHarness.run(["sweep", other, "--run-dir", dir + "/run"], mark: mark)
        #expect(refused.status == 2 && refused.stderr.contains("different config"), "\(refused.output)")

        // A sweep folder as sweeps made it before sweep.yaml and markers: cluster.yaml holds the copy.
        try fm.moveItem(atPath: dir + "/run/sweep.yaml", toPath: dir + "/run/cluster.yaml")
        try fm.removeItem(atPath: dir + "/run/.ringtrain-sweep")
        let resumed = try SweepHarness.run(["resume", dir + "/run"], mark: mark)
        #expect(resumed.status == 0, "\(resumed.output)")
        let trials = try #require(try SweepHarness.report(dir + "/run", mark: mark)["trials"] as? [[String: Any]])
        #expect(trials.count == 2 && trials.allSatisfy { $0["status"] as? String == "finished" && $0["attempts"] as? Int == 1 }, "\(trials)")
    }
}
