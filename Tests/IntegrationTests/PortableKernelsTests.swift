// Portable kernels: CSIMD compiles for CPUs other than x86 (aarch64), where its portable forms stand
// in for the AVX kernels, and those forms compute what the x86 kernels do — built with the
// toolchain's real clang from Fixtures/portable_kernels_check.c and run on this CPU.
import Foundation
import Testing

@Suite struct PortableKernelsTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/portable_kernels_check.c").path
    static let headers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/CSIMD").path
    /// aarch64's C library headers (Debian's libc6-dev-arm64-cross, which scripts/setup installs).
    static let aarch64Headers = "/usr/aarch64-linux-gnu/include"

    #if arch(x86_64)
    static let onX86 = true
    #else
    static let onX86 = false
    #endif

    /// The clang beside the Swift toolchain, else the first on PATH.
    static var clang: String? {
        let beside = "/opt/swift/usr/bin/clang"
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/clang" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Compiles the fixture with `flags` into `object`; the compiler's output on failure.
    static func compile(_ clang: String, _ flags: [String], into object: String) throws -> ProcessResult {
        try ProcessRunner.run(clang, ["-O2", "-Wall", "-Werror", "-I", headers] + flags + ["-c", fixture, "-o", object], timeout: 120)
    }

    @Test(.enabled(if: Self.onX86, "compares with the x86 kernels")) func portableKernelsComputeWhatTheX86KernelsDo() throws {
        let clang = try #require(Self.clang, "no clang found beside swift or on PATH")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portable-kernels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sides = [("native.o", ["-DSIDE=native_"]), ("portable.o", ["-DSIDE=portable_", "-DCSIMD_PORTABLE"]),
                     ("main.o", ["-DCHECK_MAIN"])]
        for (object, flags) in sides {
            let built = try Self.compile(clang, flags, into: folder.appendingPathComponent(object).path)
            #expect(built.status == 0, "\(object): \(built.output)")
        }
        let program = folder.appendingPathComponent("check").path
        let linked = try ProcessRunner.run(clang, sides.map { folder.appendingPathComponent($0.0).path } + ["-lm", "-o", program])
        try #require(linked.status == 0, "\(linked.output)")
        let run = try ProcessRunner.run(program, [], timeout: 60)
        #expect(run.status == 0, "\(run.output)")
        // Every comparison ran: 6, and 88 for each width (AVX2 on every CPU this project runs on; AVX-512 adds 88).
        let summary = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        let counted = Int(summary.prefix { $0.isNumber }) ?? 0
        #expect(counted >= 94 && summary.hasSuffix(" 0 failures"), "\(run.output)")
    }

    @Test func kernelsCompileForAArch64() throws {
        let clang = try #require(Self.clang, "no clang found beside swift or on PATH")
        try #require(FileManager.default.fileExists(atPath: Self.aarch64Headers + "/string.h"),
                     "\(Self.aarch64Headers) is missing: scripts/setup installs libc6-dev-arm64-cross")
        let object = FileManager.default.temporaryDirectory.appendingPathComponent("portable-kernels-\(UUID().uuidString).o").path
        defer { try? FileManager.default.removeItem(atPath: object) }
        let built = try Self.compile(clang, ["--target=aarch64-linux-gnu", "-isystem", Self.aarch64Headers, "-DSIDE=portable_"],
                                     into: object)
        #expect(built.status == 0, "\(built.output)")
        // An ELF object for aarch64 (e_machine 183 at byte 18), holding every kernel's code.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: object))
        #expect(bytes.count > 20 && bytes[18] == 183 && bytes[19] == 0)
    }
}
