import MessageDecoding

/// The application protocols wstap decodes inside WebSocket, and how `--decode` chooses them.
public enum ApplicationProtocol: String, CaseIterable, Sendable {
    case socketIO = "socket.io"
    case mqtt
    case stomp
    case graphqlTransportWS = "graphql-transport-ws"
    case graphqlWS = "graphql-ws"
    case jsonRPC = "json-rpc"

    /// Also accepted on the command line.
    static let aliases: [String: ApplicationProtocol] = [
        "socketio": .socketIO, "engine.io": .socketIO, "engineio": .socketIO, "jsonrpc": .jsonRPC, "graphql": .graphqlTransportWS,
    ]

    public init?(name: String) {
        let lowered = name.lowercased()
        guard let chosen = ApplicationProtocol(rawValue: lowered) ?? Self.aliases[lowered] else { return nil }
        self = chosen
    }

    /// The `Sec-WebSocket-Protocol` values that choose this protocol automatically.
    public var subprotocols: [String] {
        switch self {
        case .mqtt: return ["mqtt", "mqttv3.1"]
        case .stomp: return ["v12.stomp", "v11.stomp", "v10.stomp"]
        case .graphqlTransportWS: return ["graphql-transport-ws"]
        case .graphqlWS: return ["graphql-ws"]
        case .socketIO, .jsonRPC: return []
        }
    }

    public func makeDecoder(_ context: MessageDecoderFactory.Context) -> any MessageDecoder {
        switch self {
        case .socketIO: return SocketIODecoder(engineVersion: SocketIODecoder.engineVersion(path: context.path))
        case .mqtt: return MQTTDecoder()
        case .stomp: return STOMPDecoder()
        case .graphqlTransportWS: return GraphQLWebSocketDecoder(dialect: .transport)
        case .graphqlWS: return GraphQLWebSocketDecoder(dialect: .legacy)
        case .jsonRPC: return JSONRPCDecoder()
        }
    }

    /// The registrations for a `--decode` choice: per-connection choices first, then either one
    /// protocol for every connection, the automatic choice, or nothing.
    public static func factory(mode: DecodeMode, perConnection: [Int: ApplicationProtocol] = [:]) -> MessageDecoderFactory {
        var registrations: [MessageDecoderFactory.Registration] = perConnection.sorted { $0.key < $1.key }.map { number, chosen in
            .init(name: chosen.rawValue, matches: [.connection(number)]) { chosen.makeDecoder($0) }
        }
        switch mode {
        case .none:
            break
        case .only(let chosen):
            registrations.append(.init(name: chosen.rawValue, matches: [.always]) { chosen.makeDecoder($0) })
        case .auto:
            for chosen in allCases where !chosen.subprotocols.isEmpty {
                registrations.append(.init(name: chosen.rawValue, matches: chosen.subprotocols.map { .subprotocol($0) }) { chosen.makeDecoder($0) })
            }
            registrations.append(.init(name: ApplicationProtocol.socketIO.rawValue, matches: [.queryParameter("EIO")]) {
                ApplicationProtocol.socketIO.makeDecoder($0)
            })
            // By shape of the first message: JSON-RPC, or STOMP without its subprotocol.
            registrations.append(.init(name: "by-shape", matches: [.always]) { _ in ShapeSniffer() })
        }
        return MessageDecoderFactory(registrations)
    }

    /// What `--decode` asks for connections not named one by one.
    public enum DecodeMode: Sendable, Equatable {
        case auto
        case none
        case only(ApplicationProtocol)
    }
}
