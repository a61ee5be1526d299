// ProgressBar: a one-line progress bar on standard error, redrawn in place, for terminals only
// (never in files, pipes or JSON mode); redrawn at most ten times a second.
import Foundation

/// Shows `epoch E [#####.....] step/steps` on stderr when enabled.
final class ProgressBar {
    private let enabled: Bool
    private var lastDraw = Date.distantPast

    init(enabled: Bool) { self.enabled = enabled }

    func update(epoch: Int, step: Int, of steps: Int) {
        guard enabled, steps > 0 else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || step == steps else { return }
        lastDraw = now
        let width = 30, filled = width * step / steps
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\repoch \(epoch) [\(bar)] \(step)/\(steps)".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
