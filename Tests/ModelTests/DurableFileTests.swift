// DurableFile tests: a replacement reports its steps in order and leaves only the target; a step
// hook that throws (a simulated crash) leaves the files as they are at that step; a failed write
// removes its temporary file and names the target.
import Foundation
import Model
import Testing

@Suite struct DurableFileTests {
    @Test func replaceReportsEveryStepInOrderAndLeavesOnlyTheTarget() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/latest"
        var steps: [DurableFile.Step] = []
        try DurableFile.replace(path, with: Array("step-1\n".utf8)) { steps.append($0) }
        #expect(steps == [.written, .synced, .renamed, .folderSynced])
        try DurableFile.replace(path, with: "step-2\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "step-2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["latest"])
    }

    @Test func writeSyncsWithoutRenaming() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/state.json"
        var steps: [DurableFile.Step] = []
        let bytes = [UInt8](repeating: 7, count: 3 << 20)
        try DurableFile.write(bytes, to: path) { steps.append($0) }
        #expect(steps == [.written, .synced])
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
    }

    struct Stop: Error {}

    @Test("a hook that throws after a step leaves the files as a crash there would",
          arguments: [DurableFile.Step.written, .synced, .renamed])
    func hookErrorLeavesTheFilesAsTheyAre(_ stop: DurableFile.Step) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/latest"
        try DurableFile.replace(path, with: "old\n")
        #expect(throws: Stop.self) {
            try DurableFile.replace(path, with: Array("new\n".utf8)) { if $0 == stop { throw Stop() } }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let renamed = stop == .renamed
        #expect(try String(contentsOfFile: path, encoding: .utf8) == (renamed ? "new\n" : "old\n"))
        #expect(names.count == (renamed ? 1 : 2) && names.filter { $0.hasPrefix(".tmp-latest-") }.count == (renamed ? 0 : 1), "\(names)")
    }

    @Test func failedWriteRemovesItsTemporaryFileAndNamesTheTarget() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/report.html"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)   // rename over a folder fails
        #expect {
            try DurableFile.replace(path, with: "x")
        } throws: { error in
            "\(error)".hasPrefix(path + ": cannot rename ")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["report.html"])
        #expect {
            try DurableFile.write(Array("x".utf8), to: dir.path + "/missing/file")
        } throws: { error in
            (error as? DurableFileError)?.path == dir.path + "/missing/file" && "\(error)".contains("No such file or directory")
        }
    }

    @Test("a file another writer finished is published in place: the target holds it, the temporary name is gone; a missing one names the target")
    func publishPutsAFinishedFileInPlace() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/store.sqlite"
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        try "new".write(toFile: path + ".new", atomically: false, encoding: .utf8)
        try DurableFile.publish(path + ".new", as: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["store.sqlite"])
        #expect {
            try DurableFile.publish(path + ".new", as: path)
        } throws: { error in
            (error as? DurableFileError)?.path == path && "\(error)".contains("No such file or directory")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
    }
}
