// SweepFolder.claim: which folders a sweep may own (the root and the working folder never;
// a training run's or a foreign folder refused), and the config copy's name for older sweeps.
import Coordinator
import Foundation
import Testing

@Suite struct SweepFolderTests {
    @Test("the root, the working folder and its parents are refused", arguments: ["/", ".", "..", "./", "../.."])
    func workingFolderAndRootRefused(_ path: String) {
        #expect { try SweepFolder.claim(path) } throws: { "\($0)".contains("working folder") }
    }

    @Test func newAndEmptyFoldersAreMarkedOlderSweepsAcceptedOthersRefused() throws {
        let dir = try TestFolder.make()
        let fm = FileManager.default
        try SweepFolder.claim(dir + "/new/sweep")
        #expect(fm.fileExists(atPath: dir + "/new/sweep/" + SweepFolder.markerFile))
        try SweepFolder.claim(dir + "/new/sweep")   // its own folder again
        try fm.createDirectory(atPath: dir + "/old", withIntermediateDirectories: true)
        try "".write(toFile: dir + "/old/sweep.sqlite", atomically: true, encoding: .utf8)
        try "sweep: {}".write(toFile: dir + "/old/cluster.yaml", atomically: true, encoding: .utf8)
        try SweepFolder.claim(dir + "/old")
        #expect(SweepFolder.configPath(dir + "/old") == dir + "/old/cluster.yaml")
        #expect(SweepFolder.configPath(dir + "/new/sweep") == dir + "/new/sweep/sweep.yaml")
        try fm.createDirectory(atPath: dir + "/run", withIntermediateDirectories: true)
        try "".write(toFile: dir + "/run/" + RunFolder.markerFile, atomically: true, encoding: .utf8)
        #expect { try SweepFolder.claim(dir + "/run") } throws: { "\($0)".contains("training run") }
        try fm.createDirectory(atPath: dir + "/foreign", withIntermediateDirectories: true)
        try "".write(toFile: dir + "/foreign/cluster.yaml", atomically: true, encoding: .utf8)
        #expect { try SweepFolder.claim(dir + "/foreign") } throws: { "\($0)".contains("not a ringtrain sweep (cluster.yaml)") }
    }
}
