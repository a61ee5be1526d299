// RankPlacementTests: where mpirun puts each rank — listed slots filled in order, wrapping when
// oversubscribed, this machine when nothing is listed — and the hosts read from a hostfile.
import Foundation
import Testing
@testable import Coordinator

@Suite("RankPlacement")
struct RankPlacementTests {
    static let hosts = [HostSlots(host: "a", slots: 2), HostSlots(host: "b", slots: 1), HostSlots(host: "c", slots: 3)]

    @Test("ranks fill each host's slots in order, then wrap around", arguments: [
        (0, "a"), (1, "a"), (2, "b"), (3, "c"), (4, "c"), (5, "c"), (6, "a"), (7, "a"), (8, "b"), (12, "a"),
    ])
    func fillsInOrder(rank: Int, host: String) {
        #expect(RankPlacement.host(ofRank: rank, hosts: Self.hosts, localHost: "here") == host)
    }

    @Test("no hosts listed, or a rank below 0: this machine")
    func local() {
        #expect(RankPlacement.host(ofRank: 0, hosts: [], localHost: "here") == "here")
        #expect(RankPlacement.host(ofRank: 5, hosts: [], localHost: "here") == "here")
        #expect(RankPlacement.host(ofRank: -1, hosts: Self.hosts, localHost: "here") == "here")
    }

    /// A cluster whose hostfile holds `text`.
    static func cluster(hostfile text: String) throws -> ClusterSpec {
        let path = try TestFolder.make() + "/hostfile"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var cluster = ClusterSpec()
        cluster.hostfile = path
        return cluster
    }

    @Test("listedHosts reads a hostfile: slots=N (1 when not given), comments and blank lines skipped", arguments: [
        ("node1 slots=2\nnode2\nnode3 slots=4\n", [("node1", 2), ("node2", 1), ("node3", 4)]),
        ("# the cluster\n\nnode1 slots=2   # two GPUs\n   \n  node2 slots=1\n#node3 slots=8\n\n", [("node1", 2), ("node2", 1)]),
        ("10.0.0.1 slots=2 max_slots=4\n10.0.0.2 max_slots=4 slots=3", [("10.0.0.1", 2), ("10.0.0.2", 3)]),
        ("node1\tslots=2\nnode2 \t slots=3\t# tabbed\n", [("node1", 2), ("node2", 3)]),
        ("node1 slots=2\r\nnode2 slots=3\r\n", [("node1", 2), ("node2", 3)]),
        ("node1 slots=0\nnode2 slots=x\n", [("node1", 1), ("node2", 1)]),
        ("node1 slots=5000\n", [("node1", 5000)]),
        ("", []),
        ("# nothing here\n\n", []),
    ])
    func hostfile(text: String, expected: [(String, Int)]) throws {
        let hosts = try RankPlacement.listedHosts(Self.cluster(hostfile: text))
        #expect(hosts == expected.map { HostSlots(host: $0.0, slots: $0.1) })
    }

    @Test("a hostfile's slots beyond 1048576 are refused with the line, however large (their sums overflowed)",
          arguments: ["9223372036854775807", "9223372036854775808", "1048577"])
    func hostfileSlotsOutOfRange(slots: String) throws {
        let cluster = try Self.cluster(hostfile: "# hosts\nnode1 slots=\(slots)\nnode2 slots=1\n")
        #expect {
            _ = try RankPlacement.listedHosts(cluster)
        } throws: { error in
            "\(error)".contains("line 2: slots=") && "\(error)".contains("1048576")
        }
    }

    @Test("listedHosts: the cluster's hosts when no hostfile, and an unreadable hostfile is a launch error")
    func hostsOrMissing() throws {
        var cluster = ClusterSpec()
        #expect(try RankPlacement.listedHosts(cluster) == [])
        cluster.hosts = Self.hosts
        #expect(try RankPlacement.listedHosts(cluster) == Self.hosts)
        var missing = ClusterSpec()
        missing.hostfile = try TestFolder.make() + "/no-such-hostfile"
        #expect { try RankPlacement.listedHosts(missing) } throws: { error in
            error is LaunchError && "\(error)".contains("no-such-hostfile: No such file or directory") && !"\(error)".contains("working folder")
        }
    }

    @Test func anIPv6AddressInAHostfileIsNamedWithItsLine() throws {
        #expect { try RankPlacement.listedHosts(Self.cluster(hostfile: "node1 slots=1\nfe80::2 slots=2\n")) } throws: { error in
            "\(error)".contains("line 2: 'fe80::2' is an IPv6 address")
        }
        for colons in [":", "::", ":4"] {   // the host before the colon is empty (indexing it trapped)
            #expect { try RankPlacement.listedHosts(Self.cluster(hostfile: colons + " slots=2\n")) } throws: { error in
                "\(error)".contains("line 1: '\(colons)'")
            }
        }
        #expect { try RankPlacement.listedHosts(Self.cluster(hostfile: "node1:4\n")) } throws: { error in
            "\(error)".contains("line 1: 'node1:4' is not a host name") && "\(error)".contains("node1 slots=N")
        }
    }

    @Test("a hostfile without a host line is refused: mpirun would have nowhere to start ranks",
          arguments: ["", "# nothing here\n\n", "   \n\t# only a comment\n"])
    func emptyHostfile(text: String) throws {
        #expect { try RankPlacement.checkHostfile(Self.cluster(hostfile: text), file: "c.yaml") } throws: { error in
            (error as? ConfigError)?.keyPath == "cluster.hostfile" && "\(error)".contains("lists no hosts")
        }
    }

    @Test func aHostfileThatIsNotTextOrHasHugeSlotsIsAConfigError() throws {
        let binary = try Self.cluster(hostfile: "")
        try Data([0x6E, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: binary.hostfile!))
        #expect { try RankPlacement.checkHostfile(binary, file: "c.yaml") } throws: { error in
            error is ConfigError && "\(error)".contains("line 1: the host name is not UTF-8 text")
        }
        // A comment in Latin-1 ("Rechner für" with 0xFC) is read past, as mpirun reads it.
        try Data("# Rechner f".utf8 + [0xFC] + "r Tests\nn1 slots=2 # f".utf8 + [0xFC] + "r\n".utf8).write(to: URL(fileURLWithPath: binary.hostfile!))
        #expect(try RankPlacement.listedHosts(binary).map { "\($0.host) \($0.slots)" } == ["n1 2"])
        #expect { try RankPlacement.checkHostfile(Self.cluster(hostfile: "n1 slots=99999999\n"), file: "c.yaml") } throws: { error in
            error is ConfigError && "\(error)".contains("line 1")
        }
    }

    @Test("placement over a hostfile's hosts")
    func placementFromHostfile() throws {
        let hosts = try RankPlacement.listedHosts(Self.cluster(hostfile: "# two machines\nvm slots=1\n10.78.0.13 slots=2\n"))
        #expect((0..<4).map { RankPlacement.host(ofRank: $0, hosts: hosts, localHost: "here") } == ["vm", "10.78.0.13", "10.78.0.13", "vm"])
    }
}
