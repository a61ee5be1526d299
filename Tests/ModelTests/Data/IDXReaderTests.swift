// Tests for IDXReader: good files plain and gzipped, and each kind of broken file, checking
// that the error names the file and the byte offset.
import Model
import Testing

@Suite("IDX reader")
struct IDXReaderTests {
    static let images = idxFile(shape: [2, 2, 3], values: Array(0..<12))

    @Test("reads an idx3 image file", arguments: [false, true])
    func readsImages(gzipped: Bool) throws {
        let dir = try TemporaryDirectory()
        let path = gzipped ? try dir.writeGzipped("images.gz", Self.images) : try dir.write("images", Self.images)
        let array = try IDXReader.readImages(path: path)
        #expect(array.shape == [2, 2, 3])
        #expect(array.values == Array(0..<12))
        #expect(array.count == 2)
    }

    @Test("gzip is detected by content, not by name")
    func gzipWithoutSuffix() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.writeGzipped("labels-no-suffix", idxFile(shape: [3], values: [1, 0, 9]))
        #expect(try IDXReader.readLabels(path: path, classes: 10).values == [1, 0, 9])
    }

    struct Broken: CustomTestStringConvertible, Sendable {
        let label: String
        let bytes: [UInt8]
        let dimensions: Int?
        let position: DatasetError.Position?
        let fragment: String
        var testDescription: String { label }
    }

    static let broken: [Broken] = [
        Broken(label: "empty file", bytes: [], dimensions: 3, position: nil, fragment: "empty"),
        Broken(label: "short magic", bytes: [0, 0], dimensions: 3, position: .byte(2), fragment: "magic number"),
        Broken(label: "wrong magic", bytes: [0x50, 0x4B, 3, 4] + Array(repeating: 0, count: 20), dimensions: 3,
               position: .byte(0), fragment: "wrong magic number 0x50 0x4B 0x03 0x04"),
        Broken(label: "float data type", bytes: idxFile(shape: [1], values: [0, 0, 0, 0], typeCode: 0x0D), dimensions: nil,
               position: .byte(2), fragment: "type code 0x0D"),
        Broken(label: "labels read as images", bytes: idxFile(shape: [2], values: [1, 2]), dimensions: 3,
               position: .byte(3), fragment: "1 dimension"),
        Broken(label: "truncated header", bytes: [0, 0, 8, 3, 0, 0, 0, 2, 0, 0], dimensions: 3,
               position: .byte(10), fragment: "inside the header"),
        Broken(label: "truncated data", bytes: Array(images.dropLast(5)), dimensions: 3,
               position: .byte(23), fragment: "needs 12 data bytes"),
        Broken(label: "trailing bytes", bytes: images + [7, 7], dimensions: 3,
               position: .byte(28), fragment: "2 unexpected bytes"),
    ]

    @Test("broken files give a positioned error", arguments: broken)
    func brokenFile(_ example: Broken) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("broken-idx", example.bytes)
        let error = #expect(throws: DatasetError.self) {
            _ = try IDXReader.read(path: path, dimensions: example.dimensions)
        }
        #expect(error?.file == path)
        #expect(error?.position == example.position)
        #expect(error?.message.contains(example.fragment) == true, "\(error?.message ?? "")")
        #expect(error?.description.hasPrefix(path) == true)
        if case .byte(let offset)? = example.position {
            #expect(error?.description.contains("at byte \(offset)") == true)
        }
        #expect(error?.hint != nil)
    }

    @Test("a label out of range names its byte")
    func labelOutOfRange() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("labels", idxFile(shape: [4], values: [3, 9, 12, 0]))
        let error = #expect(throws: DatasetError.self) { _ = try IDXReader.readLabels(path: path, classes: 10) }
        #expect(error?.position == .byte(10))
        #expect(error?.message.contains("label 12 of sample 2") == true)
        #expect(error?.hint?.contains("0...9") == true)
    }

    @Test("offsets in gzipped files say they count decompressed bytes")
    func gzippedBrokenFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.writeGzipped("images.gz", Array(Self.images.dropLast(1)))
        let error = #expect(throws: DatasetError.self) { _ = try IDXReader.readImages(path: path) }
        #expect(error?.position == .byte(27))
        #expect(error?.message.contains("decompressed") == true)
    }

    @Test("a truncated gzip stream is reported, not read as garbage")
    func truncatedGzip() throws {
        let dir = try TemporaryDirectory()
        let whole = try dir.writeGzipped("whole.gz", idxFile(shape: [500], values: (0..<500).map { UInt8($0 % 251) }))
        let bytes = try TemporaryDirectory.read(whole)
        let cut = try dir.write("cut.gz", Array(bytes.prefix(bytes.count / 2)))
        let error = #expect(throws: DatasetError.self) { _ = try IDXReader.readLabels(path: cut) }
        #expect(error?.file == cut)
        #expect(error?.position == .byte(bytes.count / 2))
        #expect(error?.message.contains("gzip data ends early") == true)
    }

    @Test("corrupt gzip data is reported")
    func corruptGzip() throws {
        let dir = try TemporaryDirectory()
        let whole = try dir.writeGzipped("whole.gz", idxFile(shape: [500], values: (0..<500).map { UInt8($0 % 7) }))
        var bytes = try TemporaryDirectory.read(whole)
        for i in 12..<bytes.count - 8 { bytes[i] ^= 0x5A }
        let bad = try dir.write("bad.gz", bytes)
        let error = #expect(throws: DatasetError.self) { _ = try IDXReader.readLabels(path: bad) }
        #expect(error?.message.contains("corrupt gzip data") == true)
    }

    @Test("a missing file names the path")
    func missingFile() {
        let error = #expect(throws: DatasetError.self) { _ = try IDXReader.readImages(path: "/nonexistent/train-images") }
        #expect(error?.file == "/nonexistent/train-images")
        #expect(error?.message.contains("cannot open") == true)
        #expect(error?.position == nil)
    }
}
