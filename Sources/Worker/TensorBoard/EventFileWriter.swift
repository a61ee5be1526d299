// EventFileWriter: a TensorBoard event file (`events.out.tfevents.<seconds>.<host>.<pid>`) in a run
// folder — TFRecord framing (length, masked CRC-32C of the length, data, masked CRC-32C of the
// data) around each `Event`, appended as training reports. It is a copy for viewing: a file that
// cannot be written is warned about once and given up, never the run.
import Foundation

/// Appends framed events to one new event file.
public final class EventFileWriter {
    /// The file's path.
    public let path: String
    private var handle: FileHandle?

    /// Creates a new event file in `folder`, named to sort after every event file already there
    /// (TensorBoard reads a folder's files in name order), and writes its version event and, when
    /// `firstStep` is given, a session start there: TensorBoard drops points of earlier files at
    /// that step or later, which this process trains (again). A file of other events than a run's
    /// own (the HParams plugin's) gives none. nil, after a warning, when it cannot be made.
    /// The name ends with `label` instead of the process id when one is given.
    public init?(folder: String, firstStep: Int?, label: String? = nil, now: Date = Date()) {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let seconds = max(Int(now.timeIntervalSince1970), Self.newestSeconds(in: folder).map { $0 + 1 } ?? 0)
        path = folder + "/events.out.tfevents.\(seconds).\(host).\(label ?? String(getpid()))"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            Log.logger.warning("cannot create the TensorBoard event file \(path): the run goes on without it")
            return nil
        }
        self.handle = handle
        write(TensorBoardEvent(wallTime: now.timeIntervalSince1970, step: 0, content: .fileVersion("brain.Event:2")))
        if let firstStep { write(TensorBoardEvent(wallTime: now.timeIntervalSince1970, step: firstStep, content: .sessionStart)) }
    }

    deinit { try? handle?.close() }

    /// The largest `<seconds>` among the event files ringtrain wrote in `folder`, if any. A name
    /// past 2^40 s (the year 36,800) is no file of a run's (and one past it would overflow).
    static func newestSeconds(in folder: String) -> Int? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("events.out.tfevents.") else { return nil }
            return Int(name.dropFirst("events.out.tfevents.".count).prefix { $0.isASCII && $0.isNumber }).flatMap { $0 < 1 << 40 ? $0 : nil }
        }.max()
    }

    /// The record framing of `data`.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian, Array.init)
        func crc(_ bytes: [UInt8]) -> [UInt8] { withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(bytes)).littleEndian, Array.init) }
        return length + crc(length) + data + crc(data)
    }

    /// Appends one event (a whole record in one write). After a failed write the file is given
    /// up (a torn record would hide every later one from TensorBoard's readers), with a warning.
    public func write(_ event: TensorBoardEvent) {
        guard let handle else { return }
        do {
            try handle.write(contentsOf: Data(Self.record(event.encoded)))
        } catch {
            Log.logger.warning("cannot write the TensorBoard event file \(path) (\(error.fileErrorText)): no more events are written to it")
            try? handle.close()
            self.handle = nil
        }
    }

    /// Scalars at `step`, now.
    public func scalars(_ values: [(tag: String, value: Float)], step: Int) {
        guard !values.isEmpty else { return }
        write(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: step, content: .scalars(values)))
    }
}
