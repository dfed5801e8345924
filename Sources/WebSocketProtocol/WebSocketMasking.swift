/// RFC 6455 §5.3 masking: XOR with the 4-byte key, continuing at any offset into the payload.
///
/// One routine does the work for both directions of the tool — unmasking what a capture holds and
/// masking what the conversation engine sends — 8 bytes at a time over the bulk of a chunk: a
/// masked megabyte is the common case for client uploads, and a byte loop there shows in profiles.
public enum WebSocketMasking {
    /// XORs `bytes` in place with `maskKey`, as if they began `offset` bytes into the payload.
    /// Masking is its own inverse, so this both masks and unmasks.
    public static func apply(_ bytes: UnsafeMutableRawBufferPointer, maskKey: UInt32, offset: UInt64) {
        let count = bytes.count
        guard count > 0, let region = bytes.baseAddress else { return }
        let keyBytes: (UInt8, UInt8, UInt8, UInt8) = (
            UInt8(maskKey >> 24), UInt8((maskKey >> 16) & 0xff), UInt8((maskKey >> 8) & 0xff), UInt8(maskKey & 0xff)
        )
        func key(_ lane: Int) -> UInt8 {
            switch lane & 3 {
            case 0: return keyBytes.0
            case 1: return keyBytes.1
            case 2: return keyBytes.2
            default: return keyBytes.3
            }
        }
        let phase = Int(offset & 3)
        var index = 0
        // Byte-wise until the key phase is 0, so that the 8-byte word is the key repeated.
        while index < count && (phase + index) & 3 != 0 {
            region.storeBytes(of: region.load(fromByteOffset: index, as: UInt8.self) ^ key(phase + index), toByteOffset: index, as: UInt8.self)
            index += 1
        }
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { raw in
            for lane in 0..<8 { raw[lane] = key(lane) }
        }
        while index + 8 <= count {
            let value = region.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            region.storeBytes(of: value ^ word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            region.storeBytes(of: region.load(fromByteOffset: index, as: UInt8.self) ^ key(phase + index), toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }

    /// Appends `bytes` to `output`, unmasked with `maskKey` as if they began `offset` bytes into the payload.
    public static func appendUnmasked(_ bytes: ArraySlice<UInt8>, maskKey: UInt32, offset: UInt64, to output: inout [UInt8]) {
        let count = bytes.count
        guard count > 0 else { return }
        let start = output.count
        output.append(contentsOf: bytes)
        output.withUnsafeMutableBytes { buffer in
            apply(UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + count)]), maskKey: maskKey, offset: offset)
        }
    }

    /// The unmasked copy of a whole payload (offset 0).
    public static func unmasked(_ bytes: [UInt8], maskKey: UInt32) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        appendUnmasked(bytes[...], maskKey: maskKey, offset: 0, to: &output)
        return output
    }

    /// A masking key from the system's secure random source, as RFC 6455 §10.3 asks: a key the
    /// peer could predict would let page scripts shape bytes on the wire.
    public static func randomKey() -> UInt32 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }
}
