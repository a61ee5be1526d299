// Tests for NumPy array datasets through DatasetLoader: sample shapes, classification and
// regression labels, .npz members, the shared validation/subset/normalisation paths, and errors.
import Model
import Testing

@Suite("NumPy array datasets")
struct ArrayDatasetTests {
    typealias Pair = DatasetSpec.ArrayPair

    /// Writes features (float32) and labels (int64) as .npy files and returns the pair.
    static func writeNpy(_ dir: TemporaryDirectory, _ prefix: String, shape: [Int], features: [Float],
                         labels: [Int64], labelShape: [Int]? = nil) throws -> Pair {
        let x = try dir.write(prefix + "x.npy", npyFile(descr: "<f4", shape: shape, data: float32Bytes(features)))
        let y = try dir.write(prefix + "y.npy", npyFile(descr: "<i8", shape: labelShape ?? [labels.count], data: littleEndian(labels)))
        return Pair(features: .init(path: x), labels: .init(path: y))
    }

    static func load(_ train: Pair, test: Pair? = nil, task: DatasetSpec.TaskKind = .classification,
                     normalization: DatasetSpec.Normalization = .none, classes: Int? = nil) throws -> DataSplits {
        try DatasetLoader.load(DatasetSpec(source: .arrays(train: train, test: test, task: task),
                                           normalization: normalization, classes: classes), seed: 3)
    }

    @Test("sample shapes: vectors stay, [H, W] and [H, W, 1] images arrive as [1, H, W] like IDX")
    func shapes() throws {
        let dir = try TemporaryDirectory()
        for (shape, expected) in [([4], [1]), ([4, 3], [3]), ([4, 2, 3], [1, 2, 3]), ([4, 2, 3, 1], [1, 2, 3]),
                                  ([4, 2, 3, 3], [2, 3, 3]), ([4, 1, 2, 1, 2], [1, 2, 1, 2])] {
            let count = shape.reduce(1, *)
            let pair = try Self.writeNpy(dir, "s", shape: shape, features: (0..<count).map(Float.init), labels: [0, 1, 2, 1])
            let splits = try Self.load(pair)
            #expect(splits.train.sampleShape == expected, "\(shape)")
            #expect(splits.train.features == (0..<count).map(Float.init))
            #expect(splits.train.task == .classification(classes: 3))
            #expect(splits.train.targets == [0, 1, 2, 1])
        }
    }

    @Test("labels of shape [N, 1], float labels of whole numbers, and a given class count")
    func classLabels() throws {
        let dir = try TemporaryDirectory()
        let x = try dir.write("x.npy", npyFile(descr: "<f4", shape: [3, 1], data: float32Bytes([1, 2, 3])))
        let y = try dir.write("y.npy", npyFile(descr: "<f8", shape: [3, 1], data: float64Bytes([2, 0, 1])))
        let splits = try Self.load(Pair(features: .init(path: x), labels: .init(path: y)), classes: 5)
        #expect(splits.train.task == .classification(classes: 5))
        #expect(splits.train.targets == [2, 0, 1])
    }

    @Test("regression targets [N] and [N, K]")
    func regression() throws {
        let dir = try TemporaryDirectory()
        let x = try dir.write("x.npy", npyFile(descr: "<f4", shape: [3, 1], data: float32Bytes([1, 2, 3])))
        let y1 = try dir.write("y1.npy", npyFile(descr: "<f8", shape: [3], data: float64Bytes([0.5, -1, 2.25])))
        let y2 = try dir.write("y2.npy", npyFile(descr: "<f4", shape: [3, 2], data: float32Bytes([1, 2, 3, 4, 5, 6])))
        let one = try Self.load(Pair(features: .init(path: x), labels: .init(path: y1)), task: .regression)
        #expect(one.train.task == .regression(outputs: 1))
        #expect(one.train.targets == [0.5, -1, 2.25])
        let two = try Self.load(Pair(features: .init(path: x), labels: .init(path: y2)), task: .regression)
        #expect(two.train.task == .regression(outputs: 2))
        #expect(two.train.targets == [1, 2, 3, 4, 5, 6])
    }

    @Test(".npz members by name, test split from the same archive, a missing name lists the arrays")
    func npz() throws {
        let dir = try TemporaryDirectory()
        let archive = storedZip([
            ("x_train.npy", npyFile(descr: "|u1", shape: [4, 2, 2], data: (0..<16).map { UInt8($0 * 10) })),
            ("y_train.npy", npyFile(descr: "|u1", shape: [4], data: [0, 1, 0, 1])),
            ("x_test.npy", npyFile(descr: "|u1", shape: [2, 2, 2], data: Array(repeating: 255, count: 8))),
            ("y_test.npy", npyFile(descr: "|u1", shape: [2], data: [1, 1])),
        ])
        let path = try dir.write("data.npz", archive)
        let train = Pair(features: .init(path: path, name: "x_train"), labels: .init(path: path, name: "y_train"))
        let test = Pair(features: .init(path: path, name: "x_test"), labels: .init(path: path, name: "y_test"))
        let splits = try Self.load(train, test: test, normalization: .scale)
        #expect(splits.train.sampleShape == [1, 2, 2])
        #expect(splits.train.features[1] == Float(10) / 255)
        #expect(splits.test?.features == Array(repeating: 1, count: 8))
        #expect(splits.test?.targets == [1, 1])
        #expect(try NpzReader.arrayNames(path: path) == ["x_train", "y_train", "x_test", "y_test"])

        let wrong = Pair(features: .init(path: path, name: "x"), labels: .init(path: path, name: "y"))
        let error = #expect(throws: DatasetError.self) { _ = try Self.load(wrong) }
        #expect(error?.file == path)
        #expect(error?.message == "the archive has no array named \"x\"")
        #expect(error?.hint == "its arrays are: x_train, y_train, x_test, y_test")
    }

    @Test("validation, subset and normalisation go through the shared paths")
    func sharedOptions() throws {
        let dir = try TemporaryDirectory()
        let pair = try Self.writeNpy(dir, "", shape: [10, 2], features: (0..<20).map(Float.init), labels: (0..<10).map { $0 % 2 })
        var spec = DatasetSpec(source: .arrays(train: pair, test: nil, task: .classification),
                               validation: .fraction(0.25), subset: 8)
        #expect(spec.normalization == .standard)
        let splits = try DatasetLoader.load(spec, seed: 1)
        #expect(splits.train.count == 6)
        #expect(splits.validation?.count == 2)
        #expect(splits.normalizer.offset.count == 2)    // per feature, as for CSV
        spec.validation = .count(8)
        #expect(throws: DatasetError.self) { _ = try DatasetLoader.load(spec, seed: 1) }
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var featureShape: [Int]
        var labels: [UInt8]          // written as float64 from these bytes' values, or NaN for 255
        var labelShape: [Int]
        var task: DatasetSpec.TaskKind
        var message: String
        var badFile: String
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "different N", featureShape: [3, 2], labels: [0, 1], labelShape: [2], task: .classification,
            message: "holds 2 labels but the features", badFile: "y.npy"),
        Bad(name: "labels [N, 2] for classification", featureShape: [2, 2], labels: [0, 1, 1, 0], labelShape: [2, 2],
            task: .classification, message: "classification takes one label per sample", badFile: "y.npy"),
        Bad(name: "labels 3-d", featureShape: [2, 2], labels: [0, 1], labelShape: [2, 1, 1], task: .regression,
            message: "labels have shape [2, 1, 1]", badFile: "y.npy"),
        Bad(name: "NaN class label", featureShape: [2, 2], labels: [0, 255], labelShape: [2], task: .classification,
            message: "label nan of sample 1 is not a class index", badFile: "y.npy"),
        Bad(name: "NaN regression target", featureShape: [2, 2], labels: [255, 1], labelShape: [2], task: .regression,
            message: "target nan of sample 0 is not a finite number", badFile: "y.npy"),
        Bad(name: "no samples", featureShape: [0, 2], labels: [], labelShape: [0], task: .classification,
            message: "holds no samples", badFile: "x.npy"),
        Bad(name: "0-d features", featureShape: [], labels: [0], labelShape: [1], task: .classification,
            message: "0-dimensional", badFile: "x.npy"),
        Bad(name: "empty samples", featureShape: [2, 0], labels: [0, 1], labelShape: [2], task: .classification,
            message: "hold no values", badFile: "x.npy"),
    ]

    @Test("bad array pairs are DatasetErrors naming the file at fault", arguments: bad)
    func badPair(_ example: Bad) throws {
        let dir = try TemporaryDirectory()
        let count = example.featureShape.reduce(1, *)
        let x = try dir.write("x.npy", npyFile(descr: "<f4", shape: example.featureShape, data: float32Bytes((0..<count).map(Float.init))))
        let labels = example.labels.map { $0 == 255 ? Double.nan : Double($0) }
        let y = try dir.write("y.npy", npyFile(descr: "<f8", shape: example.labelShape, data: float64Bytes(labels)))
        let error = #expect(throws: DatasetError.self) {
            _ = try Self.load(Pair(features: .init(path: x), labels: .init(path: y)), task: example.task)
        }
        #expect(error?.file == dir.path + "/" + example.badFile)
        #expect(error?.message.contains(example.message) == true, "\(error?.description ?? "no error")")
    }

    @Test("non-whole class labels point to task: regression; test shapes must match training")
    func mismatches() throws {
        let dir = try TemporaryDirectory()
        let x = try dir.write("x.npy", npyFile(descr: "<f4", shape: [2, 2], data: float32Bytes([1, 2, 3, 4])))
        let y = try dir.write("y.npy", npyFile(descr: "<f4", shape: [2], data: float32Bytes([0.5, 1])))
        let error = #expect(throws: DatasetError.self) { _ = try Self.load(Pair(features: .init(path: x), labels: .init(path: y))) }
        #expect(error?.hint?.contains("task: regression") == true)

        let train = try Self.writeNpy(dir, "a", shape: [2, 2], features: [1, 2, 3, 4], labels: [0, 1])
        let test = try Self.writeNpy(dir, "b", shape: [1, 3], features: [1, 2, 3], labels: [0])
        let shapeError = #expect(throws: DatasetError.self) { _ = try Self.load(train, test: test) }
        #expect(shapeError?.file == test.features.path)
        #expect(shapeError?.message.contains("training samples have shape [2]") == true)
        let big = try Self.writeNpy(dir, "c", shape: [1, 2], features: [1, 2], labels: [7])
        let classError = #expect(throws: DatasetError.self) { _ = try Self.load(train, test: big) }
        #expect(classError?.hint == "labels must be in 0...1 for 2 classes")
    }
}
