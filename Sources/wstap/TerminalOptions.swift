#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Sessions
import Output

/// When to colour text output.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// Terminal presentation options shared by the text outputs (`read`, `sessions`, `sniff`).
struct TerminalOptions: ParsableArguments {
    @Option(name: .long, help: "Colours: auto (only on a terminal, and not when NO_COLOR is set), always, never.")
    var color: ColorChoice = .auto

    /// Colours on a terminal, never in a pipe or file, and never when `NO_COLOR` is set to anything
    /// non-empty (https://no-color.org) unless asked for with `--color always`.
    var style: TerminalStyle {
        switch color {
        case .always: return .colored
        case .never: return .plain
        case .auto:
            if let noColor = getenv("NO_COLOR"), noColor.pointee != 0 { return .plain }
            return isatty(1) == 1 ? .colored : .plain
        }
    }
}
