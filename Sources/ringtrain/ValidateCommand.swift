// ValidateCommand: `ringtrain validate CONFIG` — checks cluster, job and sweep sections and the data
// as training would before step 1, and prints the plan, every layer and the memory estimate; exit 0 when valid, 2 otherwise.
import ArgumentParser
import Coordinator
import Foundation
import Model
import Worker

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a config file (cluster, job, sweep) and print what it would run.",
        discussion: "Example: ringtrain validate cluster.yaml --set sweep.run_cap=10")

    @Argument(help: "The config file (YAML with a job: section and an optional sweep: section).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set job.epochs=5 (repeatable).")
    var overrides: [String] = []

    func run() throws {
        try exitOnUserError {
            let loaded = try RunConfig.load(path: config, overrides: overrides)
            printWarnings(loaded)
            let sweep = try loaded.sweepSpec()
            // The hostfile as a launch or the sweep's placement will read it.
            if loaded.cluster.launcher == .mpirun && (loaded.job.ranks > 1 || sweep != nil) {
                try RankPlacement.checkHostfile(loaded.cluster, file: loaded.file.path)
            }
            var plan = PlanSummary.text(config: loaded, sweep: sweep)
            if loaded.hasJob {
                // The layers' shapes come from the data, so the data is loaded and checked too,
                // by the same checks training makes before its first step.
                let job = loaded.job
                // A warning here: the config may be meant for a batch allocation, whose slots mpirun counts instead.
                if let problem = LocalSlots.problem(ranks: job.ranks, cluster: loaded.cluster, file: loaded.file.path) {
                    Log.logger.warning("\(problem); train here would be refused (inside a Slurm, PBS or LSF allocation mpirun counts its slots)")
                }
                // This machine's memory judges the job only where its ranks run; read before the data loads.
                // (One rank under mpirun trains in this process, whatever hosts are listed.)
                let here = (job.ranks == 1 && loaded.cluster.launcher == .mpirun) || loaded.cluster.runsOnlyHere(localHost: LauncherWatch.localHost)
                let available = here ? HostMemory.available() : nil
                let data = try DatasetLoader.load(job.dataset, seed: job.seed)
                let ranksOnHost = loaded.cluster.ranksOnBusiestHost(ranks: job.ranks)
                do {
                    plan += "\nmodel (shapes from the training data):\n"
                        + (try ModelTable.text(model: job.model, sampleShape: data.train.sampleShape, task: data.train.task))
                    let estimate = try JobDataCheck.check(job, data: data, ranks: job.ranks, ranksOnHost: ranksOnHost, available: available)
                    plan += estimate.summary(available: available, ranksOnHost: ranksOnHost)
                        + (here ? "" : " (not checked against this machine: the ranks run on the cluster's hosts)") + "\n"
                } catch let error as ModelError {
                    throw ConfigError(file: loaded.file.path, keyPath: "", message: "job." + error.description)
                }
            }
            FileHandle.standardOutput.writeText(plan)
        }
    }
}
