// SmallDataFiles: tiny data sets written in every format the loader reads — IDX, .npy, .npz, CSV
// and text — as classification, regression or language-model data, for checks of jobs against data.
import Foundation
import Model

/// Every data format and task the loader supports.
enum SmallData: String, CaseIterable, Sendable {
    case idxClassification = "IDX classification"
    case npyClassification = "npy classification"
    case npyRegression = "npy regression"
    case npzClassification = "npz classification"
    case npzRegression = "npz regression"
    case csvClassification = "CSV classification"
    case csvRegression = "CSV regression"
    case text = "text language model"

    /// 40 samples of 4 features (labels 0–2, or targets in 0...1 scaled by `targetScale`), or a
    /// 200-byte text with context 8, written in `directory`; the spec that loads it.
    func write(in directory: String, targetScale: Float = 1) throws -> DatasetSpec {
        let n = 40
        let features = (0..<n * 4).map { Float($0 % 7) }
        let labels = (0..<n).map { Float($0 % 3) }
        let targets = (0..<n).map { Float($0 % 5) / 4 * targetScale }
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = directory + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        switch self {
        case .idxClassification:
            let images = try file("images.idx", Self.idx(shape: [n, 2, 2], values: features.map { UInt8($0) }))
            let classes = try file("labels.idx", Self.idx(shape: [n], values: labels.map { UInt8($0) }))
            return DatasetSpec(source: .idx(trainImages: images, trainLabels: classes, testImages: nil, testLabels: nil))
        case .npyClassification, .npyRegression:
            let x = try file("x.npy", Self.npy(shape: [n, 4], features))
            let y = try file("y.npy", Self.npy(shape: [n], self == .npyRegression ? targets : labels))
            return DatasetSpec(source: .arrays(train: .init(features: .init(path: x), labels: .init(path: y)), test: nil,
                                               task: self == .npyRegression ? .regression : .classification))
        case .npzClassification, .npzRegression:
            let archive = try file("d.npz", Self.storedZip([("x.npy", Self.npy(shape: [n, 4], features)),
                                                            ("y.npy", Self.npy(shape: [n], self == .npzRegression ? targets : labels))]))
            return DatasetSpec(source: .arrays(train: .init(features: .init(path: archive, name: "x"), labels: .init(path: archive, name: "y")),
                                               test: nil, task: self == .npzRegression ? .regression : .classification))
        case .csvClassification, .csvRegression:
            let values = self == .csvRegression ? targets : labels
            let rows = (0..<n).map { i in (0..<4).map { "\(features[i * 4 + $0])" }.joined(separator: ",") + ",\(values[i])" }
            let path = try file("data.csv", Array(("a,b,c,d,label\n" + rows.joined(separator: "\n") + "\n").utf8))
            return DatasetSpec(source: .csv(train: path, test: nil, labelColumns: ["label"],
                                            task: self == .csvRegression ? .regression : .classification))
        case .text:
            let path = try file("text.txt", (0..<200).map { UInt8(97 + $0 % 26) })
            return DatasetSpec(source: .text(train: path, test: nil, context: 8))
        }
    }

    /// An unsigned-byte IDX file.
    static func idx(shape: [Int], values: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for size in shape { bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)] }
        return bytes + values
    }

    /// A little-endian float32 .npy file (format 1.0).
    static func npy(shape: [Int], _ values: [Float]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
            + le(values.map(\.bitPattern))
    }

    /// A zip archive of stored (uncompressed) members, as numpy.savez writes it.
    static func storedZip(_ members: [(name: String, bytes: [UInt8])]) -> [UInt8] {
        var archive: [UInt8] = [], directory: [UInt8] = []
        for member in members {
            let name = Array(member.name.utf8)
            let sizes = le([crc32(member.bytes), UInt32(member.bytes.count), UInt32(member.bytes.count)])
            let offset = UInt32(archive.count)
            archive += le([UInt32(0x0403_4B50)]) + le([UInt16(20), 0, 0, 0, 0]) + sizes + le([UInt16(name.count), 0]) + name + member.bytes
            directory += le([UInt32(0x0201_4B50)]) + le([UInt16(20), 20, 0, 0, 0, 0]) + sizes
                + le([UInt16(name.count), 0, 0, 0, 0]) + le([UInt32(0), offset]) + name
        }
        return archive + directory + le([UInt32(0x0605_4B50)]) + le([UInt16(0), 0, UInt16(members.count), UInt16(members.count)])
            + le([UInt32(directory.count), UInt32(archive.count)]) + le([UInt16(0)])
    }

    static func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }

    /// CRC-32 (the zip polynomial), bit by bit.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
