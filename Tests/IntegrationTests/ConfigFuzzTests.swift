// Config fuzzing: seeded mutations of the shipped configs (lines deleted, duplicated, swapped or
// re-indented, values replaced by hostile ones, bytes flipped, truncation, alias bombs) go through
// the config loader, the sweep parser and the plan in-process, and through `ringtrain validate`:
// each is a clean error naming the file, or a valid plan; never a crash or a hang.
import Coordinator
import Foundation
import Model
import Testing

/// Seeded mutations of YAML text.
struct ConfigMutator {
    var rng: CounterRNG

    static let hostileValues = ["-1", "0", "1e308", "-1e308", ".nan", ".inf", "\"\"", "~", "null", "[]", "{}", "[1, [2]]",
                                "true", "abc", "9223372036854775807", "99999999999999999999", "0.5", "*nowhere", "&a 1",
                                "!!binary AA==", "'unterminated", "[", "}", "- x", "\"\\u0000\"", "1:2", "!!float x",
                                "{values: [1, 1]}", "{min: 3, max: 1}", "{distribution: q_uniform, min: 0, max: 1e300, q: 1e-300}"]

    /// Nine levels of nine aliases each: 9^9 values once expanded.
    static let aliasBomb: String = {
        var levels = ["&l0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1..<9 { levels.append("&l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]") }
        return levels.joined(separator: ", ")
    }()

    mutating func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(max(1, n))) }

    /// `text` with one to three mutations applied.
    mutating func mutate(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<(1 + pick(3)) {
            guard !lines.isEmpty else { break }
            let i = pick(lines.count)
            switch pick(9) {
            case 0: lines.remove(at: i)
            case 1: lines.insert(lines[i], at: i)
            case 2:
                if let colon = lines[i].firstIndex(of: ":") {
                    lines[i] = String(lines[i][...colon]) + " " + Self.hostileValues[pick(Self.hostileValues.count)]
                }
            case 3: lines[i] = lines[i].hasPrefix("  ") && pick(2) == 0 ? String(lines[i].dropFirst(2)) : "  " + lines[i]
            case 4: lines.swapAt(i, pick(lines.count))
            case 5: lines.insert(String(repeating: " ", count: 2 * pick(3)) + ["bogus_key: 1", "ranks: -3", "- 7", "parameters: {}"][pick(4)], at: i)
            case 6:
                var bytes = Array(lines[i].utf8)
                if !bytes.isEmpty { bytes[pick(bytes.count)] = UInt8(32 + pick(95)) }
                lines[i] = String(decoding: bytes, as: UTF8.self)
            case 7:
                let joined = lines.joined(separator: "\n")
                let cut = joined.utf8.count > 0 ? pick(joined.utf8.count) : 0
                lines = String(decoding: Array(joined.utf8.prefix(cut)), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            default:
                lines.append("  bomb: [\(Self.aliasBomb)]")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// The configs shipped with the project.
let shippedConfigs: [String] = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let names = ["cluster.yaml"] + ((try? FileManager.default.contentsOfDirectory(atPath: root.path + "/configs")) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { "configs/" + $0 }
    return names.compactMap { try? String(contentsOfFile: root.path + "/" + $0, encoding: .utf8) }
}()

@Test("400 mutated configs in-process: each a clean ConfigError naming the file, or a valid plan")
func mutatedConfigsFailCleanly() throws {
    #expect(!shippedConfigs.isEmpty)
    let dir = try TrainingFixtures.temporaryDirectory()
    var mutator = ConfigMutator(rng: CounterRNG(seed: 13, stream: .search, 1))
    var errors = 0, plans = 0
    for caseIndex in 0..<400 {
        let text = mutator.mutate(shippedConfigs[caseIndex % shippedConfigs.count])
        let path = dir + "/fuzz-\(caseIndex).yaml"
        do {
            let config = try RunConfig(file: ConfigFile.parse(text: text, path: path))
            let spec = try config.sweepSpec()
            #expect(!PlanSummary.text(config: config, sweep: spec).isEmpty)
            plans += 1
        } catch let error as ConfigError {
            #expect(error.file.hasPrefix(path) || error.file.hasPrefix("--set"), "case \(caseIndex): \(error)")
            #expect(!error.message.isEmpty, "case \(caseIndex)")
            errors += 1
        } catch {
            Issue.record("case \(caseIndex): not a ConfigError: \(error)\n\(text)")
        }
    }
    print("config fuzz, in-process: 400 cases, \(errors) clean errors, \(plans) valid plans")
    #expect(errors > 100 && plans > 10)
}

@Test("40 mutated configs through `ringtrain validate`: exit 0 with a plan, or exit 2 with one error line")
func mutatedConfigsThroughValidate() throws {
    let binary = try #require(BuiltBinary.ringtrain)
    let dir = try TrainingFixtures.temporaryDirectory()
    var mutator = ConfigMutator(rng: CounterRNG(seed: 14, stream: .search, 2))
    var errors = 0
    for caseIndex in 0..<40 {
        let path = dir + "/validate-\(caseIndex).yaml"
        try mutator.mutate(shippedConfigs[caseIndex % shippedConfigs.count]).write(toFile: path, atomically: false, encoding: .utf8)
        let result = try ProcessRunner.run(binary, ["validate", path], environment: TrainingFixtures.environment, timeout: 60)
        #expect(!result.timedOut, "case \(caseIndex)")
        #expect(result.status == 0 || result.status == 2, "case \(caseIndex): exit \(result.status): \(result.output)")
        if result.status == 2 {
            errors += 1
            #expect(result.stderr.hasPrefix("error: \(path)"), "case \(caseIndex): \(result.stderr)")
        }
        #expect(!result.output.contains("Fatal error") && !result.output.contains("Backtrace"), "case \(caseIndex): \(result.output)")
    }
    print("config fuzz, through validate: 40 cases, \(errors) clean errors")
}
