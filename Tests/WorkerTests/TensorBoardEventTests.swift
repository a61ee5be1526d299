// TensorBoardEventTests: CRC-32C against its published check values, the protobuf encodings byte
// for byte, and the record framing of an event (read back by hand, CRCs included).
import Foundation
import Testing
@testable import Worker

@Suite struct TensorBoardEventTests {
    @Test("CRC-32C: the check value of \"123456789\" and RFC 3720's test vectors")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
    }

    @Test("protobuf fields: varint keys and values, little-endian doubles and floats, length-delimited bytes")
    func protobuf() {
        var writer = ProtobufWriter()
        writer.int64(2, 300)            // key 0x10, varint 300 = ac 02
        writer.int64(1, -1)             // ten bytes
        writer.double(1, 1.0)           // key 0x09, 00..f0 3f
        writer.float(2, 1.0)            // key 0x15, 00 00 80 3f
        writer.string(3, "ab")          // key 0x1a, length 2
        #expect(writer.bytes == [0x10, 0xAC, 0x02,
                                 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                                 0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
                                 0x15, 0, 0, 0x80, 0x3F,
                                 0x1A, 0x02, 0x61, 0x62])
    }

    @Test("an event's message and its record: length, masked CRCs, data")
    func record() {
        let event = TensorBoardEvent(wallTime: 0, step: 7, content: .scalars([(tag: "loss", value: 0.5)]))
        let value: [UInt8] = [0x0A, 0x04] + Array("loss".utf8) + [0x15, 0, 0, 0, 0x3F]
        #expect(event.encoded == [0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x07, 0x2A, UInt8(value.count + 2), 0x0A, UInt8(value.count)] + value)
        #expect(TensorBoardEvent(wallTime: 0, step: 3, content: .sessionStart).encoded.suffix(4) == [0x3A, 0x02, 0x08, 0x01])
        let record = EventFileWriter.record(event.encoded)
        let length = record.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(Int(length) == event.encoded.count && record.count == 8 + 4 + event.encoded.count + 4)
        func word(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(record[at + $1]) << (8 * UInt32($1)) } }
        #expect(word(8) == CRC32C.masked(CRC32C.checksum(record.prefix(8))))
        #expect(Array(record[12..<(12 + event.encoded.count)]) == event.encoded)
        #expect(word(12 + event.encoded.count) == CRC32C.masked(CRC32C.checksum(event.encoded)))
    }

    @Test("scalars of a metrics line: its numbers but position and time, by name")
    func scalars() {
        let tags = EpochReport.scalars(of: ["step": 10, "epoch": 1, "seconds": 2.5, "loss": 0.25, "val_acc": 0.5, "final": true, "name": "x"])
        #expect(tags.map(\.tag) == ["loss", "val_acc"] && tags.map(\.value) == [0.25, 0.5])
    }

    @Test("a new file sorts after every event file already in the folder; a folder that cannot hold one gives nil, not an error")
    func fileNames() throws {
        let folder = NSTemporaryDirectory() + "tb-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let future = Int(Date().timeIntervalSince1970) + 1000
        FileManager.default.createFile(atPath: folder + "/events.out.tfevents.\(future).otherhost.99999", contents: nil)
        let writer = try #require(EventFileWriter(folder: folder, firstStep: 1))
        #expect(URL(fileURLWithPath: writer.path).lastPathComponent.hasPrefix("events.out.tfevents.\(future + 1)."))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(names.last == URL(fileURLWithPath: writer.path).lastPathComponent)
        #expect(EventFileWriter(folder: folder + "/missing/folder", firstStep: 1) == nil)
        // A stray name with a number no run writes is passed over (its + 1 overflowed).
        FileManager.default.createFile(atPath: folder + "/events.out.tfevents.9223372036854775807.vm.1", contents: nil)
        let next = try #require(EventFileWriter(folder: folder, firstStep: 1))
        #expect(URL(fileURLWithPath: next.path).lastPathComponent.hasPrefix("events.out.tfevents.\(future + 2)."))
    }
}
