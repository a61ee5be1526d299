// TrialConfig: a configuration turned into what a trial runs — `--set job.<name>=<value>`
// overrides and the trial's RunConfig (base file + overrides, checked by the real parsers).

extension SweepSpec {
    /// `--set`-style overrides that put `configuration` into the job, in parameter order:
    /// `job.optimizer.lr=0.01`, `job.model.hidden=[64, 32]` (values as YAML that reads back to
    /// the same value). Empty for a program sweep, whose parameters are not job settings.
    public func overrides(for configuration: Configuration) -> [String] {
        guard program == nil else { return [] }
        return space.parameters.compactMap { p in
            configuration[p.name].map { "job.\(p.name)=\($0.yamlText)" }
        }
    }

    /// The trial's checked config: the base config's file and its own overrides, then the
    /// configuration's overrides, parsed again so the values are validated like any config.
    /// Errors name the offending `--set job.<name>=<value>`.
    /// `dataFiles` as for `RunConfig.load` (default `.required`).
    public func trialConfig(base: RunConfig, configuration: Configuration,
                            dataFiles: DatasetParser.FileCheck = .required) throws -> RunConfig {
        try RunConfig(file: base.file.applying(overrides(for: configuration)), dataFiles: dataFiles)
    }

    /// The trial's command line for a program sweep (element 0 is the executable); nil when
    /// trials train the job.
    public func programArguments(for configuration: Configuration) -> [String]? {
        program?.arguments(for: configuration, order: space.parameters.map(\.name))
    }

    /// The overrides a loaded file was given, outer key paths before inner ones.
    static func overridesApplied(to file: ConfigFile) -> [String] {
        file.root.overrides.sorted { ($0.key.count, $0.key) < ($1.key.count, $1.key) }.map(\.value)
    }
}

extension RunConfig {
    /// The config's sweep section, checked (parameters against the job); nil without one.
    /// `filesChecked` false (for commands that only read a sweep folder: status, report) leaves
    /// out whether the data files and the program are still there.
    public func sweepSpec(filesChecked: Bool = true) throws -> SweepSpec? { try SweepParser.parse(config: self, filesChecked: filesChecked) }
}
