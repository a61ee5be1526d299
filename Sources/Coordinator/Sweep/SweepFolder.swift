// SweepFolder: which folders a sweep may own — claimed and marked like training run folders —
// and where a sweep keeps its own copy of its config (sweep.yaml; cluster.yaml in older sweeps).
import Foundation
import Model
import Worker

/// A sweep's run folder: its marker, its config copy, its trial folders.
public enum SweepFolder {
    /// The marker file in every sweep folder.
    public static let markerFile = ".ringtrain-sweep"
    /// The sweep's copy of its config, written when the sweep is created.
    public static let configFile = "sweep.yaml"
    /// Where sweeps made before `sweep.yaml` kept the copy; still read for them.
    public static let legacyConfigFile = "cluster.yaml"
    /// The store's file name.
    public static let storeFile = "sweep.sqlite"

    /// Path of the config copy of the sweep in `folder`: `sweep.yaml`, or `cluster.yaml` for a
    /// sweep made before that name (a folder with `cluster.yaml` and no `sweep.yaml`).
    public static func configPath(_ folder: String) -> String {
        let own = folder + "/" + configFile, legacy = folder + "/" + legacyConfigFile
        return !FileManager.default.fileExists(atPath: own) && FileManager.default.fileExists(atPath: legacy) ? legacy : own
    }

    /// The ids of the `trial-NNNN` folders in `folder`.
    public static func trialFolders(_ folder: String) -> [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap { name in
            name.hasPrefix("trial-") ? Int(name.dropFirst(6)) : nil
        }.sorted()
    }

    /// Refuses a sweep folder whose `trial-NNNN` folders include one the store has no trial for
    /// (its row was lost: running the sweep on would run that trial again under its id).
    /// - Throws: `SweepStoreError` naming the trial's row.
    public static func checkTrialFolders(_ folder: String, known: Set<Int>) throws {
        if let orphan = trialFolders(folder).first(where: { !known.contains($0) }) {
            throw SweepStoreError(path: folder + "/" + storeFile, table: "trial", row: orphan,
                                  message: String(format: "is missing, but its folder trial-%04d exists; its trial is not run again", orphan))
        }
    }

    /// Makes sure `path` may hold a sweep, before anything is written into it:
    /// - never `/`, nor the working folder or one of its parents (`.`, `..`) unless it is
    ///   already a marked sweep folder;
    /// - a missing or empty folder is made and marked;
    /// - a marked sweep folder, or one holding a sweep from before markers existed (it has
    ///   sweep.sqlite), is accepted (the store then refuses a sweep of a different config);
    /// - a training run's folder, and any other folder with files in it, is refused.
    /// - Throws: `ConfigError` naming the folder and what to do instead.
    public static func claim(_ path: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        // A marked sweep folder is its own, also when it is where the command runs (`resume .`).
        let marked = FileManager.default.fileExists(atPath: path + "/" + markerFile)
        if absolute == "/" || (!marked && here == absolute) || (!marked && here.hasPrefix(absolute.hasSuffix("/") ? absolute : absolute + "/")) {
            throw ConfigError(file: path, keyPath: "--run-dir", message: "is the working folder or one of its parents; a sweep needs a folder of its own",
                              hint: "give a new folder, e.g. --run-dir runs/sweep-NAME")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue {
            throw ConfigError(file: path, keyPath: "--run-dir", message: "is a file, not a folder", hint: "give a new folder for the sweep")
        }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != FolderLock.fileName }
        if entries.contains(markerFile) { return }
        if entries.contains(RunFolder.markerFile) || entries.contains("resolved.yaml") {
            throw ConfigError(file: path, keyPath: "--run-dir", message: "is a training run's folder, not a sweep's",
                              hint: "continue that run with `ringtrain resume \(path)`, or give a new --run-dir for the sweep")
        }
        if entries.isEmpty { try RunFolder.refuseInsideSweep(path, what: "sweep") }
        if !entries.isEmpty && !entries.contains(storeFile) {
            let shown = entries.sorted().prefix(3).joined(separator: ", ") + (entries.count > 3 ? ", ..." : "")
            throw ConfigError(file: path, keyPath: "--run-dir", message: "holds files that are not a ringtrain sweep (\(shown))",
                              hint: "give a new or empty folder for the sweep")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let stamp = ISO8601DateFormatter().string(from: Date())
            try AtomicFile.write("ringtrain sweep folder\ncreated: \(stamp)\n", to: path + "/" + markerFile)
        } catch {
            throw ConfigError(file: path, keyPath: "--run-dir", message: "cannot create the sweep folder: \(error.fileErrorText)",
                              hint: "choose another --run-dir")
        }
    }
}
