// Bench inputs: counts out of range get an error naming the option before anything runs; a --dir
// given to `bench checkpoint` loses nothing it held; outputs named by the user keep their links
// and device nodes.
import Foundation
import Testing

@Suite struct BenchInputTests {
    @Test(arguments: [
        ["bench", "allreduce", "--ranks", "2", "--chunk-elements=0"],
        ["bench", "allreduce", "--ranks", "2", "--depth=9223372036854775807"],
        ["bench", "train", "--steps", "9223372036854775807"],
        ["bench", "scaling", "cluster.yaml", "--latency-us", "30", "--gbps", "1", "--steps", "9223372036854775807"],
        ["bench", "checkpoint", "--size-mb", "9223372036854775807"],
        ["bench", "allreduce", "--ranks", "1"],
    ])
    func countsOutOfRangeAreRefused(_ arguments: [String]) throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let result = try ProcessRunner.run(binary, arguments, timeout: 60)
        #expect(result.status == 2 || result.status == 64, "\(result.output)")   // a usage error, not a trap
        let option = arguments.last!.split(separator: "=").first.map(String.init)!
        let named = option.hasPrefix("--") ? option : arguments[arguments.count - 2]
        #expect(result.stderr.contains(named), "\(result.output)")
    }

    @Test("a negative number as its own word reaches the option's range check, not \"Missing value\"", arguments: [
        ["bench", "train", "--steps", "-5"],
        ["bench", "allreduce", "--ranks", "-2"],
        ["bench", "scaling", "cluster.yaml", "--latency-us", "-30", "--gbps", "1"],
        ["train", "cluster.yaml", "--stop-after", "-1"],
    ])
    func negativeNumbersAreValues(_ arguments: [String]) throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let result = try ProcessRunner.run(binary, arguments, timeout: 60)
        #expect(result.status == 2 || result.status == 64, "\(result.output)")
        let value = try #require(arguments.first { $0.hasPrefix("-") && Double($0) != nil })
        let option = arguments[arguments.firstIndex(of: value)! - 1]
        #expect(result.stderr.contains(option) && result.stderr.contains(value) && !result.stderr.contains("Missing value"),
                "\(result.output)")
    }

    @Test func stoppingTheAllReduceBenchmarkEndsEveryRankWithoutTalkOfCheckpoints() throws {
        let marker = "\(900_000 + Int.random(in: 0..<99_999))"   // an unusual --reps, to find the ranks by
        let bench = try Background(["bench", "allreduce", "--ranks", "2", "--sizes", "4K", "--reps", marker])
        #expect(bench.wait(until: { Background.processes(mentioning: "--reps \(marker)").count >= 3 }, timeout: 60),
                "the ranks never started: \(bench.stderr)")
        usleep(500_000)
        kill(bench.pid, SIGINT)
        #expect(bench.finish(timeout: 60) != nil, "still running 60 s after SIGINT: \(bench.stderr)")
        #expect(bench.stderr.contains("stopping — the ranks are asked to stop") && !bench.stderr.contains("checkpoint"), "\(bench.stderr)")
        #expect(Background.processes(mentioning: "--reps \(marker)").isEmpty, "ranks left behind")
    }

    @Test func checkpointBenchmarkLeavesTheFolderItWasGiven() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-dir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/checkpoints", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "a run's checkpoint".write(toFile: folder + "/checkpoints/step-1.safetensors", atomically: false, encoding: .utf8)
        let result = try ProcessRunner.run(binary, ["bench", "checkpoint", "--size-mb", "1", "--repeats", "1", "--dir", folder])
        #expect(result.status == 0, "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["checkpoints"])
        #expect(try String(contentsOfFile: folder + "/checkpoints/step-1.safetensors", encoding: .utf8) == "a run's checkpoint")
    }
}
