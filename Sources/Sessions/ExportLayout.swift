import Foundation
import WebSocketInspection

/// How an export format lays out its JSON document, in the pieces a streaming export writes: the
/// document without connections, one connection's entry without messages, one message.
///
/// Each piece is encoded on its own with `PrettyJSONArraySplice.encoder()`; `StreamingExport`
/// splices them so the file is byte for byte what encoding the whole document at once gives.
public protocol ExportLayout {
    /// The key of the document's list of connections (`entries`, `connections`).
    var connectionsKey: String { get }
    /// The key of an entry's list of messages (`_webSocketMessages`, `messages`).
    var messagesKey: String { get }
    /// The whole document with an empty list of connections.
    func emptyDocument() throws -> Data
    /// One connection's entry with an empty list of messages (`connection.messages` is empty).
    func entry(_ connection: RecordedConnection) throws -> Data
    /// One message as an element of the entry's list; nil when the format leaves it out.
    func message(_ message: WebSocketMessage) throws -> Data?
}

/// `wstap export --format har`: Chrome DevTools' HAR with `_webSocketMessages`.
public struct HARExportLayout: ExportLayout {
    public var writer: HARWriter
    private let encoder = PrettyJSONArraySplice.encoder()

    public init(writer: HARWriter) { self.writer = writer }

    public var connectionsKey: String { "entries" }
    public var messagesKey: String { "_webSocketMessages" }
    public func emptyDocument() throws -> Data { try encoder.encode(writer.har([])) }
    public func entry(_ connection: RecordedConnection) throws -> Data { try encoder.encode(writer.entry(connection)) }
    public func message(_ message: WebSocketMessage) throws -> Data? {
        try HARWriter.message(message).map { try encoder.encode($0) }
    }
}

/// `wstap export --format session`: the session file `wstap replay` reads.
public struct SessionExportLayout: ExportLayout {
    private let encoder = PrettyJSONArraySplice.encoder()

    public init() {}

    public var connectionsKey: String { "connections" }
    public var messagesKey: String { "messages" }
    public func emptyDocument() throws -> Data { try SessionFile(connections: []).encoded() }
    public func entry(_ connection: RecordedConnection) throws -> Data {
        try encoder.encode(SessionConnection(recorded: connection))
    }
    public func message(_ message: WebSocketMessage) throws -> Data? { try encoder.encode(SessionMessage(message)) }
}
