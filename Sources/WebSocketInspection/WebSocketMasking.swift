/// RFC 6455 §5.3 masking: XOR with the 4-byte key, continuing at any offset into the payload.
public enum WebSocketMasking {
    /// Appends `bytes` to `output`, unmasked with `maskKey` as if they began `offset` bytes into the payload.
    ///
    /// Works 8 bytes at a time over the bulk of the chunk: a masked megabyte is the common case for
    /// client uploads, and a byte loop there shows up in profiles.
    public static func appendUnmasked(_ bytes: ArraySlice<UInt8>, maskKey: UInt32, offset: UInt64, to output: inout [UInt8]) {
        let count = bytes.count
        guard count > 0 else { return }
        let keyBytes: [UInt8] = [UInt8(maskKey >> 24), UInt8((maskKey >> 16) & 0xff), UInt8((maskKey >> 8) & 0xff), UInt8(maskKey & 0xff)]
        let start = output.count
        output.append(contentsOf: bytes)
        let phase = Int(offset & 3)
        output.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let region = base + start
            var index = 0
            // Byte-wise until the key phase is 0, so that the 8-byte word is the key repeated.
            while index < count && (phase + index) & 3 != 0 {
                region[index] ^= keyBytes[(phase + index) & 3]
                index += 1
            }
            var word: UInt64 = 0
            withUnsafeMutableBytes(of: &word) { raw in
                for lane in 0..<8 { raw[lane] = keyBytes[lane & 3] }
            }
            let raw = UnsafeMutableRawPointer(region)
            while index + 8 <= count {
                let value = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                raw.storeBytes(of: value ^ word, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < count {
                region[index] ^= keyBytes[(phase + index) & 3]
                index += 1
            }
        }
    }

    /// The unmasked copy of a whole payload (offset 0).
    public static func unmasked(_ bytes: [UInt8], maskKey: UInt32) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        appendUnmasked(bytes[...], maskKey: maskKey, offset: 0, to: &output)
        return output
    }
}
