// ReportPageTests: a sweep's report.html in a real browser — headless Chromium driven by Selenium
// with the system chromedriver (Fixtures/check_report_page.py) — while the sweep runs (rewritten
// as trials end, reloading itself) and after it (still): no script errors, no wider than a
// 1400-pixel window however wide its trials table, and weight decay's values, 0 among them, on a
// log axis.
import Foundation
import Testing

private let haveBrowser = FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
    && (try? ProcessRunner.run("/usr/bin/env", ["python3", "-c", "import selenium"]))?.status == 0

@Suite(.serialized, .enabled(if: haveBrowser, "chromium, chromium-driver and Python's selenium are needed (scripts/setup installs them)"))
struct ReportPageTests {
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/check_report_page.py").path

    /// What the browser met on `page`; with `reload`, whether it reloaded within that many seconds.
    static func open(_ page: String, screenshot: String, reload: Double? = nil) throws -> [String: Any] {
        let result = try ProcessRunner.run("/usr/bin/env", ["python3", checker, page, screenshot] + (reload.map { ["--watch-reload", String($0)] } ?? []),
                                           timeout: 120)
        try #require(result.status == 0, "\(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
    }

    @Test("the report of a running sweep reloads itself and says so; the finished one is still; both fit a 1400-pixel window without script errors")
    func liveThenFinal() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let wide = (1...5).map { "a_parameter_with_a_long_name_number_\($0): {value: some-rather-long-text-that-makes-the-trials-table-wide-\($0)}" }
        let config = try SweepHarness.objectiveSweep(in: dir, method: "grid",
                                                     parameters: ["x: {values: [0.0, 0.00001, 0.0001, 0.001]}", "y: {values: [0.5]}"] + wide,
                                                     keys: ["parallel: 2"])
        let sweep = dir + "/sweep"
        let running = try Background(["sweep", config, "--run-dir", sweep], environment: ["OBJECTIVE_PAUSE": "1.5", "OBJECTIVE_EPOCHS": "6"])
        let page = sweep + "/report.html"
        #expect(running.wait(until: {
            (try? String(contentsOfFile: page, encoding: .utf8))?.contains("http-equiv=\"refresh\"") == true
        }, timeout: 60), "\(running.stderr)")
        let live = try Self.open(page, screenshot: dir + "/live.png", reload: Double(6))
        #expect(live["refresh"] as? [String] == ["5"] && (live["live_banner"] as? [String])?.first?.contains("reloads every 5 s") == true, "\(live)")
        #expect(live["reloaded"] as? Bool == true, "the page reloaded itself: \(live)")
        #expect((live["console_errors"] as? [String])?.isEmpty == true, "\(live)")
        #expect((live["page_width"] as? Int ?? .max) <= (live["window_width"] as? Int ?? 0), "\(live)")

        #expect(running.finish(timeout: 120) == 0, "\(running.stderr)")
        let final = try Self.open(page, screenshot: dir + "/final.png")
        #expect((final["refresh"] as? [String])?.isEmpty == true && (final["live_banner"] as? [String])?.isEmpty == true, "\(final)")
        #expect(final["trial_rows"] as? Int == 4 && (final["figures"] as? Int ?? 0) >= 4, "\(final)")
        let headings = final["headings"] as? [String] ?? []
        for heading in ["Sweep report", "Best configuration", "Learning curves", "Parallel coordinates", "Trials"] {
            #expect(headings.contains(heading), "\(headings)")
        }
        #expect((final["console_errors"] as? [String])?.isEmpty == true, "\(final)")
        #expect((final["page_width"] as? Int ?? .max) <= (final["window_width"] as? Int ?? 0), "\(final)")
        // 0, 1e-5, 1e-4 and 1e-3 on a log axis: 0 at its start, a tick per decade, none piled up at 0.
        let ticks = (final["x_ticks"] as? [String: [String]])?["score vs x"]
        #expect(ticks == ["0", "1e-05", "0.0001", "0.001"], "\(final)")
        #expect(FileManager.default.fileExists(atPath: dir + "/final.png") && FileManager.default.fileExists(atPath: dir + "/live.png"))
    }
}
