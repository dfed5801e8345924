/// Where replay connects: `ws://HOST:PORT` or `wss://HOST:PORT`. Only this address is ever
/// contacted — never the one in the recording — so replaying a production capture cannot reach
/// production by accident.
public struct ReplayTarget: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    /// A host name, or an IP address (IPv6 without brackets).
    public var host: String
    public var port: Int

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(secure: Bool, host: String, port: Int) {
        self.secure = secure
        self.host = host
        self.port = port
    }

    /// Parses `ws://host:port` or `wss://host:port` (port optional: 80 / 443; `[::1]` for IPv6).
    /// A path is refused: the path and query come from the recording.
    public init(parsing text: String) throws(ParseError) {
        let secure: Bool
        var rest: Substring
        if text.lowercased().hasPrefix("ws://") {
            secure = false
            rest = text.dropFirst(5)
        } else if text.lowercased().hasPrefix("wss://") {
            secure = true
            rest = text.dropFirst(6)
        } else {
            throw ParseError(description: "--target must be ws://HOST:PORT or wss://HOST:PORT, not '\(text)'")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/"), !rest.contains("?"), !rest.contains("@") else {
            throw ParseError(description: "--target takes only a scheme, host and port ('\(text)'); the path and query are replayed from the recording")
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ParseError(description: "--target '\(text)': '[' without ']'") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ParseError(description: "--target '\(text)': expected ':PORT' after ']'") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw ParseError(description: "--target '\(text)' has no host") }
        var port = secure ? 443 : 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw ParseError(description: "--target '\(text)': port must be 1-65535")
            }
            port = value
        }
        self.init(secure: secure, host: String(host), port: port)
    }

    /// The Host header value: the port is left out when it is the scheme's default (RFC 9110 §7.2).
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// Whether `host` is an IP address literal (TLS SNI must not carry one).
    public var hostIsIPAddress: Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }

    public var description: String { "\(secure ? "wss" : "ws")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}
