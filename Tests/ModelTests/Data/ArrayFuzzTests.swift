// Seeded fuzz test of the .npy and .npz readers: mutated headers, truncations, bit flips and
// byte overwrites of valid files, each loaded through DatasetLoader: a DatasetError or a load.
import Model
import Testing

@Suite("NumPy array fuzzing")
struct ArrayFuzzTests {
    /// SplitMix64, so every run mutates the same way.
    struct Mix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let cases = 400

    /// One mutation of `bytes`; `header` is the range worth aiming at (the .npy header).
    static func mutate(_ bytes: [UInt8], header: Range<Int>, _ rng: inout Mix) -> [UInt8] {
        var out = bytes
        let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x2C, 0x28, 0x29, 0x27, 0x3A, 0x7B, 0x7D, 0x2D, 0x39, 0x3E]
        switch rng.below(6) {
        case 0: out = Array(out[..<rng.below(out.count)])                               // truncate
        case 1: for _ in 0...rng.below(4) { let i = rng.below(out.count); out[i] ^= UInt8(1) << UInt8(rng.below(8)) }
        case 2: for _ in 0...rng.below(3) { out[rng.below(out.count)] = interesting[rng.below(interesting.count)] }
        case 3:                                                                          // aim at the header text
            for _ in 0...rng.below(3) {
                out[header.lowerBound + rng.below(header.count)] = interesting[rng.below(interesting.count)]
            }
        case 4: out.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(out.count))  // shift everything
        default: out.remove(at: rng.below(out.count))
        }
        return out
    }

    @Test("hundreds of mutated .npy and .npz files are DatasetErrors or loads, never crashes")
    func fuzz() throws {
        let dir = try TemporaryDirectory()
        let features = npyFile(descr: "<f4", shape: [4, 2, 3], data: float32Bytes((0..<24).map { Float($0) / 4 }))
        let featuresV2 = npyFile(descr: "<i2", shape: [4, 6], data: littleEndian((0..<24).map { Int16($0) }), major: 2)
        let labels = npyFile(descr: "<i8", shape: [4], data: littleEndian([Int64(0), 1, 2, 1]))
        let labelsPath = try dir.write("labels.npy", labels)
        let stored = storedZip([("x.npy", features), ("y.npy", labels)])
        let deflated = zipArchive([("x.npy", features, try dir.deflate(features)), ("y.npy", labels, try dir.deflate(labels))])
        let header = 10..<64
        var rng = Mix(state: 17)
        var loaded = 0, refused = 0
        for index in 0..<Self.cases {
            let kind = index % 4
            let base = [features, featuresV2, stored, deflated][kind]
            let bytes = Self.mutate(base, header: kind < 2 ? header : 0..<base.count, &rng)
            let path = try dir.write(kind < 2 ? "case.npy" : "case.npz", bytes)
            let pair = kind < 2
                ? DatasetSpec.ArrayPair(features: .init(path: path), labels: .init(path: labelsPath))
                : DatasetSpec.ArrayPair(features: .init(path: path, name: "x"), labels: .init(path: path, name: "y"))
            do {
                let splits = try DatasetLoader.load(DatasetSpec(source: .arrays(train: pair, test: nil, task: .classification)), seed: 1)
                #expect(splits.train.count == 4 && splits.train.features.count == 4 * splits.train.featureCount)
                loaded += 1
            } catch let error as DatasetError {
                #expect(error.file == path || error.file == labelsPath, "case \(index): \(error)")
                #expect(!error.message.isEmpty)
                refused += 1
            } catch {
                Issue.record("case \(index): not a DatasetError: \(error)")
            }
        }
        #expect(loaded + refused == Self.cases)
        #expect(refused > Self.cases / 2 && loaded > 0, "loaded \(loaded), refused \(refused)")
        print("array fuzz: \(Self.cases) cases, \(loaded) loaded, \(refused) refused with a DatasetError")
    }
}
