/// Chooses the decoder for a connection when it opens: by the negotiated subprotocol, by the
/// request path, or because the user named the protocol (`--decode`), in that order of the
/// registrations' priority. No match: the connection's messages go out without annotations.
public struct MessageDecoderFactory: Sendable {
    /// What a registered decoder matches.
    public enum Match: Sendable, Equatable {
        /// A `Sec-WebSocket-Protocol` value, compared case-insensitively (e.g. `mqtt`, `v12.stomp`).
        case subprotocol(String)
        /// A request path prefix (e.g. `/socket.io/`).
        case pathPrefix(String)
        /// Every connection (what `--decode NAME` turns on).
        case always
        /// A parameter of the request's query, by name (e.g. `EIO`, which Engine.IO clients send).
        case queryParameter(String)
        /// One connection by its number (`--decode 3=mqtt`).
        case connection(Int)
    }

    /// What is known of a connection when its decoder is made (a decoder may read its version
    /// from the path, e.g. Engine.IO's `EIO=3`).
    public struct Context: Sendable {
        public var connection: Int?
        public var subprotocol: String?
        public var path: String?

        public init(connection: Int? = nil, subprotocol: String? = nil, path: String? = nil) {
            self.connection = connection
            self.subprotocol = subprotocol
            self.path = path
        }
    }

    public struct Registration: Sendable {
        public var name: String
        public var matches: [Match]
        public var make: @Sendable (Context) -> any MessageDecoder

        public init(name: String, matches: [Match], make: @escaping @Sendable () -> any MessageDecoder) {
            self.name = name
            self.matches = matches
            self.make = { _ in make() }
        }

        public init(name: String, matches: [Match], makeFor: @escaping @Sendable (Context) -> any MessageDecoder) {
            self.name = name
            self.matches = matches
            self.make = makeFor
        }
    }

    public private(set) var registrations: [Registration]

    public init(_ registrations: [Registration] = []) {
        self.registrations = registrations
    }

    /// What a connection offers the choice: its negotiated subprotocol and request path, if known
    /// (a connection picked up mid-stream has neither).
    public func decoder(connection: Int? = nil, subprotocol: String?, path: String?) -> (name: String, decoder: any MessageDecoder)? {
        for registration in registrations
        where registration.matches.contains(where: { Self.matches($0, connection: connection, subprotocol: subprotocol, path: path) }) {
            return (registration.name, registration.make(Context(connection: connection, subprotocol: subprotocol, path: path)))
        }
        return nil
    }

    /// No registrations: no connection is decoded.
    public var isEmpty: Bool { registrations.isEmpty }

    private static func matches(_ match: Match, connection: Int?, subprotocol: String?, path: String?) -> Bool {
        switch match {
        case .connection(let number):
            return connection == number
        case .queryParameter(let name):
            guard let path, let query = path.split(separator: "?", maxSplits: 1).dropFirst().first else { return false }
            return query.split(separator: "&").contains { $0.split(separator: "=", maxSplits: 1).first.map(String.init) == name }
        case .subprotocol(let name):
            guard let subprotocol else { return false }
            return subprotocol.lowercased() == name.lowercased()
        case .pathPrefix(let prefix):
            guard let path else { return false }
            return path.hasPrefix(prefix)
        case .always:
            return true
        }
    }
}
