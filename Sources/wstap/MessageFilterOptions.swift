import ArgumentParser
import Sessions
import Output
import WebSocketInspection
import WebSocketProtocol

/// Which events to show: `read` uses them, and `sniff` can add the same group.
struct MessageFilterOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp("Show only this connection (the #N of read and sessions); repeat for more.", valueName: "N"))
    var conn: [Int] = []

    @Option(name: .long, help: ArgumentHelp("Show only messages whose payload matches this regular expression (text as UTF-8, other payloads as Latin-1 bytes).", valueName: "REGEX"))
    var grep: String?

    @Option(name: .long, help: ArgumentHelp("Show only messages sent by the client or by the server.", valueName: "client|server"))
    var from: Sender?

    @Option(name: .long, help: ArgumentHelp("Show only Socket.IO events of this name (`*` matches any characters); repeat for more.", valueName: "NAME"))
    var event: [String] = []

    @Option(name: .long, help: ArgumentHelp("Show only MQTT messages whose topic matches this filter (`+`, `#`), or STOMP frames of this destination.", valueName: "PATTERN"))
    var topic: [String] = []

    @Option(name: .long, help: ArgumentHelp("Show only JSON-RPC messages of this method or GraphQL operations of this name (`*` matches any characters).", valueName: "NAME"))
    var method: [String] = []

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
            pattern: grep.flatMap { try? Regex($0) },
            applicationNames: applicationNames)
    }

    /// One filter per option; repeated values of one option are alternatives.
    private var applicationNames: [ApplicationNameFilter] {
        // Alternatives within one option: a message passes if any of its values matches.
        var filters: [ApplicationNameFilter] = []
        if event.count == 1 { filters.append(.event(event[0])) } else if !event.isEmpty { filters.append(.any(event.map(ApplicationNameFilter.event))) }
        if topic.count == 1 { filters.append(.topic(topic[0])) } else if !topic.isEmpty { filters.append(.any(topic.map(ApplicationNameFilter.topic))) }
        if method.count == 1 { filters.append(.method(method[0])) } else if !method.isEmpty { filters.append(.any(method.map(ApplicationNameFilter.method))) }
        return filters
    }
}
