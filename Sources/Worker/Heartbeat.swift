// Heartbeat: rank 0's note of the newest step it finished and when, rewritten in place after every
// step (one small write, no fsync), so a launcher or a person can tell how far a run got and when.
import Foundation

/// `<run>/heartbeat`: one fixed-width line `step NNNNNNNNNNNN time SSSSSSSSSS.UUUUUU`.
public final class Heartbeat {
    /// The file's name in the run folder.
    public static let fileName = "heartbeat"
    private let fd: Int32
    /// Whether the file has been cut to one line (a longer file may be left from before).
    private var sized = false

    /// Opens (creating) `runDirectory`/heartbeat for writing; nil when it cannot be opened (the
    /// heartbeat is a convenience, never a reason to fail a run).
    public init?(runDirectory: String) {
        fd = open(runDirectory + "/" + Self.fileName, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        if fd < 0 { return nil }
    }

    deinit { close(fd) }

    /// The line's bytes, rewritten in place for each beat (no allocation on the step path).
    private var buffer = [UInt8](repeating: 0, count: 41)

    /// Notes that global step `step` has finished now.
    public func beat(step: Int) {
        let written = buffer.withUnsafeMutableBufferPointer { bytes in
            let length = Self.write(step: step, time: Date().timeIntervalSince1970, into: bytes)
            return pwrite(fd, bytes.baseAddress, length, 0)
        }
        if !sized && written > 0 { sized = ftruncate(fd, off_t(written)) == 0 }
    }

    /// Writes the line `step NNNNNNNNNNNN time SSSSSSSSSS.UUUUUU` into `bytes` (41 of them) by
    /// hand — fixed width, so each beat overwrites the last one whole; returns the length.
    static func write(step: Int, time: Double, into bytes: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var at = 0
        func put(_ text: StaticString) {
            for i in 0..<text.utf8CodeUnitCount { bytes[at] = text.utf8Start[i]; at += 1 }
        }
        func digits(_ value: Int, _ count: Int) {
            var value = value
            for i in stride(from: count - 1, through: 0, by: -1) {
                bytes[at + i] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            at += count
        }
        let micros = Int((max(0, min(time, 9_999_999_999)) * 1e6).rounded())
        put("step ")
        digits(max(0, min(step, 999_999_999_999)), 12)
        put(" time ")
        digits(micros / 1_000_000, 10)
        put(".")
        digits(micros % 1_000_000, 6)
        put("\n")
        return at
    }

    static func line(step: Int, time: Double) -> String {
        var bytes = [UInt8](repeating: 0, count: 41)
        let length = bytes.withUnsafeMutableBufferPointer { write(step: step, time: time, into: $0) }
        return String(decoding: bytes[..<length], as: UTF8.self)
    }

    /// What `runDirectory`'s heartbeat says: the step and when it finished; nil when there is no
    /// heartbeat or it cannot be read as one (a torn or edited file).
    public static func read(runDirectory: String) -> (step: Int, time: Date)? {
        guard let data = try? CheckpointFiles.readSmall(runDirectory + "/" + fileName, limit: 4096),
              data.last == UInt8(ascii: "\n") else { return nil }   // a line without its end is torn
        let words = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard words.count == 4, words[0] == "step", words[2] == "time", let step = Int(words[1]), step >= 0,
              let time = Double(words[3]), time.isFinite, time > 0, time < 1e11 else { return nil }
        return (step, Date(timeIntervalSince1970: time))
    }
}
