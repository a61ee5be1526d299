// DatasetLoader: loads a DatasetSpec into train/validation/test splits: read the files, take the
// subset, hold out a seeded validation split, then fit normalisation on train and apply it to all.

/// Turns a `DatasetSpec` into the datasets of a run.
public enum DatasetLoader {
    /// Loads `spec`. `seed` keys the validation shuffle (`CounterRNG(seed:, stream: .split)`), so
    /// the same seed always holds out the same samples. Throws `DatasetError` on any bad file or
    /// setting, naming the file and position.
    public static func load(_ spec: DatasetSpec, seed: UInt64) throws -> DataSplits {
        let trainFile: String
        var train: Dataset
        var test: Dataset?
        let layout: FeatureNormalizer.Layout
        if let subset = spec.subset, subset < 1 {
            throw DatasetError(file: spec.trainFile, message: "subset is \(subset)",
                               hint: "subset must be at least 1, or unset to use every training sample")
        }
        if let classes = spec.classes, classes < 1 {
            throw DatasetError(file: spec.trainFile, message: "classes is \(classes)", hint: "classes must be at least 1, or unset to infer it")
        }
        if case let .text(trainPath, testPath, context) = spec.source {
            guard spec.normalization == .none else {
                throw DatasetError(file: trainPath, message: "normalize is \(spec.normalization.rawValue), but text features are byte token ids",
                                   hint: "use normalize: none (the default for text) or leave it out")
            }
            var splits = try TextDataset.load(train: trainPath, test: testPath, context: context, validation: spec.validation)
            if let subset = spec.subset { splits.train = splits.train.prefix(subset) }
            return splits
        }

        switch spec.source {
        case .text: preconditionFailure("text data returned above")
        case let .idx(trainImages, trainLabels, testImages, testLabels):
            trainFile = trainImages
            layout = .image
            let pair = try IDXDataset.readPair(images: trainImages, labels: trainLabels)
            let classes = spec.classes ?? IDXDataset.inferredClasses(pair)
            train = try IDXDataset.dataset(pair, classes: classes, limit: spec.subset)
            switch (testImages, testLabels) {
            case let (images?, labels?):
                let testPair = try IDXDataset.readPair(images: images, labels: labels)
                guard testPair.images.shape == [testPair.images.count] + pair.images.shape.dropFirst() else {
                    throw DatasetError(file: images, position: .byte(8),
                                       message: "test images are \(testPair.images.shape[1]) × \(testPair.images.shape[2]) but training images are \(pair.images.shape[1]) × \(pair.images.shape[2])",
                                       hint: "test and training images must have the same size")
                }
                test = try IDXDataset.dataset(testPair, classes: classes)
            case (nil, nil):
                test = nil
            case let (images, labels):
                throw DatasetError(file: images ?? labels ?? trainImages,
                                   message: "only one of the test images and test labels files is given",
                                   hint: "give both test files, or neither")
            }

        case let .csv(trainPath, testPath, labelColumns, kind):
            trainFile = trainPath
            layout = .tabular
            let table = try CSVTable.read(path: trainPath)
            let schema = try CSVDataset.schema(table, labelColumns: labelColumns, kind: kind, classes: spec.classes)
            train = try CSVDataset.dataset(table, schema: schema)
            if let subset = spec.subset { train = train.prefix(subset) }
            test = try testPath.map { try CSVDataset.dataset(CSVTable.read(path: $0), schema: schema) }

        case let .arrays(trainPair, testPair, kind):
            trainFile = trainPair.features.path
            var reader = NpzReader()
            let features = try reader.read(trainPair.features), labels = try reader.read(trainPair.labels)
            let schema = try ArrayDataset.schema(features: features, labels: labels, pair: trainPair, kind: kind, classes: spec.classes)
            layout = schema.sampleShape.count >= 2 ? .image : .tabular
            train = try ArrayDataset.dataset(features: features, labels: labels, pair: trainPair, schema: schema)
            if let subset = spec.subset { train = train.prefix(subset) }
            test = try testPair.map {
                try ArrayDataset.dataset(features: reader.read($0.features), labels: reader.read($0.labels), pair: $0, schema: schema)
            }
        }

        let (kept, heldOut) = try split(train, spec.validation, seed: seed, file: trainFile)
        var splits = DataSplits(train: kept, validation: heldOut, test: test)
        splits.normalizer = FeatureNormalizer.fit(spec.normalization, layout: layout, to: splits.train)
        splits.normalizer.apply(to: &splits.train)
        if splits.validation != nil { splits.normalizer.apply(to: &splits.validation!) }
        if splits.test != nil { splits.normalizer.apply(to: &splits.test!) }
        return splits
    }

    /// Holds out `validation` samples chosen by a seeded shuffle; both parts keep file order.
    /// Returns nil for the validation part when it is empty.
    static func split(_ data: Dataset, _ validation: DatasetSpec.ValidationSplit, seed: UInt64,
                      file: String) throws -> (train: Dataset, validation: Dataset?) {
        let held: Int
        switch validation {
        case .count(let n):
            guard n >= 0 && n < data.count else {
                throw DatasetError(file: file, message: "validation count \(n) leaves no training samples out of \(data.count)",
                                   hint: "the validation count must be in 0...\(data.count - 1)")
            }
            held = n
        case .fraction(let f):
            guard f >= 0 && f < 1 else {
                throw DatasetError(file: file, message: "validation fraction \(f) is out of range",
                                   hint: "the validation fraction must be at least 0 and below 1")
            }
            held = Int((f * Double(data.count)).rounded())
            guard held < data.count else {
                throw DatasetError(file: file, message: "validation fraction \(f) of \(data.count) samples leaves none for training",
                                   hint: "use a smaller fraction or more samples")
            }
        }
        guard held > 0 else { return (data, nil) }
        var rng = CounterRNG(seed: seed, stream: .split)
        let order = rng.permutation(data.count)
        let validationIndices = order[..<held].sorted()
        let trainIndices = order[held...].sorted()
        return (data.samples(at: trainIndices), data.samples(at: validationIndices))
    }
}

extension DatasetSpec {
    /// The training file errors about settings are reported against.
    var trainFile: String {
        switch source {
        case .idx(let images, _, _, _): return images
        case .csv(let train, _, _, _): return train
        case .arrays(let train, _, _): return train.features.path
        case .text(let train, _, _): return train
        }
    }
}
