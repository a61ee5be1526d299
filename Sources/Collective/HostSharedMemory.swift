// HostSharedMemory: one block of memory that the ranks of a host map — each rank's buffers,
// which the other ranks read, and a row of counters for a barrier. The host's first rank makes it
// in /dev/shm and unlinks its name as soon as every rank has mapped it, so it goes with the ranks'
// last process, however the job ends (a name left by a job that died while mapping is removed
// by a later one).
import CSharedMemory
import Foundation

/// Buffers of every rank in memory all ranks map, with a barrier over it. Used from one thread at
/// a time, as `Collectives` is (its barrier count is not synchronised).
///
/// Rank r's buffer `index` starts at the same offset of the block on every rank, so a collective
/// on a buffer lying inside this rank's region can read the other ranks' copies directly, with
/// no message and no copy (`SharedMemoryAllReduce`). The memory stays mapped as long as this
/// object lives: whoever holds pointers into it (a `ParameterStore`) keeps a reference.
public final class HostSharedMemory: @unchecked Sendable {
    /// Ranks that map it: every rank of the communicator it was mapped over.
    public let ranks: Int
    /// This rank, among those.
    public let rank: Int
    /// How the whole job numbers each of them, for messages.
    let worldRanks: [Int]
    /// Elements of each buffer.
    public let elements: Int
    /// Buffers per rank.
    public let buffers: Int
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let header: Int
    private let bufferStride: Int
    private var epoch: UInt64 = 0
    /// Sleeps taken in barriers so far, waits past `patientWait` (for tests).
    private(set) var naps = 0

    /// Bytes of the header line each rank owns: its barrier counter, then the description of the
    /// call it is in, for the two latest barriers (`Call`).
    private static let lineBytes = 128
    private static let pageBytes = 4096

    /// What a rank is doing when it enters a barrier; every rank must be doing the same.
    struct Call: Equatable {
        var kind: UInt64
        var buffer: UInt64
        var offset: UInt64
        var count: UInt64
    }

    private init(base: UnsafeMutableRawPointer, length: Int, ranks: Int, rank: Int, worldRanks: [Int], elements: Int, buffers: Int) {
        self.base = base
        self.length = length
        self.ranks = ranks
        self.rank = rank
        self.worldRanks = worldRanks
        self.elements = elements
        self.buffers = buffers
        header = Self.headerBytes(ranks: ranks)
        bufferStride = Self.bufferBytes(elements: elements)
        base.bindMemory(to: UInt64.self, capacity: header / 8)
        (base + header).bindMemory(to: Float.self, capacity: (length - header) / 4)
    }

    deinit { munmap(base, length) }

    private static func roundUp(_ value: Int, to multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }

    /// The ranks' header lines, in whole pages; the buffers follow.
    private static func headerBytes(ranks: Int) -> Int { roundUp(ranks * lineBytes, to: pageBytes) }

    /// One buffer, in whole pages.
    private static func bufferBytes(elements: Int) -> Int { roundUp(elements * MemoryLayout<Float>.size, to: pageBytes) }

    /// Rank `rank`'s buffer `index` (`elements` floats).
    public func buffer(_ index: Int, rank: Int) -> UnsafeMutablePointer<Float> {
        precondition((0..<buffers).contains(index) && (0..<ranks).contains(rank))
        return (base + header + (rank * buffers + index) * bufferStride).assumingMemoryBound(to: Float.self)
    }

    /// Which of this rank's buffers holds all of `buffer`, and where in it; nil when it lies
    /// outside them.
    public func place(of buffer: UnsafeMutableBufferPointer<Float>) -> (index: Int, offset: Int)? {
        guard let start = buffer.baseAddress else { return nil }
        for index in 0..<buffers {
            let first = self.buffer(index, rank: rank)
            if start >= first && start + buffer.count <= first + elements { return (index, start - first) }
        }
        return nil
    }

    /// How long a barrier waits yielding before it sleeps between looks (2 ms in nanoseconds):
    /// above the waits of a 2-rank MLP step (under 0.2 ms), about that of a 2-rank GPT step's
    /// uneven backward passes (1.7 ms, docs/benchmarks.md), far below a stopped peer's.
    static let patientWait: UInt64 = 2_000_000
    /// The first sleep between looks after `patientWait` (50 µs); each next one doubles, up to
    /// `longestNap` (200 µs), the most a peer's arrival can then go unseen, plus the wake-up delay.
    static let firstNap = 50_000
    static let longestNap = 200_000

    private func counter(_ rank: Int) -> UnsafeMutablePointer<UInt64> {
        (base + rank * Self.lineBytes).assumingMemoryBound(to: UInt64.self)
    }

    private func call(_ rank: Int, epoch: UInt64) -> UnsafeMutablePointer<UInt64> {
        (base + rank * Self.lineBytes + 64 + Int(epoch % 2) * 32).assumingMemoryBound(to: UInt64.self)
    }

    /// Waits until every rank has entered a barrier as often as this one; every write a rank
    /// made before its barrier is then visible to all. Throws when a rank entered it for another
    /// call (kind, buffer, offset or length differ), naming both. Yields the core at every look;
    /// once a wait passes `patientWait` (a peer stopped, descheduled or far behind) it
    /// sleeps between looks instead, `firstNap` doubling up to `longestNap`, so it no longer keeps
    /// a core busy. It does not time out (`Collectives` bounds it with its watchdog).
    func barrier(_ what: Call, name: String) throws {
        epoch += 1
        let mine = call(rank, epoch: epoch)
        mine[0] = what.kind; mine[1] = what.buffer; mine[2] = what.offset; mine[3] = what.count
        csm_store_release(counter(rank), epoch)
        var waitStarted: UInt64?, nap = 0, looks = 0
        for peer in 0..<ranks where peer != rank {
            // Yielding at every look hands the core to the awaited rank where ranks outnumber cores
            // (docs/benchmarks.md).
            while csm_load_acquire(counter(peer)) < epoch {
                if nap > 0 {
                    var interval = timespec(tv_sec: 0, tv_nsec: nap)
                    nanosleep(&interval, nil)
                    naps += 1
                    nap = min(2 * nap, Self.longestNap)
                    continue
                }
                if looks % 64 == 0 {
                    let now = Watchdog.now()
                    if let started = waitStarted {
                        if now - started >= Self.patientWait { nap = Self.firstNap }
                    } else {
                        waitStarted = now
                    }
                }
                looks += 1
                sched_yield()
            }
            // A peer one barrier ahead has left this one's description alone (two slots).
            let theirs = call(peer, epoch: epoch)
            let other = Call(kind: theirs[0], buffer: theirs[1], offset: theirs[2], count: theirs[3])
            if other != what {
                let (me, them) = (worldRanks[rank], worldRanks[peer])
                throw CollectiveError(kind: other.count == what.count ? .invalidArgument
                                          : .lengthMismatch(local: Int(what.count), remote: Int(other.count), remoteRank: them),
                                      call: name, rank: me,
                                      message: "rank \(me) called \(name) on \(what.count) elements at offset \(what.offset) of buffer "
                                          + "\(what.buffer) (call \(what.kind)) but rank \(them) on \(other.count) at offset \(other.offset) "
                                          + "of buffer \(other.buffer) (call \(other.kind)); every rank must pass the same buffer")
            }
        }
    }

    /// Maps `buffers` buffers of `elements` floats per rank in memory every rank of
    /// `collectives` shares (collective: every rank calls it with the same figures). Rank 0 makes
    /// the block (the header's pages), the others open it by name, and each rank reserves its own
    /// region's pages (charged to it, and placed near it); once all have it, rank 0 unlinks the
    /// name. Returns nil on every rank, with the first failing rank's reason in `reason`, when any
    /// rank could not map it (another host, or too little room in /dev/shm). Buffers start zeroed.
    public static func map(over collectives: Collectives, elements: Int, buffers: Int,
                           reason: inout String?) throws -> HostSharedMemory? {
        precondition(elements > 0 && buffers > 0)
        let ranks = collectives.size, rank = collectives.rank
        let worldRanks = (0..<ranks).map(collectives.communicator.worldRank)
        let me = worldRanks[rank], first = worldRanks[0]
        let header = headerBytes(ranks: ranks), region = buffers * bufferBytes(elements: elements)
        let bytes = header + ranks * region
        var name = ""
        var failure: String?
        var fd: Int32 = -1
        // Reserving the pages now makes a full /dev/shm fail here rather than with SIGBUS later.
        func reserve(_ offset: Int, _ count: Int) {
            var status: Int32
            repeat { status = posix_fallocate(fd, off_t(offset), off_t(count)) } while status == EINTR   // a signal arrived
            guard status != 0 else { return }
            failure = "rank \(me) could not reserve \(count) bytes in /dev/shm: \(String(cString: strerror(status)))"
                + (status == ENOSPC ? " (a container's /dev/shm is often small: docker run --shm-size, or set cluster.shared_memory: false)" : "")
        }
        if rank == 0 {
            removeStaleBlocks()
            var random = SystemRandomNumberGenerator()
            name = "/\(namePrefix)\(getpid())-\(String(random.next() as UInt64, radix: 16))"
            fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600)
            if fd < 0 {
                failure = "rank \(first) could not make \(name) in /dev/shm: \(String(cString: strerror(errno)))"
            } else if ftruncate(fd, off_t(bytes)) != 0 {
                failure = "rank \(first) could not size \(name) to \(bytes) bytes: \(String(cString: strerror(errno)))"
            } else {
                reserve(0, header)
            }
            if failure != nil && fd >= 0 { close(fd); fd = -1; shm_unlink(name) }
        }
        let shared = try collectives.broadcast(Array((failure == nil ? name : "").utf8), root: 0)
        name = String(decoding: shared, as: UTF8.self)
        if rank != 0 && !name.isEmpty {
            fd = shm_open(name, O_RDWR, 0)
            if fd < 0 { failure = "rank \(me) could not open \(name): \(String(cString: strerror(errno)))" }
        }
        var base: UnsafeMutableRawPointer?
        if fd >= 0 {
            var size = stat()
            if fstat(fd, &size) != 0 || Int(size.st_size) != bytes {
                failure = "rank \(me) found \(name) of another size than rank \(first) made"
            } else {
                reserve(header + rank * region, region)
                if failure == nil {
                    if let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED {
                        base = p
                    } else {
                        failure = "rank \(me) could not map \(name): \(String(cString: strerror(errno)))"
                    }
                }
            }
            close(fd)
        }
        if failure == nil && name.isEmpty { failure = "" }   // rank 0 made nothing: its own reason stands
        let flags = try collectives.allGather([failure == nil ? 0 : 1])
        if rank == 0 && !name.isEmpty { shm_unlink(name) }
        guard let firstFailing = flags.firstIndex(where: { $0[0] != 0 }) else {
            return HostSharedMemory(base: base!, length: bytes, ranks: ranks, rank: rank, worldRanks: worldRanks, elements: elements, buffers: buffers)
        }
        if let base { munmap(base, bytes) }
        reason = String(decoding: try collectives.broadcast(Array((failure ?? "").utf8), root: firstFailing), as: UTF8.self)
        return nil
    }

    /// The start of every block's name in /dev/shm, followed by rank 0's process id.
    static let namePrefix = "ringtrain-"

    /// A block's name lives only while its ranks map it (seconds); one older than this, whose
    /// maker is gone, was left by a job that ended in between.
    static let staleAfterSeconds: Double = 600

    /// Unlinks blocks left by a job that ended between making one and unlinking it: named after
    /// a process that no longer exists, and older than `staleAfterSeconds` (the age keeps a live
    /// job of another PID namespace that shares /dev/shm safe).
    private static func removeStaleBlocks() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm") else { return }
        for name in names where name.hasPrefix(namePrefix) {
            guard let pid = Int32(name.dropFirst(namePrefix.count).prefix { $0 != "-" }), pid > 0,
                  kill(pid, 0) != 0 && errno == ESRCH,
                  let modified = (try? FileManager.default.attributesOfItem(atPath: "/dev/shm/" + name))?[.modificationDate] as? Date,
                  -modified.timeIntervalSinceNow > staleAfterSeconds else { continue }
            shm_unlink("/" + name)
        }
    }
}
