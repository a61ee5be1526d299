// RunFolder: creates a run's folder and records what was asked (cluster.yaml as given) and
// what runs (resolved.yaml with every default filled in) before any training starts.
import Foundation
import Model
import Worker

/// A run's folder on disk.
public struct RunFolder {
    /// The folder's path.
    public let path: String

    /// A default folder name under `runs/`: `<job name>-<UTC timestamp>`.
    public static func defaultPath(for job: TrainingJob, now: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(nameInFolder(job.name))-\(formatter.string(from: now))"
    }

    /// A name as part of a default folder name: its first 200 bytes, so that the folder's name,
    /// with a prefix or timestamp and a `-N` suffix, stays within the 255 a file system allows.
    public static func nameInFolder(_ name: String) -> String {
        var bytes = 0
        return String(name.prefix { bytes += $0.utf8.count; return bytes <= 200 })
    }

    /// Creates the folder (and parents) and writes `cluster.yaml` and `resolved.yaml`, each
    /// replaced whole (`AtomicFile`), so a crash never leaves half a config. A folder that
    /// cannot be made is a `ConfigError` (choose another --run-dir); a file that cannot be
    /// written (e.g. the disk is full) is the `DurableFileError` naming it. `running` is the job as
    /// it runs when that differs from the config's (the ranks mpirun started; default the config's).
    public static func create(at path: String, config: RunConfig, running: TrainingJob? = nil) throws -> RunFolder {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ConfigError(file: path, keyPath: "", message: "cannot create the run folder: \(error.fileErrorText)",
                              hint: "choose another --run-dir")
        }
        try AtomicFile.write(config.file.text, to: path + "/cluster.yaml")
        try AtomicFile.write(ResolvedConfig.yaml(job: running ?? config.job, cluster: config.cluster), to: path + "/resolved.yaml")
        return RunFolder(path: path)
    }
}
