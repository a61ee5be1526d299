// TrialPlacement: where a running trial's ranks are (hosts and ranks on each) and its rendezvous
// port, kept in its folder so a coordinator started again knows which slots and ports are taken.
import Foundation
import Worker

/// The hosts (and port) one attempt of a trial holds.
struct TrialPlacement: Codable, Equatable {
    /// The file in the trial folder.
    static let fileName = "placement.json"

    struct Host: Codable, Equatable {
        var host: String
        var ranks: Int
    }
    /// Hosts and the ranks on each, in rank order.
    var hosts: [Host]
    /// MASTER_PORT of a distributed program trial; nil for a training trial.
    var port: Int?

    init(hosts: [HostSlots], port: Int? = nil) {
        self.hosts = hosts.map { Host(host: $0.host, ranks: $0.slots) }
        self.port = port
    }

    /// As `HostShares` counts taken slots.
    var slots: [HostSlots] { hosts.map { HostSlots(host: $0.host, slots: $0.ranks) } }

    /// Writes the placement into `directory` (atomically) before the attempt starts.
    func save(in directory: String) throws {
        let data = try JSONEncoder().encode(self)
        try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: directory + "/" + Self.fileName)
    }

    /// The placement recorded in `directory`; nil when there is none (or it cannot be read).
    static func recorded(in directory: String) -> TrialPlacement? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(TrialPlacement.self, from: data)
    }

    /// A TCP port free on this machine now (the kernel's choice) that none of `taken` uses.
    static func freePort(avoiding taken: Set<Int>) throws -> Int {
        for _ in 0..<50 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { break }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = INADDR_ANY
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound else { break }
            let port = Int(UInt16(bigEndian: address.sin_port))
            if !taken.contains(port) { return port }
        }
        throw LaunchError("cannot find a free TCP port for a trial's MASTER_PORT: \(String(cString: strerror(errno)))")
    }
}
