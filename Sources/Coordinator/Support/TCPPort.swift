// TCPPort: TCP ports on this machine — one the kernel says is free now, and whether a given one can
// be bound (a distributed trial's MASTER_PORT).
import Foundation

/// TCP ports of this machine.
public enum TCPPort {
    /// A port free on this machine now (the kernel's choice) that is not in `taken`.
    public static func free(avoiding taken: Set<Int>) throws -> Int {
        for _ in 0..<50 {
            guard let port = bind(0) else { break }
            if !taken.contains(port) { return port }
        }
        throw LaunchError("cannot find a free TCP port: \(String(cString: strerror(errno)))")
    }

    /// Whether `port` can be bound on every address of this machine now.
    public static func isFree(_ port: Int) -> Bool { bind(port) != nil }

    /// Binds a TCP socket to `port` (0: any) on every address, closes it, and returns the port
    /// bound; nil when it cannot be bound.
    private static func bind(_ port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var on: Int32 = 1   // as servers bind (PyTorch's store too): a connection in TIME_WAIT does not hold the port
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = INADDR_ANY
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
