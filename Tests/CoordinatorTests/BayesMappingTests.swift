// Unit-cube mapping tests: log, integer, quantised, categorical and constant parameters
// round-trip through [0, 1]^d, and land where their distribution says.
import Foundation
import Testing
@testable import Coordinator

struct MappingCase: CustomTestStringConvertible, Sendable {
    let label: String
    let distribution: ParameterDistribution
    let values: [ParameterValue]
    /// Expected unit-cube coordinates of `values[0]`.
    let firstPoint: [Double]
    var testDescription: String { label }
}

private let mappingCases: [MappingCase] = [
    MappingCase(label: "uniform", distribution: .uniform(min: -2, max: 6), values: [.double(0), .double(-2), .double(5.5)],
                firstPoint: [0.25]),
    MappingCase(label: "log uniform: log scale", distribution: .logUniformValues(min: 1e-4, max: 1e-1),
                values: [.double(1e-2), .double(1e-4), .double(0.05)], firstPoint: [2.0 / 3.0]),
    MappingCase(label: "int uniform", distribution: .intUniform(min: 1, max: 5), values: [.int(2), .int(1), .int(5)],
                firstPoint: [0.25]),
    MappingCase(label: "q uniform", distribution: .qUniform(min: 0, max: 1, q: 0.25),
                values: [.double(0.75), .double(0), .double(1)], firstPoint: [0.75]),
    MappingCase(label: "q log uniform", distribution: .qLogUniformValues(min: 1, max: 1000, q: 10),
                values: [.double(10), .double(100), .double(1000)], firstPoint: [1.0 / 3.0]),
    MappingCase(label: "categorical: one-hot", distribution: .categorical([.string("relu"), .string("tanh"), .string("gelu")]),
                values: [.string("tanh"), .string("relu"), .string("gelu")], firstPoint: [0, 1, 0]),
    MappingCase(label: "constant: no coordinate", distribution: .constant(.int(7)), values: [.int(7)], firstPoint: []),
    MappingCase(label: "log normal: log scale over ±3σ", distribution: .logNormal(mu: 0, sigma: 1),
                values: [.double(1)], firstPoint: [0.5]),
]

@Test("parameters round-trip through the unit cube", arguments: mappingCases)
func mappingRoundTrip(_ c: MappingCase) {
    let mapping = UnitCubeMapping(space: SearchSpace(parameters: [SweepParameter(name: "p", distribution: c.distribution)]))
    #expect(mapping.dimension == c.firstPoint.count)
    let first = mapping.encode(["p": c.values[0]])
    #expect(zip(first, c.firstPoint).allSatisfy { abs($0 - $1) < 1e-12 }, "\(first)")
    for value in c.values {
        let decoded = mapping.decode(mapping.encode(["p": value]))["p"]
        if case .double(let d) = value, let back = decoded?.number {
            #expect(abs(back - d) < 1e-9 * max(1, abs(d)), "\(value) came back as \(String(describing: decoded))")
        } else {
            #expect(decoded == value)
        }
    }
}

@Test("decoded points are valid values: rounded, quantised, clamped, and stable when re-encoded")
func decodeSnapsAndIsStable() {
    let space = SearchSpace(parameters: [
        SweepParameter(name: "units", distribution: .intUniform(min: 16, max: 256)),
        SweepParameter(name: "lr", distribution: .qLogUniformValues(min: 0.001, max: 1, q: 0.001)),
        SweepParameter(name: "act", distribution: .categorical([.string("relu"), .string("tanh")])),
        SweepParameter(name: "drop", distribution: .qUniform(min: 0, max: 0.5, q: 0.1)),
    ])
    let mapping = UnitCubeMapping(space: space)
    #expect(mapping.dimension == 5)
    var x = [0.123, 0.456, 0.2, 0.9, 0.77]
    for step in 0..<50 {
        let c = mapping.decode(x)
        guard case .int(let units)? = c["units"], let lr = c["lr"]?.number, let drop = c["drop"]?.number else {
            Issue.record("bad configuration \(c)"); return
        }
        #expect((16...256).contains(units))
        #expect(lr >= 0.001 - 1e-12 && lr <= 1 + 1e-12 && abs(lr / 0.001 - (lr / 0.001).rounded()) < 1e-9)
        #expect(drop >= 0 && drop <= 0.5 + 1e-12 && abs(drop / 0.1 - (drop / 0.1).rounded()) < 1e-9)
        #expect(mapping.decode(mapping.encode(c)) == c)
        x = x.map { ($0 + 0.61803398875 * Double(step + 1)).truncatingRemainder(dividingBy: 1) }
    }
}

@Test("a finite space enumerates every configuration once; a continuous one does not")
func enumeration() throws {
    let finite = UnitCubeMapping(space: SearchSpace(parameters: [
        SweepParameter(name: "a", distribution: .categorical([.string("x"), .string("y"), .string("z")])),
        SweepParameter(name: "b", distribution: .intUniform(min: 1, max: 4)),
        SweepParameter(name: "c", distribution: .qUniform(min: 0, max: 1, q: 0.5)),
    ]))
    let all = try #require(finite.allConfigurations())
    #expect(all.count == 36 && Set(all).count == 36)
    #expect(all.allSatisfy { finite.decode(finite.encode($0)) == $0 })
    let continuous = UnitCubeMapping(space: SearchSpace(parameters: [SweepParameter(name: "u", distribution: .uniform(min: 0, max: 1))]))
    #expect(continuous.allConfigurations() == nil)
}
