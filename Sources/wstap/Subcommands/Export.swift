import ArgumentParser
import Foundation
import Replay
import SessionFormats

/// The file formats `wstap export` writes.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    /// The wstap session file that `wstap replay` reads (format documented in README.md).
    case session
}

/// `wstap export FILE --format F -o OUT`: write the WebSocket sessions of a capture in another format.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the WebSocket sessions of a pcap/pcapng file in another format.",
        discussion: """
            Examples:
              wstap export bug.pcap --format session -o bug.session.json
              wstap replay bug.session.json --target ws://127.0.0.1:8080

            Exit status: 0 when the file was written, 1 when the capture could not be read or the
            output not written, 64 for a usage error.
            """
    )

    @Argument(help: "A pcap or pcapng file, or - for standard input.")
    var file: String

    @Option(name: .long, help: "Output format.")
    var format: ExportFormat

    @Option(name: .shortAndLong, help: "Output file (- for standard output).")
    var output: String = "-"

    @Option(name: .long, help: "Largest message payload kept, in bytes (after decompression).")
    var maxMessageBytes: Int = 16 << 20

    func run() throws {
        let data: Data
        switch format {
        case .session:
            data = try sessionFile()
        }
        do {
            if output == "-" {
                FileHandle.standardOutput.write(data)
            } else {
                try data.write(to: URL(fileURLWithPath: output))
            }
        } catch {
            throw Diagnostics.fail("cannot write '\(output)': \(error.localizedDescription)")
        }
    }

    private func sessionFile() throws -> Data {
        let loaded: RecordingLoader.Loaded
        do {
            loaded = try RecordingLoader.loadCapture(file, maxMessageBytes: maxMessageBytes)
        } catch {
            throw Diagnostics.fail(error.description)
        }
        loaded.warnings.forEach(Diagnostics.warning)
        return try loaded.session.encoded() + Data("\n".utf8)
    }
}
