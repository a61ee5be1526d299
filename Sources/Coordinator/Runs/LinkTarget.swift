// LinkTarget: the file a path names once its symbolic links are followed, even when that file does
// not exist yet — so a write replaces the link's target and keeps the link.
import Foundation

enum LinkTarget {
    /// `path` with the symbolic link it names followed (relative targets from the link's folder),
    /// link after link, up to 40 as the kernel allows; `path` itself when it is no link.
    static func of(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return current }
            current = destination.hasPrefix("/") ? destination
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(destination).path
        }
        return current
    }
}
