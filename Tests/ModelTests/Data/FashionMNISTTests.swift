// Loads the real Fashion-MNIST files when they are installed and checks their well-known
// sizes: 60000 training and 10000 test images of 28×28, 6000 per class in training.
import Foundation
import Model
import Testing

@Suite("Fashion-MNIST")
struct FashionMNISTTests {
    static let directory = "/usr/share/datasets/fashion-mnist"
    static let present = FileManager.default.fileExists(atPath: directory)

    @Test("loads the real dataset",
          .enabled(if: present, "Fashion-MNIST is not installed at /usr/share/datasets/fashion-mnist"))
    func loads() throws {
        let splits = try DatasetLoader.load(.fashionMNIST(directory: Self.directory), seed: 0)
        #expect(splits.train.count == 60000)
        #expect(splits.test?.count == 10000)
        #expect(splits.train.sampleShape == [1, 28, 28])
        #expect(splits.train.task == .classification(classes: 10))
        var histogram = [Int](repeating: 0, count: 10)
        for label in splits.train.targets { histogram[Int(label)] += 1 }
        #expect(histogram == Array(repeating: 6000, count: 10))
        #expect(splits.train.features.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
