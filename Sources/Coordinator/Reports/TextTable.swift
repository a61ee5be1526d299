// TextTable: aligned plain-text tables for terminal output (benchmarks, sweep reports).
// Numbers align right, text left; one header row and a rule under it.

/// A table of strings printed with aligned columns.
public struct TextTable {
    public var headers: [String]
    public var rows: [[String]] = []

    public init(headers: [String]) { self.headers = headers }

    /// Appends a row (missing cells are blank).
    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The table as text, one line per row.
    public var rendered: String {
        let columns = headers.count
        var widths = headers.map(\.count)
        for row in rows { for (i, cell) in row.prefix(columns).enumerated() { widths[i] = max(widths[i], cell.count) } }
        func isNumeric(_ s: String) -> Bool { !s.isEmpty && Double(s.replacingOccurrences(of: "x", with: "").replacingOccurrences(of: "%", with: "")) != nil }
        func line(_ cells: [String]) -> String {
            (0..<columns).map { i in
                let cell = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return isNumeric(cell) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}
