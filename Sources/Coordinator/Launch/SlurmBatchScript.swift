// SlurmBatchScript: the sbatch script `ringtrain sbatch` writes for a training run or a sweep —
// resources from the config, requeue with the log appended, USR1 60 s before the time limit to the
// batch shell that has become ringtrain (which saves, exits 3 and requeues the job), and a body that
// resumes when the run folder already holds a checkpoint (or a sweep's store).
import Foundation

/// A batch script for one training run or sweep under Slurm.
public struct SlurmBatchScript: Sendable {
    /// The config file (made absolute), the run folder (absolute), the ringtrain binary to run.
    public var configPath: String
    public var runDirectory: String
    public var binary: String
    /// `--set` overrides given to `ringtrain sbatch`, passed on to `train` (default none).
    public var overrides: [String] = []
    /// `#SBATCH --job-name` (the job's name) and `--ntasks` (its ranks; for a sweep, the ranks of
    /// all the trials it runs at once).
    public var jobName: String
    public var ranks: Int
    /// `#SBATCH --time` and `--partition`, when given (default none).
    public var timeLimit: String?
    public var partition: String?
    /// Whether the config turns on `cluster.restarts` (Slurm requeues instead: the script turns them off).
    public var restartsOn = false
    /// Whether the job runs the config's sweep (`ringtrain sweep`) rather than training its job once.
    public var sweep = false
    /// The working folder the job starts in (relative paths in the config are the config's own).
    public var workingDirectory: String

    public init(configPath: String, runDirectory: String, binary: String, jobName: String, ranks: Int, workingDirectory: String) {
        (self.configPath, self.runDirectory, self.binary) = (configPath, runDirectory, binary)
        (self.jobName, self.ranks, self.workingDirectory) = (jobName, ranks, workingDirectory)
    }

    /// Seconds before the time limit that Slurm sends USR1 to the batch shell.
    public static let warningSeconds = 60

    /// Characters a path or name may not hold in an `#SBATCH` line (Slurm reads them unquoted, and
    /// `%` starts its file-name patterns).
    static let unsafeInDirective = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "%\"'\\#"))

    /// The script's text. Throws `ConfigError` naming the value an `#SBATCH` line cannot hold.
    public func text() throws -> String {
        for (what, value) in [("the run folder", runDirectory), ("job.name", jobName), ("--partition", partition ?? ""),
                              ("--time", timeLimit ?? "")] where value.rangeOfCharacter(from: Self.unsafeInDirective) != nil {
            throw ConfigError(file: configPath, keyPath: what, message: "`\(value)` cannot go into an #SBATCH line",
                              hint: "no spaces, quotes, `%`, `#` or `\\`: choose another with --run-dir, --set job.name=..., or the option")
        }
        let q = ShellWords.quote
        var lines = [
            "#!/bin/bash",
            "# Written by `ringtrain sbatch` for the job \(jobName); submit it with `sbatch THIS_FILE`.",
            "# USR1, sent \(Self.warningSeconds) s before the time limit (or by a preemption, or `scancel --signal=USR1 --full`),",
            "# makes the run save a checkpoint, exit 3 and requeue the job, which then resumes from that checkpoint.",
            "#SBATCH --job-name=\(jobName)",
            "#SBATCH --ntasks=\(ranks)",
            "#SBATCH --requeue",
            "#SBATCH --open-mode=append",
            "#SBATCH --output=\(runDirectory)/slurm-%j.out",
            "#SBATCH --signal=B:USR1@\(Self.warningSeconds)",
        ]
        if let timeLimit { lines.append("#SBATCH --time=\(timeLimit)") }
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        var start = [binary, sweep ? "sweep" : "train", configPath, "--run-dir", runDirectory, "--set", "cluster.launcher=slurm"]
        if restartsOn { start += ["--set", "cluster.restarts=0"] }
        for override in overrides { start += ["--set", override] }
        let checkpoints = runDirectory + "/checkpoints"
        let begun = sweep
            ? "[ -e \(q(runDirectory + "/sweep.sqlite")) ]"
            : "[ -e \(q(checkpoints + "/latest"))" + " ] || compgen -G \(q(checkpoints) + "'/step-*'") > /dev/null"
        lines += [
            "set -u",
            "cd \(q(workingDirectory))",
            "echo \"ringtrain: Slurm job ${SLURM_JOB_ID:-?}, restart count ${SLURM_RESTART_COUNT:-0}, on $(hostname)\"",
            "if \(begun); then",
            "  exec \(([binary, "resume", runDirectory, "--slurm-requeue"]).map(q).joined(separator: " "))",
            "else",
            "  exec \((start + ["--slurm-requeue"]).map(q).joined(separator: " "))",
            "fi",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
