/// The record-layer state of one direction of a TLS connection.
struct TLSHalfConnection {
    /// Bytes of an incomplete record (at most a record header plus `maxRecordBytes`).
    var buffer: [UInt8] = []
    /// The key records of this direction are opened with; nil while records are plaintext.
    var decryptor: TLSRecordDecryptor?
    /// Handshake messages of this direction (plaintext hellos, or decrypted TLS 1.3 handshake).
    var handshake: TLSHandshakeAssembler
    /// TLS 1.3: the current application traffic secret, installed at this side's Finished and
    /// advanced by KeyUpdate.
    var applicationSecret: [UInt8]?
    /// TLS 1.3: this side sent its Finished and uses its application keys.
    var hasApplicationKeys = false
    /// TLS 1.2: the keys installed when this side sends ChangeCipherSpec.
    var pendingKeys: TLSKeySchedule.TrafficKeys?
    /// Bytes of a record cut by a capture gap still to be dropped before the next header.
    var skipBytes = 0
    /// A gap left the record boundaries unknown: the next record must be found and its sequence
    /// number guessed within the resynchronisation window.
    var isResynchronizing = false
    /// Record bytes (headers included) lost since the last record that was read whole: with the
    /// number of records they held (known once the next record authenticates) they give the
    /// exact plaintext size of the gap.
    var lostBytes: UInt64 = 0
    /// The sequence number of the first record lost in the current resynchronisation.
    var firstLostSequence: UInt64 = 0
    /// Records of this direction are no longer followed (a record too large for the limit).
    var isAbandoned = false

    init(maxHandshakeMessageBytes: Int) {
        handshake = TLSHandshakeAssembler(maxMessageBytes: maxHandshakeMessageBytes)
    }
}

/// One TLS record as read from the stream.
struct TLSRecord {
    var type: UInt8
    var header: ArraySlice<UInt8>
    var fragment: ArraySlice<UInt8>

    static let headerLength = 5
    static let changeCipherSpec: UInt8 = 20
    static let alert: UInt8 = 21
    static let handshake: UInt8 = 22
    static let applicationData: UInt8 = 23

    /// Whether bytes look like a record header: a known content type and a 3.x version.
    static func isPlausibleHeader(_ bytes: ArraySlice<UInt8>, maxLength: Int) -> Bool {
        guard bytes.count >= headerLength else { return false }
        let start = bytes.startIndex
        let type = bytes[start]
        guard (changeCipherSpec...applicationData).contains(type), bytes[start + 1] == 3, bytes[start + 2] <= 4 else { return false }
        let length = Int(bytes[start + 3]) << 8 | Int(bytes[start + 4])
        return length > 0 && length <= maxLength
    }
}
