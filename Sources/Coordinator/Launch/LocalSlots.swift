// LocalSlots: a job whose ranks all run on this machine under mpirun must fit the slots mpirun
// counts here (its cores), unless something lets mpirun go past them. Checked before a launch, so
// the mistake is named as job.ranks instead of mpirun's page about slots; only what mpirun would
// refuse too is refused: anything that may give mpirun more slots or other hosts leaves it to mpirun.
import Foundation

public enum LocalSlots {
    /// Environment variables of batch systems whose allocation mpirun reads its slots from.
    static let allocationVariables = ["SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "PE_HOSTFILE"]
    /// mpirun options that place ranks on hosts or slots of their own, alone or as `option=value`.
    static let placementOptions: Set<String> = [
        "--host", "-host", "-H", "--hostfile", "-hostfile", "--machinefile", "-machinefile", "--default-hostfile",
        "-default-hostfile", "--rankfile", "-rankfile", "-rf", "--tune", "-tune", "-am", "--am"]
    /// Words of Open MPI settings that may allow more ranks than cores or name hosts.
    static let permissiveWords = ["oversubscribe", "hostfile", "machinefile", "set_slots", "rankfile", "rank_file",
                                  "param_files", "topo_file"]

    /// The folders Open MPI reads its system settings from: Debian's, and `etc` beside the
    /// installation mpirun runs from (source, Spack or conda installs; Fedora's own folder).
    static var settingsFolders: [String] {
        var folders = ["/etc/openmpi"]
        if let mpirun = ExecutableSearch.find("mpirun") {
            let real = URL(fileURLWithPath: mpirun).resolvingSymlinksInPath()
            folders.append(real.deletingLastPathComponent().deletingLastPathComponent().path + "/etc")
        }
        return folders
    }

    /// The settings of Open MPI's parameter files on this machine (the user's and the system's),
    /// and each host line of its default hostfile as `default hostfile: LINE`; comments and blank
    /// lines left out.
    public static var openMPISettings: [String] {
        func lines(_ path: String) -> [String] {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        return ([NSHomeDirectory() + "/.openmpi/mca-params.conf"] + settingsFolders.map { $0 + "/openmpi-mca-params.conf" }).flatMap(lines)
            + settingsFolders.flatMap { lines($0 + "/openmpi-default-hostfile") }.map { "default hostfile: " + $0 }
    }

    /// This machine's online processors (hardware threads): never fewer than the cores Open MPI
    /// counts as its slots. Nil when the system cannot say.
    public static var processors: Int? {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return count > 0 ? count : nil
    }

    /// The refusal for `ranks` ranks of `file`'s job (a `ConfigError` on `job.ranks`), or nil when
    /// they fit or mpirun may be given more: with hosts listed or another launcher, inside a batch
    /// allocation, with oversubscription, hosts or slots given by `cluster` (`oversubscribe`,
    /// `mpirun_args`) or an `OMPI_MCA_*`/`PRTE_MCA_*` variable of `environment`, or with any
    /// setting in `settings` (Open MPI's parameter files and default hostfile) that may.
    public static func problem(ranks: Int, cluster: ClusterSpec, file: String, processors: Int? = processors,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               settings: [String] = openMPISettings) -> ConfigError? {
        func permissive(_ text: String) -> Bool {
            let lower = text.lowercased().replacingOccurrences(of: "nooversubscribe", with: "")
            return permissiveWords.contains { lower.contains($0) }
        }
        func placement(_ argument: String) -> Bool {
            placementOptions.contains(String(argument.split(separator: "=", maxSplits: 1).first ?? ""))
        }
        guard let processors, ranks > 1, ranks > processors, cluster.launcher == .mpirun, !cluster.listsHosts, !cluster.oversubscribe,
              !cluster.mpirunArgs.contains(where: { permissive($0) || placement($0) }),
              !environment.contains(where: { key, value in
                  (key.hasPrefix("OMPI_MCA_") || key.hasPrefix("PRTE_MCA_")) && !value.isEmpty && permissive(key + "=" + value) }),
              !allocationVariables.contains(where: { !(environment[$0] ?? "").isEmpty }),
              !settings.contains(where: permissive) else { return nil }
        return ConfigError(file: file, keyPath: "job.ranks",
                           message: "\(ranks) ranks on this machine alone need \(ranks) slots, but it has \(processors) processors "
                               + "(mpirun counts its cores, which may be fewer)",
                           hint: "lower job.ranks (or --ranks), list hosts in cluster.hosts, or set cluster.oversubscribe: true")
    }
}
