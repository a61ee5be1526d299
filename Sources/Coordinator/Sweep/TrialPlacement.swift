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

    /// The placement recorded in `directory`: nil when there is none; an error naming the file
    /// when it cannot be read or holds a host without ranks.
    static func recorded(in directory: String) throws -> TrialPlacement? {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let placement = try? JSONDecoder().decode(TrialPlacement.self, from: data),
              placement.hosts.allSatisfy({ !$0.host.isEmpty && (1...4096).contains($0.ranks) }),
              placement.port.map({ (1...65535).contains($0) }) ?? true else {
            throw LaunchError("\(path) is not a placement ringtrain wrote (hosts with 1 to 4096 ranks each, a port from 1 to 65535)")
        }
        return placement
    }
}
