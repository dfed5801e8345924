/// A TLS cipher suite by its code point, with what decryption needs to know about it.
///
/// Only AEAD suites are decryptable (TLS 1.3's three, and TLS 1.2's AES-GCM and ChaCha20-Poly1305
/// with any key exchange, because the key log gives the master secret); every other suite is
/// reported by name so the user learns why a connection stays closed.
public struct TLSCipherSuite: Hashable, Sendable, CustomStringConvertible {
    public let code: UInt16

    public init(code: UInt16) { self.code = code }

    /// The AEAD a decryptable suite uses.
    public enum Cipher: Sendable {
        case aes128GCM, aes256GCM, chaCha20Poly1305

        public var keyLength: Int { self == .aes128GCM ? 16 : 32 }
    }

    /// The hash of the suite's PRF (TLS 1.2) or key schedule (TLS 1.3).
    public enum Hash: Sendable {
        case sha256, sha384

        public var length: Int { self == .sha256 ? 32 : 48 }
    }

    /// Decryption parameters, nil for a suite this layer cannot decrypt.
    var parameters: (cipher: Cipher, hash: Hash)? {
        switch code {
        case 0x1301, 0x009C, 0x009E, 0xC02B, 0xC02F: return (.aes128GCM, .sha256)
        case 0x1302, 0x009D, 0x009F, 0xC02C, 0xC030: return (.aes256GCM, .sha384)
        case 0x1303, 0xCCA8, 0xCCA9, 0xCCAA: return (.chaCha20Poly1305, .sha256)
        default: return nil
        }
    }

    public var isDecryptable: Bool { parameters != nil }

    /// The IANA name, or the code in hex for a suite not in the table.
    public var description: String {
        if let name = Self.names[code] { return name }
        let hex = String(code, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// Names of the suites a capture is likely to show: the decryptable ones and the common ones
    /// that are not (so "not supported" names the suite).
    private static let names: [UInt16: String] = [
        0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
        0x1303: "TLS_CHACHA20_POLY1305_SHA256", 0x1304: "TLS_AES_128_CCM_SHA256",
        0x1305: "TLS_AES_128_CCM_8_SHA256",
        0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCAA: "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xC09C: "TLS_RSA_WITH_AES_128_CCM", 0xC0AC: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    ]
}

/// A protocol version as the hellos carry it.
public struct TLSVersion: Hashable, Sendable, CustomStringConvertible {
    public let code: UInt16

    public init(code: UInt16) { self.code = code }

    public static let tls12 = TLSVersion(code: 0x0303)
    public static let tls13 = TLSVersion(code: 0x0304)

    public var description: String {
        switch code {
        case 0x0300: return "SSL 3.0"
        case 0x0301: return "TLS 1.0"
        case 0x0302: return "TLS 1.1"
        case 0x0303: return "TLS 1.2"
        case 0x0304: return "TLS 1.3"
        default: return "0x" + String(code, radix: 16)
        }
    }
}
