// ChromeTrace: writes the ranks' timelines as one Trace Event Format file (timeline.json) that
// Perfetto and chrome://tracing open — one process per rank, complete events for spans, a
// counter of the bytes each rank has sent, metadata naming processes and threads — a span at a
// time, into a temporary file renamed into place at the end (or straight into a device or FIFO).
import Foundation
import Model
import Worker

/// Times are microseconds from `origin` (the earliest session's zero as rank 0's wall clock, in
/// `otherData.origin_wall_us`), written exactly to the nanosecond, so spans nest in the file as
/// they did on the clock.
public final class ChromeTrace {
    /// The merged file's name in the run folder.
    public static let fileName = TimelineRecorder.mergedFileName

    private let path: String
    /// Where the spans go unless `inPlace`: a temporary file beside `path`, renamed at the end.
    private let temporary: String
    /// Whether the trace is written in place (a device, FIFO or stream, which a rename would replace).
    private let inPlace: Bool
    private let handle: FileHandle
    private let origin: Int
    private var buffer = ""
    private var first = true
    private var rank = 0
    private var offset = 0
    private var layers: [String] = []
    private var sentBytes = 0

    /// Starts the trace at `path`, with times counted from `origin` (µs since 1970). A path the user
    /// named (`userNamed`, `timeline --output`) is written as `UserOutput` says: through a link, or in
    /// place for a device, a FIFO or this process's own stream; the run folder's file by a rename.
    /// - Throws: `ConfigError` when it cannot be created.
    public init(path: String, origin: Int, userNamed: Bool = false) throws {
        let destination = userNamed ? UserOutput.destination(of: path) : .replace(path)
        var info = stat()
        if case .inPlace(let node) = destination, stat(node, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw ConfigError(file: path, keyPath: "", message: "is a folder", hint: "give a file name, e.g. \(path)/\(Self.fileName)")
        }
        if case .replace(let target) = destination { (self.path, inPlace) = (target, false) } else { (self.path, inPlace) = (path, true) }
        self.origin = origin
        temporary = self.path + ".partial-\(getpid())"
        let descriptor = UserOutput.openInPlace(destination) ?? open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ConfigError(file: path, keyPath: "", message: "cannot write the merged timeline here: \(String(cString: strerror(errno)))")
        }
        self.handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        buffer = "{\"traceEvents\":[\n"
    }

    deinit { try? handle.close() }

    /// Names `rank`'s process (after the host of its newest session) and its thread.
    public func beginRank(_ rank: Int, host: String) throws {
        (self.rank, sentBytes) = (rank, 0)
        try add(#"{"ph":"M","name":"process_name","pid":\#(rank),"tid":0,"args":{"name":\#(jsonStringLiteral("rank \(rank) (\(host))"))}}"#)
        try add(#"{"ph":"M","name":"process_sort_index","pid":\#(rank),"tid":0,"args":{"sort_index":\#(rank)}}"#)
        try add(#"{"ph":"M","name":"thread_name","pid":\#(rank),"tid":0,"args":{"name":"training"}}"#)
    }

    /// A session of the current rank begins: an instant event, and its spans' clock.
    public func beginSession(_ header: TimelineHeader) throws {
        offset = (header.wallZeroMicroseconds - origin) * 1000   // nanoseconds
        layers = header.layers
        try add(#"{"ph":"i","s":"p","name":"session start","cat":"session","pid":\#(rank),"tid":0,"ts":\#(Self.micro(offset)),"args":{"steps_done":\#(header.firstStep),"ranks":\#(header.ranks),"host":\#(jsonStringLiteral(header.host)),"pid":\#(header.pid)}}"#)
    }

    /// One span of the current session: a complete (`X`) event, and the bytes-sent counter after a collective.
    public func add(_ span: TimelineSpan) throws {
        var name = span.name, args = [span.inStep ? "\"step\":\(span.step)" : "\"after_step\":\(span.step)"]
        if let micro = span.microStep { args.append("\"micro\":\(micro)") }
        if let layer = span.layer {
            let layerName = layers.indices.contains(layer) ? layers[layer] : "layer \(layer)"
            name = "backward " + layerName
            args.append("\"layer\":\(jsonStringLiteral(layerName))")
        }
        if let bytes = span.bytes { args.append("\"bytes\":\(bytes)") }
        if let wire = span.wireBytes { args.append("\"wire_bytes\":\(wire)") }
        if span.failed { args.append("\"failed\":true") }
        try add(#"{"ph":"X","name":\#(jsonStringLiteral(name)),"cat":\#(jsonStringLiteral(Self.category(span.name))),"pid":\#(rank),"tid":0,"ts":\#(Self.micro(offset + span.beginNanoseconds)),"dur":\#(Self.micro(span.durationNanoseconds)),"args":{\#(args.joined(separator: ","))}}"#)
        if let wire = span.wireBytes {
            sentBytes = sentBytes.addingReportingOverflow(wire).overflow ? Int.max : sentBytes + wire
            try add(#"{"ph":"C","name":"bytes sent","pid":\#(rank),"tid":0,"ts":\#(Self.micro(offset + span.endNanoseconds)),"args":{"MB":\#(String(format: "%.6f", Double(sentBytes) / 1e6))}}"#)
        }
    }

    /// Ends the trace with `summary` in `otherData` and renames it into place.
    /// - Throws: `ConfigError` when it cannot be written.
    public func finish(_ summary: TimelineSummary) throws {
        var fields = ["\"origin_wall_us\":\(origin)", "\"ranks\":\(summary.ranks.count)", "\"steps\":\(summary.steps)"]
        if let straggler = summary.straggler { fields.append("\"straggler\":\(jsonStringLiteral(straggler.sentence))") }
        buffer += "\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{" + fields.joined(separator: ",") + "}}\n"
        do {
            try write()
            if !inPlace { try handle.synchronize() }
            try handle.close()
            guard inPlace || rename(temporary, path) == 0 else {
                throw ConfigError(file: path, keyPath: "", message: "cannot write the merged timeline: \(String(cString: strerror(errno)))")
            }
        } catch let error as ConfigError {
            abandon()
            throw error
        } catch {
            abandon()
            throw ConfigError(file: path, keyPath: "", message: "cannot write the merged timeline: \(error.fileErrorText)")
        }
    }

    /// Gives up: the partial file is removed.
    public func abandon() { if !inPlace { try? FileManager.default.removeItem(atPath: temporary) } }

    private func add(_ event: String) throws {
        if !first { buffer += ",\n" }
        first = false
        buffer += event
        if buffer.utf8.count >= 1 << 20 { try write() }
    }

    private func write() throws {
        do { try handle.write(contentsOf: Data(buffer.utf8)) } catch {
            throw ConfigError(file: path, keyPath: "", message: "cannot write the merged timeline: \(error.fileErrorText)")
        }
        buffer = ""
    }

    /// What kind of work a span is, for the viewer's filters.
    static func category(_ name: String) -> String {
        switch name {
        case "gather", "forward", "backward", "backward_layer": "compute"
        case "all_reduce", "reduce_scatter", "all_gather", "norm_sum", "barrier": "communication"
        case "clip", "update": "update"
        case "checkpoint", "checkpoint_write": "checkpoint"
        default: name
        }
    }

    /// Nanoseconds as microseconds with three decimals, exactly.
    static func micro(_ nanoseconds: Int) -> String {
        let sign = nanoseconds < 0 ? "-" : ""
        let magnitude = nanoseconds.magnitude
        let fraction = String(magnitude % 1000)
        return sign + String(magnitude / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
