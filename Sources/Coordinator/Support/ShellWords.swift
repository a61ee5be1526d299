// ShellWords: splits an option's text into arguments — on spaces, with 'single quotes' grouping
// words — so `--mpirun-args "--mca x 'a b'"` works without handing anything to a shell; and quotes
// a word for a shell script ringtrain writes.
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

    /// `word` as one word for sh/bash: single-quoted (a `'` inside written `'\''`), or as it is
    /// when it holds only characters no shell treats specially.
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || "/._-=:,+@%".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
