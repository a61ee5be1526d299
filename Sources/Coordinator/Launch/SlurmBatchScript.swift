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
    /// Whether every task must be on one node (a sweep of program trials: they run beside the
    /// batch shell, not as job steps). Default false.
    public var oneNode = false
    /// The working folder the job starts in (relative paths in the config are the config's own).
    public var workingDirectory: String

    public init(configPath: String, runDirectory: String, binary: String, jobName: String, ranks: Int, workingDirectory: String) {
        (self.configPath, self.runDirectory, self.binary) = (configPath, runDirectory, binary)
        (self.jobName, self.ranks, self.workingDirectory) = (jobName, ranks, workingDirectory)
    }

    /// Seconds before the time limit that Slurm sends USR1 to the batch shell.
    public static let warningSeconds = 60
    /// The shortest time limit the script accepts: twice the warning, so a run has at least as
    /// long to work as it is given to stop.
    public static let shortestTimeLimit = 2 * warningSeconds

    /// Seconds in a Slurm time limit (`MINUTES`, `MINUTES:SECONDS`, `HOURS:MINUTES:SECONDS`,
    /// `DAYS-HOURS`, `DAYS-HOURS:MINUTES`, `DAYS-HOURS:MINUTES:SECONDS`); `Int.max` for
    /// `UNLIMITED`/`INFINITE`; nil for anything else.
    public static func seconds(ofTimeLimit text: String) -> Int? {
        if ["unlimited", "infinite"].contains(text.lowercased()) { return Int.max }
        let dayParts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard dayParts.count <= 2 else { return nil }
        func number(_ s: Substring) -> Int? { s.isEmpty || s.count > 6 || !s.allSatisfy(\.isASCII) ? nil : Int(s) }
        let clock = dayParts.last!.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count <= 3, let values = Optional(clock.compactMap(number)), values.count == clock.count else { return nil }
        if dayParts.count == 2 {
            guard let days = number(dayParts[0]) else { return nil }
            let hms = values + Array(repeating: 0, count: 3 - values.count)   // D-H, D-H:M, D-H:M:S
            return ((days * 24 + hms[0]) * 60 + hms[1]) * 60 + hms[2]
        }
        switch values.count {
        case 1: return values[0] * 60
        case 2: return values[0] * 60 + values[1]
        default: return (values[0] * 60 + values[1]) * 60 + values[2]
        }
    }

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
        if let timeLimit {
            guard let seconds = Self.seconds(ofTimeLimit: timeLimit) else {
                throw ConfigError(file: configPath, keyPath: "--time", message: "`\(timeLimit)` is not a Slurm time limit",
                                  hint: "minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, e.g. 02:00:00")
            }
            guard seconds >= Self.shortestTimeLimit else {
                throw ConfigError(file: configPath, keyPath: "--time", message: "`\(timeLimit)` is shorter than \(Self.shortestTimeLimit / 60) minutes",
                                  hint: "USR1 comes \(Self.warningSeconds) s before the limit to save the run: give it at least \(Self.shortestTimeLimit / 60) minutes")
            }
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
        if oneNode { lines.append("#SBATCH --nodes=1") }
        if let timeLimit { lines.append("#SBATCH --time=\(timeLimit)") }
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        var start = [binary, sweep ? "sweep" : "train", configPath, "--run-dir", runDirectory, "--set", "cluster.launcher=slurm"]
        if restartsOn { start += ["--set", "cluster.restarts=0"] }
        for override in overrides { start += ["--set", override] }
        let checkpoints = runDirectory + "/checkpoints"
        lines += [
            "set -u",
            "cd \(q(workingDirectory))",
            "echo \"ringtrain: Slurm job ${SLURM_JOB_ID:-?}, restart count ${SLURM_RESTART_COUNT:-0}, on $(hostname)\"",
        ]
        if sweep {
            lines.append("begun=0; [ -e \(q(runDirectory + "/sweep.sqlite")) ] && begun=1")
        } else {
            // Only the `/step-*` after the quoted folder is a pattern (a folder name may hold `[`, `*`, `?`).
            lines += ["begun=0; [ -e \(q(checkpoints + "/latest")) ] && begun=1",
                      "for f in \(q(checkpoints))/step-*; do [ -e \"$f\" ] && begun=1; done"]
        }
        lines += [
            "if [ \"$begun\" = 1 ]; then",
            "  exec \(([binary, "resume", runDirectory, "--slurm-requeue"]).map(q).joined(separator: " "))",
            "else",
            "  exec \((start + ["--slurm-requeue"]).map(q).joined(separator: " "))",
            "fi",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
