/// What the plaintext hellos tell: enough to find the key log entry (client random), pick the
/// key derivation (version, cipher suite) and tell the user what the connection was (SNI, ALPN).
///
/// Parsed from untrusted bytes with `TLSByteReader`: a hello that is cut or lies about a length
/// gives nil, never a trap.
public struct TLSClientHello: Sendable, Equatable {
    public var random: [UInt8]
    public var serverName: String?
    /// Protocols offered in the ALPN extension, in the client's order.
    public var protocols: [String]

    /// Parses the body of a ClientHello handshake message (after its 4-byte header).
    public init?(body: ArraySlice<UInt8>) {
        var reader = TLSByteReader(body)
        guard reader.readUInt16() != nil, let random = reader.readBytes(32),
              reader.readVector8() != nil, reader.readVector16() != nil, reader.readVector8() != nil
        else { return nil }
        self.random = Array(random)
        serverName = nil
        protocols = []
        guard !reader.isAtEnd else { return }
        guard let extensions = TLSExtensions(reader: &reader) else { return nil }
        if let data = extensions[0] {
            var names = TLSByteReader(data)
            guard let list = names.readVector16() else { return nil }
            var entries = TLSByteReader(list)
            while !entries.isAtEnd {
                guard let type = entries.readUInt8(), let name = entries.readVector16() else { return nil }
                if type == 0, serverName == nil { serverName = TLSExtensions.printable(name) }
            }
        }
        if let data = extensions[16] {
            guard let list = TLSExtensions.protocolNames(data) else { return nil }
            protocols = list
        }
    }
}

/// The ServerHello (or HelloRetryRequest, which has the same shape and a fixed random).
public struct TLSServerHello: Sendable, Equatable {
    public var random: [UInt8]
    public var cipherSuite: TLSCipherSuite
    /// From `supported_versions` when present (TLS 1.3), otherwise the legacy version field.
    public var version: TLSVersion
    /// The protocol the server chose in the ServerHello's ALPN extension (TLS 1.2 only: TLS 1.3
    /// moves it into the encrypted extensions).
    public var selectedProtocol: String?

    /// RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest.
    static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    public var isHelloRetryRequest: Bool { random == Self.helloRetryRequestRandom }

    /// Parses the body of a ServerHello handshake message (after its 4-byte header).
    public init?(body: ArraySlice<UInt8>) {
        var reader = TLSByteReader(body)
        guard let legacyVersion = reader.readUInt16(), let random = reader.readBytes(32),
              reader.readVector8() != nil, let suite = reader.readUInt16(), reader.readUInt8() != nil
        else { return nil }
        self.random = Array(random)
        cipherSuite = TLSCipherSuite(code: suite)
        version = TLSVersion(code: legacyVersion)
        selectedProtocol = nil
        guard !reader.isAtEnd else { return }
        guard let extensions = TLSExtensions(reader: &reader) else { return nil }
        if let data = extensions[43] {
            var versions = TLSByteReader(data)
            guard let selected = versions.readUInt16() else { return nil }
            version = TLSVersion(code: selected)
        }
        if let data = extensions[16] {
            selectedProtocol = TLSExtensions.protocolNames(data)?.first
        }
    }
}

/// The extensions block of a hello or of EncryptedExtensions, by type (the first of each type).
struct TLSExtensions {
    private var byType: [UInt16: ArraySlice<UInt8>] = [:]

    init?(reader: inout TLSByteReader) {
        guard let block = reader.readVector16() else { return nil }
        var entries = TLSByteReader(block)
        while !entries.isAtEnd {
            guard let type = entries.readUInt16(), let data = entries.readVector16() else { return nil }
            if byType[type] == nil { byType[type] = data }
        }
    }

    subscript(type: UInt16) -> ArraySlice<UInt8>? { byType[type] }

    /// The names of an ALPN extension's `ProtocolNameList`.
    static func protocolNames(_ data: ArraySlice<UInt8>) -> [String]? {
        var reader = TLSByteReader(data)
        guard let list = reader.readVector16() else { return nil }
        var names = TLSByteReader(list)
        var result: [String] = []
        while !names.isAtEnd {
            guard let name = names.readVector8() else { return nil }
            result.append(printable(name))
        }
        return result
    }

    /// Untrusted name bytes as text a terminal can show: printable ASCII kept, the rest escaped.
    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        var text = ""
        for byte in bytes.prefix(maxNameBytes) {
            if byte >= 0x20, byte < 0x7F {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return text
    }

    /// Longest SNI or ALPN name shown: a DNS name has at most 253 characters, so a longer one
    /// is hostile and is cut rather than carried into every event.
    static let maxNameBytes = 255
}
