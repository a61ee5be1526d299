// StandardErrorLogHandlerTests: the log line format — level labels above info, the rank tag in a
// multi-rank MPI job only, metadata after the message.
import Logging
import Testing
@testable import Worker

@Suite("log lines")
struct StandardErrorLogHandlerTests {
    static let twoRanks = ["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2"]

    @Test("levels are labelled except info; notice reads note",
          arguments: [(Logger.Level.info, "resumed"), (.notice, "note: resumed"), (.warning, "warning: resumed"),
                      (.error, "error: resumed"), (.critical, "critical: resumed"), (.debug, "debug: resumed"),
                      (.trace, "trace: resumed")])
    func labels(level: Logger.Level, expected: String) {
        let handler = StandardErrorLogHandler(label: "t", environment: [:])
        #expect(handler.line(level: level, message: "resumed") == expected)
    }

    @Test("a rank of a multi-rank MPI job tags its lines; a single rank or no MPI does not")
    func rankTag() {
        #expect(StandardErrorLogHandler(label: "t", environment: Self.twoRanks).line(level: .error, message: "failed")
                == "error: rank 1 of 2: failed")
        let single = ["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "1"]
        #expect(StandardErrorLogHandler(label: "t", environment: single).line(level: .error, message: "failed") == "error: failed")
    }

    @Test("metadata follows the message, keys sorted; the handler's level is the one given")
    func metadataAndLevel() {
        var handler = StandardErrorLogHandler(label: "t", level: .warning, environment: [:])
        handler[metadataKey: "trial"] = "7"
        #expect(handler.line(level: .warning, message: "retrying", metadata: ["attempt": "2"]) == "warning: retrying attempt=2 trial=7")
        #expect(handler.logLevel == .warning)
    }
}
