// NonFiniteTests: the scan the divergence check runs after every step — any NaN or infinity, in
// the 16-wide part or the tail, is found, and the first tensor holding one is named.
import Foundation
import Model
import Testing
@testable import Worker

/// The finiteness scan the divergence check runs after every step: any NaN or infinity, in the
/// 16-wide part or the tail, is found, and the tensor named.
@Test("a non-finite value anywhere is found and its tensor named", arguments: [0, 5, 15, 16, 31, 33, 40])
func nonFiniteScan(index: Int) {
    for bad in [Float.nan, .infinity, -.infinity] {
        var values = [Float](repeating: 1.5, count: 41)
        #expect(values.withUnsafeBufferPointer { FiniteValues.all($0) })
        values[index] = bad
        #expect(!values.withUnsafeBufferPointer { FiniteValues.all($0) })
    }
    let store = ParameterStore(layout: [("fc1.weight", [4, 8]), ("fc1.bias", [4]), ("fc2.weight", [1, 5])])
    for i in 0..<store.count { store.parameters.buffer[i] = 0.25 }
    #expect(NonFinite.firstTensor(in: store, buffers: []) == nil)
    store.parameters.buffer[min(index, store.count - 1)] = .nan
    let expected = index < 32 ? "fc1.weight" : index < 36 ? "fc1.bias" : "fc2.weight"
    #expect(NonFinite.firstTensor(in: store, buffers: []) == expected)
}

@Test("a JSON line writes non-finite numbers as null at any depth, never an empty object")
func jsonLineNullsNonFiniteNumbersAtAnyDepth() throws {
    let text = jsonLine(["a": Double.infinity, "row": ["b": Double.nan, "c": 1.5, "list": [2.0, -Double.infinity]]])
    let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    #expect(parsed["a"] is NSNull)
    let row = try #require(parsed["row"] as? [String: Any], "\(text)")
    #expect(row["b"] is NSNull && row["c"] as? Double == 1.5)
    #expect((row["list"] as? [Any])?.last is NSNull && (row["list"] as? [Any])?.first as? Double == 2.0)
}
