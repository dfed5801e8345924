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
    }

    public struct Registration: Sendable {
        public var name: String
        public var matches: [Match]
        public var make: @Sendable () -> any MessageDecoder

        public init(name: String, matches: [Match], make: @escaping @Sendable () -> any MessageDecoder) {
            self.name = name
            self.matches = matches
            self.make = make
        }
    }

    public private(set) var registrations: [Registration]

    public init(_ registrations: [Registration] = []) {
        self.registrations = registrations
    }

    /// What a connection offers the choice: its negotiated subprotocol and request path, if known
    /// (a connection picked up mid-stream has neither).
    public func decoder(subprotocol: String?, path: String?) -> (name: String, decoder: any MessageDecoder)? {
        for registration in registrations where registration.matches.contains(where: { Self.matches($0, subprotocol: subprotocol, path: path) }) {
            return (registration.name, registration.make())
        }
        return nil
    }

    private static func matches(_ match: Match, subprotocol: String?, path: String?) -> Bool {
        switch match {
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
