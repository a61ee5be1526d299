// LayerOption: one option a layer kind takes in the config (`units`, `eps`, ...) — its key, value
// type, range, default and hint — and the values a declared layer holds for its options.

/// One option of a layer kind, as the config writes it.
public struct LayerOption: Sendable {
    /// What values the option takes.
    public enum ValueType: Sendable {
        /// A whole number in the range ("N is out of range" outside it).
        case int(ClosedRange<Int>)
        /// A finite number in the range ("N is out of range" outside it).
        case double(ClosedRange<Double>)
        /// A finite number in an interval stated in the error ("N must be in (0, 1]"), the lower
        /// bound excluded when `openBelow`.
        case interval(ClosedRange<Double>, openBelow: Bool)
        /// `true` or `false`.
        case bool
        /// One keyword of the list, written plain.
        case choice([String])
        /// Text the user chose (a layer name), written quoted.
        case text
        /// A nested list of layers.
        case layers
    }

    /// The key in the layer's mapping.
    public let key: String
    /// What values it takes.
    public let type: ValueType
    /// The value when the config leaves the key out; nil with `required` false: no value.
    public let defaultValue: LayerOptionValue?
    /// Whether the key must be given (unless an option given excludes it).
    public let required: Bool
    /// Said when the key is missing, or its value out of range.
    public let hint: String?
    /// Said only when the key is missing (when the range error keeps its generic hint).
    public let missingHint: String?
    /// Whether `resolved.yaml` leaves the option out when it holds its default: for an option
    /// added to a kind later, so configs written before it keep their text and hash.
    public let omitsDefault: Bool
    /// Keys that do not go with this one, and why (`tied_to` excludes `units`, `init`); nil: none.
    public let excludes: Exclusion?

    /// Keys that do not go with an option, and the reason an error gives when both are written.
    public struct Exclusion: Sendable {
        /// The keys left out when the option is given: neither required nor defaulted then.
        public let keys: [String]
        /// Why they do not go with the option.
        public let why: String
        /// What writing them instead of the option would mean ("for a dense layer of its own").
        public let otherwise: String

        /// Keys `keys` do not go with the option because `why`; `otherwise` names the other choice.
        public init(_ keys: [String], because why: String, otherwise: String) {
            self.keys = keys
            self.why = why
            self.otherwise = otherwise
        }
    }

    /// The option `key` taking `type` values; `default` fills it in when the config leaves it out.
    public init(_ key: String, _ type: ValueType, default defaultValue: LayerOptionValue? = nil, required: Bool = false,
                hint: String? = nil, missingHint: String? = nil, omitsDefault: Bool = false, excludes: Exclusion? = nil) {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.hint = hint
        self.missingHint = missingHint
        self.omitsDefault = omitsDefault
        self.excludes = excludes
    }
}

/// The value a declared layer holds for one option.
public indirect enum LayerOptionValue: Sendable, Equatable {
    /// A whole number (`int`).
    case int(Int)
    /// A number (`double`, `interval`).
    case double(Double)
    /// `true` or `false` (`bool`).
    case bool(Bool)
    /// A keyword (`choice`) or a name (`text`).
    case text(String)
    /// A nested list of layers (`layers`).
    case layers([LayerSpec])
}

/// A declared layer's option values by key (defaults filled in when parsed).
public struct LayerOptions: Sendable, Equatable {
    /// The values by option key.
    public var values: [String: LayerOptionValue]

    /// Holds `values` as given (no defaults filled in).
    public init(_ values: [String: LayerOptionValue] = [:]) { self.values = values }

    /// The value under `key`, nil when absent.
    public subscript(_ key: String) -> LayerOptionValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// The whole number under `key`, nil when absent.
    public func int(_ key: String) -> Int? { if case .int(let v)? = values[key] { return v }; return nil }
    /// The number under `key`, nil when absent.
    public func double(_ key: String) -> Double? { if case .double(let v)? = values[key] { return v }; return nil }
    /// The boolean under `key`, nil when absent.
    public func bool(_ key: String) -> Bool? { if case .bool(let v)? = values[key] { return v }; return nil }
    /// The keyword or name under `key`, nil when absent.
    public func text(_ key: String) -> String? { if case .text(let v)? = values[key] { return v }; return nil }
    /// The nested layers under `key`, nil when absent.
    public func layers(_ key: String) -> [LayerSpec]? { if case .layers(let v)? = values[key] { return v }; return nil }
}
