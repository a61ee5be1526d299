// SbatchCommand: `ringtrain sbatch CONFIG` — writes the Slurm batch script that trains the config's
// job as a requeueable job which resumes from its checkpoint (see SlurmBatchScript).
import ArgumentParser
import Coordinator
import Foundation
import Model

struct Sbatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Slurm batch script that trains a config's job (or runs its sweep), requeueable and resuming from its checkpoint.",
        discussion: """
            Example: ringtrain sbatch cluster.yaml --run-dir runs/big --time 02:00:00 --write big.sbatch && sbatch big.sbatch
            The job trains the config's job once (as `train` does), or with --sweep runs its sweep. It asks for
            job.ranks tasks (a sweep: sweep.parallel × job.ranks); ranks start with srun. Warned 60 s
            before its time limit, preempted, or sent `scancel --signal=USR1 --full`, the run saves a checkpoint,
            exits 3 and requeues the job, which resumes from it; `scancel` alone cancels it for good. The job's log,
            RUN_DIR/slurm-JOBID.out, is appended to by every run of the job.
            """)

    @Argument(help: "The config file (YAML with a job: section).")
    var config: String

    @Option(help: "Run folder of the job (required: a requeued job must find it again).")
    var runDir: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set job.epochs=5 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Slurm time limit (#SBATCH --time), e.g. 02:00:00; USR1 arrives 60 s before it.")
    var time: String?

    @Option(help: "Slurm partition (#SBATCH --partition).")
    var partition: String?

    @Option(help: "Write the script to this file (default: standard output).")
    var write: String?

    @Flag(help: "Run the config's sweep (as `ringtrain sweep` does) instead of training its job once.")
    var sweep = false

    func run() throws {
        try exitOnUserError {
            let loaded = try RunConfig.load(path: config, overrides: overrides)
            printWarnings(loaded)
            let spec = try loaded.sweepSpec()   // a broken sweep section is a broken config, even when only the job is trained
            if sweep && spec == nil {
                throw ConfigError(file: config, keyPath: "sweep", message: "--sweep was given but this config has no sweep section",
                                  hint: "add sweep: {method, metric, parameters, run_cap}, or leave --sweep out to train the job once")
            }
            let sweep = self.sweep ? spec : nil
            if sweep == nil && loaded.hasJob { try SlurmRequeueOption.checkStopAfter(loaded.job, requeue: true, file: config) }
            guard loaded.hasJob || sweep != nil else {
                throw ConfigError(file: config, keyPath: "job", message: "this config has no job section to train",
                                  hint: spec == nil ? "add a job section" : "give --sweep to run its sweep")
            }
            let name = loaded.hasJob ? loaded.job.name : URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
            // A sweep's training trials run side by side, each a job step of job.ranks tasks.
            let tasks = sweep.map { $0.parallel * ($0.program == nil ? loaded.job.ranks : 1) } ?? loaded.job.ranks
            let here = FileManager.default.currentDirectoryPath
            func absolute(_ path: String) -> String { URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: here + "/")).standardizedFileURL.path }
            var script = SlurmBatchScript(configPath: absolute(config), runDirectory: absolute(runDir), binary: MPILauncher.selfExecutable,
                                          jobName: name, ranks: tasks, workingDirectory: here)
            (script.overrides, script.timeLimit, script.partition) = (overrides, time, partition)
            script.restartsOn = loaded.cluster.restarts.enabled
            script.sweep = sweep != nil
            script.oneNode = sweep?.program != nil
            let text = try script.text()
            // Slurm opens the job's log in the run folder before the job starts: it must exist.
            let folder = absolute(runDir)
            let folderExisted = FileManager.default.fileExists(atPath: folder)
            if sweep != nil {
                try SweepFolder.claim(folder)
            } else {
                try RunFolder.claim(folder, resume: FileManager.default.fileExists(atPath: folder))
            }
            if let write {
                do {
                    try UserOutput.write(text, to: write)
                } catch {
                    if !folderExisted { unclaim(folder) }
                    throw ConfigError(file: write, keyPath: "", message: "cannot write the batch script: \(error.fileErrorText)")
                }
                // Executable when it is a file of its own (not a stream or device it was written into).
                if case .replace(let file) = UserOutput.destination(of: write) { chmod(file, 0o755) }
            } else {
                print(text, terminator: "")
            }
        }
    }

    /// Undoes the claim of a folder this command made, when the script could not be written: the
    /// marker it wrote goes, then the folder if nothing else has appeared in it. (Two commands
    /// claiming one new folder in the same instant, one of them failing, could still lose the
    /// other's marker; nothing else is touched.)
    private func unclaim(_ folder: String) {
        for marker in [RunFolder.markerFile, SweepFolder.markerFile] { unlink(folder + "/" + marker) }
        rmdir(folder)
    }
}
