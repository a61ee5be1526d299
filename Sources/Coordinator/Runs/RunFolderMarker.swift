// RunFolderMarker: the file that says "this folder is a ringtrain run", written when the folder
// is made, and the checks that refuse to write a run into a folder holding anything else.
import Foundation
import Model
import Worker

/// Run folder ownership: the marker, and which folders a run may be written into.
extension RunFolder {
    /// The marker file in every run folder (and every sweep trial folder).
    public static let markerFile = ".ringtrain-run"

    /// Marks `path` as a sweep trial's run folder, creating it (and its parents) if missing. The
    /// sweep coordinator calls this for each trial folder it prepares, before it writes the
    /// trial's config there; the trial's `ringtrain train --run-dir PATH` (first run, or
    /// `--resume` for a retry) then accepts the folder. Idempotent: an already marked folder is
    /// left as it is. Throws `ConfigError` naming the folder when it cannot be made or marked.
    public static func prepareTrialFolder(path: String) throws {
        try makeMarked(path, by: "sweep trial")
    }

    /// Whether `path` holds a sweep (sweep.sqlite) rather than a training run (resolved.yaml).
    /// - Throws: `ConfigError` naming the folder when it holds neither.
    public static func holdsSweep(_ path: String) throws -> Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: path + "/sweep.sqlite") { return true }
        if fm.fileExists(atPath: path + "/" + SweepFolder.markerFile) {
            throw ConfigError(file: path, keyPath: "", message: "a sweep's folder without its store (sweep.sqlite): the sweep never started, or the store was removed",
                              hint: "if its Slurm job is still queued, wait for it; else start the sweep again with `ringtrain sweep CONFIG --run-dir \(path)`, or restore sweep.sqlite")
        }
        guard fm.fileExists(atPath: path + "/resolved.yaml") else {
            throw ConfigError(file: path, keyPath: "", message: "not a run folder: it has neither resolved.yaml nor sweep.sqlite",
                              hint: "give the folder `ringtrain train` or `ringtrain sweep` printed as its run folder")
        }
        return false
    }

    /// Makes sure `path` may hold this run, before anything is written into it:
    /// - never the working folder or one of its parents (`.`, `..`, `/`);
    /// - a missing or empty folder is made and marked;
    /// - a marked folder is accepted, unless it already holds a complete checkpoint
    ///   (`checkpoints/latest`) and `resume` is false (a finished or interrupted run: continue it
    ///   with `--resume`, or choose a new folder);
    /// - an unmarked folder is accepted only to resume a run made before markers existed (it has
    ///   resolved.yaml); any other folder with files in it is refused.
    /// - Throws: `ConfigError` naming the folder and what to do instead.
    public static func claim(_ path: String, resume: Bool) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        if absolute == "/" || here == absolute || here.hasPrefix(absolute.hasSuffix("/") ? absolute : absolute + "/") {
            throw ConfigError(file: path, keyPath: "--run-dir", message: "is the working folder or one of its parents; a run needs a folder of its own",
                              hint: "give a new folder, e.g. --run-dir runs/NAME")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if resume { return }   // the caller reports "nothing to resume"
            try refuseInsideSweep(path, what: "run")
            try makeMarked(path, by: "train")
            return
        }
        guard isDirectory.boolValue else {
            throw ConfigError(file: path, keyPath: "--run-dir", message: "is a file, not a folder", hint: "give a new folder for the run")
        }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0 != FolderLock.fileName }
        if entries.contains(markerFile) {
            // `latest` is written once a checkpoint is complete: from then on the run continues.
            var info = stat()
            if !resume && lstat(path + "/checkpoints/" + CheckpointStore.latestFile, &info) == 0 {
                throw ConfigError(file: path, keyPath: "--run-dir", message: "already holds a run with checkpoints",
                                  hint: "continue it with --resume (or `ringtrain resume \(path)`), or give a new --run-dir")
            }
            // A run that kept no checkpoint but wrote its end is finished too: not trained over. (A
            // sweep's retry of a trial that wrote its end and then failed trains it again.)
            let trial = (try? String(contentsOfFile: path + "/" + markerFile, encoding: .utf8))?.contains("by: sweep trial") == true
            if !resume && !trial && MetricsFile(runDirectory: path).hasFinalLine() {
                throw ConfigError(file: path, keyPath: "--run-dir", message: "already holds a finished run (it kept no checkpoint)",
                                  hint: "give a new --run-dir, or delete \(path) to train again there")
            }
            return
        }
        if entries.isEmpty && !resume { try refuseInsideSweep(path, what: "run") }
        if entries.isEmpty || isUnmarkedTrialFolder(path, entries: entries) {
            try makeMarked(path, by: resume ? "resume" : "train")
        } else if resume && entries.contains("resolved.yaml") {
            try makeMarked(path, by: "resume")   // a run from before markers existed
        } else if entries.contains(SweepFolder.markerFile) || entries.contains(SweepFolder.storeFile) {
            throw ConfigError(file: path, keyPath: "--run-dir", message: "is a sweep's folder, not a training run's",
                              hint: "`ringtrain resume \(path)` continues the sweep; give a new --run-dir for a run of its own")
        } else {
            let shown = entries.sorted().prefix(3).joined(separator: ", ") + (entries.count > 3 ? ", ..." : "")
            throw ConfigError(file: path, keyPath: "--run-dir", message: "holds files that are not a ringtrain run (\(shown))",
                              hint: resume ? "give the folder of the run to resume" : "give a new or empty folder for the run")
        }
    }

    /// Refuses a new run or sweep folder `path` named like a trial's (`trial-N`) directly inside a
    /// sweep's folder: the sweep would take it for one of its trials, and report its store as
    /// damaged. (The sweep's own trial folders are made and marked by the coordinator before
    /// their runs claim them.)
    static func refuseInsideSweep(_ path: String, what: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let name = (absolute as NSString).lastPathComponent, parent = (absolute as NSString).deletingLastPathComponent
        guard name.hasPrefix("trial-"), name.dropFirst(6).allSatisfy({ $0.isASCII && $0.isNumber }), name.count > 6 else { return }
        let fm = FileManager.default
        guard fm.fileExists(atPath: parent + "/" + SweepFolder.markerFile) || fm.fileExists(atPath: parent + "/" + SweepFolder.storeFile) else { return }
        throw ConfigError(file: path, keyPath: "--run-dir", message: "is inside the sweep folder \(parent), where the sweep keeps its trials",
                          hint: "give a --run-dir outside it for a \(what) of its own")
    }

    /// A sweep trial folder prepared before coordinators called `prepareTrialFolder`: inside a
    /// sweep folder (its parent holds sweep.sqlite) and holding only what the coordinator
    /// writes before the trial's first run. Accepted (and marked) so sweeps keep working.
    static func isUnmarkedTrialFolder(_ path: String, entries: [String]) -> Bool {
        let parent = (URL(fileURLWithPath: path).standardizedFileURL.path as NSString).deletingLastPathComponent
        return FileManager.default.fileExists(atPath: parent + "/sweep.sqlite")
            && Set(entries).isSubset(of: ["config.yaml", "output.log", "exit-status"])
    }

    /// Creates `path` (and parents) if missing and writes the marker, fsyncing it and the folder.
    static func makeMarked(_ path: String, by purpose: String) throws {
        let marker = path + "/" + markerFile
        if FileManager.default.fileExists(atPath: marker) { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let stamp = ISO8601DateFormatter().string(from: Date())
            try AtomicFile.write("ringtrain run folder\ncreated: \(stamp)\nby: \(purpose)\n", to: marker)
        } catch {
            if purpose == "sweep trial" {   // no --run-dir of the user's: the sweep makes its trials' folders
                throw ConfigError(file: path, keyPath: "", message: "cannot make the trial's folder: \(error.fileErrorText)",
                                  hint: "move away what is in its place (or free the disk), then resume the sweep")
            }
            throw ConfigError(file: path, keyPath: "--run-dir", message: "cannot create the run folder: \(error.fileErrorText)",
                              hint: "choose another --run-dir")
        }
    }

    /// Makes a new folder `<parent>/<job name>-<UTC timestamp>` (parent default `runs`; then
    /// `-2`, `-3`, ... when that exists, e.g. two runs started in the same second) and returns
    /// its path. Each name is taken with one mkdir, so two processes never get the same folder.
    public static func makeDefault(for job: TrainingJob, now: Date = Date(), parent: String = "runs") throws -> String {
        let base = parent + "/" + (defaultPath(for: job, now: now) as NSString).lastPathComponent
        try? FileManager.default.createDirectory(atPath: (base as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        for attempt in 1...10_000 {
            let path = attempt == 1 ? base : "\(base)-\(attempt)"
            if mkdir(path, 0o755) == 0 {
                try makeMarked(path, by: "train")
                return path
            }
            guard errno == EEXIST else {
                throw ConfigError(file: path, keyPath: "--run-dir", message: "cannot create the run folder: \(String(cString: strerror(errno)))",
                                  hint: "give --run-dir")
            }
        }
        throw ConfigError(file: base, keyPath: "--run-dir", message: "too many run folders of this name", hint: "give --run-dir")
    }
}
