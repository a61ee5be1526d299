// ZipCRCTests: the zip members' CRC-32 covers every byte of a member over 4 GiB (zlib's 32-bit
// length would check only the bytes past the last 4 GiB boundary), on an mmap of a sparse file.
import Foundation
import Testing
@testable import Model
import CZlib

@Test("the CRC-32 of more than 4 GiB covers every byte")
func crcOverFourGiB() throws {
    let path = NSTemporaryDirectory() + "ringtrain-crc-\(getpid()).bin"
    defer { unlink(path) }
    let size = (1 << 32) + 4096
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
    try #require(fd >= 0)
    defer { close(fd) }
    try #require(ftruncate(fd, off_t(size)) == 0)   // sparse: no disk used, reads as zeros
    let map = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
    try #require(map != MAP_FAILED)
    defer { munmap(map, size) }
    let bytes = map.assumingMemoryBound(to: UInt8.self)
    bytes[0] = 0x5A                 // damage only the first 4 GiB would hide
    bytes[size - 1] = 0xA5
    let whole = ZipArchive.crc32(UnsafeRawBufferPointer(start: map, count: size))
    // Reference: zlib's 32-bit crc32 fed in 1 GiB pieces.
    var reference: UInt = 0
    var offset = 0
    while offset < size {
        let piece = min(1 << 30, size - offset)
        reference = crc32(reference, bytes + offset, UInt32(piece))
        offset += piece
    }
    #expect(whole == UInt32(reference))
    bytes[0] = 0x5B
    #expect(ZipArchive.crc32(UnsafeRawBufferPointer(start: map, count: size)) != whole, "a changed first byte changes the CRC")
}
