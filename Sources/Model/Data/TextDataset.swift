// TextDataset: loads byte-level text (`format: text`) into splits — the last fraction of the
// file by position held out for validation, an optional separate test file — as byte windows.

/// Builds the splits of a text dataset.
enum TextDataset {
    /// Reads `train` (and `test`) as raw bytes. Training windows start at every offset of the
    /// first `1 - validation` of the file; the held-out tail and the test file are cut into
    /// non-overlapping windows. Throws `DatasetError` naming the file and the key at fault.
    static func load(train: String, test: String?, context: Int, validation: DatasetSpec.ValidationSplit) throws -> DataSplits {
        guard context >= 1 else {
            throw DatasetError(file: train, message: "context is \(context)", hint: "context (bytes per sample) must be at least 1, e.g. context: 128")
        }
        let bytes = try read(train, context: context, role: "training")
        let fraction: Double
        switch validation {
        case .fraction(let f): fraction = f
        case .count(0): fraction = 0
        case .count(let n):
            throw DatasetError(file: train, message: "validation is \(n), a count",
                               hint: "text data holds out a fraction of the file by position: give validation as a fraction such as 0.1, or 0 for none")
        }
        guard fraction >= 0 && fraction < 1 else {
            throw DatasetError(file: train, message: "validation fraction \(fraction) is out of range", hint: "give a fraction at least 0 and below 1, e.g. 0.1")
        }
        let held = Int((fraction * Double(bytes.count)).rounded())
        let cut = bytes.count - held
        guard cut >= context + 1 else {
            throw DatasetError(file: train, message: "after holding out validation \(fraction), the \(cut) training bytes hold no window of context \(context) + 1",
                               hint: "use a longer file, a smaller validation fraction or a smaller context")
        }
        let trainSplit = Dataset(text: TextWindows(bytes: Array(bytes[..<cut]), context: context, stride: 1))
        var validationSplit: Dataset?
        if held > 0 {
            guard held >= context + 1 else {
                throw DatasetError(file: train, message: "validation \(fraction) holds out \(held) bytes, fewer than one window of context \(context) + 1",
                                   hint: "raise the validation fraction, use a longer file, or set validation: 0")
            }
            validationSplit = Dataset(text: TextWindows(bytes: Array(bytes[cut...]), context: context, stride: context))
        }
        let testSplit = try test.map { path in
            Dataset(text: TextWindows(bytes: try read(path, context: context, role: "test"), context: context, stride: context))
        }
        return DataSplits(train: trainSplit, validation: validationSplit, test: testSplit)
    }

    /// The file's bytes as stored; at least `context + 1` of them.
    private static func read(_ path: String, context: Int, role: String) throws -> [UInt8] {
        let bytes = try DataFile.readRaw(path)
        guard !bytes.isEmpty else {
            throw DatasetError(file: path, message: "the \(role) text file is empty", hint: "give a file of text (any bytes); see scripts/setup for the Shakespeare corpus")
        }
        guard bytes.count >= context + 1 else {
            throw DatasetError(file: path, message: "the \(role) text file has \(bytes.count) bytes, fewer than context \(context) + 1",
                               hint: bytes.count > 1 ? "a sample needs context + 1 bytes (the window and the next byte); use a context of at most \(bytes.count - 1), or a longer file"
                                                     : "a sample needs context + 1 bytes (the window and the next byte), at least 2; give a longer file")
        }
        return bytes
    }
}
