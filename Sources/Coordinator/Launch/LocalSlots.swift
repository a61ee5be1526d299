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
        "-default-hostfile", "--rankfile", "-rankfile", "-rf"]
    /// mpirun options that load settings from a file, which may allow anything.
    static let settingsFileOptions: Set<String> = ["--tune", "-tune", "-am", "--am"]
    /// Words of Open MPI settings that may allow more ranks than cores or name hosts
    /// (`orte_set_default_slots`/`prte_set_default_slots` give this machine slots of their own).
    static let permissiveWords = ["oversubscribe", "hostfile", "machinefile", "default_slots", "rankfile", "rank_file",
                                  "param_file", "topo_file"]

    /// The folders Open MPI 4 and 5 read system settings from: Debian's and Fedora's, `etc` beside
    /// the mpirun in use (as found on PATH, and with its links resolved: source, Spack, conda or
    /// Homebrew installs), and `$OPAL_PREFIX/etc`.
    static func settingsFolders(environment: [String: String]) -> [String] {
        var folders = ["/etc/openmpi"]
        folders += ((try? FileManager.default.contentsOfDirectory(atPath: "/etc")) ?? []).filter { $0.hasPrefix("openmpi-") }
            .sorted().map { "/etc/" + $0 }
        if let mpirun = ExecutableSearch.find("mpirun") {
            let found = URL(fileURLWithPath: mpirun)
            for binary in [found, found.resolvingSymlinksInPath()] {
                folders.append(binary.deletingLastPathComponent().deletingLastPathComponent().path + "/etc")
            }
        }
        if let prefix = environment["OPAL_PREFIX"], !prefix.isEmpty { folders.append(prefix + "/etc") }
        var seen = Set<String>()
        return folders.filter { seen.insert($0).inserted }
    }

    /// What may give mpirun more on this machine, as Open MPI 4 (ORTE) and 5 (PRRTE) read it.
    public struct Settings: Sendable {
        /// The lines of the parameter files (the user's and the system's), comments and blank lines left out.
        public var parameters: [String] = []
        /// The host lines of the default hostfiles.
        public var defaultHosts: [String] = []

        public init(parameters: [String] = [], defaultHosts: [String] = []) {
            (self.parameters, self.defaultHosts) = (parameters, defaultHosts)
        }

        /// This machine's settings (the user's files under `home`).
        public static func read(environment: [String: String] = ProcessInfo.processInfo.environment,
                                home: String = NSHomeDirectory()) -> Settings {
            func lines(_ path: String) -> [String] {
                ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            }
            let folders = settingsFolders(environment: environment)
            let parameterFiles = [home + "/.openmpi/mca-params.conf", home + "/.prte/mca-params.conf"]
                + folders.flatMap { [$0 + "/openmpi-mca-params.conf", $0 + "/prte-mca-params.conf"] }
            let hostfiles = folders.flatMap { [$0 + "/openmpi-default-hostfile", $0 + "/prte-default-hostfile"] }
            return Settings(parameters: parameterFiles.flatMap(lines), defaultHosts: hostfiles.flatMap(lines))
        }
    }

    /// This machine's online processors (hardware threads): never fewer than the cores Open MPI
    /// counts as its slots. Nil when the system cannot say.
    public static var processors: Int? {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return count > 0 ? count : nil
    }

    /// The refusal for `ranks` ranks of `file`'s job (a `ConfigError` on `job.ranks`), or nil when
    /// they fit or mpirun may be given more: with hosts listed or another launcher, inside a batch
    /// allocation, with oversubscription, hosts, slots or a settings file given by `cluster`
    /// (`oversubscribe`, `mpirun_args`) or an `OMPI_MCA_*`/`PRTE_MCA_*` variable of
    /// `environment`, or with `settings` that may (a permissive parameter, a default host).
    public static func problem(ranks: Int, cluster: ClusterSpec, file: String, processors: Int? = processors,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               settings: Settings = .read()) -> ConfigError? {
        func permissive(_ text: String) -> Bool {
            let lower = text.lowercased().replacingOccurrences(of: "nooversubscribe", with: "")
            return permissiveWords.contains { lower.contains($0) }
        }
        func option(_ argument: String) -> Bool {
            let name = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            return placementOptions.contains(name) || settingsFileOptions.contains(name)
        }
        guard let processors, ranks > 1, ranks > processors, cluster.launcher == .mpirun, !cluster.listsHosts, !cluster.oversubscribe,
              !cluster.mpirunArgs.contains(where: { permissive($0) || option($0) }),
              !environment.contains(where: { key, value in
                  (key.hasPrefix("OMPI_MCA_") || key.hasPrefix("PRTE_MCA_")) && !value.isEmpty && permissive(key + "=" + value) }),
              !allocationVariables.contains(where: { !(environment[$0] ?? "").isEmpty }),
              settings.defaultHosts.isEmpty, !settings.parameters.contains(where: permissive) else { return nil }
        return ConfigError(file: file, keyPath: "job.ranks",
                           message: "\(ranks) ranks on this machine alone need \(ranks) slots, but it has \(processors) processors "
                               + "(mpirun counts its cores, which may be fewer)",
                           hint: "lower job.ranks (or --ranks), list hosts in cluster.hosts, or set cluster.oversubscribe: true")
    }
}
