// swift-tools-version:6.0
// ringtrain — data-parallel training in Swift: OpenBLAS for the math, Open MPI as the transport,
// our own ring all-reduce, checkpoints with exact resume, and hyperparameter sweeps.
import PackageDescription

let package = Package(
    name: "ringtrain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ringtrain", targets: ["ringtrain"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Collective", targets: ["Collective"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries (C shims over apt's packages, found through pkg-config).
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSIMD", path: "Sources/CSIMD"),
        .systemLibrary(name: "CSharedMemory", path: "Sources/CSharedMemory"),

        // Libraries. Model and Collective never import each other; both read the CPU's features
        // from Hardware.
        .target(name: "Hardware"),
        .target(name: "Model", dependencies: ["Hardware", "CBLAS", "CZlib", "CSIMD"]),
        .target(name: "Collective", dependencies: ["Hardware", "CMPI", "CSIMD", "CSharedMemory"]),
        .target(name: "Worker", dependencies: [
            "Model", "Collective",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Coordinator", dependencies: [
            "Model", "Worker", "Collective", "CBLAS",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // The one binary: coordinator front end and the worker that mpirun starts.
        .executableTarget(name: "ringtrain", dependencies: [
            "Model", "Collective", "Worker", "Coordinator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests, one folder per module, plus end-to-end tests that run the built binary.
        .testTarget(name: "ModelTests", dependencies: ["Model"]),
        .testTarget(name: "CollectiveTests", dependencies: ["Collective", "Hardware", "CSIMD"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Model", "Collective",
                                                      .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Worker", "Model", "Collective",
                                                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "IntegrationTests", dependencies: ["ringtrain", "Coordinator", "Worker", "Model", "Collective"],
                    exclude: ["Fixtures"]),   // objectives run from their source paths by the sweep tests
    ]
)
