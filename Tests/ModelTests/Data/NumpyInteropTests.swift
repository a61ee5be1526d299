// NumPy interop: files written by numpy.save, savez, savez_compressed and format versions 2.0
// and 3.0 load through DatasetLoader with the values NumPy holds. Skipped when python3 lacks numpy.
import Foundation
import Model
import Testing

let pythonHasNumpy = runPython(["-c", "import numpy"])?.status == 0

@Suite("NumPy interop", .enabled(if: pythonHasNumpy, "python3 cannot import numpy (pip install numpy); NumPy-written files are not tested"))
struct NumpyInteropTests {
    static let dtypes = ["float32", "float64", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "bool"]

    /// Writes the test files into `dir` with NumPy: for each dtype `x_<dtype>.npy` holding
    /// `arange(24).reshape(4, 2, 3) * step` (bool: odd elements), plus labels, archives and variants.
    static func writeWithNumpy(_ dir: String) throws {
        let script = """
            import sys, numpy as np
            from numpy.lib import format as fmt
            d = sys.argv[1]
            base = np.arange(24).reshape(4, 2, 3)
            for t in sys.argv[2:]:
                x = (base % 2).astype(t) if t == "bool" else (base * (0.5 if t.startswith("float") else 1)).astype(t)
                np.save(f"{d}/x_{t}.npy", x)
            y = np.array([0, 2, 1, 2], dtype=np.int64)
            np.save(f"{d}/y.npy", y)
            np.save(f"{d}/y_col.npy", y.reshape(4, 1).astype(np.uint8))
            np.save(f"{d}/t.npy", np.linspace(-1, 1, 4))
            np.savez(f"{d}/plain.npz", x=base.astype(np.float32), y=y)
            np.savez_compressed(f"{d}/packed.npz", x_train=base.astype(np.float64) / 3, y_train=y,
                                x_test=base[:2].astype(np.float64) / 3, y_test=y[:2])
            np.save(f"{d}/big_endian.npy", base.astype(">f4"))
            np.save(f"{d}/fortran.npy", np.asfortranarray(base.astype(np.float32)))
            for v in (2, 3):
                with open(f"{d}/v{v}.npy", "wb") as f:
                    fmt.write_array(f, base.astype(np.float32), version=(v, 0))
            np.save(f"{d}/images.npy", (np.arange(4 * 5 * 5 * 3) % 256).astype(np.uint8).reshape(4, 5, 5, 3))
            """
        let result = try #require(runPython(["-c", script, dir] + dtypes))
        try #require(result.status == 0, "\(result.output)")
    }

    static func load(_ train: DatasetSpec.ArrayPair, test: DatasetSpec.ArrayPair? = nil,
                     task: DatasetSpec.TaskKind = .classification) throws -> DataSplits {
        try DatasetLoader.load(DatasetSpec(source: .arrays(train: train, test: test, task: task), normalization: DatasetSpec.Normalization.none), seed: 0)
    }

    @Test("every dtype, versions, byte order, .npz archives (stored and deflated) and Fortran order")
    func numpyFiles() throws {
        let dir = try TemporaryDirectory()
        try Self.writeWithNumpy(dir.path)
        let d = dir.path
        let labels = DatasetSpec.ArrayFile(path: d + "/y.npy")
        for type in Self.dtypes {
            let splits = try Self.load(.init(features: .init(path: "\(d)/x_\(type).npy"), labels: labels))
            let step: Float = type.hasPrefix("float") ? 0.5 : 1
            let expected = (0..<24).map { type == "bool" ? Float($0 % 2) : Float($0) * step }
            #expect(splits.train.features == expected, "\(type)")
            #expect(splits.train.sampleShape == [1, 2, 3], "\(type)")   // [H, W] images arrive as [1, H, W]
            #expect(splits.train.targets == [0, 2, 1, 2])
            #expect(splits.train.task == .classification(classes: 3))
        }
        for name in ["big_endian", "v2", "v3"] {
            let splits = try Self.load(.init(features: .init(path: "\(d)/\(name).npy"), labels: .init(path: d + "/y_col.npy")))
            #expect(splits.train.features == (0..<24).map(Float.init), "\(name)")
        }
        let regression = try Self.load(.init(features: .init(path: d + "/x_float32.npy"), labels: .init(path: d + "/t.npy")),
                                       task: .regression)
        let third: Double = 1.0 / 3
        let targets: [Float] = [-1, Float(-third), Float(third), 1]
        #expect(regression.train.targets == targets)

        let plain = try Self.load(.init(features: .init(path: d + "/plain.npz", name: "x"), labels: .init(path: d + "/plain.npz", name: "y")))
        #expect(plain.train.features == (0..<24).map(Float.init))
        let packed = d + "/packed.npz"
        let keras = try Self.load(.init(features: .init(path: packed, name: "x_train"), labels: .init(path: packed, name: "y_train")),
                                  test: .init(features: .init(path: packed, name: "x_test"), labels: .init(path: packed, name: "y_test")))
        #expect(keras.train.features == (0..<24).map { Float(Double($0) / 3) })
        #expect(keras.test?.count == 2 && keras.test?.targets == [0, 2])

        let images = try Self.load(.init(features: .init(path: d + "/images.npy"), labels: labels))
        #expect(images.train.sampleShape == [5, 5, 3])
        #expect(images.train.features[0..<4] == [0, 1, 2, 3])

        let error = #expect(throws: DatasetError.self) {
            _ = try Self.load(.init(features: .init(path: d + "/fortran.npy"), labels: labels))
        }
        #expect(error?.message.contains("Fortran") == true)
        #expect(error?.hint?.contains("ascontiguousarray") == true)
    }
}
