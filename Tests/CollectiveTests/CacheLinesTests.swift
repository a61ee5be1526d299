// CacheLinesTests: reclaiming a buffer's cache lines changes no value and touches nothing
// outside the buffer (the neighbouring pages are made inaccessible, so a stray access crashes).
import Foundation
import Testing
@testable import Collective

@Suite struct CacheLinesTests {
    /// Buffers that start and end mid-line, on a line boundary, and right against a page that
    /// may not be touched, on both sides.
    @Test(arguments: [(0, 0), (0, 1), (1, 1), (3, 15), (16, 16), (5, 17), (0, 1024), (7, 1017), (13, 2000)])
    func reclaimKeepsValuesAndStaysInside(offset: Int, count: Int) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = 2
        let bytes = page * (dataPages + 2)
        let raw = try #require(mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(raw != MAP_FAILED)
        defer { munmap(raw, bytes) }
        let guardBefore = raw, guardAfter = raw + page * (dataPages + 1)
        #expect(mprotect(guardBefore, page, PROT_NONE) == 0 && mprotect(guardAfter, page, PROT_NONE) == 0)
        let floats = (raw + page).bindMemory(to: Float.self, capacity: dataPages * page / 4)
        let capacity = dataPages * page / 4
        for i in 0..<capacity { floats[i] = Float(i) * 0.5 - 7 }

        // Against the start guard, then against the end guard.
        for start in [offset, capacity - count - offset] {
            CacheLines.reclaim(UnsafeMutableBufferPointer(start: floats + start, count: count))
        }
        var unchanged = true
        for i in 0..<capacity where floats[i] != Float(i) * 0.5 - 7 { unchanged = false }
        #expect(unchanged)
    }
}
