// Safetensors interop tests: Python's `safetensors` loads what we write (names, shapes, values)
// and we load what it writes. Skipped when python3 cannot import safetensors and numpy.
import Foundation
import Model
import Testing

/// Runs python3 with `arguments`; returns (exit status, stdout + stderr), or nil if it cannot start.
func runPython(_ arguments: [String]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

let pythonHasSafetensors = runPython(["-c", "import safetensors, numpy"])?.status == 0

@Suite("Safetensors interop with Python")
struct SafetensorsInteropTests {
    @Test("Python's safetensors loads our file with the right names, shapes and values",
          .enabled(if: pythonHasSafetensors, "python3 cannot import safetensors and numpy (pip install safetensors numpy)"))
    func pythonLoadsOurFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/model.safetensors"
        let weight: [Float] = (0..<12).map { Float($0) / 4 - 1.5 }
        let bias: [Float] = [0.1, -2.5, 1e-7, 3e30]
        try weight.withUnsafeBufferPointer { w in
            try bias.withUnsafeBufferPointer { b in
                _ = try SafetensorsWriter.write([SafetensorsSource(name: "fc1.weight", shape: [4, 3], values: w),
                                                 SafetensorsSource(name: "fc1.bias", shape: [4], values: b)],
                                                metadata: ["format": "pt"], to: path)
            }
        }
        let script = """
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f:
                meta = f.metadata()
            print(json.dumps({k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": [float(x) for x in v.ravel()]}
                              for k, v in t.items()} | {"__metadata__": meta}))
            """
        let result = try #require(runPython(["-c", script, path]))
        #expect(result.status == 0, "\(result.output)")
        let line = try #require(result.output.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let fc1 = try #require(object["fc1.weight"] as? [String: Any])
        #expect(fc1["dtype"] as? String == "float32")
        #expect(fc1["shape"] as? [Int] == [4, 3])
        #expect((fc1["values"] as? [Double])?.map(Float.init) == weight)
        let fcb = try #require(object["fc1.bias"] as? [String: Any])
        #expect(fcb["shape"] as? [Int] == [4])
        #expect((fcb["values"] as? [Double])?.map(Float.init) == bias)
        #expect(object["__metadata__"] as? [String: String] == ["format": "pt"])
    }

    @Test("we load a file written by Python's safetensors",
          .enabled(if: pythonHasSafetensors, "python3 cannot import safetensors and numpy (pip install safetensors numpy)"))
    func weLoadPythonFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/py.safetensors"
        let script = """
            import sys, numpy as np
            from safetensors.numpy import save_file
            save_file({"b": np.array([1.5, -2], dtype=np.float32), "a.w": np.arange(6, dtype=np.float32).reshape(2, 3)},
                      sys.argv[1], metadata={"k": "v"})
            """
        let result = try #require(runPython(["-c", script, path]))
        #expect(result.status == 0, "\(result.output)")
        let reader = try SafetensorsReader(path: path)
        #expect(reader.metadata == ["k": "v"])
        #expect(reader.entry(named: "a.w")?.shape == [2, 3])
        let tensors = try reader.readAll()
        #expect(tensors["a.w"] == [0, 1, 2, 3, 4, 5])
        #expect(tensors["b"] == [1.5, -2])
    }
}
