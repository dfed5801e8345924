import ArgumentParser
import Sessions
import Output
import WebSocketInspection
import WebSocketProtocol

/// Which events to show: `read` uses them, and `sniff` can add the same group.
struct MessageFilterOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Show only this connection (the #N of read and sessions); repeat for more.", valueName: "N"))
    var conn: [Int] = []

    @Option(name: .long, help: ArgumentHelp("Show only messages whose payload matches this regular expression (text as UTF-8, other payloads as Latin-1 bytes).", valueName: "REGEX"))
    var grep: String?

    @Option(name: .long, help: ArgumentHelp("Show only messages sent by the client or by the server.", valueName: "client|server"))
    var from: Sender?

    @Flag(name: .long, help: "Text output: show JSON payloads indented below their message line.")
    var pretty = false

    enum Sender: String, ExpressibleByArgument, CaseIterable {
        case client, server
    }

    func validate() throws {
        if let grep {
            do { _ = try Regex(grep) } catch { throw ValidationError("--grep: not a valid regular expression: \(grep)") }
        }
        if conn.contains(where: { $0 <= 0 }) { throw ValidationError("--conn takes connection numbers from 1") }
    }

    var filter: MessageFilter {
        MessageFilter(
            connections: conn.isEmpty ? nil : Set(conn),
            direction: from.map { $0 == .client ? .clientToServer : .serverToClient },
            pattern: grep.flatMap { try? Regex($0) })
    }
}
