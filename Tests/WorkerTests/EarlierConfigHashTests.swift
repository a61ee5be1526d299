// EarlierConfigHashTests: a checkpoint whose config hash is in the form earlier versions wrote
// loads without a config-change verdict (the forms cannot be compared); any other difference is one.
import Foundation
import Testing
@testable import Worker

@Suite("config hashes from earlier versions")
struct EarlierConfigHashTests {
    @Test("the earlier form is 1-16 lower-case hex digits without a prefix",
          arguments: [("9cb3616d42d4abad", true), ("0", true), ("v2-9cb3616d42d4abad", false), ("cfg-a", false),
                      ("9CB3616D", false), ("9cb3616d42d4abad0", false), ("", false), ("bench", false)])
    func earlierForm(hash: String, earlier: Bool) {
        #expect(CheckpointStore.isEarlierConfigHash(hash) == earlier)
    }

    @Test("a checkpoint with an earlier-form hash loads, the config check marked skipped, even without accepting changes")
    func earlierHashSkipsTheCheck() throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 5, configHash: "9cb3616d42d4abad")
        let loaded = try folder.store.load(name, layout: testParameterStore().entries, configHash: "v2-1234abcd")
        #expect(loaded.configCheckSkipped && !loaded.configChanged)
    }

    @Test("two current-form hashes that differ are still a changed config")
    func currentHashesCompare() throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 5, configHash: "v2-aaaa")
        let layout = testParameterStore().entries
        #expect { try folder.store.load(name, layout: layout, configHash: "v2-bbbb") } throws: { error in
            (error as? CheckpointError)?.code == .configChanged
        }
        let same = try folder.store.load(name, layout: layout, configHash: "v2-aaaa")
        #expect(!same.configCheckSkipped && !same.configChanged)
    }
}
