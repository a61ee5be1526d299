// Checkpoint corruption tests: each kind of damage to a saved checkpoint is caught on load with
// a message naming the file and the problem, and a seeded fuzz of mutations never loads garbage.
import Foundation
import Model
import Testing
@testable import Worker

@Suite("Checkpoint corruption")
struct CheckpointCorruptionTests {
    struct Damage: CustomTestStringConvertible, Sendable {
        let label: String
        let file: String
        /// Changes the file's bytes; nil deletes the file.
        let edit: (@Sendable (inout [UInt8]) -> Void)?
        let expected: String
        var testDescription: String { label }
    }

    static func replaceInHeader(_ bytes: inout [UInt8], _ old: String, _ new: String) {
        let end = 8 + headerLength(bytes)
        let text = String(decoding: bytes[8..<end], as: UTF8.self).replacingOccurrences(of: old, with: new)
        precondition(text.utf8.count == end - 8, "replacement must keep the header length")
        bytes.replaceSubrange(8..<end, with: Array(text.utf8))
    }

    static let cases: [Damage] = [
        Damage(label: "truncated model", file: "model.safetensors", edit: { $0.removeLast(7) },
               expected: "model.safetensors: file is"),
        Damage(label: "flipped byte in data", file: "model.safetensors", edit: { $0[$0.count - 5] ^= 0x01 },
               expected: "model.safetensors: SHA-256"),
        Damage(label: "flipped byte in header", file: "model.safetensors", edit: { $0[8] ^= 0x20 },
               expected: "model.safetensors: header is not a JSON object"),
        Damage(label: "flipped byte in a tensor name", file: "model.safetensors",
               edit: { replaceInHeader(&$0, "fc2.bias", "fc2.bia$") }, expected: "model.safetensors: tensor 'fc2.bia$'"),
        Damage(label: "header length larger than the file", file: "model.safetensors", edit: { $0[2] = 0x10 },
               expected: "model.safetensors: header length"),
        Damage(label: "huge header length", file: "model.safetensors", edit: { $0[6] = 0x10 },
               expected: "exceeds the limit"),
        Damage(label: "non-UTF-8 header", file: "model.safetensors", edit: { $0[10] = 0xC3; $0[11] = 0x28 },
               expected: "model.safetensors: header is not valid UTF-8"),
        Damage(label: "wrong dtype", file: "model.safetensors", edit: { replaceInHeader(&$0, "F32", "F64") },
               expected: "model.safetensors: tensor 'fc"),
        Damage(label: "offsets out of range", file: "optimizer.safetensors", edit: { replaceInHeader(&$0, ",104]", ",904]") },
               expected: "optimizer.safetensors: tensor 'momentum' data_offsets [0, 904]"),
        Damage(label: "shape and offsets disagree", file: "model.safetensors", edit: { replaceInHeader(&$0, "[4,3]", "[4,2]") },
               expected: "model.safetensors: tensor 'fc1.weight' has shape [4, 2] but"),
        Damage(label: "missing model", file: "model.safetensors", edit: nil, expected: "model.safetensors: file is missing"),
        Damage(label: "missing optimizer", file: "optimizer.safetensors", edit: nil, expected: "optimizer.safetensors: file is missing"),
        Damage(label: "missing state", file: "state.json", edit: nil, expected: "state.json: file is missing"),
        Damage(label: "state not JSON", file: "state.json", edit: { $0 = Array("{oops".utf8) },
               expected: "state.json: SHA-256 differs from the one in state.sha256"),
        Damage(label: "missing state checksum", file: "state.sha256", edit: nil,
               expected: "state.sha256: file is missing (format version \(CheckpointState.currentFormatVersion)"),
        Damage(label: "step count missing", file: "optimizer.safetensors",
               edit: { replaceInHeader(&$0, "step_count", "step_cOunt") }, expected: "optimizer.safetensors: SHA-256"),
    ]

    @Test("each kind of damage is detected and named", arguments: cases)
    func detects(_ damage: Damage) throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 8)
        let path = folder.file(name, damage.file)
        if let edit = damage.edit { try editFile(path, edit) } else { try FileManager.default.removeItem(atPath: path) }
        #expect { try folder.store.load(name, layout: testParameterStore().entries) } throws: { error in
            let e = error as! CheckpointError
            let text = "\(e)"
            return text.hasPrefix("step-00000008/") && text.contains(damage.expected)
        }
        #expect { try folder.store.loadNewestValid(layout: testParameterStore().entries) } throws: { error in
            (error as! CheckpointError).code == .noValidCheckpoint
        }
    }

    @Test("seeded mutations of a checkpoint end in a clean error or an unchanged load", arguments: [11, 12])
    func fuzz(seed: UInt64) throws {
        let folder = CheckpointFolder()
        let parameters = testParameterStore()
        let name = try saveTestCheckpoint(folder, step: 9, parameters: parameters)
        let files = ["model.safetensors", "optimizer.safetensors", "state.json", "state.sha256"]
        let originals = try files.map { Array(try Data(contentsOf: URL(fileURLWithPath: folder.file(name, $0)))) }
        var rng = Mix(seed)
        var errors = 0
        for _ in 0..<200 {
            let target = rng.next(files.count)
            var bytes = originals[target]
            for _ in 0...rng.next(2) { mutate(&bytes, &rng) }
            try Data(bytes).write(to: URL(fileURLWithPath: folder.file(name, files[target])))
            do {
                let loaded = try folder.store.load(name, layout: parameters.entries)
                // Only a change the checksums cannot see (e.g. state.json whitespace) may load.
                #expect(loaded.parameters["fc2.bias"] == Array(parameters.view("fc2.bias")!.value))
            } catch is CheckpointError {
                errors += 1
            }
            try Data(originals[target]).write(to: URL(fileURLWithPath: folder.file(name, files[target])))
        }
        #expect(errors > 100)
        _ = try folder.store.load(name, layout: parameters.entries)
    }

    /// A small seeded generator.
    struct Mix {
        var state: UInt64
        init(_ seed: UInt64) { state = seed }
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
    }

    /// One edit: a bit flip, a truncation, an insertion, a deletion, or a header character change.
    func mutate(_ b: inout [UInt8], _ rng: inout Mix) {
        guard !b.isEmpty else { return }
        switch rng.next(5) {
        case 0: b[rng.next(b.count)] ^= UInt8(1 << rng.next(8))
        case 1: b.removeLast(1 + rng.next(b.count))
        case 2: b.insert(contentsOf: (0...rng.next(8)).map { _ in UInt8(rng.next(256)) }, at: rng.next(b.count + 1))
        case 3: b.remove(at: rng.next(b.count))
        default:
            let pool = Array("0123456789\"[],:{} F".utf8)
            b[rng.next(min(b.count, 200))] = pool[rng.next(pool.count)]
        }
    }
}
