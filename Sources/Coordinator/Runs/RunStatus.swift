// RunStatus: what a training run folder says about its run right now — running or not (its lock;
// a lock left by a process that is gone means the run died), the newest step finished (rank 0's
// heartbeat), its last metrics line, rate and time left, the newest checkpoint, whether it ended,
// and its automatic restarts (restarts.jsonl) — for `ringtrain status`.
import Foundation
import Worker

/// A training run's state, read from its folder without changing it.
public struct RunStatus {
    /// The run folder.
    public var path: String
    /// Who holds the folder now (`pid N on HOST, purpose`), nil when no process does.
    public var holder: String?
    /// Who held it last, when nobody holds it now (the record a process that is gone left).
    public var lastHolder: String?
    /// The newest step rank 0 finished and when (nil: no heartbeat yet, or unreadable).
    public var heartbeat: (step: Int, time: Date)?
    /// The last metrics line before the final one (an epoch's or an evaluation's), if any.
    public var lastReport: [String: Any]?
    /// Optimizer steps the whole run trains (nil: not known yet — an epochs budget before its
    /// first epoch line).
    public var totalSteps: Int?
    /// The global batch (samples per step), from the run's resolved.yaml.
    public var batchSize: Int?
    /// The step of the checkpoint a resume would start from, by the folder names (nil: none yet).
    public var latestCheckpoint: Int?
    /// Whether metrics.jsonl holds the run's final line.
    public var finished: Bool
    /// The automatic restarts recorded, oldest first.
    public var restarts: [RestartRecord]
    /// Lines of restarts.jsonl that could not be read as a record (skipped).
    public var unreadableRestartLines: Int

    /// The most of metrics.jsonl read for its last lines.
    static let metricsTail = 65_536

    /// Reads `path`; throws `ConfigError` when it is not a training run folder. `probing` as for
    /// `FolderLock.holder` (default true; a sweep's coordinator, which knows which trials run, never tries their locks).
    public static func read(_ path: String, probing: Bool = true) throws -> RunStatus {
        let fm = FileManager.default
        guard fm.fileExists(atPath: path + "/" + RunFolder.markerFile) || fm.fileExists(atPath: path + "/resolved.yaml") else {
            throw ConfigError(file: path, keyPath: "", message: "not a training run folder (no \(RunFolder.markerFile) or resolved.yaml)",
                              hint: "give the folder `ringtrain train` printed as its run folder, or a sweep's folder")
        }
        let restarts = RestartLog.read(runDirectory: path)
        let holder = FolderLock.holder(of: path, probing: probing)
        let lastReport = lastMetricsLine(path)
        let job = try? RunConfig.load(path: path + "/resolved.yaml", dataFiles: .skipped).job
        var total = job?.steps
        if total == nil, let job, let epoch = (lastReport?["epoch"] as? NSNumber)?.intValue, epoch > 0,
           let step = (lastReport?["step"] as? NSNumber)?.intValue, step >= 0 {
            let product = job.epochs.multipliedReportingOverflow(by: step / epoch)   // every epoch has as many steps
            total = product.overflow ? nil : product.partialValue
        }
        return RunStatus(path: path, holder: holder, lastHolder: holder == nil ? FolderLock.lastHolder(of: path) : nil,
                         heartbeat: Heartbeat.read(runDirectory: path), lastReport: lastReport, totalSteps: total,
                         batchSize: job?.batchSize,
                         latestCheckpoint: CheckpointStore(directory: path + "/checkpoints").newestStep(),
                         finished: MetricsFile(runDirectory: path).hasFinalLine(),
                         restarts: restarts.records, unreadableRestartLines: restarts.unreadable)
    }

    /// The last whole line of metrics.jsonl that is a report (it has a step and no `final`).
    static func lastMetricsLine(_ path: String) -> [String: Any]? {
        // A regular file only, never through a link: a FIFO in its place would block the read.
        let fd = open(MetricsFile(runDirectory: path).path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            if fd >= 0 { close(fd) }
            return nil
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        try? handle.seek(toOffset: size > UInt64(metricsTail) ? size - UInt64(metricsTail) : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        for line in data.split(separator: UInt8(ascii: "\n")).reversed() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], object["final"] == nil, object["step"] != nil {
                return object
            }
        }
        return nil
    }

    /// `running`, `finished`, `resumable` (a checkpoint, not running) or `not started`.
    public var state: String {
        if holder != nil { return "running" }
        if finished { return "finished" }
        return latestCheckpoint != nil ? "resumable" : "not started"
    }

    /// The training throughput of the last report, in samples per second.
    public var samplesPerSecond: Double? { (lastReport?["samples_per_s"] as? NSNumber)?.doubleValue.positiveFinite }

    /// Seconds until the budget is trained at the last report's throughput (nil: not known).
    public var secondsLeft: Double? {
        guard !finished, let totalSteps, let batchSize, let rate = samplesPerSecond else { return nil }
        let done = Double(heartbeat?.step ?? (lastReport?["step"] as? NSNumber)?.intValue ?? 0)
        return max(0, Double(totalSteps) - done) * Double(batchSize) / rate
    }

    /// Lines for people: state, step, last metrics, rate and time left, checkpoint, restarts.
    public var text: String {
        var lines = ["\(path): \(state)\(holder.map { " (\($0))" } ?? "")"]
        if holder == nil && !finished {
            // A lock nobody holds: whatever ran here is gone.
            let last = lastHolder.map { " (it was last held by \($0))" } ?? ""
            lines.append("  not running: no process holds the folder\(last)"
                         + (latestCheckpoint != nil ? "; `ringtrain resume \(path)` continues it" : ""))
        }
        if let heartbeat {
            let ago = max(0, Date().timeIntervalSince(heartbeat.time))
            let of = totalSteps.map { " of \($0)" } ?? ""
            lines.append(String(format: "  step %d%@ finished %.0f s ago", heartbeat.step, of, ago))
        }
        if let lastReport {
            let position = (lastReport["epoch"] as? NSNumber).map { "epoch \($0)" }
                ?? (lastReport["evaluation"] as? NSNumber).map { "evaluation \($0)" } ?? "report"
            let skipped: Set<String> = ["epoch", "evaluation", "step", "seconds", "samples_per_s"]
            let values = lastReport.keys.filter { !skipped.contains($0) }.sorted().compactMap { key -> String? in
                (lastReport[key] as? NSNumber).map { "\(key) \(String(format: "%.4g", $0.doubleValue))" }
            }
            lines.append("  last \(position): " + values.joined(separator: "  "))
        }
        if let rate = samplesPerSecond {
            lines.append(String(format: "  %.0f samples/s", rate) + (secondsLeft.map { ", about \(roughDurationText($0)) left" } ?? ""))
        }
        lines.append("  newest checkpoint: " + (latestCheckpoint.map { "step \($0)" } ?? "none"))
        lines.append("  restarts: \(restarts.count)" + (unreadableRestartLines > 0
            ? " (\(unreadableRestartLines) unreadable line\(unreadableRestartLines == 1 ? "" : "s") of \(RestartLog.fileName) skipped)" : ""))
        lines += restarts.map { "    \($0.time) \($0.line)" }
        return lines.joined(separator: "\n")
    }

    /// One JSON object: `state`, `alive`, `holder` or `last_holder`, `step`, `step_time`,
    /// `total_steps`, `last_report`, `samples_per_s`, `seconds_left`, `latest_checkpoint`,
    /// `restarts` (the records), `unreadable_restart_lines`.
    public var jsonObject: [String: Any] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let records = restarts.compactMap { try? JSONSerialization.jsonObject(with: encoder.encode($0)) }
        var object: [String: Any] = ["path": path, "state": state, "alive": holder != nil, "restarts": records,
                                     "unreadable_restart_lines": unreadableRestartLines]
        if let holder { object["holder"] = holder }
        if let lastHolder { object["last_holder"] = lastHolder }
        if let heartbeat { (object["step"], object["step_time"]) = (heartbeat.step, ISO8601DateFormatter().string(from: heartbeat.time)) }
        if let totalSteps { object["total_steps"] = totalSteps }
        if let lastReport { object["last_report"] = lastReport }
        if let rate = samplesPerSecond { object["samples_per_s"] = rate }
        if let left = secondsLeft { object["seconds_left"] = left }
        if let latestCheckpoint { object["latest_checkpoint"] = latestCheckpoint }
        return object
    }

    /// `jsonObject` as one line of JSON.
    public var json: String {
        let data = (try? JSONSerialization.data(withJSONObject: jsonObject, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

extension Double {
    /// The value when finite and positive, else nil.
    var positiveFinite: Double? { isFinite && self > 0 ? self : nil }
}
