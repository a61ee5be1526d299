// Tests for DatasetLoader: IDX and CSV datasets end to end, label coding, error reporting,
// the seeded validation split, subset, normalisation fitted on train only, and gather.
import Model
import Testing

@Suite("Dataset loader")
struct DatasetLoaderTests {
    /// Ten 2×2 images whose pixels all equal 10 × index, labelled index % 3.
    static func writeIDX(_ dir: TemporaryDirectory, gzipped: Bool, count: Int = 10) throws -> DatasetSpec.Source {
        let pixels = (0..<count).flatMap { Array(repeating: UInt8(10 * $0), count: 4) }
        let images = idxFile(shape: [count, 2, 2], values: pixels)
        let labels = idxFile(shape: [count], values: (0..<count).map { UInt8($0 % 3) })
        let write = { (name: String, bytes: [UInt8]) in gzipped ? try dir.writeGzipped(name, bytes) : try dir.write(name, bytes) }
        return .idx(trainImages: try write("ti", images), trainLabels: try write("tl", labels),
                    testImages: try write("si", images), testLabels: try write("sl", labels))
    }

    /// A CSV of `count` rows: id (0, 1, ...), x = 2 × id, a string label and a float target.
    static func csvText(count: Int) -> String {
        let names = ["cat", "ant", "bee"]
        return "id,x,kind,y\n" + (0..<count).map { "\($0),\(2 * $0),\(names[$0 % 3]),\(Double($0) / 2)\n" }.joined()
    }

    /// The same without the string column: id, x = 2 × id, y = id / 2.
    static func numericText(count: Int) -> String {
        "id,x,y\n" + (0..<count).map { "\($0),\(2 * $0),\(Double($0) / 2)\n" }.joined()
    }

    @Test("IDX plain and gzipped load the same", arguments: [false, true])
    func idx(gzipped: Bool) throws {
        let dir = try TemporaryDirectory()
        let spec = DatasetSpec(source: try Self.writeIDX(dir, gzipped: gzipped))
        let splits = try DatasetLoader.load(spec, seed: 1)
        #expect(splits.train.count == 10)
        #expect(splits.train.sampleShape == [1, 2, 2])
        #expect(splits.train.task == .classification(classes: 3))
        let tenth: Float = 10 / 255
        #expect(Array(splits.train.features[4..<8]) == [tenth, tenth, tenth, tenth])
        #expect(splits.train.targets == (0..<10).map { Float($0 % 3) })
        #expect(splits.test?.count == 10)
        #expect(splits.validation == nil)
    }

    @Test("image and label counts must agree")
    func countMismatch() throws {
        let dir = try TemporaryDirectory()
        let images = try dir.write("images", idxFile(shape: [3, 1, 1], values: [1, 2, 3]))
        let labels = try dir.write("labels", idxFile(shape: [2], values: [0, 1]))
        let spec = DatasetSpec(source: .idx(trainImages: images, trainLabels: labels, testImages: nil, testLabels: nil))
        let error = #expect(throws: DatasetError.self) { _ = try DatasetLoader.load(spec, seed: 0) }
        #expect(error?.file == labels)
        #expect(error?.position == .byte(4))
        #expect(error?.message.contains("2 labels") == true && error?.message.contains("3 images") == true)
    }

    @Test("IDX labels beyond the given class count are rejected")
    func idxClasses() throws {
        let dir = try TemporaryDirectory()
        let spec = DatasetSpec(source: try Self.writeIDX(dir, gzipped: false), classes: 2)
        let error = #expect(throws: DatasetError.self) { _ = try DatasetLoader.load(spec, seed: 0) }
        #expect(error?.message.contains("label 2 of sample 2") == true)
        #expect(error?.position == .byte(10))
    }

    @Test("CSV string labels map to sorted class indices")
    func csvStringLabels() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("train.csv", text: Self.csvText(count: 6))
        let spec = DatasetSpec(source: .csv(train: path, test: nil, labelColumns: ["kind"], task: .classification),
                               normalization: DatasetSpec.Normalization.none)
        let train = try DatasetLoader.load(spec, seed: 0).train
        #expect(train.classNames == ["ant", "bee", "cat"])
        #expect(train.task == .classification(classes: 3))
        #expect(train.targets == [2, 0, 1, 2, 0, 1])
        #expect(train.sampleShape == [3])
        #expect(Array(train.features[3..<6]) == [1, 2, 0.5])
    }

    @Test("CSV integer labels are class indices; regression keeps float targets")
    func csvIntegerAndRegression() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("train.csv", text: Self.numericText(count: 4))
        let byID = DatasetSpec(source: .csv(train: path, test: nil, labelColumns: ["id"], task: .classification),
                               normalization: DatasetSpec.Normalization.none)
        let classified = try DatasetLoader.load(byID, seed: 0).train
        #expect(classified.task == .classification(classes: 4))
        #expect(classified.classNames == nil)
        #expect(classified.targets == [0, 1, 2, 3])

        let text = "a,y1,y2\n1,0.5,-1\n2,1.5,-2\n"
        let regression = DatasetSpec(source: .csv(train: try dir.write("r.csv", text: text), test: nil,
                                                  labelColumns: ["y1", "y2"], task: .regression))
        let train = try DatasetLoader.load(regression, seed: 0).train
        #expect(train.task == .regression(outputs: 2))
        #expect(train.targets == [0.5, -1, 1.5, -2])
        #expect(train.sampleShape == [1])
    }

    struct BadCSV: CustomTestStringConvertible, Sendable {
        let label: String
        let train: String
        let test: String?
        let labels: [String]
        let task: DatasetSpec.TaskKind
        let inTest: Bool
        let position: DatasetError.Position?
        let fragment: String
        var testDescription: String { label }
    }

    static let badCSV: [BadCSV] = [
        BadCSV(label: "missing label column", train: "a,b\n1,2\n", test: nil, labels: ["label"], task: .classification,
               inTest: false, position: .line(1, column: nil), fragment: "no column named \"label\""),
        BadCSV(label: "non-numeric feature", train: "a,b,label\n1,2,0\n3,x,1\n", test: nil, labels: ["label"],
               task: .classification, inTest: false, position: .line(3, column: 2), fragment: "\"x\" is not a finite number"),
        BadCSV(label: "ragged row", train: "a,label\n1,0\n2\n", test: nil, labels: ["label"], task: .classification,
               inTest: false, position: .line(3, column: 2), fragment: "row has 1 field"),
        BadCSV(label: "empty file", train: "", test: nil, labels: ["label"], task: .classification,
               inTest: false, position: nil, fragment: "empty"),
        BadCSV(label: "non-numeric regression target", train: "a,y\n1,2\n2,big\n", test: nil, labels: ["y"],
               task: .regression, inTest: false, position: .line(3, column: 2), fragment: "\"big\""),
        BadCSV(label: "negative integer label", train: "a,label\n1,0\n2,-1\n", test: nil, labels: ["label"],
               task: .classification, inTest: false, position: .line(3, column: 2), fragment: "negative"),
        BadCSV(label: "two labels for classification", train: "a,b,c\n1,2,3\n", test: nil, labels: ["b", "c"],
               task: .classification, inTest: false, position: .line(1, column: nil), fragment: "exactly one label column"),
        BadCSV(label: "unknown class name in test", train: "a,label\n1,cat\n2,dog\n", test: "a,label\n1,cow\n",
               labels: ["label"], task: .classification, inTest: true, position: .line(2, column: 2), fragment: "\"cow\""),
        BadCSV(label: "test label beyond training classes", train: "a,label\n1,0\n2,1\n", test: "a,label\n1,2\n",
               labels: ["label"], task: .classification, inTest: true, position: .line(2, column: 2), fragment: "not a class index"),
        BadCSV(label: "test file lacks a column", train: "a,b,label\n1,2,0\n", test: "a,label\n1,0\n",
               labels: ["label"], task: .classification, inTest: true, position: .line(1, column: nil), fragment: "\"b\""),
    ]

    @Test("bad CSV datasets name file, line and column", arguments: badCSV)
    func csvErrors(_ example: BadCSV) throws {
        let dir = try TemporaryDirectory()
        let train = try dir.write("train.csv", text: example.train)
        let test = try example.test.map { try dir.write("test.csv", text: $0) }
        let spec = DatasetSpec(source: .csv(train: train, test: test, labelColumns: example.labels, task: example.task))
        let error = #expect(throws: DatasetError.self) { _ = try DatasetLoader.load(spec, seed: 0) }
        #expect(error?.file == (example.inTest ? test : train))
        #expect(error?.position == example.position)
        #expect(error?.message.contains(example.fragment) == true, "\(error?.message ?? "")")
    }

    @Test("the validation split is seeded, disjoint and complete")
    func split() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("train.csv", text: Self.numericText(count: 50))
        let spec = DatasetSpec(source: .csv(train: path, test: nil, labelColumns: ["y"], task: .regression),
                               validation: .fraction(0.2), normalization: DatasetSpec.Normalization.none)
        func ids(_ data: Dataset?) -> [Float] { data.map { d in (0..<d.count).map { d.features[$0 * 2] } } ?? [] }
        let first = try DatasetLoader.load(spec, seed: 7)
        let again = try DatasetLoader.load(spec, seed: 7)
        let other = try DatasetLoader.load(spec, seed: 8)
        #expect(ids(first.validation).count == 10)
        #expect(ids(first.train).count == 40)
        #expect(ids(first.validation) == ids(again.validation))
        #expect(ids(first.validation) != ids(other.validation))
        #expect(Set(ids(first.train)).isDisjoint(with: ids(first.validation)))
        #expect(Set(ids(first.train) + ids(first.validation)) == Set((0..<50).map(Float.init)))
        // Targets travel with their features.
        #expect(first.validation!.targets == ids(first.validation).map { $0 / 2 })
    }

    struct BadSplit: CustomTestStringConvertible, Sendable {
        let label: String
        let validation: DatasetSpec.ValidationSplit
        let subset: Int?
        var testDescription: String { label }
    }

    @Test("impossible validation or subset settings are errors", arguments: [
        BadSplit(label: "count equals samples", validation: .count(5), subset: nil),
        BadSplit(label: "negative count", validation: .count(-1), subset: nil),
        BadSplit(label: "fraction 1", validation: .fraction(1), subset: nil),
        BadSplit(label: "subset 0", validation: .count(0), subset: 0),
        BadSplit(label: "count beyond subset", validation: .count(3), subset: 3),
    ])
    func badSplit(_ example: BadSplit) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("train.csv", text: Self.csvText(count: 5))
        let spec = DatasetSpec(source: .csv(train: path, test: nil, labelColumns: ["y"], task: .regression),
                               validation: example.validation, subset: example.subset)
        let error = #expect(throws: DatasetError.self) { _ = try DatasetLoader.load(spec, seed: 0) }
        #expect(error?.file == path)
        #expect(error?.hint != nil)
    }

    @Test("subset keeps the first N samples before the validation split")
    func subset() throws {
        let dir = try TemporaryDirectory()
        var spec = DatasetSpec(source: try Self.writeIDX(dir, gzipped: false), validation: .count(2), subset: 6,
                               normalization: DatasetSpec.Normalization.none)
        let splits = try DatasetLoader.load(spec, seed: 3)
        let firstPixels = (splits.train.features + splits.validation!.features).enumerated()
            .filter { $0.offset % 4 == 0 }.map(\.element)
        #expect(Set(firstPixels) == Set((0..<6).map { Float(10 * $0) }))
        #expect(splits.test?.count == 10)
        spec.subset = 1000
        #expect(try DatasetLoader.load(spec, seed: 3).train.count == 8)
    }

    @Test("standard normalisation uses training statistics only")
    func normalisationFromTrain() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("train.csv", text: Self.csvText(count: 40))
        let raw = DatasetSpec(source: .csv(train: path, test: path, labelColumns: ["kind"], task: .classification),
                              validation: .count(10), normalization: DatasetSpec.Normalization.none)
        var standard = raw
        standard.normalization = .standard
        let plain = try DatasetLoader.load(raw, seed: 5)
        let scaled = try DatasetLoader.load(standard, seed: 5)
        let ids = (0..<plain.train.count).map { Double(plain.train.features[$0 * 3]) }
        let mean = ids.reduce(0, +) / Double(ids.count)
        let std = (ids.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(ids.count)).squareRoot()
        #expect(abs(Double(scaled.normalizer.offset[0]) - mean) < 1e-4)
        #expect(abs(Double(scaled.normalizer.scale[0]) - std) < 1e-4)
        // Validation and test get the training map, so they are not themselves centred.
        let v = plain.validation!.features[0], vs = scaled.validation!.features[0]
        #expect(abs(Double(vs) - (Double(v) - mean) / std) < 1e-4)
        let t = plain.test!.features[3], ts = scaled.test!.features[3]
        #expect(abs(Double(ts) - (Double(t) - mean) / std) < 1e-4)
        let trainMean = (0..<scaled.train.count).map { Double(scaled.train.features[$0 * 3]) }.reduce(0, +)
        #expect(abs(trainMean) < 1e-3)
    }

    struct Norm: CustomTestStringConvertible, Sendable {
        let label: String
        let method: DatasetSpec.Normalization
        let offset: Float
        let scale: Float
        var testDescription: String { label }
    }

    @Test("image normalisations use one global statistic", arguments: [
        Norm(label: "scale divides by 255", method: .scale, offset: 0, scale: 255),
        Norm(label: "standard uses the pixel mean and std", method: .standard, offset: 45, scale: 28.722813),
    ])
    func imageNormalisation(_ example: Norm) throws {
        let dir = try TemporaryDirectory()
        let spec = DatasetSpec(source: try Self.writeIDX(dir, gzipped: false), normalization: example.method)
        let normalizer = try DatasetLoader.load(spec, seed: 0).normalizer
        #expect(normalizer.offset == Array(repeating: example.offset, count: 4))
        #expect(normalizer.scale.allSatisfy { abs($0 - example.scale) < 1e-4 })
    }

    @Test("CSV scale maps the training range to 0...1")
    func csvMinMax() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("train.csv", text: "a,b,y\n2,5,0\n4,5,1\n6,5,0\n")
        let spec = DatasetSpec(source: .csv(train: path, test: nil, labelColumns: ["y"], task: .classification),
                               normalization: .scale)
        let train = try DatasetLoader.load(spec, seed: 0).train
        #expect(train.features == [0, 0, 0.5, 0, 1, 0])
    }

    @Test("gather copies the chosen samples in order")
    func gather() {
        let data = Dataset(features: (0..<12).map(Float.init), targets: [0, 1, 2, 1], sampleShape: [3],
                           task: .classification(classes: 3))
        var features = [Float](repeating: -1, count: 6)
        var targets = [Float](repeating: -1, count: 2)
        features.withUnsafeMutableBufferPointer { f in
            targets.withUnsafeMutableBufferPointer { t in
                data.gather([3, 0][...], features: f.baseAddress!, targets: t.baseAddress!)
            }
        }
        #expect(features == [9, 10, 11, 0, 1, 2])
        #expect(targets == [1, 0])
    }
}
