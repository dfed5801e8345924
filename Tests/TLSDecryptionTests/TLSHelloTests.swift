import Testing
@testable import TLSDecryption

/// Hello parsing from untrusted bytes: the fields come out of a well-formed hello, and every cut
/// or lying length gives nil, never a trap.
struct TLSHelloTests {
    static func vector16(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
    static func vector8(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count)] + bytes }
    static func `extension`(_ type: UInt16, _ data: [UInt8]) -> [UInt8] { [UInt8(type >> 8), UInt8(type & 0xFF)] + vector16(data) }

    static let clientHelloBody: [UInt8] = {
        var body: [UInt8] = [0x03, 0x03] + Array(repeating: 0x42, count: 32) + vector8(Array(repeating: 9, count: 32))
        body += vector16([0x13, 0x01, 0x13, 0x03]) + vector8([0])
        let sni = `extension`(0, vector16([0] + vector16(Array("example.com".utf8))))
        let alpn = `extension`(16, vector16(vector8(Array("h2".utf8)) + vector8(Array("http/1.1".utf8))))
        let versions = `extension`(43, vector8([0x03, 0x04, 0x03, 0x03]))
        body += vector16(sni + alpn + versions)
        return body
    }()

    static let serverHelloBody: [UInt8] = {
        var body: [UInt8] = [0x03, 0x03] + Array(repeating: 0x24, count: 32) + vector8(Array(repeating: 9, count: 32))
        body += [0x13, 0x02, 0x00]
        body += vector16(`extension`(43, [0x03, 0x04]))
        return body
    }()

    @Test func clientHelloFields() throws {
        let hello = try #require(TLSClientHello(body: Self.clientHelloBody[...]))
        #expect(hello.random == Array(repeating: 0x42, count: 32))
        #expect(hello.serverName == "example.com")
        #expect(hello.protocols == ["h2", "http/1.1"])
    }

    @Test func serverHelloTakesTheVersionFromSupportedVersions() throws {
        let hello = try #require(TLSServerHello(body: Self.serverHelloBody[...]))
        #expect(hello.version == .tls13)
        #expect(hello.cipherSuite.description == "TLS_AES_256_GCM_SHA384")
        #expect(!hello.isHelloRetryRequest)
    }

    @Test func everyCutOfAHelloIsRejectedWithoutATrap() {
        // A cut inside the extensions block must fail; a cut exactly before it is a hello without
        // extensions (legal in TLS 1.2).
        for length in 0..<Self.clientHelloBody.count {
            let hello = TLSClientHello(body: Self.clientHelloBody[0..<length])
            if hello != nil { #expect(hello?.serverName == nil) }
        }
        for length in 0..<Self.serverHelloBody.count {
            let hello = TLSServerHello(body: Self.serverHelloBody[0..<length])
            if hello != nil { #expect(hello?.version == .tls12) }
        }
    }

    @Test func lengthsThatLieAreRejected() {
        var body = Self.clientHelloBody
        body[body.count - 6] = 0xFF  // the supported_versions extension's length, past the block's end
        #expect(TLSClientHello(body: body[...]) == nil)
        var server = Self.serverHelloBody
        server[34] = 200  // session id longer than the hello
        #expect(TLSServerHello(body: server[...]) == nil)
    }

    @Test func hostileNamesAreEscapedAndCut() throws {
        let name: [UInt8] = [0x1B, 0x5B, 0x32, 0x4A] + Array(repeating: UInt8(ascii: "a"), count: 400)
        var body: [UInt8] = [0x03, 0x03] + Array(repeating: 1, count: 32) + Self.vector8([]) + Self.vector16([0x13, 0x01]) + Self.vector8([0])
        body += Self.vector16(Self.extension(0, Self.vector16([0] + Self.vector16(name))))
        let hello = try #require(TLSClientHello(body: body[...]))
        let serverName = try #require(hello.serverName)
        #expect(serverName.hasPrefix("\\x1b[2J"))
        #expect(!serverName.unicodeScalars.contains { $0.value < 0x20 })
        #expect(serverName.utf8.count <= TLSExtensions.maxNameBytes + 3)
    }

    @Test func unsupportedSuitesAreNamed() {
        #expect(TLSCipherSuite(code: 0xC013).description == "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")
        #expect(!TLSCipherSuite(code: 0xC013).isDecryptable)
        #expect(TLSCipherSuite(code: 0xCCA8).isDecryptable)
        #expect(TLSCipherSuite(code: 0x0A0A).description == "0x0A0A")
    }
}
