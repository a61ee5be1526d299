// Text dataset tests: the validation split is the file's tail by position, training windows start
// at every offset with targets shifted by one byte, evaluation windows do not overlap, and mistakes fail.
import Foundation
import Testing
@testable import Model

@Suite("Text dataset")
struct TextDatasetTests {
    /// 100 distinct-enough bytes: byte i is (7·i + 3) mod 256.
    static let corpus: [UInt8] = (0..<100).map { UInt8((7 * $0 + 3) % 256) }

    static func load(_ bytes: [UInt8], context: Int, validation: DatasetSpec.ValidationSplit = .fraction(0.1),
                     test: [UInt8]? = nil, subset: Int? = nil) throws -> DataSplits {
        let dir = try TemporaryDirectory()
        let train = try dir.write("corpus.txt", bytes)
        let testPath = try test.map { try dir.write("test.txt", $0) }
        let spec = DatasetSpec(source: .text(train: train, test: testPath, context: context), validation: validation, subset: subset)
        return try DatasetLoader.load(spec, seed: 1)
    }

    /// Gathers windows `indices` of `data` as (features, targets).
    static func gather(_ data: Dataset, _ indices: [Int]) -> (features: [Float], targets: [Float]) {
        var x = [Float](repeating: -1, count: indices.count * data.featureCount)
        var y = [Float](repeating: -1, count: indices.count * data.targetWidth)
        x.withUnsafeMutableBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in data.gather(indices[...], features: xp.baseAddress!, targets: yp.baseAddress!) }
        }
        return (x, y)
    }

    @Test("the last 10% by position is validation; training windows start at every offset of the rest")
    func splitsByPosition() throws {
        let splits = try Self.load(Self.corpus, context: 4)
        // 90 training bytes: windows at offsets 0...85 (each needs 4 + 1 bytes).
        #expect(splits.train.count == 86)
        #expect(splits.train.sampleShape == [4] && splits.train.task == .languageModel(vocab: 256, context: 4))
        #expect(splits.train.features.isEmpty, "text windows are gathered, not stored as floats")
        let (x, y) = Self.gather(splits.train, [0, 85, 17])
        let c = Self.corpus.map(Float.init)
        #expect(x == Array(c[0..<4]) + Array(c[85..<89]) + Array(c[17..<21]))
        #expect(y == Array(c[1..<5]) + Array(c[86..<90]) + Array(c[18..<22]), "targets are the window shifted by one byte")
        // Validation: bytes 90..<100 cut into non-overlapping windows of 4 (+1): starts 90 and 94; 98 lacks its last target.
        let validation = try #require(splits.validation)
        #expect(validation.count == 2)
        let (vx, vy) = Self.gather(validation, [0, 1])
        #expect(vx == Array(c[90..<94]) + Array(c[94..<98]))
        #expect(vy == Array(c[91..<95]) + Array(c[95..<99]))
        #expect(splits.test == nil)
    }

    @Test("validation 0 keeps every byte for training; a test file is cut like validation")
    func noValidationAndTest() throws {
        let test: [UInt8] = Array("hello, world!".utf8)
        let splits = try Self.load(Self.corpus, context: 3, validation: .count(0), test: test)
        #expect(splits.validation == nil)
        #expect(splits.train.count == 97)
        let testSplit = try #require(splits.test)
        #expect(testSplit.count == 4)   // 13 bytes: windows at 0, 3, 6, 9 (the one at 9 ends its targets at byte 12)
        let (x, y) = Self.gather(testSplit, [3])
        #expect(x == Array(test[9..<12]).map(Float.init) && y == Array(test[10..<13]).map(Float.init))
        // A different fraction moves the cut: 30% of 100 bytes held out.
        let wide = try Self.load(Self.corpus, context: 3, validation: .fraction(0.3))
        #expect(wide.train.count == 67 && wide.validation?.count == 9)
    }

    @Test("picking samples and a subset keep the windows' bytes")
    func picking() throws {
        let splits = try Self.load(Self.corpus, context: 5, subset: 10)
        #expect(splits.train.count == 10)
        let picked = splits.train.samples(at: [7, 2])
        let (x, y) = Self.gather(picked, [0, 1])
        let c = Self.corpus.map(Float.init)
        #expect(x == Array(c[7..<12]) + Array(c[2..<7]))
        #expect(y == Array(c[8..<13]) + Array(c[3..<8]))
    }

    /// A bad setting and the words its error must contain.
    struct BadCase: CustomTestStringConvertible, Sendable {
        let label: String
        let bytes: [UInt8]
        let context: Int
        let validation: DatasetSpec.ValidationSplit
        let expected: [String]
        var testDescription: String { label }
    }

    static let badCases: [BadCase] = [
        BadCase(label: "empty file", bytes: [], context: 4, validation: .fraction(0.1), expected: ["corpus.txt", "empty"]),
        BadCase(label: "shorter than context + 1", bytes: Array("abcd".utf8), context: 4, validation: .count(0),
                expected: ["corpus.txt", "4 bytes", "context 4 + 1"]),
        BadCase(label: "context 0", bytes: corpus, context: 0, validation: .fraction(0.1), expected: ["corpus.txt", "context is 0"]),
        BadCase(label: "validation tail shorter than one window", bytes: corpus, context: 20, validation: .fraction(0.1),
                expected: ["corpus.txt", "validation", "10 bytes"]),
        BadCase(label: "validation as a count", bytes: corpus, context: 4, validation: .count(5), expected: ["validation", "fraction"]),
        BadCase(label: "validation leaves too little for training", bytes: corpus, context: 50, validation: .fraction(0.6),
                expected: ["corpus.txt", "training bytes"]),
    ]

    @Test("mistakes are DatasetErrors naming the file and the setting", arguments: badCases)
    func mistakes(_ bad: BadCase) throws {
        let error = try #require(throws: DatasetError.self) {
            try Self.load(bad.bytes, context: bad.context, validation: bad.validation)
        }
        for word in bad.expected { #expect(error.description.contains(word), "\(error)") }
    }

    @Test("normalisation other than none is refused for text")
    func normalisation() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("corpus.txt", Self.corpus)
        let spec = DatasetSpec(source: .text(train: path, test: nil, context: 4), validation: .fraction(0.1), normalization: .standard)
        let error = try #require(throws: DatasetError.self) { try DatasetLoader.load(spec, seed: 1) }
        #expect(error.description.contains("normalize"))
        #expect(DatasetSpec(source: .text(train: path, test: nil, context: 4)).normalization == .none)
    }
}
