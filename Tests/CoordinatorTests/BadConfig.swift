// BadConfig: a config (or sweep section) with a mistake and what its error must say — line, key
// path, file and message fragments — with the one check the config and sweep tables share.
import Testing
@testable import Coordinator

/// A config with a mistake, and what its error must say.
struct BadConfig: CustomTestStringConvertible, Sendable {
    let label: String
    let yaml: String
    let line: Int?
    /// The error's key path; empty means any key under the check's `anyKeyUnder`.
    let keyPath: String
    let fragments: [String]
    var testDescription: String { label }

    /// Expects `load(yaml)` to throw a `ConfigError` at `line` (when set) with `keyPath`, in a file
    /// whose path ends with `file`, whose message holds every fragment.
    func expectReported(in file: String, anyKeyUnder: String? = nil, _ load: (String) throws -> Void) {
        do {
            try load(yaml)
            Issue.record("\(label): expected an error")
        } catch let error as ConfigError {
            if let line { #expect(error.line == line, "\(label): \(error)") }
            if keyPath.isEmpty, let anyKeyUnder { #expect(error.keyPath.hasPrefix(anyKeyUnder), "\(label): \(error)") }
            else { #expect(error.keyPath == keyPath, "\(label): \(error)") }
            #expect(error.file.hasSuffix(file), "\(label): \(error)")
            for fragment in fragments { #expect(error.description.contains(fragment), "\(label): \(error)") }
        } catch {
            Issue.record("\(label): not a ConfigError: \(error)")
        }
    }
}
