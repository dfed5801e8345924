#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TLSKeyLog {
    /// Parses the next bytes of the text; a line cut between two calls is completed by the next.
    ///
    /// One pass over contiguous bytes: lines are found with `firstIndex(of:)`, fields by a scan
    /// for blanks, labels compared as bytes, hex decoded through a table. A 52 MB key log took
    /// about 30 s (debug build) when each line went through `split`, `String` and a generic hex
    /// decoder; see docs/keylogs.md for the figures now.
    mutating func append(_ bytes: some Collection<UInt8>) {
        let chunk = Array(bytes)
        chunk.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count, let found = memchr(buffer.baseAddress! + start, 0x0A, buffer.count - start) {
                let newline = buffer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                lineNumber += 1
                if partialLine.isEmpty {
                    parseLine(UnsafeBufferPointer(rebasing: buffer[start..<newline]), number: lineNumber)
                } else {
                    partialLine += buffer[start..<min(newline, start + max(0, Self.maxLineBytes + 1 - partialLine.count))]
                    let line = partialLine
                    partialLine.removeAll(keepingCapacity: true)
                    line.withUnsafeBufferPointer { parseLine($0, number: lineNumber) }
                }
                start = newline + 1
            }
            // Keep at most one byte past the limit: enough to know the line is too long.
            if start < buffer.count {
                partialLine += buffer[start..<min(buffer.count, start + max(0, Self.maxLineBytes + 1 - partialLine.count))]
            }
        }
    }

    /// The text ended: parse a last line without a newline.
    mutating func finishParsing() {
        if !partialLine.isEmpty {
            lineNumber += 1
            let line = partialLine
            line.withUnsafeBufferPointer { parseLine($0, number: lineNumber) }
        }
        partialLine = []
    }

    /// The labels used, as bytes, in `Label` order.
    private static let labelBytes: [[UInt8]] = [
        "CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
    ].map { Array($0.utf8) }

    /// Hex digit values; 0xFF for a byte that is not a hex digit.
    private static let hexValues: [UInt8] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt8(byte) - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt8(byte) - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt8(byte) - UInt8(ascii: "A") + 10
        default: return 0xFF
        }
    }

    /// Which label a field is: its index in `labelBytes`, nil for a label not used.
    private static func label(_ field: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = field.baseAddress else { return nil }
        for (index, label) in labelBytes.enumerated() where label.count == field.count {
            let equal = label.withUnsafeBufferPointer { memcmp($0.baseAddress!, base, field.count) == 0 }
            if equal { return index }
        }
        return nil
    }

    private mutating func parseLine(_ raw: UnsafeBufferPointer<UInt8>, number: Int) {
        var lower = 0, upper = raw.count
        while upper > lower, raw[upper - 1] == 0x0D || raw[upper - 1] == 0x20 || raw[upper - 1] == 0x09 { upper -= 1 }
        while lower < upper, raw[lower] == 0x20 || raw[lower] == 0x09 { lower += 1 }
        if lower == upper || raw[lower] == UInt8(ascii: "#") { return }
        if upper - lower > Self.maxLineBytes { return malformed(number, "longer than \(Self.maxLineBytes) bytes") }
        // The fields: runs of non-blank bytes; the first three are kept.
        var starts = (0, 0, 0), ends = (0, 0, 0)
        var fieldCount = 0
        var position = lower
        while position < upper {
            while position < upper, raw[position] == 0x20 || raw[position] == 0x09 { position += 1 }
            guard position < upper else { break }
            let fieldStart = position
            while position < upper, raw[position] != 0x20, raw[position] != 0x09 { position += 1 }
            switch fieldCount {
            case 0: (starts.0, ends.0) = (fieldStart, position)
            case 1: (starts.1, ends.1) = (fieldStart, position)
            case 2: (starts.2, ends.2) = (fieldStart, position)
            default: break
            }
            fieldCount += 1
        }
        guard fieldCount == 3 else { return malformed(number, "expected 3 fields (label, client random, secret), found \(fieldCount)") }
        let labelField = UnsafeBufferPointer(rebasing: raw[starts.0..<ends.0])
        guard let label = Self.label(labelField) else {
            if labelField.contains(where: { $0 < 0x21 || $0 >= 0x7F }) { return malformed(number, "the label is not printable text") }
            ignoredLineCount += 1
            return
        }
        guard ends.1 - starts.1 == 64, let random = Self.clientRandom(UnsafeBufferPointer(rebasing: raw[starts.1..<ends.1])) else {
            return malformed(number, "the client random is not 64 hex digits")
        }
        guard let secret = Self.hex(UnsafeBufferPointer(rebasing: raw[starts.2..<ends.2])) else { return malformed(number, "the secret is not hex") }
        guard secret.count == 48 || (label != 0 && secret.count == 32) else {
            let name = String(decoding: Self.labelBytes[label], as: UTF8.self)
            return malformed(number, "a \(name) secret has \(label == 0 ? "48" : "32 or 48") bytes, not \(secret.count)")
        }
        if secrets.count >= maxEntries, secrets[random] == nil {
            droppedEntryCount += 1
            return
        }
        // One hash lookup for the read and the write.
        secrets[random, default: Secrets()].set(label: label, secret)
    }

    private mutating func malformed(_ number: Int, _ reason: String) {
        malformedLineCount += 1
        if malformedLines.count < Self.maxMalformedLinesKept {
            malformedLines.append(MalformedLine(line: number, reason: reason))
        }
    }

    /// 64 hex digits to a client random; nil for a non-hex digit.
    private static func clientRandom(_ digits: UnsafeBufferPointer<UInt8>) -> TLSClientRandom? {
        hexValues.withUnsafeBufferPointer { table in
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            var invalid: UInt8 = 0
            for index in 0..<64 {
                let value = table[Int(digits[index])]
                invalid |= value & 0xF0
                let nibble = UInt64(value & 0x0F)
                switch index >> 4 {
                case 0: words.0 = words.0 << 4 | nibble
                case 1: words.1 = words.1 << 4 | nibble
                case 2: words.2 = words.2 << 4 | nibble
                default: words.3 = words.3 << 4 | nibble
                }
            }
            return invalid == 0 ? TLSClientRandom(word0: words.0, word1: words.1, word2: words.2, word3: words.3) : nil
        }
    }

    /// Hex digits to bytes; nil for an odd count or a non-hex character.
    static func hex(_ digits: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        return hexValues.withUnsafeBufferPointer { table in
            var invalid: UInt8 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: digits.count / 2) { buffer, count in
                for index in 0..<buffer.count {
                    let high = table[Int(digits[2 * index])], low = table[Int(digits[2 * index + 1])]
                    invalid |= (high | low) & 0xF0
                    buffer[index] = high << 4 | (low & 0x0F)
                }
                count = buffer.count
            }
            return invalid == 0 ? bytes : nil
        }
    }
}

extension TLSKeyLog.Secrets {
    /// Stores a secret under a label's index in `TLSKeyLog.labelBytes`.
    mutating func set(label: Int, _ secret: [UInt8]) {
        switch label {
        case 0: masterSecret = secret
        case 1: clientHandshakeTrafficSecret = secret
        case 2: serverHandshakeTrafficSecret = secret
        case 3: clientTrafficSecret0 = secret
        default: serverTrafficSecret0 = secret
        }
    }
}
