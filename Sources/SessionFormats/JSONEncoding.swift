/// Minimal, fast JSON text building for event output: strings escaped per RFC 8259, numbers as
/// integers. Hand-written because Foundation's JSONSerialization allocates a dictionary per event
/// and is the slowest part of a naive JSON Lines writer.
enum JSONEncoding {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `"string"` with the needed escapes.
    static func appendString(_ string: String, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendStringBytes($0, to: &output) }
    }

    /// Appends already valid UTF-8 bytes as a JSON string.
    static func appendStringBytes(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output.append(UInt8(ascii: "\\")); output.append(byte)
            case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\")); output.append(byte)
            case 0x0a: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "n"))
            case 0x0d: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7f:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0xf)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    static func appendKey(_ key: StaticString, to output: inout [UInt8], first: Bool = false) {
        if !first { output.append(UInt8(ascii: ",")) }
        output.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(UInt8(ascii: "\""))
        output.append(UInt8(ascii: ":"))
    }

    static func appendInteger<Value: BinaryInteger>(_ value: Value, to output: inout [UInt8]) {
        var string = String(value)
        string.withUTF8 { output.append(contentsOf: $0) }
    }

    static func appendRaw(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { output.append(contentsOf: $0) }
    }

    static func appendBool(_ value: Bool, to output: inout [UInt8]) {
        appendRaw(value ? "true" : "false", to: &output)
    }
}
