// EventFileWriter: a TensorBoard event file (`events.out.tfevents.<seconds>.<host>.<pid>`) in a run
// folder — TFRecord framing (length, masked CRC-32C of the length, data, masked CRC-32C of the
// data) around each `Event`, appended and flushed as training reports.
import Foundation

/// Appends framed events to one new event file.
public final class EventFileWriter {
    /// The file's path.
    public let path: String
    private let handle: FileHandle

    /// Creates a new event file in `folder` and writes its version event. Each process writes its
    /// own file; TensorBoard reads every `*tfevents*` file of a folder as one run, in name order.
    public init(folder: String, now: Date = Date()) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        path = folder + "/events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host).\(getpid())"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainingError("cannot create the TensorBoard event file \(path)")
        }
        self.handle = handle
        try write(TensorBoardEvent(wallTime: now.timeIntervalSince1970, step: 0, content: .fileVersion("brain.Event:2")))
    }

    deinit { try? handle.close() }

    /// The record framing of `data`.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian, Array.init)
        func crc(_ bytes: [UInt8]) -> [UInt8] { withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(bytes)).littleEndian, Array.init) }
        return length + crc(length) + data + crc(data)
    }

    /// Appends one event (a whole record in one write).
    public func write(_ event: TensorBoardEvent) throws {
        try handle.write(contentsOf: Data(Self.record(event.encoded)))
    }

    /// Scalars at `step`, now.
    public func scalars(_ values: [(tag: String, value: Float)], step: Int) throws {
        guard !values.isEmpty else { return }
        try write(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: step, content: .scalars(values)))
    }
}
