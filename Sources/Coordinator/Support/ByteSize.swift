// ByteSize: reads message sizes as people write them ("4K", "64M", "1000") for benchmark options.
import Foundation

/// Sizes in bytes with an optional K (2^10) or M (2^20) suffix.
public enum ByteSize {
    /// The size `text` names (case-insensitive suffix, surrounding spaces ignored), or nil
    /// when it is not a positive whole number of bytes.
    public static func parse(_ text: String) -> Int? {
        let upper = text.trimmingCharacters(in: .whitespaces).uppercased()
        var digits = Substring(upper), multiplier = 1
        if upper.hasSuffix("K") { multiplier = 1 << 10; digits = digits.dropLast() }
        else if upper.hasSuffix("M") { multiplier = 1 << 20; digits = digits.dropLast() }
        guard let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// Every size of a comma-separated list, each a positive multiple of `multiple` bytes
    /// (default 1). Throws `ByteSizeError` naming the first bad item.
    /// Every size is at most `largest` bytes (default 16 GiB); empty items are errors.
    public static func parseList(_ text: String, multiple: Int = 1, largest: Int = 1 << 34) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            guard let bytes = parse(String(item)), bytes % multiple == 0, bytes <= largest else {
                throw ByteSizeError(item: String(item), multiple: multiple, largest: largest)
            }
            return bytes
        }
    }
}

/// A size in a list that is not a positive multiple of the required bytes.
public struct ByteSizeError: Error, CustomStringConvertible {
    public let item: String
    public let multiple: Int
    public let largest: Int
    public var description: String {
        "bad size '\(item)': expected a positive \(multiple > 1 ? "multiple of \(multiple) bytes" : "number of bytes") up to \(largest >> 20)M, e.g. 4K or 64M"
    }
}
