// TensorBoardEvent: the `Event` messages of TensorBoard's event files that ringtrain writes — the
// file's version, scalar summaries, and a session start that makes TensorBoard drop the points a
// resumed run writes again — encoded by hand (tensorflow/core/util/event.proto, summary.proto).
import Foundation

/// One event, ready to be framed into an event file.
public struct TensorBoardEvent: Equatable, Sendable {
    /// What the event says.
    public enum Content: Equatable, Sendable {
        /// `file_version` (field 3): the first event of every file, `brain.Event:2`.
        case fileVersion(String)
        /// `summary` (field 5) holding one `simple_value` per tag.
        case scalars([(tag: String, value: Float)])
        /// `session_log` (field 7) with status START: points of later steps in earlier files are
        /// superseded (a resumed run trains them again).
        case sessionStart

        public static func == (a: Content, b: Content) -> Bool {
            switch (a, b) {
            case (.fileVersion(let x), .fileVersion(let y)): return x == y
            case (.scalars(let x), .scalars(let y)): return x.map(\.tag) == y.map(\.tag) && x.map(\.value) == y.map(\.value)
            case (.sessionStart, .sessionStart): return true
            default: return false
            }
        }
    }

    /// Seconds since 1970 (`wall_time`, field 1).
    public var wallTime: Double
    /// The global step (`step`, field 2).
    public var step: Int
    public var content: Content

    public init(wallTime: Double, step: Int, content: Content) {
        (self.wallTime, self.step, self.content) = (wallTime, step, content)
    }

    /// The serialized `Event` message.
    public var encoded: [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        switch content {
        case .fileVersion(let version):
            event.string(3, version)
        case .scalars(let values):
            var summary = ProtobufWriter()
            for (tag, value) in values {
                var entry = ProtobufWriter()   // Summary.Value: tag = 1, simple_value = 2
                entry.string(1, tag)
                entry.float(2, value)
                summary.bytes(1, entry.bytes)
            }
            event.bytes(5, summary.bytes)
        case .sessionStart:
            var log = ProtobufWriter()   // SessionLog: status = 1 (START = 1)
            log.int64(1, 1)
            event.bytes(7, log.bytes)
        }
        return event.bytes
    }
}
