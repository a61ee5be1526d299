// IDXDataset: turns a pair of IDX files (images, labels) into a classification Dataset of
// raw 0...255 Float pixels shaped [1, rows, columns].

enum IDXDataset {
    /// The raw contents of an image file and its label file, checked against each other.
    struct Pair {
        var images: IDXArray
        var labels: IDXArray
        var labelsGzipped: Bool
        var labelsPath: String
    }

    /// Reads and cross-checks an image file and its label file.
    static func readPair(images imagesPath: String, labels labelsPath: String) throws -> Pair {
        let images = try IDXReader.readImages(path: imagesPath)
        let (bytes, gzipped) = try DataFile.read(labelsPath)
        let labels = try IDXReader.parse(bytes, file: labelsPath, dimensions: 1, decompressed: gzipped)
        guard images.count == labels.count else {
            throw DatasetError(
                file: labelsPath, position: .byte(4),
                message: "holds \(labels.count) labels but the image file \(imagesPath) holds \(images.count) images",
                hint: "pair each image file with its own label file (train with train, t10k with t10k)")
        }
        guard images.count > 0 else {
            throw DatasetError(file: imagesPath, position: .byte(4), message: "holds no images",
                               hint: "a dataset needs at least one sample")
        }
        guard images.shape[1] > 0 && images.shape[2] > 0 else {
            throw DatasetError(file: imagesPath, position: .byte(8),
                               message: "images have size \(images.shape[1]) × \(images.shape[2])",
                               hint: "rows and columns must both be at least 1")
        }
        return Pair(images: images, labels: labels, labelsGzipped: gzipped, labelsPath: labelsPath)
    }

    /// The largest label + 1.
    static func inferredClasses(_ pair: Pair) -> Int {
        Int(pair.labels.values.max() ?? 0) + 1
    }

    /// The first `limit` samples (default all) as a Dataset with `classes` classes; throws if a
    /// label (of the whole file) is `classes` or more.
    static func dataset(_ pair: Pair, classes: Int, limit: Int? = nil) throws -> Dataset {
        try IDXReader.checkLabels(pair.labels, classes: classes, file: pair.labelsPath, decompressed: pair.labelsGzipped)
        let count = min(limit ?? pair.images.count, pair.images.count)
        let rows = pair.images.shape[1], columns = pair.images.shape[2]
        let features = floats(pair.images.values, count: count * rows * columns)
        let targets = floats(pair.labels.values, count: count)
        return Dataset(features: features, targets: targets, sampleShape: [1, rows, columns],
                       task: .classification(classes: classes))
    }

    /// The first `count` bytes as Floats, converted through raw pointers.
    private static func floats(_ bytes: [UInt8], count: Int) -> [Float] {
        bytes.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: count) { target, initialized in
                for i in 0..<count { target[i] = Float(source[i]) }
                initialized = count
            }
        }
    }
}
