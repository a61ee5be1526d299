// SavedModel: what `evaluate` and `sample` are given — a run folder or one of its
// checkpoints/step-N folders — resolved to the run's config and a verified checkpoint.
import Foundation
import Model
import Worker

/// A run folder (its newest checkpoint that verifies) or one checkpoint folder of a run.
struct SavedModel {
    /// The run folder.
    let runDirectory: String
    /// The checkpoint folder named by the path, or nil for the run's newest valid one.
    let stepFolder: String?
    /// The run's resolved.yaml.
    let resolvedConfig: String

    /// Resolves `path`; throws a `ConfigError` when it holds no run (no resolved.yaml).
    init(path: String) throws {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL
        let isStepFolder = CheckpointStore.step(ofFolder: standardized.lastPathComponent) != nil
        runDirectory = isStepFolder ? standardized.deletingLastPathComponent().deletingLastPathComponent().path : standardized.path
        stepFolder = isStepFolder ? standardized.lastPathComponent : nil
        resolvedConfig = runDirectory + "/resolved.yaml"
        guard FileManager.default.fileExists(atPath: resolvedConfig) else {
            throw ConfigError(file: path, keyPath: "", message: "no resolved.yaml in \(runDirectory)",
                              hint: "give a run folder made by `ringtrain train`, or one of its checkpoints/step-NNNNNNNN folders")
        }
    }

    /// The job the run trained, for callers that read its data: a data file that is gone is a
    /// `ConfigError` naming resolved.yaml, the key and the file, and saying where it must be.
    func job() throws -> TrainingJob {
        do {
            return try RunConfig.load(path: resolvedConfig).job
        } catch var error as ConfigError where error.keyPath.hasPrefix("job.dataset") && error.message.hasPrefix("file not found") {
            // Only the data is at fault when the config loads without looking at the files.
            guard (try? modelJob()) != nil else { throw error }
            error.hint = (error.hint.map { $0 + "; " } ?? "")
                + "the run reads its data where it was when it trained: put the file back there"
            throw error
        }
    }

    /// The job the run trained, its data files not looked at: for callers that need only the
    /// model and the sample shape (`sample`), so a run folder works without its corpus.
    func modelJob() throws -> TrainingJob { try RunConfig.load(path: resolvedConfig, dataFiles: .skipped).job }

    /// Verifies the checkpoint and copies its parameters and buffers (batch norm's running
    /// statistics) into `network`, which must have the run's layout.
    func load(into network: Sequential) throws -> LoadedCheckpoint {
        let store = CheckpointStore(directory: runDirectory + "/checkpoints")
        let loaded: LoadedCheckpoint
        do {
            loaded = try stepFolder.map { try store.load($0, layout: network.store.entries, buffers: network.buffers) }
                ?? store.loadNewestValid(layout: network.store.entries, buffers: network.buffers)
        } catch {
            throw TrainingSession.resumeError(error, directory: runDirectory + "/checkpoints")
        }
        loaded.copyParameters(into: network.store)
        loaded.copyBuffers(into: network.buffers)
        return loaded
    }

    /// The path of `loaded`'s folder.
    func folder(of loaded: LoadedCheckpoint) -> String { runDirectory + "/checkpoints/" + loaded.name }
}
