// ArrayTrainingTests: the real `ringtrain train` binary on NumPy data written by numpy.save and
// numpy.savez — an MLP on .npy files on 1 rank, a CNN on [N, H, W] uint8 images in an .npz on 2 ranks.
import Foundation
import Testing

private let pythonHasNumpy = (try? ProcessRunner.run("/usr/bin/env", ["python3", "-c", "import numpy"]))?.status == 0

@Suite(.serialized, .enabled(if: pythonHasNumpy, "python3 cannot import numpy (pip install numpy); the data files are written with it"))
struct ArrayTrainingTests {
    /// Runs a NumPy script with the folder `dir` as sys.argv[1].
    static func numpy(_ script: String, in dir: String) throws {
        let result = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, dir])
        try #require(result.status == 0, "\(result.output)")
    }

    /// Writes `config.yaml` in `dir` with this dataset and model, and returns its path.
    static func config(in dir: String, dataset: String, model: String, lr: Double) throws -> String {
        let path = dir + "/config.yaml"
        try """
        cluster:
          oversubscribe: true
          failure_timeout: 20
        job:
          name: arrays
          seed: 5
          dataset: \(dataset)
          model: \(model)
          optimizer: {name: sgd, lr: \(lr), momentum: 0.9}
          batch_size: 32
          epochs: 1
        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test("an MLP trains for one epoch on .npy files (float32 features, int64 labels)")
    func mlpOnNpy() throws {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        let dir = try TrainingFixtures.temporaryDirectory()
        try Self.numpy("""
            import sys, numpy as np
            d = sys.argv[1]
            rng = np.random.default_rng(0)
            for name, n in (("train", 1200), ("test", 300)):
                x = rng.normal(size=(n, 6)).astype(np.float32)
                y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + 2 * (x[:, 2] > 0.5)
                np.save(f"{d}/{name}_x.npy", x)
                np.save(f"{d}/{name}_y.npy", y)
            """, in: dir)
        let config = try Self.config(in: dir, dataset: """
            {format: npy, train: {features: train_x.npy, labels: train_y.npy}, \
            test: {features: test_x.npy, labels: test_y.npy}, validation: 0.1}
            """, model: "{type: mlp, hidden: [32]}", lr: 0.05)
        let result = try ProcessRunner.run(binary, ["train", config, "--json", "--run-dir", dir + "/run"],
                                           environment: TrainingFixtures.environment, timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        let lines = TrainingFixtures.jsonLines(result.stdout)
        #expect(lines.count == 2, "\(result.stdout)")
        let final = try #require(lines.last)
        #expect(final["final"] as? Bool == true)
        #expect(try #require(final["test_acc"] as? Double) > 0.7, "\(result.stdout)")
        #expect(try #require(lines.first?["val_acc"] as? Double) > 0.5)
    }

    @Test("a CNN trains on 2 ranks on [N, H, W] uint8 images from an .npz archive")
    func cnnOnNpzWithTwoRanks() throws {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        _ = try #require(BuiltBinary.onPath("mpirun"), "mpirun not on PATH (scripts/setup installs it)")
        let dir = try TrainingFixtures.temporaryDirectory()
        // A bright 3×3 square on a dark 8×8 image; the class is the half it lies in.
        try Self.numpy("""
            import sys, numpy as np
            d = sys.argv[1]
            rng = np.random.default_rng(1)
            def images(n):
                x = rng.integers(0, 40, size=(n, 8, 8)).astype(np.uint8)
                y = rng.integers(0, 2, size=n)
                for i in range(n):
                    r, c = rng.integers(0, 6), rng.integers(0, 2) + 4 * y[i]
                    x[i, r:r + 3, c:c + 3] = 255
                return x, y.astype(np.uint8)
            x_train, y_train = images(640)
            x_test, y_test = images(160)
            np.savez_compressed(f"{d}/squares.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
            """, in: dir)
        let config = try Self.config(in: dir, dataset: """
            {format: npz, train: {file: squares.npz, features: x_train, labels: y_train}, \
            test: {file: squares.npz, features: x_test, labels: y_test}, normalize: scale}
            """, model: "{type: cnn, channels: [4], kernel: 3, hidden: [16]}", lr: 0.05)
        let result = try ProcessRunner.run(binary, ["train", config, "--ranks", "2", "--json", "--run-dir", dir + "/run"],
                                           environment: TrainingFixtures.environment, timeout: 180)
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.output)")
        let lines = TrainingFixtures.jsonLines(result.stdout)
        #expect(lines.count == 2, "rank 0 alone prints: \(result.stdout)")
        #expect(try #require(lines.last?["test_acc"] as? Double) > 0.7, "\(result.stdout)")
        let resolved = try String(contentsOfFile: dir + "/run/resolved.yaml", encoding: .utf8)
        #expect(resolved.contains("format: npz") && resolved.contains("x_train"), "\(resolved)")
    }
}
