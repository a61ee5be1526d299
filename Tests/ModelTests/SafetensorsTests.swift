// Safetensors codec tests: round trip and header layout, one labelled case per kind of
// malformed file (each must name the file and the problem), and a seeded mutation fuzz.
import Foundation
import Synchronization
import Model
import Testing

/// Builds a safetensors file from a raw header string and data bytes.
func safetensorsBytes(header: String, data: [UInt8], length: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    var size = (length ?? UInt64(json.count)).littleEndian
    return withUnsafeBytes(of: &size) { Array($0) } + json + data
}

/// Writes two small tensors and returns the file's bytes.
func sampleSafetensors(in dir: TemporaryDirectory) throws -> (path: String, bytes: [UInt8]) {
    let path = dir.path + "/sample.safetensors"
    let weight: [Float] = (0..<6).map { Float($0) * 0.5 - 1 }
    let bias: [Float] = [3.25, -7]
    try weight.withUnsafeBufferPointer { w in
        try bias.withUnsafeBufferPointer { b in
            _ = try SafetensorsWriter.write([SafetensorsSource(name: "fc.weight", shape: [2, 3], values: w),
                                             SafetensorsSource(name: "fc.bias", shape: [2], values: b)],
                                            metadata: ["step": "7"], to: path)
        }
    }
    return (path, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
}

@Suite("Safetensors codec")
struct SafetensorsTests {
    @Test("round trip keeps names, shapes, values and metadata; header padded to 8 bytes")
    func roundTrip() throws {
        let dir = try TemporaryDirectory()
        let (path, bytes) = try sampleSafetensors(in: dir)
        let length = bytes[0..<8].enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        #expect((8 + length) % 8 == 0)
        #expect(bytes.count == 8 + length + 8 * 4)
        let reader = try SafetensorsReader(path: path)
        #expect(reader.metadata == ["step": "7"])
        #expect(reader.entries.map(\.name) == ["fc.weight", "fc.bias"])
        #expect(reader.entry(named: "fc.weight")?.shape == [2, 3])
        let tensors = try reader.readAll()
        #expect(tensors["fc.weight"] == (0..<6).map { Float($0) * 0.5 - 1 })
        #expect(tensors["fc.bias"] == [3.25, -7])
    }

    @Test("I64 scalars (num_batches_tracked) round-trip beside F32 tensors; readAll refuses them")
    func int64Scalars() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/counts.safetensors"
        let mean: [Float] = [0.5, -1.25]
        let count: [Int64] = [(1 << 40) + 3]
        try mean.withUnsafeBufferPointer { m in
            try count.withUnsafeBufferPointer { c in
                _ = try SafetensorsWriter.write([SafetensorsSource(name: "bn.running_mean", shape: [2], values: m),
                                                 SafetensorsSource(name: "bn.num_batches_tracked", shape: [], int64Values: c)], to: path)
            }
        }
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(text.contains(#""bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[8,16]}"#))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let seen = Mutex<[UInt8]>([])
        let tensors = try SafetensorsReader(path: path, observe: { chunk in seen.withLock { $0 += chunk } }).readAllTensors()
        #expect(tensors.floats == ["bn.running_mean": mean] && tensors.integers == ["bn.num_batches_tracked": count])
        #expect(seen.withLock { $0 } == bytes, "the observer sees the I64 bytes in file order")
        let error = #expect(throws: SafetensorsError.self) { _ = try SafetensorsReader(path: path).readAll() }
        #expect(error?.description.contains("dtype I64") == true)
    }

    @Test("the observer sees every byte of the file, in order, when writing and reading")
    func observerSeesWholeFile() throws {
        let dir = try TemporaryDirectory()
        let (path, bytes) = try sampleSafetensors(in: dir)
        let read = ByteCollector()
        let reader = try SafetensorsReader(path: path, observe: { read.append($0) })
        _ = try reader.readAll()
        #expect(read.bytes == bytes)
        let written = ByteCollector()
        let values: [Float] = (0..<3_000_000).map { Float($0) }   // several write chunks
        try values.withUnsafeBufferPointer { v in
            let size = try SafetensorsWriter.write([SafetensorsSource(name: "big", shape: [v.count], values: v)],
                                                   to: dir.path + "/big.safetensors", observe: { written.append($0) })
            #expect(written.bytes.count == size)
        }
        #expect(written.bytes == Array(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/big.safetensors"))))
    }

    @Test("writer rejects duplicate names and shapes that do not hold the values")
    func writerRejectsBadTensors() throws {
        let dir = try TemporaryDirectory()
        let values: [Float] = [1, 2, 3]
        values.withUnsafeBufferPointer { v in
            #expect(throws: SafetensorsError.self) {
                try SafetensorsWriter.write([SafetensorsSource(name: "a", shape: [2], values: v)], to: dir.path + "/x")
            }
            #expect(throws: SafetensorsError.self) {
                try SafetensorsWriter.write([SafetensorsSource(name: "a", shape: [3], values: v),
                                             SafetensorsSource(name: "a", shape: [3], values: v)], to: dir.path + "/y")
            }
        }
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        let label: String
        let bytes: @Sendable ([UInt8]) -> [UInt8]
        let expected: String
        var testDescription: String { label }
    }

    static let eight = [UInt8](repeating: 0, count: 8)
    static let malformed: [Malformed] = [
        Malformed(label: "truncated data", bytes: { Array($0.dropLast(5)) }, expected: "outside the"),
        Malformed(label: "truncated inside the header", bytes: { Array($0.prefix(20)) }, expected: "past the end"),
        Malformed(label: "shorter than the length field", bytes: { Array($0.prefix(5)) }, expected: "too short"),
        Malformed(label: "header length larger than the file", bytes: { b in
            var c = b; c[0] = 0xF0; c[1] = 0x0F; return c }, expected: "past the end"),
        Malformed(label: "huge header length", bytes: { b in
            var c = b; c[5] = 0x01; return c }, expected: "exceeds the limit"),
        Malformed(label: "non-UTF-8 header", bytes: { b in
            var c = b; c[9] = 0xFF; return c }, expected: "not valid UTF-8"),
        Malformed(label: "non-JSON header", bytes: { b in
            var c = b; c[8] = UInt8(ascii: "x"); return c }, expected: "not a JSON object"),
        Malformed(label: "wrong dtype", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]) },
                  expected: "dtype F16"),
        Malformed(label: "overlapping offsets", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                             data: eight) }, expected: "overlaps"),
        Malformed(label: "offsets past the data", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: eight) },
                  expected: "outside the"),
        Malformed(label: "offsets reversed", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: eight) },
                  expected: "outside the"),
        Malformed(label: "shape and offsets disagree", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight) },
                  expected: "shape [3] but its data_offsets span 8 bytes"),
        Malformed(label: "overflowing shape", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: eight) },
                  expected: "data_offsets span 8 bytes"),
        Malformed(label: "gap in the data", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight) },
                  expected: "gap at byte 0"),
        Malformed(label: "trailing bytes", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight) },
                  expected: "trailing bytes"),
        Malformed(label: "negative shape", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight) },
                  expected: "header entry 'a' has no shape"),
        Malformed(label: "fractional offset", bytes: { _ in
            safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}}"#, data: eight) },
                  expected: "no data_offsets pair"),
        Malformed(label: "metadata value not a string", bytes: { _ in
            safetensorsBytes(header: #"{"__metadata__":{"k":1}}"#, data: []) }, expected: "__metadata__ value for 'k'"),
        Malformed(label: "header is an array", bytes: { _ in safetensorsBytes(header: "[1,2]   ", data: []) },
                  expected: "top level is not an object"),
    ]

    @Test("each malformed file is rejected with the file and the problem named", arguments: malformed)
    func rejectsMalformed(_ testCase: Malformed) throws {
        let dir = try TemporaryDirectory()
        let (_, good) = try sampleSafetensors(in: dir)
        let path = try dir.write("bad.safetensors", testCase.bytes(good))
        do {
            let reader = try SafetensorsReader(path: path)
            _ = try reader.readAll()
            Issue.record("accepted a malformed file")
        } catch let error as SafetensorsError {
            #expect(error.description.hasPrefix(path + ": "))
            #expect(error.description.contains(testCase.expected), "\(error)")
        }
    }

    @Test("a missing file is an I/O error naming it")
    func missingFile() throws {
        let dir = try TemporaryDirectory()
        #expect { try SafetensorsReader(path: dir.path + "/none.safetensors") } throws: { error in
            "\(error)".contains("none.safetensors: cannot open the file")
        }
    }

    @Test("seeded mutations end in a clean error or a consistent load", arguments: [1, 2, 3])
    func fuzz(seed: UInt64) throws {
        let dir = try TemporaryDirectory()
        let (_, good) = try sampleSafetensors(in: dir)
        var rng = SplitMix(seed: seed)
        for round in 0..<300 {
            let bytes = mutate(good, &rng)
            let path = try dir.write("fuzz-\(round).safetensors", bytes)
            do {
                let reader = try SafetensorsReader(path: path)
                let tensors = try reader.readAll()
                for entry in reader.entries { #expect(tensors[entry.name]?.count == entry.count) }
            } catch is SafetensorsError {
            }
            try FileManager.default.removeItem(atPath: path)
        }
    }
}

/// Collects observed bytes (the observer runs on another thread).
final class ByteCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [UInt8] = []
    func append(_ bytes: UnsafeRawBufferPointer) { lock.withLock { collected += bytes } }
    var bytes: [UInt8] { lock.withLock { collected } }
}

/// A small seeded generator for the fuzz tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(bound, 1)))
    }
}

/// One to three random edits: byte flips, truncation, insertion, deletion, or a header digit change.
func mutate(_ bytes: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
    var b = bytes
    for _ in 0...rng.next(3) {
        guard !b.isEmpty else { break }
        switch rng.next(5) {
        case 0: b[rng.next(b.count)] ^= UInt8(1 << rng.next(8))
        case 1: b.removeLast(rng.next(b.count))
        case 2: b.insert(contentsOf: (0...rng.next(16)).map { _ in UInt8(rng.next(256)) }, at: rng.next(b.count + 1))
        case 3: b = Array(b[..<rng.next(b.count)]) + bytes.suffix(rng.next(bytes.count))
        default:
            // Rewrite a digit or quote in the JSON header, where structural damage is likeliest.
            let headerEnd = min(b.count, 8 + Int(bytes[0]) + Int(bytes[1]) << 8)
            let pool = Array("0123456789\"[],:{}".utf8)
            if headerEnd > 8 { b[8 + rng.next(headerEnd - 8)] = pool[rng.next(pool.count)] }
        }
    }
    return b
}
