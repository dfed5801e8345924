/// Joins handshake records into handshake messages (a message may span records, and a record
/// may hold several), for one direction. Messages longer than the limit are skipped, not held.
struct TLSHandshakeAssembler {
    private var buffer: [UInt8] = []
    /// Bytes of an over-long message still to drop.
    private var skipping = 0
    let maxMessageBytes: Int

    init(maxMessageBytes: Int) { self.maxMessageBytes = maxMessageBytes }

    /// One complete handshake message: its type and body (without the 4-byte header).
    struct Message {
        var type: UInt8
        var body: ArraySlice<UInt8>
    }

    /// Adds a record's handshake bytes and returns the messages they complete.
    mutating func append(_ bytes: some Collection<UInt8>) -> [Message] {
        var input = ArraySlice(bytes)
        if skipping > 0 {
            let drop = min(skipping, input.count)
            skipping -= drop
            input = input.dropFirst(drop)
        }
        buffer += input
        var messages: [Message] = []
        var start = 0
        while buffer.count - start >= 4 {
            let length = Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            if length > maxMessageBytes {
                let available = buffer.count - start - 4
                if available >= length {
                    start += 4 + length
                    continue
                }
                skipping = length - available
                start = buffer.count
                break
            }
            guard buffer.count - start - 4 >= length else { break }
            messages.append(Message(type: buffer[start], body: buffer[(start + 4)..<(start + 4 + length)]))
            start += 4 + length
        }
        let complete = messages.map { Message(type: $0.type, body: ArraySlice(Array($0.body))) }
        buffer.removeFirst(start)
        return complete
    }
}
