// SweepProgram: a sweep objective that runs any executable per trial (W&B `program:` and
// `command:` with ${program}, ${args} ... macros), the parameters passed as `--name=value`.
import Foundation

/// An external program a sweep runs once per trial.
public struct SweepProgram: Sendable, Equatable {
    /// Macros a `command` element may be: `${program}` (the program path), `${args}` (one
    /// `--name=value` per parameter), `${args_no_hyphens}` (`name=value`), `${args_json}` (one
    /// JSON object), `${env}` (`/usr/bin/env`) and `${interpreter}` (`python3`).
    public static let macros = ["${program}", "${args}", "${args_no_hyphens}", "${args_json}", "${env}", "${interpreter}"]

    /// The program path, relative paths taken from the config's folder. Default nil (then
    /// `command` names what runs).
    public var program: String?
    /// The command line, macros unexpanded; elements naming a file or folder beside the config
    /// are made absolute. Default `[${program}, ${args}]`.
    public var command: [String]

    public init(program: String?, command: [String] = ["${program}", "${args}"]) {
        self.program = program
        self.command = command
    }

    /// The argument vector for one trial (element 0 is the executable), parameters in `order`.
    public func arguments(for configuration: Configuration, order: [String]) -> [String] {
        let names = order.filter { configuration[$0] != nil }
        var result: [String] = []
        for element in command {
            switch element {
            case "${program}": result.append(program ?? "")
            case "${args}": result += names.map { "--\($0)=\(configuration[$0]!)" }
            case "${args_no_hyphens}": result += names.map { "\($0)=\(configuration[$0]!)" }
            case "${args_json}":
                result.append("{" + names.map { "\(jsonText(.string($0))): \(jsonText(configuration[$0]!))" }
                    .joined(separator: ", ") + "}")
            case "${env}": result.append("/usr/bin/env")
            case "${interpreter}": result.append("python3")
            default: result.append(element)
            }
        }
        return result
    }

    private func jsonText(_ value: ParameterValue) -> String {
        switch value {
        case .string(let s):
            let data = try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
            return String((data.flatMap { String(data: $0, encoding: .utf8) } ?? "[\"\"]").dropFirst().dropLast())
        case .list(let items): return "[" + items.map(jsonText).joined(separator: ", ") + "]"
        default: return value.description
        }
    }

    /// Parses `program:` and `command:` from the sweep section (either may be nil), checking
    /// that the program exists and that the command's executable can be found (unless `files`
    /// is false: a sweep folder read where they have moved).
    static func parse(program programValue: ConfigValue?, command commandValue: ConfigValue?,
                      baseDirectory: String, files: Bool = true) throws -> SweepProgram {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || baseDirectory.isEmpty ? path : baseDirectory + "/" + path
        }
        var program: String?
        if let programValue {
            let path = resolve(try programValue.string())
            guard !files || FileManager.default.fileExists(atPath: path) else {
                throw programValue.error("program not found: \(path)", hint: "give the path of the executable, relative to the config's folder")
            }
            program = path
        }
        var spec = SweepProgram(program: program)
        if let commandValue {
            spec.command = try commandValue.list().map { try $0.string() }
            guard !spec.command.isEmpty else {
                throw commandValue.error("the command is empty", hint: "e.g. command: [python3, train.py, ${args}]")
            }
            for (i, element) in spec.command.enumerated() where element.contains("${") {
                guard macros.contains(element) else {
                    let near = closestMatch(to: element, in: macros).map { "did you mean '\($0)'? " } ?? ""
                    throw try commandValue.list()[i].error("unknown macro '\(element)'",
                        hint: near + "macros are whole list elements: " + macros.joined(separator: ", "))
                }
                if element == "${program}" && program == nil {
                    throw try commandValue.list()[i].error("${program} is used but no program: is given", hint: "add program: PATH")
                }
            }
        }
        // Relative paths in the command that name something beside the config are taken from there.
        spec.command = spec.command.map { element in
            guard !baseDirectory.isEmpty, !element.isEmpty, !macros.contains(element), !element.hasPrefix("/"), !element.hasPrefix("-"),
                  FileManager.default.fileExists(atPath: baseDirectory + "/" + element) else { return element }
            return baseDirectory + "/" + element
        }
        let executable = spec.command[0]
        let at = try commandValue?.list()[0] ?? programValue!
        // ${env} and ${interpreter} name programs (/usr/bin/env, python); the argument macros do not.
        if executable.isEmpty || ["${args}", "${args_no_hyphens}", "${args_json}"].contains(executable) {
            throw at.error(executable.isEmpty ? "the command starts with an empty word" : "the command starts with \(executable), which is no program",
                           hint: "start it with the program or interpreter, e.g. command: [python3, train.py, ${args}]")
        }
        if !files {
            // Not looked for: the sweep folder is only read.
        } else if executable == "${program}" {
            // Run as the command itself it must be an executable file: a folder's x bit only lets one
            // search it. (A folder is fine for an interpreter: command: [python3, ${program}].)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: program!, isDirectory: &isFolder), isFolder.boolValue {
                throw (programValue ?? at).error("program is a folder: \(program!)",
                    hint: "give the executable file inside it, or run the folder through an interpreter: command: [python3, ${program}, ${args}]")
            }
            guard FileManager.default.isExecutableFile(atPath: program!) else {
                throw (programValue ?? at).error("program is not executable: \(program!)",
                    hint: "chmod +x it, or run it through an interpreter: command: [python3, ${program}, ${args}]")
            }
        } else if !SweepProgram.macros.contains(executable) && ExecutableSearch.find(executable, baseDirectory: baseDirectory) == nil {
            throw at.error("'\(executable)' is not an executable file or a command on PATH",
                           hint: "give an absolute path or install it")
        }
        return spec
    }
}
