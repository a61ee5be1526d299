// ShellWords: splits an option's text into arguments — on spaces, with 'single quotes' grouping
// words — so `--mpirun-args "--mca x 'a b'"` works without handing anything to a shell.
import Foundation

/// Splitting a command-line text into words.
public enum ShellWords {
    /// The words of `text`: split on spaces, keeping 'single-quoted groups' together (the
    /// quotes removed; '' is an empty word). No other shell syntax.
    public static func split(_ text: String) -> [String] {
        var words: [String] = [], current = "", quoted = false, started = false
        for character in text {
            if character == "'" {
                quoted.toggle()
                started = true
            } else if character == " " && !quoted {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }
}
