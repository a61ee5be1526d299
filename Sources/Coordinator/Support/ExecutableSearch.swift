// ExecutableSearch: finds a program the way a shell would — a name with a '/' is a path, any
// other name is looked up in the folders of PATH.
import Foundation

/// Looking up programs to start.
public enum ExecutableSearch {
    /// The path of `name`: itself when it holds a '/' (taken from `baseDirectory` when relative;
    /// default "": the current folder), otherwise the first executable match in the folders of
    /// PATH (default when unset: /usr/bin:/bin). nil when there is none.
    public static func find(_ name: String, baseDirectory: String = "") -> String? {
        // An executable file: a folder's x bit lets one search it, not run it.
        func runnable(_ path: String) -> Bool {
            var isFolder: ObjCBool = false
            return FileManager.default.isExecutableFile(atPath: path)
                && FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
        }
        guard !name.isEmpty else { return nil }
        if name.contains("/") {
            let path = name.hasPrefix("/") || baseDirectory.isEmpty ? name : baseDirectory + "/" + name
            return runnable(path) ? path : nil
        }
        let search = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return search.split(separator: ":").map { "\($0)/\(name)" }.first(where: runnable)
    }
}
