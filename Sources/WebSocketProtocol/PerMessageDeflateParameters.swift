/// The permessage-deflate parameters a server accepted (RFC 7692 §7.1).
///
/// `client…` parameters govern what the client sends (client-to-server messages), `server…` what the
/// server sends. Keeping the two apart matters: each direction has its own inflater, and mixing them
/// up decodes one direction with the other's window and takeover rules.
public struct PerMessageDeflateParameters: Sendable, Equatable {
    /// The extension token, compared without ASCII case.
    public static let extensionName = "permessage-deflate"
    /// The LZ77 window bits used when a parameter does not restrict them.
    public static let defaultWindowBits = 15
    /// RFC 7692 allows window bits 8 through 15.
    public static let windowBitsRange = 8...15

    /// The client resets its compressor after every message.
    public var clientNoContextTakeover: Bool
    /// The server resets its compressor after every message.
    public var serverNoContextTakeover: Bool
    /// Window bits of the client's compressor, 8...15.
    public var clientMaxWindowBits: Int
    /// Window bits of the server's compressor, 8...15.
    public var serverMaxWindowBits: Int

    public init(
        clientNoContextTakeover: Bool = false,
        serverNoContextTakeover: Bool = false,
        clientMaxWindowBits: Int = defaultWindowBits,
        serverMaxWindowBits: Int = defaultWindowBits
    ) {
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientMaxWindowBits = clientMaxWindowBits
        self.serverMaxWindowBits = serverMaxWindowBits
    }

    /// Reads the parameters from the extensions of a 101 response.
    ///
    /// Returns nil when permessage-deflate was not accepted or its first acceptance is invalid
    /// (unknown or repeated parameter, a value on a takeover flag, window bits missing or outside
    /// 8...15): a client must then fail the connection, so frames with RSV1 are not deflate data.
    public init?(negotiated response: [WebSocketExtensionOffer]) {
        guard let accepted = response.first(where: { $0.isNamed(Self.extensionName) }) else { return nil }
        self.init()
        var seen: Set<String> = []
        for parameter in accepted.parameters {
            let name = parameter.name.lowercased()
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "client_no_context_takeover":
                guard parameter.value == nil else { return nil }
                clientNoContextTakeover = true
            case "server_no_context_takeover":
                guard parameter.value == nil else { return nil }
                serverNoContextTakeover = true
            case "client_max_window_bits":
                guard let bits = Self.windowBits(parameter.value) else { return nil }
                clientMaxWindowBits = bits
            case "server_max_window_bits":
                guard let bits = Self.windowBits(parameter.value) else { return nil }
                serverMaxWindowBits = bits
            default:
                return nil
            }
        }
    }

    /// Parses a window-bits value: 1*DIGIT without leading zero, within 8...15.
    private static func windowBits(_ value: String?) -> Int? {
        guard let value, value.utf8.first != UInt8(ascii: "0"), let bits = parseDecimal(value),
            bits <= 15, windowBitsRange.contains(Int(bits))
        else { return nil }
        return Int(bits)
    }
}
