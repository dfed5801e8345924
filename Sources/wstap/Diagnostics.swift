#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Output

/// Messages to standard error in the one format users grep for: `wstap: error: …`, `wstap: warning: …`.
///
/// Messages quote the wire (a server's status line, a session file's contents, a capture's
/// strings), so the characters that act on a terminal are escaped (`TerminalSafeText`) before a
/// line reaches it: a replayed server or a crafted file must not act on it through standard error
/// either. Backslashes are left alone, because some messages already quote values with escapes.
enum Diagnostics {
    static func warning(_ message: String) {
        writeLine("wstap: warning: \(message)")
    }

    /// A progress line that is neither a warning nor an error (e.g. `wstap: listening on lo …`).
    static func note(_ message: String) {
        writeLine("wstap: \(message)")
    }

    static func error(_ message: String) {
        writeLine("wstap: error: \(message)")
    }

    /// Prints the error and ends the command with exit status 1.
    static func fail(_ message: String) -> ExitCode {
        error(message)
        return ExitCode(1)
    }

    private static func writeLine(_ line: String) {
        var line = TerminalSafeText.controlsEscaped(line) + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
