// CSVDataset: turns CSV tables into Datasets: label columns become targets (class indices from
// integers or sorted string names, or float regression targets), all other columns features.

enum CSVDataset {
    /// How class labels are turned into indices, decided on the training file.
    enum LabelCoding {
        /// Labels are integers used as class indices directly.
        case integers(classes: Int)
        /// Labels are names; the index is the position in this sorted list.
        case names([String])
    }

    /// The column layout and label coding fitted on the training table.
    struct Schema {
        var featureColumns: [String]
        var labelColumns: [String]
        var kind: DatasetSpec.TaskKind
        var coding: LabelCoding?
    }

    /// Checks the label columns against `table` and decides the label coding.
    static func schema(_ table: CSVTable, labelColumns: [String], kind: DatasetSpec.TaskKind,
                       classes: Int?) throws -> Schema {
        let columns = table.header.joined(separator: ", ")
        guard !labelColumns.isEmpty else {
            throw DatasetError(file: table.file, position: .line(1, column: nil), message: "no label column is named",
                               hint: "set the label column(s); the columns are: \(columns)")
        }
        if kind == .classification && labelColumns.count != 1 {
            throw DatasetError(file: table.file, position: .line(1, column: nil),
                               message: "classification needs exactly one label column, got \(labelColumns.count)",
                               hint: "use task regression for several target columns")
        }
        for name in labelColumns where table.column(named: name) == nil {
            throw DatasetError(file: table.file, position: .line(1, column: nil),
                               message: "no column named \"\(name)\" in the header",
                               hint: "label columns must be among: \(columns)")
        }
        if Set(labelColumns).count != labelColumns.count {
            throw DatasetError(file: table.file, message: "a label column is listed twice: \(labelColumns)")
        }
        let features = table.header.filter { !labelColumns.contains($0) }
        guard !features.isEmpty else {
            throw DatasetError(file: table.file, position: .line(1, column: nil), message: "no feature columns are left after the label columns",
                               hint: "a CSV dataset needs at least one numeric feature column besides \(labelColumns)")
        }
        var schema = Schema(featureColumns: features, labelColumns: labelColumns, kind: kind, coding: nil)
        guard kind == .classification else { return schema }

        let column = table.column(named: labelColumns[0])!
        let labels = table.rows.map { $0[column].trimmingSpaces }
        if let empty = labels.firstIndex(of: "") {
            throw DatasetError(file: table.file, position: .line(table.lines[empty], column: column + 1),
                               message: "label in column \"\(labelColumns[0])\" is empty", hint: "every row needs a label")
        }
        let integers = labels.compactMap { Int($0) }
        if integers.count == labels.count {
            if let negative = integers.firstIndex(where: { $0 < 0 }) {
                throw DatasetError(file: table.file, position: .line(table.lines[negative], column: column + 1),
                                   message: "label \(integers[negative]) is negative", hint: "integer labels are class indices 0, 1, 2, ...")
            }
            schema.coding = .integers(classes: classes ?? (integers.max()! + 1))
        } else {
            let names = Set(labels).sorted()
            if let classes, classes != names.count {
                throw DatasetError(file: table.file, message: "\(names.count) distinct labels (\(names.joined(separator: ", "))) but classes is \(classes)",
                                   hint: "leave classes unset to use the labels found, or fix the labels")
            }
            schema.coding = .names(names)
        }
        return schema
    }

    /// Builds the dataset of `table` under `schema` (fitted on the training table, which may be
    /// another file with the same columns in any order).
    static func dataset(_ table: CSVTable, schema: Schema) throws -> Dataset {
        var expected = Set(schema.featureColumns + schema.labelColumns)
        for name in table.header where expected.remove(name) == nil {
            throw DatasetError(file: table.file, position: .line(1, column: table.column(named: name)! + 1),
                               message: "column \"\(name)\" is not in the training file",
                               hint: "test and training files need the same columns")
        }
        if let missing = expected.sorted().first {
            throw DatasetError(file: table.file, position: .line(1, column: nil), message: "no column named \"\(missing)\" in the header",
                               hint: "test and training files need the same columns (\((schema.featureColumns + schema.labelColumns).joined(separator: ", ")))")
        }
        let featureIndex = schema.featureColumns.map { table.column(named: $0)! }
        let labelIndex = schema.labelColumns.map { table.column(named: $0)! }
        var features: [Float] = []
        features.reserveCapacity(table.rows.count * featureIndex.count)
        var targets: [Float] = []
        targets.reserveCapacity(table.rows.count * labelIndex.count)
        var nameIndex: [String: Int] = [:]
        if case .names(let names)? = schema.coding {
            for (index, name) in names.enumerated() { nameIndex[name] = index }
        }
        for row in table.rows.indices {
            for column in featureIndex { features.append(try table.number(row: row, column: column)) }
            switch schema.coding {
            case nil:
                for column in labelIndex { targets.append(try table.number(row: row, column: column)) }
            case .integers(let classes)?:
                let cell = table.rows[row][labelIndex[0]].trimmingSpaces
                guard let label = Int(cell), label >= 0, label < classes else {
                    throw DatasetError(file: table.file, position: .line(table.lines[row], column: labelIndex[0] + 1),
                                       message: "label \"\(cell)\" is not a class index",
                                       hint: "labels must be integers in 0...\(classes - 1) for \(classes) classes")
                }
                targets.append(Float(label))
            case .names(let names)?:
                let cell = table.rows[row][labelIndex[0]].trimmingSpaces
                guard let label = nameIndex[cell] else {
                    throw DatasetError(file: table.file, position: .line(table.lines[row], column: labelIndex[0] + 1),
                                       message: "label \"\(cell)\" does not occur in the training file",
                                       hint: "known classes: \(names.joined(separator: ", "))")
                }
                targets.append(Float(label))
            }
        }
        switch schema.coding {
        case nil:
            return Dataset(features: features, targets: targets, sampleShape: [featureIndex.count],
                           task: .regression(outputs: labelIndex.count))
        case .integers(let classes)?:
            return Dataset(features: features, targets: targets, sampleShape: [featureIndex.count],
                           task: .classification(classes: classes))
        case .names(let names)?:
            return Dataset(features: features, targets: targets, sampleShape: [featureIndex.count],
                           task: .classification(classes: names.count), classNames: names)
        }
    }
}
