import Crypto
import Foundation

/// Opens the protected records of one direction with one key (RFC 8446 §5.2–5.3 for TLS 1.3,
/// RFC 5288 and RFC 7905 for TLS 1.2), keeping the record sequence number.
///
/// A record that fails authentication gives nil and leaves the sequence number where it was:
/// its bytes are never handed on, so nothing unauthenticated is ever printed.
struct TLSRecordDecryptor {
    let cipher: TLSCipherSuite.Cipher
    let isTLS13: Bool
    private let key: SymmetricKey
    private let iv: [UInt8]
    private(set) var sequenceNumber: UInt64 = 0

    /// AEAD tag length of every supported cipher.
    static let tagLength = 16
    /// TLS 1.2 AES-GCM sends the last 8 bytes of the nonce in front of each record.
    static let explicitNonceLength = 8

    init(keys: TLSKeySchedule.TrafficKeys, cipher: TLSCipherSuite.Cipher, isTLS13: Bool) {
        self.cipher = cipher
        self.isTLS13 = isTLS13
        self.key = SymmetricKey(data: keys.key)
        self.iv = keys.iv
    }

    /// Bytes of a record's fragment that are not plaintext: what a lost record's gap subtracts.
    var overhead: Int {
        Self.tagLength + (isTLS13 ? 1 : 0) + (!isTLS13 && cipher != .chaCha20Poly1305 ? Self.explicitNonceLength : 0)
    }

    /// Decrypts one record; returns the content type and plaintext, or nil when the record does not
    /// authenticate with this key at the current sequence number.
    mutating func open(header: ArraySlice<UInt8>, fragment: ArraySlice<UInt8>) -> (type: UInt8, plaintext: [UInt8])? {
        guard let opened = open(header: header, fragment: fragment, sequence: sequenceNumber) else { return nil }
        sequenceNumber &+= 1
        return opened
    }

    /// Moves the sequence number forward past records that were lost (never backward).
    mutating func skip(to sequence: UInt64) {
        sequenceNumber = max(sequenceNumber, sequence)
    }

    /// Decrypts one record at a given sequence number (resynchronisation tries a few), without
    /// moving the decryptor's own counter.
    func open(header: ArraySlice<UInt8>, fragment: ArraySlice<UInt8>, sequence: UInt64) -> (type: UInt8, plaintext: [UInt8])? {
        guard header.count == 5 else { return nil }
        let type = header[header.startIndex]
        var body = fragment
        var nonce: [UInt8]
        if !isTLS13, cipher != .chaCha20Poly1305 {
            guard body.count >= Self.explicitNonceLength else { return nil }
            nonce = iv + body.prefix(Self.explicitNonceLength)
            body = body.dropFirst(Self.explicitNonceLength)
        } else {
            nonce = iv
            for index in 0..<8 { nonce[4 + index] ^= UInt8(truncatingIfNeeded: sequence >> (8 * (7 - UInt64(index)))) }
        }
        guard body.count >= Self.tagLength else { return nil }
        let ciphertext = body.dropLast(Self.tagLength)
        let tag = body.suffix(Self.tagLength)
        let additionalData: [UInt8]
        if isTLS13 {
            additionalData = Array(header)
        } else {
            additionalData = (0..<8).map { UInt8(truncatingIfNeeded: sequence >> (8 * (7 - UInt64($0)))) }
                + [type, header[header.startIndex + 1], header[header.startIndex + 2],
                   UInt8(ciphertext.count >> 8), UInt8(ciphertext.count & 0xFF)]
        }
        let plaintext: Data
        do {
            switch cipher {
            case .aes128GCM, .aes256GCM:
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                plaintext = try AES.GCM.open(box, using: key, authenticating: additionalData)
            case .chaCha20Poly1305:
                let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                plaintext = try ChaChaPoly.open(box, using: key, authenticating: additionalData)
            }
        } catch {
            return nil
        }
        guard isTLS13 else { return (type, Array(plaintext)) }
        // TLSInnerPlaintext: content, the real content type, then zero padding.
        var inner = Array(plaintext)
        while let last = inner.last, last == 0 { inner.removeLast() }
        guard let innerType = inner.popLast() else { return nil }
        return (innerType, inner)
    }
}
