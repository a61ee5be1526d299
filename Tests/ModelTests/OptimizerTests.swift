// Tests for SGD, Adam, AdamW, penalties, gradient clipping and optimizer state round-trips,
// against hand-written reference formulas evaluated in Double.

import Testing
@testable import Model

/// Relative-plus-absolute tolerance for Float updates compared with Double references.
private let tolerance = 1e-5

private func close(_ a: [Float], _ b: [Double], tol: Double = tolerance) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tol * (1 + abs($1)) }
}

/// The tiny problem every optimizer case runs on: 5 parameters (one exactly 0, to exercise
/// sign(0) = 0) and a gradient g = a·p + b that depends on the current parameters.
private enum Problem {
    static let start: [Float] = [0.5, -1.0, 0.0, 2.0, -0.25]
    static let a: [Double] = [1.0, 0.5, 2.0, -0.3, 1.5]
    static let b: [Double] = [0.1, -0.2, 0.3, 0.05, -0.4]
    static func gradient(_ p: [Double]) -> [Double] { (0..<p.count).map { a[$0] * p[$0] + b[$0] } }
    static func gradient(_ p: [Float]) -> [Float] { gradient(p.map(Double.init)).map(Float.init) }
    static let learningRates: [Float] = [0.1, 0.05, 0.02]
}

private func sign(_ x: Double) -> Double { x > 0 ? 1 : (x < 0 ? -1 : 0) }

/// PyTorch's SGD (dampening 0) written out in Double.
private func referenceSGD(_ spec: OptimizerSpec, steps: Int) -> [Double] {
    var p = Problem.start.map(Double.init)
    var v = [Double](repeating: 0, count: p.count)
    let mu = spec.momentum
    for t in 0..<steps {
        let lr = Double(Problem.learningRates[t])
        let grad = Problem.gradient(p)
        for i in p.indices {
            let g = grad[i] + spec.weightDecay * p[i] + spec.l1 * sign(p[i])
            if mu == 0 {
                p[i] -= lr * g
            } else {
                v[i] = mu * v[i] + g
                p[i] -= lr * (spec.nesterov ? g + mu * v[i] : v[i])
            }
        }
    }
    return p
}

/// PyTorch's Adam / AdamW (bias-corrected) written out in Double.
private func referenceAdam(_ spec: OptimizerSpec, steps: Int) -> [Double] {
    var p = Problem.start.map(Double.init)
    var m = [Double](repeating: 0, count: p.count)
    var v = m
    for t in 1...steps {
        let lr = Double(Problem.learningRates[t - 1])
        let grad = Problem.gradient(p)
        let decoupled = spec.kind == .adamw
        for i in p.indices {
            let s = sign(p[i])
            if decoupled { p[i] *= 1 - lr * spec.weightDecay }
            let g = grad[i] + (decoupled ? 0 : spec.weightDecay * p[i]) + spec.l1 * s
            m[i] = spec.beta1 * m[i] + (1 - spec.beta1) * g
            v[i] = spec.beta2 * v[i] + (1 - spec.beta2) * g * g
            let mHat = m[i] / (1 - pow(spec.beta1, Double(t)))
            let vHat = v[i] / (1 - pow(spec.beta2, Double(t)))
            p[i] -= lr * mHat / (vHat.squareRoot() + spec.epsilon)
        }
    }
    return p
}

private func pow(_ x: Double, _ n: Double) -> Double { (0..<Int(n)).reduce(1) { r, _ in r * x } }

/// Runs `optimizer` for `steps` steps on the problem and returns the parameters.
private func run(_ optimizer: any Optimizer, from start: [Float] = Problem.start, steps: Int, firstStep: Int = 0) -> [Float] {
    var p = start
    for t in firstStep..<(firstStep + steps) {
        var g = Problem.gradient(p)
        p.withUnsafeMutableBufferPointer { pp in
            g.withUnsafeMutableBufferPointer { gg in
                optimizer.step(parameters: pp, gradients: gg, learningRate: Problem.learningRates[t])
            }
        }
    }
    return p
}

struct OptimizerCase: CustomTestStringConvertible, Sendable {
    let label: String
    let spec: OptimizerSpec
    var testDescription: String { label }
}

private let sgdCases: [OptimizerCase] = [
    .init(label: "SGD plain", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0)),
    .init(label: "SGD momentum 0.9", spec: .init(kind: .sgd, learningRate: 0.1)),
    .init(label: "SGD Nesterov 0.8", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0.8, nesterov: true)),
    .init(label: "SGD weight decay", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0, weightDecay: 0.1)),
    .init(label: "SGD L1", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0, l1: 0.05)),
    .init(label: "SGD momentum + decay + L1",
          spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0.5, weightDecay: 0.01, l1: 0.02)),
]

private let adamCases: [OptimizerCase] = [
    .init(label: "Adam defaults", spec: .init(kind: .adam, learningRate: 0.1)),
    .init(label: "Adam betas 0.5/0.7, eps 1e-3", spec: .init(kind: .adam, learningRate: 0.1, beta1: 0.5, beta2: 0.7, epsilon: 1e-3)),
    .init(label: "Adam L2 0.1", spec: .init(kind: .adam, learningRate: 0.1, weightDecay: 0.1)),
    .init(label: "Adam L1 0.05", spec: .init(kind: .adam, learningRate: 0.1, l1: 0.05)),
    .init(label: "AdamW decay 0.1", spec: .init(kind: .adamw, learningRate: 0.1, weightDecay: 0.1)),
    .init(label: "AdamW decay 0.5 + L1", spec: .init(kind: .adamw, learningRate: 0.1, beta2: 0.9, weightDecay: 0.5, l1: 0.03)),
]

@Test("SGD matches the PyTorch formulas for 3 steps", arguments: sgdCases)
func sgdMatchesReference(_ c: OptimizerCase) {
    let optimizer = makeOptimizer(c.spec, parameterCount: Problem.start.count)
    let result = run(optimizer, steps: 3)
    #expect(optimizer.stepCount == 3)
    #expect(close(result, referenceSGD(c.spec, steps: 3)), "got \(result)")
}

@Test("Adam and AdamW match the PyTorch formulas for 3 steps", arguments: adamCases)
func adamMatchesReference(_ c: OptimizerCase) {
    let optimizer = makeOptimizer(c.spec, parameterCount: Problem.start.count)
    let result = run(optimizer, steps: 3)
    #expect(optimizer.stepCount == 3)
    #expect(close(result, referenceAdam(c.spec, steps: 3)), "got \(result)")
}

/// Literal numbers worked by hand: p = 1, constant g = 0.5, lr = 0.1.
struct HandCase: CustomTestStringConvertible, Sendable {
    let label: String
    let spec: OptimizerSpec
    let expected: [Double]   // p after step 1, step 2
    var testDescription: String { label }
}

@Test("Updates worked by hand (p = 1, g = 0.5, lr = 0.1)", arguments: [
    // p1 = 1 - 0.05; p2 = 0.95 - 0.05
    HandCase(label: "plain", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0), expected: [0.95, 0.9]),
    // v1 = 0.5, p1 = 0.95; v2 = 0.45 + 0.5 = 0.95, p2 = 0.95 - 0.095
    HandCase(label: "momentum 0.9", spec: .init(kind: .sgd, learningRate: 0.1), expected: [0.95, 0.855]),
    // p1 = 1 - 0.1·(0.5 + 0.45); v2 = 0.95, p2 = 0.905 - 0.1·(0.5 + 0.855)
    HandCase(label: "Nesterov 0.9", spec: .init(kind: .sgd, learningRate: 0.1, nesterov: true), expected: [0.905, 0.7695]),
    // g1 = 0.5 + 0.1 = 0.6, p1 = 0.94; g2 = 0.5 + 0.094 = 0.594, p2 = 0.94 - 0.0594
    HandCase(label: "weight decay 0.1", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0, weightDecay: 0.1), expected: [0.94, 0.8806]),
    // g = 0.5 + 0.2·sign(p) = 0.7 while p > 0
    HandCase(label: "L1 0.2", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0, l1: 0.2), expected: [0.93, 0.86]),
    // Bias-corrected Adam with constant g moves by lr·g/(|g| + ε) each step.
    HandCase(label: "Adam", spec: .init(kind: .adam, learningRate: 0.1), expected: [0.9, 0.8]),
    // p1 = 1·(1 - 0.01) - 0.1 = 0.89; p2 = 0.89·0.99 - 0.1 = 0.7811
    HandCase(label: "AdamW decay 0.1", spec: .init(kind: .adamw, learningRate: 0.1, weightDecay: 0.1), expected: [0.89, 0.7811]),
])
func updatesWorkedByHand(_ c: HandCase) {
    let optimizer = makeOptimizer(c.spec, parameterCount: 1)
    var p: [Float] = [1]
    for expected in c.expected {
        var g: [Float] = [0.5]
        p.withUnsafeMutableBufferPointer { pp in
            g.withUnsafeMutableBufferPointer { optimizer.step(parameters: pp, gradients: $0, learningRate: 0.1) }
        }
        #expect(abs(Double(p[0]) - expected) < 1e-6, "expected \(expected), got \(p[0])")
    }
}

struct ClipCase: CustomTestStringConvertible, Sendable {
    let label: String
    let gradients: [Float]
    let maxNorm: Float
    let expectedNorm: Float
    let expected: [Float]
    var testDescription: String { label }
}

@Test("Gradient clipping by global L2 norm", arguments: [
    ClipCase(label: "norm below max: unchanged", gradients: [3, 4], maxNorm: 10, expectedNorm: 5, expected: [3, 4]),
    ClipCase(label: "norm above max: scaled to max", gradients: [3, 4], maxNorm: 1, expectedNorm: 5, expected: [0.6, 0.8]),
    ClipCase(label: "norm above max, many values", gradients: [1, -1, 1, -1, 2, 0, 0, -2, 1, 1, 1, 1],
             maxNorm: 2, expectedNorm: 4, expected: [0.5, -0.5, 0.5, -0.5, 1, 0, 0, -1, 0.5, 0.5, 0.5, 0.5]),
    ClipCase(label: "zero gradient", gradients: [0, 0, 0], maxNorm: 1, expectedNorm: 0, expected: [0, 0, 0]),
    ClipCase(label: "empty buffer", gradients: [], maxNorm: 1, expectedNorm: 0, expected: []),
])
func clipping(_ c: ClipCase) {
    var g = c.gradients
    let norm = g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: c.maxNorm) }
    #expect(abs(norm - c.expectedNorm) < 1e-5)
    #expect(close(g, c.expected.map(Double.init), tol: 1e-5), "got \(g)")
    let after = g.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
    #expect(after <= Double(c.maxNorm) + 1e-5)
}

@Test("Clipping leaves non-finite gradients untouched and reports the norm")
func clippingNonFinite() {
    var g: [Float] = [1, .nan, 2]
    let norm = g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) }
    #expect(norm.isNaN)
    #expect(g[0] == 1 && g[2] == 2)
}

@Test("Restored state continues exactly like the original", arguments: sgdCases + adamCases)
func stateRoundTrip(_ c: OptimizerCase) throws {
    let original = makeOptimizer(c.spec, parameterCount: Problem.start.count)
    let midway = run(original, steps: 2)
    let saved = original.stateTensors()
    let expectedNames = c.spec.kind == .sgd ? (c.spec.momentum > 0 ? ["momentum"] : []) : ["exp_avg", "exp_avg_sq"]
    #expect(saved.map(\.name) == expectedNames)
    #expect(saved.allSatisfy { $0.values.count == Problem.start.count })

    let restored = makeOptimizer(c.spec, parameterCount: Problem.start.count)
    try restored.restoreState(tensors: Dictionary(uniqueKeysWithValues: saved.map { ($0.name, $0.values) }),
                              stepCount: original.stepCount)
    #expect(restored.stepCount == 2)
    let a = run(original, from: midway, steps: 1, firstStep: 2)
    let b = run(restored, from: midway, steps: 1, firstStep: 2)
    #expect(a == b)
    #expect(original.stateTensors().map(\.values) == restored.stateTensors().map(\.values))
}

struct BadStateCase: CustomTestStringConvertible, Sendable {
    let label: String
    let spec: OptimizerSpec
    let tensors: [String: [Float]]
    let stepCount: Int
    let tensorName: String?
    let mentions: String
    var testDescription: String { label }
}

@Test("Restoring mismatched state throws a clear error", arguments: [
    BadStateCase(label: "SGD missing momentum", spec: .init(kind: .sgd, learningRate: 0.1),
                 tensors: [:], stepCount: 1, tensorName: "momentum", mentions: "missing"),
    BadStateCase(label: "SGD momentum too short", spec: .init(kind: .sgd, learningRate: 0.1),
                 tensors: ["momentum": [0, 0]], stepCount: 1, tensorName: "momentum", mentions: "has 2 values, expected 3"),
    BadStateCase(label: "plain SGD given momentum", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0),
                 tensors: ["momentum": [0, 0, 0]], stepCount: 1, tensorName: "momentum", mentions: "does not use"),
    BadStateCase(label: "Adam missing exp_avg_sq", spec: .init(kind: .adam, learningRate: 0.1),
                 tensors: ["exp_avg": [0, 0, 0]], stepCount: 1, tensorName: "exp_avg_sq", mentions: "missing"),
    BadStateCase(label: "AdamW exp_avg too long", spec: .init(kind: .adamw, learningRate: 0.1),
                 tensors: ["exp_avg": [0, 0, 0, 0], "exp_avg_sq": [0, 0, 0]], stepCount: 1,
                 tensorName: "exp_avg", mentions: "has 4 values, expected 3"),
    BadStateCase(label: "Adam given SGD state", spec: .init(kind: .adam, learningRate: 0.1),
                 tensors: ["momentum": [0, 0, 0]], stepCount: 1, tensorName: "exp_avg", mentions: "missing"),
    BadStateCase(label: "negative step count", spec: .init(kind: .adam, learningRate: 0.1),
                 tensors: ["exp_avg": [0, 0, 0], "exp_avg_sq": [0, 0, 0]], stepCount: -1,
                 tensorName: nil, mentions: "step count"),
])
func badState(_ c: BadStateCase) {
    let optimizer = makeOptimizer(c.spec, parameterCount: 3)
    let before = optimizer.stateTensors().map(\.values)
    let error = #expect(throws: OptimizerStateError.self) {
        try optimizer.restoreState(tensors: c.tensors, stepCount: c.stepCount)
    }
    #expect(error?.tensorName == c.tensorName)
    #expect(error?.description.contains(c.mentions) == true, "\(String(describing: error))")
    #expect(optimizer.stepCount == 0)
    #expect(optimizer.stateTensors().map(\.values) == before)
}

struct SpecCase: CustomTestStringConvertible, Sendable {
    let label: String
    let spec: OptimizerSpec
    let field: String?
    var testDescription: String { label }
}

@Test("Spec validation names the offending field", arguments: [
    SpecCase(label: "valid SGD", spec: .init(kind: .sgd, learningRate: 0.1), field: nil),
    SpecCase(label: "valid AdamW with clipping", spec: .init(kind: .adamw, learningRate: 1e-3, weightDecay: 0.01, clipNorm: 1), field: nil),
    SpecCase(label: "zero learning rate", spec: .init(kind: .adam, learningRate: 0), field: "learningRate"),
    SpecCase(label: "momentum 1", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 1), field: "momentum"),
    SpecCase(label: "Nesterov without momentum", spec: .init(kind: .sgd, learningRate: 0.1, momentum: 0, nesterov: true), field: "nesterov"),
    SpecCase(label: "beta2 = 1", spec: .init(kind: .adam, learningRate: 0.1, beta2: 1), field: "beta2"),
    SpecCase(label: "negative weight decay", spec: .init(kind: .adamw, learningRate: 0.1, weightDecay: -1), field: "weightDecay"),
    SpecCase(label: "negative L1", spec: .init(kind: .sgd, learningRate: 0.1, l1: -0.1), field: "l1"),
    SpecCase(label: "zero clip norm", spec: .init(kind: .sgd, learningRate: 0.1, clipNorm: 0), field: "clipNorm"),
])
func specValidation(_ c: SpecCase) {
    if let field = c.field {
        let error = #expect(throws: OptimizerSpecError.self) { try c.spec.validate() }
        #expect(error?.field == field)
    } else {
        #expect(throws: Never.self) { try c.spec.validate() }
    }
}

@Test("Optimizers over zero parameters step and round-trip", arguments: OptimizerKind.allCases)
func emptyOptimizer(_ kind: OptimizerKind) throws {
    let optimizer = makeOptimizer(.init(kind: kind, learningRate: 0.1), parameterCount: 0)
    let empty = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    optimizer.step(parameters: empty, gradients: empty, learningRate: 0.1)
    #expect(optimizer.stepCount == 1)
    let state = Dictionary(uniqueKeysWithValues: optimizer.stateTensors().map { ($0.name, $0.values) })
    try optimizer.restoreState(tensors: state, stepCount: 5)
    #expect(optimizer.stepCount == 5)
}

@Test("Spec defaults")
func specDefaults() {
    let spec = OptimizerSpec(kind: .sgd, learningRate: 0.1)
    #expect(spec.momentum == 0.9 && !spec.nesterov && spec.beta1 == 0.9 && spec.beta2 == 0.999)
    #expect(spec.epsilon == 1e-8 && spec.weightDecay == 0 && spec.l1 == 0 && spec.clipNorm == nil)
}

@Test("updating two ranges in two optimizers equals one full update, state included",
      arguments: [OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, l1: 0.001),
                  OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.8, nesterov: true),
                  OptimizerSpec(kind: .adam, learningRate: 0.01, l1: 0.001),
                  OptimizerSpec(kind: .adamw, learningRate: 0.01, weightDecay: 0.1)])
func rangeStepsMatchFullSteps(_ spec: OptimizerSpec) {
    let n = 37, split = 20
    let start = (0..<n).map { Float($0 % 7) - 3 }
    let gradientsAt = { (step: Int) in (0..<n).map { Float(($0 * 3 + step) % 5) - 2 } }
    let full = makeOptimizer(spec, parameterCount: n)
    let low = makeOptimizer(spec, parameterCount: n), high = makeOptimizer(spec, parameterCount: n)
    var p = start, pLow = start, pHigh = start
    for step in 0..<3 {
        var g = gradientsAt(step), gLow = g, gHigh = g
        p.withUnsafeMutableBufferPointer { pp in g.withUnsafeMutableBufferPointer { full.step(parameters: pp, gradients: $0, learningRate: 0.1) } }
        pLow.withUnsafeMutableBufferPointer { pp in
            gLow.withUnsafeMutableBufferPointer { low.step(parameters: pp, gradients: $0, learningRate: 0.1, range: 0..<split) }
        }
        pHigh.withUnsafeMutableBufferPointer { pp in
            gHigh.withUnsafeMutableBufferPointer { high.step(parameters: pp, gradients: $0, learningRate: 0.1, range: split..<n) }
        }
    }
    #expect(Array(pLow[..<split] + pHigh[split...]) == p)
    #expect(Array(pLow[split...]) == Array(start[split...]), "elements outside the range stay untouched")
    #expect(low.stepCount == 3 && high.stepCount == 3)
    for ((name, whole), ((_, a), (_, b))) in zip(full.stateTensors(), zip(low.stateTensors(), high.stateTensors())) {
        #expect(Array(a[..<split] + b[split...]) == whole, "state \(name)")
    }
}
