/// The HAR 1.2 subset wstap writes and reads, with the extensions Chrome DevTools uses for
/// WebSocket connections (`_resourceType: "websocket"`, `_webSocketMessages`). Fields prefixed
/// `_wstap` are wstap's own (HAR allows custom fields starting with an underscore); other tools
/// ignore them, and `HARReader` uses them to give back exactly what was captured.
public struct HARFile: Codable, Sendable {
    public var log: HARLog
}

public struct HARLog: Codable, Sendable {
    public var version: String
    public var creator: HARCreator
    public var pages: [HARPage]?
    public var entries: [HAREntry]
}

public struct HARCreator: Codable, Sendable {
    public var name: String
    public var version: String
}

public struct HARPage: Codable, Sendable {
    public var startedDateTime: String
    public var id: String
    public var title: String
}

public struct HARNameValue: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
}

public struct HARRequest: Codable, Sendable {
    public var method: String
    public var url: String
    public var httpVersion: String
    public var headers: [HARNameValue]
    public var queryString: [HARNameValue]
    public var cookies: [HARNameValue]
    public var headersSize: Int
    public var bodySize: Int
}

public struct HARContent: Codable, Sendable {
    public var size: Int
    public var mimeType: String
}

public struct HARResponse: Codable, Sendable {
    public var status: Int
    public var statusText: String
    public var httpVersion: String
    public var headers: [HARNameValue]
    public var cookies: [HARNameValue]
    public var content: HARContent
    public var redirectURL: String
    public var headersSize: Int
    public var bodySize: Int
}

public struct HARTimings: Codable, Sendable {
    public var blocked: Double
    public var dns: Double
    public var connect: Double
    public var ssl: Double
    public var send: Double
    public var wait: Double
    public var receive: Double
}

/// One WebSocket message as Chrome DevTools exports it: `type` is `send` (client → server) or
/// `receive`, `time` epoch seconds, `opcode` 1 (text: `data` is the text) or 2 (binary: `data` is
/// base64).
public struct HARWebSocketMessage: Codable, Sendable {
    public var type: String
    public var time: Double
    public var opcode: Int
    public var data: String
    /// wstap: a text message whose payload is not valid UTF-8 (or could not be inflated), so
    /// `data` is base64 even though `opcode` is 1.
    public var wstapBase64: Bool?
    /// wstap: part of the message was not captured, or it was cut at the size limit.
    public var wstapIncomplete: Bool?

    enum CodingKeys: String, CodingKey {
        case type, time, opcode, data
        case wstapBase64 = "_wstapBase64"
        case wstapIncomplete = "_wstapIncomplete"
    }
}

public struct HAREntry: Codable, Sendable {
    public var startedDateTime: String
    public var time: Double
    public var request: HARRequest
    public var response: HARResponse
    public var cache: [String: String]
    public var timings: HARTimings
    public var serverIPAddress: String?
    public var connection: String?
    public var resourceType: String?
    public var webSocketMessages: [HARWebSocketMessage]?
    /// wstap: the connection number `read` and `sessions` print, and both endpoints.
    public var wstapConnection: Int?
    public var wstapClient: String?
    public var wstapServer: String?

    enum CodingKeys: String, CodingKey {
        case startedDateTime, time, request, response, cache, timings, serverIPAddress, connection
        case resourceType = "_resourceType"
        case webSocketMessages = "_webSocketMessages"
        case wstapConnection = "_wstapConnection"
        case wstapClient = "_wstapClient"
        case wstapServer = "_wstapServer"
    }
}
