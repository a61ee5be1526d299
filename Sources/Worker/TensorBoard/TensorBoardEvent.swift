// TensorBoardEvent: the `Event` messages of TensorBoard's event files that ringtrain writes — the
// file's version, scalar summaries, plugin data (HParams), and a session start that makes
// TensorBoard drop the points a resumed run writes again — encoded by hand (tensorflow/core/util/
// event.proto, summary.proto, tensor.proto).
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
        /// `summary` (field 5) holding one value for a plugin: `tag`, the plugin's `name` and its
        /// serialized `content` in the metadata, and an empty float tensor (how TensorBoard's own
        /// writers store plugin data such as the HParams plugin's).
        case pluginData(tag: String, plugin: String, content: [UInt8])

        public static func == (a: Content, b: Content) -> Bool {
            switch (a, b) {
            case (.fileVersion(let x), .fileVersion(let y)): return x == y
            case (.scalars(let x), .scalars(let y)): return x.map(\.tag) == y.map(\.tag) && x.map(\.value) == y.map(\.value)
            case (.sessionStart, .sessionStart): return true
            case (.pluginData(let t, let p, let c), .pluginData(let u, let q, let d)): return t == u && p == q && c == d
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
        case .pluginData(let tag, let plugin, let content):
            var pluginData = ProtobufWriter()   // SummaryMetadata.PluginData: plugin_name = 1, content = 2
            pluginData.string(1, plugin)
            pluginData.bytes(2, content)
            var metadata = ProtobufWriter()     // SummaryMetadata: plugin_data = 1
            metadata.bytes(1, pluginData.bytes)
            var shape = ProtobufWriter()        // TensorShapeProto: dim = 2, one dimension of size 0
            shape.bytes(2, [])
            var tensor = ProtobufWriter()       // TensorProto: dtype = 1 (DT_FLOAT = 1), tensor_shape = 2
            tensor.int64(1, 1)
            tensor.bytes(2, shape.bytes)
            var entry = ProtobufWriter()        // Summary.Value: tag = 1, tensor = 8, metadata = 9
            entry.string(1, tag)
            entry.bytes(8, tensor.bytes)
            entry.bytes(9, metadata.bytes)
            var summary = ProtobufWriter()
            summary.bytes(1, entry.bytes)
            event.bytes(5, summary.bytes)
        }
        return event.bytes
    }
}
