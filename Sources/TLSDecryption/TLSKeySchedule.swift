import Crypto

/// Key derivation from the key log's secrets (RFC 8446 §7 for TLS 1.3, RFC 5246 §5/§6.3 for
/// TLS 1.2), on swift-crypto's HKDF and HMAC.
public enum TLSKeySchedule {
    /// Key and IV of one direction.
    public struct TrafficKeys: Sendable, Equatable {
        public var key: [UInt8]
        public var iv: [UInt8]
    }

    /// RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, Context, Length).
    public static func expandLabel(
        secret: [UInt8], label: String, context: [UInt8] = [], length: Int, hash: TLSCipherSuite.Hash
    ) -> [UInt8] {
        let fullLabel = Array("tls13 \(label)".utf8)
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)]
        info += fullLabel
        info.append(UInt8(context.count))
        info += context
        let key: SymmetricKey
        switch hash {
        case .sha256: key = HKDF<SHA256>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
        case .sha384: key = HKDF<SHA384>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
        }
        return key.withUnsafeBytes { Array($0) }
    }

    /// RFC 8446 §7.3: the write key and IV of a TLS 1.3 traffic secret.
    public static func trafficKeys(secret: [UInt8], cipher: TLSCipherSuite.Cipher, hash: TLSCipherSuite.Hash) -> TrafficKeys {
        TrafficKeys(
            key: expandLabel(secret: secret, label: "key", length: cipher.keyLength, hash: hash),
            iv: expandLabel(secret: secret, label: "iv", length: 12, hash: hash))
    }

    /// RFC 8446 §7.2: the traffic secret after a KeyUpdate.
    public static func nextTrafficSecret(_ secret: [UInt8], hash: TLSCipherSuite.Hash) -> [UInt8] {
        expandLabel(secret: secret, label: "traffic upd", length: hash.length, hash: hash)
    }

    /// RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label + seed), `length` bytes.
    public static func prf(secret: [UInt8], label: String, seed: [UInt8], length: Int, hash: TLSCipherSuite.Hash) -> [UInt8] {
        switch hash {
        case .sha256: return pHash(SHA256.self, secret: secret, seed: Array(label.utf8) + seed, length: length)
        case .sha384: return pHash(SHA384.self, secret: secret, seed: Array(label.utf8) + seed, length: length)
        }
    }

    private static func pHash<H: HashFunction>(_: H.Type, secret: [UInt8], seed: [UInt8], length: Int) -> [UInt8] {
        let key = SymmetricKey(data: secret)
        var output: [UInt8] = []
        var a = seed
        while output.count < length {
            a = Array(HMAC<H>.authenticationCode(for: a, using: key))
            output += Array(HMAC<H>.authenticationCode(for: a + seed, using: key))
        }
        return Array(output.prefix(length))
    }

    /// RFC 5246 §6.3 (and RFC 5288 / RFC 7905 for the AEAD IV lengths): the client and server
    /// write keys and IVs of a TLS 1.2 connection. GCM takes a 4-byte implicit salt (the rest of
    /// the nonce is sent in each record); ChaCha20-Poly1305 a 12-byte IV.
    public static func tls12Keys(
        masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8], cipher: TLSCipherSuite.Cipher, hash: TLSCipherSuite.Hash
    ) -> (client: TrafficKeys, server: TrafficKeys) {
        let keyLength = cipher.keyLength
        let ivLength = cipher == .chaCha20Poly1305 ? 12 : 4
        let block = prf(secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom,
                        length: 2 * keyLength + 2 * ivLength, hash: hash)
        let clientKey = Array(block[0..<keyLength])
        let serverKey = Array(block[keyLength..<2 * keyLength])
        let clientIV = Array(block[2 * keyLength..<2 * keyLength + ivLength])
        let serverIV = Array(block[2 * keyLength + ivLength..<2 * keyLength + 2 * ivLength])
        return (TrafficKeys(key: clientKey, iv: clientIV), TrafficKeys(key: serverKey, iv: serverIV))
    }
}
