// TimelineRecorder: `job.timeline` — one rank's spans of every step and phase (with the bytes its
// collectives send), appended as JSON lines to the run folder's `timeline/rank-R.jsonl`. Clocks
// are aligned at a barrier when recording starts, so `ringtrain timeline` can merge the ranks.
import Collective
import Foundation

/// A step observer that records spans in memory (no allocation per step once its buffers have
/// grown) and appends them to its rank's file when `flush` is called: at every report, when the
/// buffer is large, and at the end. The file is a copy for viewing: one that cannot be written
/// is warned about once and given up, never the run.
///
/// The file holds one header line per session (`TimelineHeader`), then one line per span:
/// `{"span":"forward","step":12,"begin_ns":…,"dur_ns":…,"micro":0}` — `begin_ns` counts from the
/// session's aligned zero; `step` is the step the span belongs to (1-based), or `after_step` for
/// spans between steps (evaluation, checkpoint); `layer`, `bytes` (payload) and `wire_bytes`
/// (what this rank sends) where they apply; `failed` on a step that threw.
public final class TimelineRecorder: StepObserver {
    /// The run folder's subfolder of rank files.
    public static let folderName = "timeline"
    /// The file of `rank` in that folder.
    public static func fileName(rank: Int) -> String { "rank-\(rank).jsonl" }
    /// Spans held before a step's end writes them out (about 2.5 MB).
    static let flushThreshold = 65_536
    /// Seconds after which a step's end writes the spans held.
    static let flushSeconds: UInt64 = 10

    /// The rank file's path.
    public let path: String
    private let zero: UInt64
    /// When spans were last written (also every `flushSeconds` at a step's end, so a rank killed
    /// with its run loses at most that much).
    private var flushed: UInt64
    private var handle: FileHandle?
    private var spans: [Span] = []
    private var open: [(phase: StepPhase, begin: UInt64)] = []
    private var stepBegin: UInt64 = 0
    private var inStep = false
    /// The step being trained (1-based) while `inStep`, else the number of steps done.
    private var step: Int
    private var text: [UInt8] = []

    /// One finished span; `phase` nil is a whole step.
    private struct Span {
        var phase: StepPhase?
        var begin: UInt64
        var end: UInt64
        var step: Int
        var inStep: Bool
        var failed: Bool
    }

    private init(path: String, handle: FileHandle, zero: UInt64, step: Int) {
        (self.path, self.handle, self.zero, self.step, flushed) = (path, handle, zero, step, zero)
        spans.reserveCapacity(4096)
        open.reserveCapacity(16)
    }

    deinit { try? handle?.close() }

    /// Starts recording on every rank (collective: a barrier aligns the clocks and rank 0's wall
    /// clock is shared) into `runDirectory`/timeline, appending a new session to this rank's file
    /// (a fresh run's rank 0 has removed the earlier recording first: `removeEarlierRecording`).
    /// `layerNames` name `backwardLayer` spans; `firstStep` is the number of steps done. nil,
    /// after a warning, when the file cannot be opened.
    public static func start(runDirectory: String, job: TrainingJob, collectives: Collectives, layerNames: [String],
                             firstStep: Int) throws -> TimelineRecorder? {
        try collectives.barrier()
        let zero = now()
        let wallMicroseconds = collectives.rank == 0 ? (Date().timeIntervalSince1970 * 1e6).rounded() : 0
        let wallZero = try collectives.sum([wallMicroseconds])[0]   // every rank counts from rank 0's clock
        let folder = runDirectory + "/" + folderName
        let path = folder + "/" + fileName(rank: collectives.rank)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
            }
            guard let handle = FileHandle(forUpdatingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
            // A rank killed while writing leaves a torn last line: the header starts a line of its own.
            let end = try handle.seekToEnd()
            if end > 0 {
                try handle.seek(toOffset: end - 1)
                if try handle.read(upToCount: 1) != Data("\n".utf8) { try handle.write(contentsOf: Data("\n".utf8)) }
            }
            let header = TimelineHeader(rank: collectives.rank, ranks: collectives.size, host: ProcessInfo.processInfo.hostName,
                                        pid: Int(getpid()), wallZeroMicroseconds: Int(wallZero), firstStep: firstStep,
                                        averaging: job.averaging.rawValue, fp16Gradients: job.fp16Gradients, layers: layerNames)
            try handle.write(contentsOf: try header.line())
            return TimelineRecorder(path: path, handle: handle, zero: zero, step: firstStep)
        } catch {
            Log.logger.warning("cannot write the timeline file \(path) (\(error.fileErrorText)): the run goes on without a timeline of rank \(collectives.rank)")
            return nil
        }
    }

    /// Removes an earlier run's timeline from `runDirectory` (the rank files and the merged
    /// trace): rank 0 of a run that starts afresh calls it, with or without a timeline, before
    /// any rank starts recording.
    public static func removeEarlierRecording(in runDirectory: String) {
        try? FileManager.default.removeItem(atPath: runDirectory + "/" + folderName)
        try? FileManager.default.removeItem(atPath: runDirectory + "/" + mergedFileName)
    }

    /// The merged trace's name in the run folder (`ringtrain timeline` writes it).
    public static let mergedFileName = "timeline.json"

    // MARK: StepObserver

    public func stepBegan(at position: TrainingPosition) {
        guard handle != nil else { return }
        step = position.globalStep + 1
        inStep = true
        stepBegin = Self.now()
    }

    public func phaseBegan(_ phase: StepPhase) {
        guard handle != nil else { return }
        open.append((phase, Self.now()))
    }

    public func phaseEnded(_ phase: StepPhase) {
        let end = Self.now()
        guard let index = open.lastIndex(where: { $0.phase == phase }) else { return }
        let begun = open[index]
        open.remove(at: index)
        spans.append(Span(phase: phase, begin: begun.begin, end: end, step: step, inStep: inStep, failed: false))
    }

    public func stepEnded(at position: TrainingPosition, loss: Double) throws {
        guard handle != nil else { return }
        let end = Self.now()
        spans.append(Span(phase: nil, begin: stepBegin, end: end, step: step, inStep: true, failed: false))
        endStep(at: position.globalStep)
        if spans.count >= Self.flushThreshold || end - flushed >= Self.flushSeconds * 1_000_000_000 { flush() }
    }

    public func stepFailed(at position: TrainingPosition, error: any Error) {
        guard handle != nil else { return }
        let end = Self.now()
        for begun in open.reversed() {
            spans.append(Span(phase: begun.phase, begin: begun.begin, end: end, step: step, inStep: true, failed: true))
        }
        open.removeAll(keepingCapacity: true)
        spans.append(Span(phase: nil, begin: stepBegin, end: end, step: step, inStep: true, failed: true))
        endStep(at: position.globalStep)
        flush()
    }

    private func endStep(at stepsDone: Int) {
        inStep = false
        step = stepsDone
    }

    // MARK: Writing

    /// Appends the spans recorded so far to the file.
    public func flush() {
        flushed = Self.now()
        guard let handle, !spans.isEmpty else {
            spans.removeAll(keepingCapacity: true)
            return
        }
        text.removeAll(keepingCapacity: true)
        for span in spans { append(span) }
        spans.removeAll(keepingCapacity: true)
        do {
            try handle.write(contentsOf: Data(text))
        } catch {
            Log.logger.warning("cannot write the timeline file \(path) (\(error.fileErrorText)): no more spans are recorded on this rank")
            try? handle.close()
            self.handle = nil
            open.removeAll()
        }
    }

    /// One span's line, formatted by hand into `text` (many thousand per flush).
    private func append(_ span: Span) {
        put("{\"span\":\"")
        put(span.phase?.name ?? "step")
        put(span.inStep ? "\",\"step\":" : "\",\"after_step\":")
        put(span.step)
        put(",\"begin_ns\":")
        put(Int(span.begin &- zero))
        put(",\"dur_ns\":")
        put(Int(span.end &- span.begin))
        switch span.phase {
        case .gather(let micro), .forward(let micro), .backward(let micro):
            put(",\"micro\":")
            put(micro)
        case .backwardLayer(let index):
            put(",\"layer\":")
            put(index)
        case .allReduce(let bytes, let wire), .reduceScatter(let bytes, let wire), .allGather(let bytes, let wire):
            putBytes(bytes, wire: wire)
        default: break
        }
        if span.failed { put(",\"failed\":true") }
        put("}\n")
    }

    private func putBytes(_ payload: Int, wire: Int) {
        put(",\"bytes\":")
        put(payload)
        put(",\"wire_bytes\":")
        put(wire)
    }

    private func put(_ string: String) { text.append(contentsOf: string.utf8) }

    private func put(_ value: Int) {
        if value < 0 { text.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = text.count
        repeat {
            text.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        text[start...].reverse()
    }

    /// Nanoseconds on the monotonic clock.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
