// SbatchCommand: `ringtrain sbatch CONFIG` — writes the Slurm batch script that trains the config's
// job as a requeueable job which resumes from its checkpoint (see SlurmBatchScript).
import ArgumentParser
import Coordinator
import Foundation

struct Sbatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Slurm batch script that trains a config's job, requeueable and resuming from its checkpoint.",
        discussion: """
            Example: ringtrain sbatch cluster.yaml --run-dir runs/big --time 02:00:00 --write big.sbatch && sbatch big.sbatch
            The job asks for job.ranks tasks; its ranks start with srun. A requeued job (scontrol requeue, or a
            preemption) resumes from the run folder's newest checkpoint; its log, RUN_DIR/slurm-JOBID.out, is appended to.
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

    func run() throws {
        try exitOnUserError {
            let loaded = try RunConfig.load(path: config, overrides: overrides)
            guard loaded.hasJob else { throw ConfigError(file: config, keyPath: "job", message: "this config has no job section to train") }
            guard try loaded.sweepSpec() == nil else {
                throw ConfigError(file: config, keyPath: "sweep", message: "ringtrain sbatch writes scripts for training runs; sweeps are not supported yet",
                                  hint: "run `ringtrain sweep` inside an allocation (salloc), or remove the sweep section")
            }
            let here = FileManager.default.currentDirectoryPath
            func absolute(_ path: String) -> String { URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: here + "/")).standardizedFileURL.path }
            var script = SlurmBatchScript(configPath: absolute(config), runDirectory: absolute(runDir), binary: MPILauncher.selfExecutable,
                                          jobName: loaded.job.name, ranks: loaded.job.ranks, workingDirectory: here)
            (script.overrides, script.timeLimit, script.partition) = (overrides, time, partition)
            script.restartsOn = loaded.cluster.restarts.enabled
            let text = try script.text()
            // Slurm opens the job's log in the run folder before the job starts: it must exist.
            let folder = absolute(runDir)
            try RunFolder.claim(folder, resume: FileManager.default.fileExists(atPath: folder))
            if let write {
                try text.write(toFile: write, atomically: true, encoding: .utf8)
                chmod(write, 0o755)
            } else {
                print(text, terminator: "")
            }
        }
    }
}
