// RunConfigSetup: the config side of a rank's life — rank 0 reads the YAML config and encodes
// the job canonically, the other ranks decode that JSON (no YAML), and the run folder's files.
import Collective
import Foundation
import Worker
import Yams

/// `RankSetup` over a config file (`ringtrain worker`) or a config already read (`train`).
public final class RunConfigSetup: RankSetup {
    /// The config file's path: rank 0 reads it; every rank takes relative paths from its folder.
    public let configPath: String
    /// `--set` overrides rank 0 applies.
    public let overrides: [String]
    /// Rank 0's config, once read (or as given).
    private(set) var config: RunConfig?

    /// Reads `configPath` with `overrides` on rank 0.
    public init(configPath: String, overrides: [String]) {
        (self.configPath, self.overrides) = (configPath, overrides)
    }

    /// Uses `config`, already read and checked.
    public init(config: RunConfig) {
        (configPath, overrides, self.config) = (config.file.path, [], config)
    }

    public func load() throws -> AgreedJob {
        let config = try self.config ?? RunConfig.load(path: configPath, overrides: overrides)
        self.config = config
        let encodedJob = ResolvedConfig.canonicalJSON(job: config.job)
        // The other ranks will read the job back from this text: rank 0 reads it back first, so a
        // job that would not survive the trip stops every rank here, at once, with this message.
        do { _ = try decodeJob(encodedJob) } catch {
            throw ConfigError(file: config.file.path, keyPath: "job",
                              message: "the job does not read back from its canonical form, so the ranks could not agree on it: \(error)",
                              hint: "this is a ringtrain bug; please report it with the config")
        }
        return AgreedJob(job: config.job, encodedJob: encodedJob, encodedCluster: ResolvedConfig.canonicalJSON(cluster: config.cluster))
    }

    public func decodeJob(_ encoded: String) throws -> TrainingJob {
        let tree: JSONTree
        do { tree = try JSONDecoder().decode(JSONTree.self, from: Data(encoded.utf8)) } catch {
            throw TrainingError("the job from rank 0 is not valid JSON: \(error)")
        }
        let directory = URL(fileURLWithPath: configPath).standardizedFileURL.deletingLastPathComponent().path
        let job = try JobParser.parse(ConfigValue(node: tree.node, path: "job", file: configPath), baseDirectory: directory)
        // The job must come out as rank 0 sent it, or the ranks would train different jobs.
        guard ResolvedConfig.canonicalJSON(job: job) == encoded else {
            throw TrainingError("the job from rank 0 reads back differently on this rank: sent \(encoded), read \(ResolvedConfig.canonicalJSON(job: job))")
        }
        return job
    }

    public func hash(job: TrainingJob) -> String { ResolvedConfig.hash(job: job) }

    public func claim(_ directory: String, resume: Bool) throws { try RunFolder.claim(directory, resume: resume) }

    public func checkEarlierJob(_ directory: String, job: TrainingJob) throws { try RunFolder.checkEarlierJob(directory, job: job) }

    public func writeConfigFiles(_ directory: String, running: TrainingJob) throws {
        guard let config else { preconditionFailure("only rank 0, which read the config, writes the run folder's files") }
        _ = try RunFolder.create(at: directory, config: config, running: running)
    }

    public func hasConfigFiles(_ directory: String) -> Bool { FileManager.default.fileExists(atPath: directory + "/resolved.yaml") }

    public func trace(job: TrainingJob, group: Collectives, steps: Int, options: RankOptions) throws {
        try WorkerProcess.trace(job: job, group: group, steps: steps, options: options)
    }
}

/// A JSON value read back as the YAML node the config parsers take: numbers and booleans as
/// plain scalars (as YAML writes them), strings double-quoted (so they stay strings).
private indirect enum JSONTree: Decodable {
    case scalar(String, quoted: Bool)
    case list([JSONTree])
    case map([String: JSONTree])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .scalar(String(b), quoted: false) }
        else if let i = try? c.decode(Int.self) { self = .scalar(String(i), quoted: false) }
        else if let d = try? c.decode(Double.self) { self = .scalar(d.description, quoted: false) }
        else if let s = try? c.decode(String.self) { self = .scalar(s, quoted: true) }
        else if let l = try? c.decode([JSONTree].self) { self = .list(l) }
        else { self = .map(try c.decode([String: JSONTree].self)) }
    }

    var node: Node {
        switch self {
        case .scalar(let s, let quoted): return .scalar(.init(s, .implicit, quoted ? .doubleQuoted : .plain))
        case .list(let items): return .sequence(.init(items.map(\.node), .implicit, .block))
        case .map(let pairs): return .mapping(.init(pairs.sorted { $0.key < $1.key }.map { (Node.scalar(.init($0.key)), $0.value.node) }, .implicit, .block))
        }
    }
}
