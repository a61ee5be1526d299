// RunStatus: what a training run folder says about its run right now — running or not (its lock),
// the newest step finished (rank 0's heartbeat), the newest checkpoint, whether it ended, and its
// automatic restarts (restarts.jsonl) — for `ringtrain status`.
import Foundation
import Worker

/// A training run's state, read from its folder without changing it.
public struct RunStatus {
    /// The run folder.
    public var path: String
    /// Who holds the folder now (`pid N on HOST, purpose`), nil when no process does.
    public var holder: String?
    /// The newest step rank 0 finished and when (nil: no heartbeat yet, or unreadable).
    public var heartbeat: (step: Int, time: Date)?
    /// The step of the checkpoint `latest` names (nil: none yet).
    public var latestCheckpoint: Int?
    /// Whether metrics.jsonl holds the run's final line.
    public var finished: Bool
    /// The automatic restarts recorded, oldest first.
    public var restarts: [RestartRecord]
    /// Lines of restarts.jsonl that could not be read as a record (skipped).
    public var unreadableRestartLines: Int

    /// Reads `path`; throws `ConfigError` when it is not a training run folder.
    public static func read(_ path: String) throws -> RunStatus {
        let fm = FileManager.default
        guard fm.fileExists(atPath: path + "/" + RunFolder.markerFile) || fm.fileExists(atPath: path + "/resolved.yaml") else {
            throw ConfigError(file: path, keyPath: "", message: "not a training run folder (no \(RunFolder.markerFile) or resolved.yaml)",
                              hint: "give the folder `ringtrain train` printed as its run folder; for a sweep use `ringtrain report`")
        }
        let restarts = RestartLog.read(runDirectory: path)
        return RunStatus(path: path, holder: FolderLock.holder(of: path), heartbeat: Heartbeat.read(runDirectory: path),
                         latestCheckpoint: CheckpointStore(directory: path + "/checkpoints").latest().flatMap(CheckpointStore.step(ofFolder:)),
                         finished: MetricsFile(runDirectory: path).hasFinalLine(),
                         restarts: restarts.records, unreadableRestartLines: restarts.unreadable)
    }

    /// `running`, `finished`, `resumable` (a checkpoint, not running) or `not started`.
    public var state: String {
        if holder != nil { return "running" }
        if finished { return "finished" }
        return latestCheckpoint != nil ? "resumable" : "not started"
    }

    /// Lines for people: state, step, checkpoint, one line per restart.
    public var text: String {
        var lines = ["\(path): \(state)\(holder.map { " (\($0))" } ?? "")"]
        if let heartbeat {
            let ago = max(0, Date().timeIntervalSince(heartbeat.time))
            lines.append(String(format: "  step %d finished %.0f s ago", heartbeat.step, ago))
        }
        lines.append("  newest checkpoint: " + (latestCheckpoint.map { "step \($0)" } ?? "none"))
        lines.append("  restarts: \(restarts.count)" + (unreadableRestartLines > 0
            ? " (\(unreadableRestartLines) unreadable line\(unreadableRestartLines == 1 ? "" : "s") of \(RestartLog.fileName) skipped)" : ""))
        lines += restarts.map { "    \($0.time) \($0.line)" }
        return lines.joined(separator: "\n")
    }

    /// One JSON object: `state`, `holder`, `step`, `step_time`, `latest_checkpoint`, `restarts`
    /// (the records), `unreadable_restart_lines`.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let records = restarts.compactMap { try? JSONSerialization.jsonObject(with: encoder.encode($0)) }
        var object: [String: Any] = ["path": path, "state": state, "restarts": records, "unreadable_restart_lines": unreadableRestartLines]
        if let holder { object["holder"] = holder }
        if let heartbeat { (object["step"], object["step_time"]) = (heartbeat.step, ISO8601DateFormatter().string(from: heartbeat.time)) }
        if let latestCheckpoint { object["latest_checkpoint"] = latestCheckpoint }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
