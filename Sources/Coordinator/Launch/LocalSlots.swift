// LocalSlots: a job whose ranks all run on this machine under mpirun must fit the slots mpirun
// counts here (its cores), unless something lets mpirun go past them. Checked before a launch, so
// the mistake is named as job.ranks instead of mpirun's page about slots; only what mpirun would
// refuse too is refused.
import Foundation

public enum LocalSlots {
    /// Environment variables of batch systems whose allocation mpirun reads its slots from.
    static let allocationVariables = ["SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "PE_HOSTFILE"]
    /// Open MPI's parameter files, which may allow oversubscription or name a default hostfile.
    public static let parameterFiles = [NSHomeDirectory() + "/.openmpi/mca-params.conf", "/etc/openmpi/openmpi-mca-params.conf"]
    /// mpirun options that place ranks on hosts of their own (then the slots are theirs).
    static let hostOptions: Set<String> = ["--host", "-host", "-H", "--hostfile", "-hostfile", "--machinefile", "-machinefile",
                                           "--default-hostfile", "-default-hostfile"]

    /// What Open MPI's parameter files on this machine hold (the missing ones left out).
    public static var parameterFileText: String {
        parameterFiles.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    /// This machine's online processors (hardware threads): never fewer than the cores Open MPI
    /// counts as its slots, so a check against them refuses nothing mpirun would run.
    public static var processors: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// The refusal for `ranks` ranks of `file`'s job (a `ConfigError` on `job.ranks`), or nil when
    /// they fit or mpirun may be allowed more: with hosts listed or another launcher, inside a
    /// batch allocation, or with oversubscription or hosts given by `cluster` (`oversubscribe`,
    /// `mpirun_args`), by an `OMPI_MCA_*`/`PRTE_MCA_*` variable of `environment`, or by one of
    /// Open MPI's parameter files (`parameterText`: their contents).
    public static func problem(ranks: Int, cluster: ClusterSpec, file: String, processors: Int = processors,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               parameterText: String = parameterFileText) -> ConfigError? {
        func allows(_ text: String) -> Bool {
            let lower = text.lowercased()
            return (lower.contains("oversubscribe") && !lower.contains("nooversubscribe")) || lower.contains("hostfile")
        }
        let settings = parameterText.split(whereSeparator: \.isNewline).filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
        guard ranks > 1, ranks > processors, cluster.launcher == .mpirun, !cluster.listsHosts, !cluster.oversubscribe,
              !cluster.mpirunArgs.contains(where: { allows($0) || hostOptions.contains($0) || $0.hasPrefix("--host=") }),
              !environment.contains(where: { key, value in
                  (key.hasPrefix("OMPI_MCA_") || key.hasPrefix("PRTE_MCA_")) && !value.isEmpty && allows(key + "=" + value) }),
              !allocationVariables.contains(where: { !(environment[$0] ?? "").isEmpty }),
              !settings.contains(where: { allows(String($0)) }) else { return nil }
        return ConfigError(file: file, keyPath: "job.ranks",
                           message: "\(ranks) ranks on this machine alone need \(ranks) slots, but it has \(processors) processors "
                               + "(mpirun counts its cores, which may be fewer)",
                           hint: "lower job.ranks (or --ranks), list hosts in cluster.hosts, or set cluster.oversubscribe: true")
    }
}
