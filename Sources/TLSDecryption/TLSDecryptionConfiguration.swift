import TCPReassembly
import WebSocketInspection

/// The key log and the limits of TLS decryption.
public struct TLSDecryptionConfiguration: Sendable {
    /// The secrets to decrypt with; empty: TLS connections are listed with `no_key`, not opened.
    public var keyLog: TLSKeyLog

    /// Largest record ciphertext accepted, in bytes. RFC 8446 §5.2 caps a protected record at
    /// 2^14 + 256 bytes; a longer length field means the stream is not TLS any more (or hostile),
    /// and is reported (`tls_record_too_large`) instead of buffered. It is also the most a
    /// direction buffers.
    public var maxRecordBytes = (1 << 14) + 256

    /// Largest handshake message reassembled, in bytes. Only the hellos, EncryptedExtensions,
    /// Finished and KeyUpdate are read, all small; longer messages (certificate chains) are
    /// skipped without being buffered.
    public var maxHandshakeMessageBytes = 1 << 16

    /// How many record sequence numbers past the expected one are tried on the first record after
    /// a capture gap: the gap may have swallowed a few whole records. Each try is one AEAD open, so
    /// the window bounds the work a lossy capture costs.
    public var maxResynchronizationWindow = 8

    /// `sniff`: the key log file a browser may still be appending to. A connection whose client
    /// random neither `keyLog` nor the file knows yet holds its records (up to
    /// `maxBytesHeldAwaitingKey`, for at most `maxKeyWaitSeconds` of packet time) while the file
    /// is read again, so connections opened after the capture started decrypt too.
    public var liveKeyLog: TLSKeyLogFile?

    /// Most record bytes one connection holds while waiting for its secrets to appear in
    /// `liveKeyLog`. The secrets are written during the handshake, so the first few records
    /// (the rest of the handshake, the HTTP upgrade) are what waits; past the cap the connection
    /// is reported `no_key`.
    public var maxBytesHeldAwaitingKey = 256 << 10

    /// Longest wait, in packet time, for a connection's secrets to appear in `liveKeyLog`.
    public var maxKeyWaitSeconds = 10.0

    public init(keyLog: TLSKeyLog = TLSKeyLog(parsing: [UInt8]())) {
        self.keyLog = keyLog
    }
}

extension StreamLayerFactory {
    /// A TLS decryption layer on every connection: it passes non-TLS connections through untouched
    /// and decides from the first client bytes (a TLS handshake record) whether to decrypt.
    public static func tls(_ configuration: TLSDecryptionConfiguration) -> StreamLayerFactory {
        var factory = StreamLayerFactory { _ in TLSStreamLayer(configuration: configuration) }
        // Secrets embedded in the capture join the key log given (if any), as if they were in it.
        factory.addingEmbeddedSecrets = { text in
            let embedded = TLSKeyLog(parsing: text)
            var merged = configuration
            merged.keyLog.merge(embedded)
            return (.tls(merged), embedded.warnings.map { "pcapng Decryption Secrets Block: " + $0 })
        }
        return factory
    }
}
