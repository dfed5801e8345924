/// A payload seen as JSON for `--ignore`: plain JSON, or a Socket.IO packet whose JSON data follows
/// a short text header (`42`, `451-/chat,7`: Engine.IO and Socket.IO types, attachment count,
/// namespace, ack id). The header must match exactly; the `--ignore` paths then apply to the data
/// (`$[0]` the event name, `$[1]` the first argument).
struct PrefixedJSON {
    /// Longest Socket.IO header accepted before the JSON data.
    static let maxHeaderBytes = 256

    var header: ArraySlice<UInt8>
    var value: JSONValue

    init?(_ payload: [UInt8]) {
        if let value = JSONValue.parse(payload) {
            header = []
            self.value = value
            return
        }
        // Socket.IO: starts with the Engine.IO message type and the Socket.IO type (two digits).
        guard payload.count > 2, payload[0] == UInt8(ascii: "4"), (0x30...0x36).contains(payload[1]),
              let start = payload.prefix(Self.maxHeaderBytes).firstIndex(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") }),
              let value = JSONValue.parse(Array(payload[start...]))
        else { return nil }
        header = payload[..<start]
        self.value = value
    }
}
