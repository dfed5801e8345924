import TLSDecryption

/// A key log (`--keylog`, SSLKEYLOGFILE, a pcapng secrets block): any bytes parse without a trap,
/// and what the parser keeps stays within the caps it promises.
func fuzzKeyLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // A small entry cap so that the cap's path is reached by inputs of a few KB.
    let maxEntries = 4
    let keyLog = TLSKeyLog(parsing: bytes, maxEntries: maxEntries)
    guard keyLog.secrets.count <= maxEntries else { fatalError("more client randoms kept than maxEntries") }
    guard keyLog.malformedLines.count <= TLSKeyLog.maxMalformedLinesKept else { fatalError("more malformed lines kept than the cap") }
    guard keyLog.malformedLines.count <= keyLog.malformedLineCount else { fatalError("malformed lines kept but not counted") }
    var previous = 0
    for line in keyLog.malformedLines {
        // Line numbers count from 1 and only go forward; there are no more lines than bytes + 1.
        guard line.line > previous, line.line <= size + 1 else { fatalError("malformed line numbers out of order: \(line)") }
        previous = line.line
    }
    // Client randoms are 32 bytes by their type (TLSClientRandom); the secrets are checked here.
    for secrets in keyLog.secrets.values {
        for secret in [secrets.masterSecret, secrets.clientHandshakeTrafficSecret, secrets.serverHandshakeTrafficSecret,
                       secrets.clientTrafficSecret0, secrets.serverTrafficSecret0].compactMap({ $0 }) {
            guard !secret.isEmpty, secret.count <= 64 else { fatalError("a secret of \(secret.count) bytes was kept") }
        }
    }
    _ = keyLog.warnings
    return 0
}
