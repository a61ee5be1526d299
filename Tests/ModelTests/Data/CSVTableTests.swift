// Tests for CSVTable: quoting, CRLF, blank lines and line numbers on good input, and a
// positioned error (line and column) for each kind of malformed input.
import Model
import Testing

@Suite("CSV table")
struct CSVTableTests {
    struct Good: CustomTestStringConvertible, Sendable {
        let label: String
        let text: String
        let header: [String]
        let rows: [[String]]
        let lines: [Int]
        var testDescription: String { label }
    }

    static let good: [Good] = [
        Good(label: "plain", text: "a,b\n1,2\n3,4\n", header: ["a", "b"], rows: [["1", "2"], ["3", "4"]], lines: [2, 3]),
        Good(label: "no final newline", text: "a,b\n1,2", header: ["a", "b"], rows: [["1", "2"]], lines: [2]),
        Good(label: "CRLF and blank trailing lines", text: "a,b\r\n1,2\r\n\r\n\n", header: ["a", "b"],
             rows: [["1", "2"]], lines: [2]),
        Good(label: "quoted commas and escaped quotes", text: "name,x\n\"Smith, J\",1\n\"say \"\"hi\"\"\",2\n",
             header: ["name", "x"], rows: [["Smith, J", "1"], ["say \"hi\"", "2"]], lines: [2, 3]),
        Good(label: "newline inside quotes keeps line numbers", text: "t,x\n\"two\nlines\",1\nz,2\n",
             header: ["t", "x"], rows: [["two\nlines", "1"], ["z", "2"]], lines: [2, 4]),
        Good(label: "blank line in the middle is skipped", text: "a\n1\n\n2\n", header: ["a"],
             rows: [["1"], ["2"]], lines: [2, 4]),
        Good(label: "empty fields and a quoted empty field", text: "a,b\n,\n\"\",x\n", header: ["a", "b"],
             rows: [["", ""], ["", "x"]], lines: [2, 3]),
        Good(label: "byte-order mark and padded header", text: "\u{FEFF} a , b\n1,2\n", header: ["a", "b"],
             rows: [["1", "2"]], lines: [2]),
    ]

    @Test("parses well-formed CSV", arguments: good)
    func parses(_ example: Good) throws {
        let table = try CSVTable(parsing: example.text)
        #expect(table.header == example.header)
        #expect(table.rows == example.rows)
        #expect(table.lines == example.lines)
    }

    struct Broken: CustomTestStringConvertible, Sendable {
        let label: String
        let text: String
        let position: DatasetError.Position?
        let fragment: String
        var testDescription: String { label }
    }

    static let broken: [Broken] = [
        Broken(label: "empty file", text: "", position: nil, fragment: "file is empty"),
        Broken(label: "only blank lines", text: "\n\r\n\n", position: nil, fragment: "file is empty"),
        Broken(label: "header only", text: "a,b\n", position: .line(2, column: nil), fragment: "no data rows"),
        Broken(label: "row too short", text: "a,b,c\n1,2,3\n4,5\n", position: .line(3, column: 3),
               fragment: "row has 2 fields but the header has 3"),
        Broken(label: "row too long", text: "a,b\n1,2\n3,4,5\n", position: .line(3, column: 3),
               fragment: "row has 3 fields but the header has 2"),
        Broken(label: "unclosed quote", text: "a,b\n1,\"open\n2,3\n", position: .line(2, column: 2),
               fragment: "never closed"),
        Broken(label: "text after closing quote", text: "a,b\n\"x\"y,1\n", position: .line(2, column: 1),
               fragment: "after the closing quote"),
        Broken(label: "quote inside unquoted field", text: "a,b\n1,ab\"c\n", position: .line(2, column: 2),
               fragment: "unexpected quote"),
        Broken(label: "duplicate column", text: "a,b,a\n1,2,3\n", position: .line(1, column: 3),
               fragment: "appears twice"),
        Broken(label: "unnamed column", text: "a,,c\n1,2,3\n", position: .line(1, column: 2), fragment: "has no name"),
    ]

    @Test("malformed CSV gives an error with line and column", arguments: broken)
    func rejects(_ example: Broken) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.csv", text: example.text)
        let error = #expect(throws: DatasetError.self) { _ = try CSVTable.read(path: path) }
        #expect(error?.file == path)
        #expect(error?.position == example.position)
        #expect(error?.message.contains(example.fragment) == true, "\(error?.message ?? "")")
        #expect(error?.hint != nil)
        if case .line(let line, let column?)? = example.position {
            #expect(error?.description.hasPrefix("\(path):\(line):\(column): ") == true)
        }
    }

    struct Cell: CustomTestStringConvertible, Sendable {
        let label: String
        let cell: String
        let value: Float?
        var testDescription: String { label }
    }

    static let cells: [Cell] = [
        Cell(label: "integer", cell: "3", value: 3),
        Cell(label: "padded decimal", cell: " -0.5 ", value: -0.5),
        Cell(label: "exponent", cell: "1e-3", value: 1e-3),
        Cell(label: "word", cell: "abc", value: nil),
        Cell(label: "empty", cell: "", value: nil),
        Cell(label: "NaN", cell: "nan", value: nil),
        Cell(label: "infinity", cell: "inf", value: nil),
    ]

    @Test("numeric cells parse; others name line and column", arguments: cells)
    func numbers(_ example: Cell) throws {
        let table = try CSVTable(parsing: "x,y\n1,\"\(example.cell)\"\n", file: "t.csv")
        if let value = example.value {
            #expect(try table.number(row: 0, column: 1) == value)
        } else {
            let error = #expect(throws: DatasetError.self) { _ = try table.number(row: 0, column: 1) }
            #expect(error?.description.hasPrefix("t.csv:2:2: cell in column \"y\"") == true, "\(error?.description ?? "")")
        }
    }
}
