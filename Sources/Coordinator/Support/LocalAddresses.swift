// LocalAddresses: the IP addresses of this machine's network interfaces, to tell a listed host
// that names this machine by address.
import Foundation

/// This machine's interface addresses.
public enum LocalAddresses {
    /// Every IPv4 and IPv6 address of an interface of this machine, as text.
    public static func all() -> Set<String> {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var addresses: Set<String> = []
        var entry = first
        while let current = entry {
            if let address = current.pointee.ifa_addr, [AF_INET, AF_INET6].contains(Int32(address.pointee.sa_family)) {
                var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                let length = socklen_t(address.pointee.sa_family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
                if getnameinfo(address, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                    addresses.insert(String(cString: text).split(separator: "%").first.map(String.init) ?? "")
                }
            }
            entry = current.pointee.ifa_next
        }
        return addresses
    }
}
