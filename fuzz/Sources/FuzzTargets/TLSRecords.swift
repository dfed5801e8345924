#if canImport(Glibc)
import Glibc
#endif
import PacketDecoding
import TCPReassembly
import TLSDecryption
import WebSocketInspection

/// One connection's bytes through `TLSStreamLayer`, the layer `--keylog` puts in front of the
/// WebSocket analysis: hello parsing, the record layer, key derivation, decryption, resynchronisation
/// after lost data. The input is a key log, a NUL byte, then chunks of either side's bytes and gaps.
/// The seeds (make-seeds.py) hold a real TLS capture's streams with the key log that opens them, so
/// mutation starts from records that decrypt and authenticate.
/// `FUZZ_TLS_SHOW=1` prints what each input delivered: run over the seeds, it shows that they reach
/// decryption (make-seeds.py's streams and key logs belong together).
private let showsDelivery = getenv("FUZZ_TLS_SHOW") != nil

func fuzzTLSRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var configuration = TLSDecryptionConfiguration(keyLog: TLSKeyLog(parsing: input.take(until: 0), maxEntries: 8))
    // Small caps so that inputs of a few KB reach the limit paths.
    configuration.maxHandshakeMessageBytes = 4096
    let layer = TLSStreamLayer(configuration: configuration)
    var received = [0, 0]
    var delivered = [0, 0]
    func count(_ output: StreamLayerOutput) {
        if case .data(let side, let bytes, _) = output { delivered[Int(side.rawValue)] += bytes.count }
    }
    var time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
    // Per chunk: a control byte (bit 0 the side, bit 1 a gap instead of bytes), then a 12-bit length.
    while !input.isAtEnd {
        let control = input.byte()
        let side: StreamSide = control & 0x01 == 0 ? .initiator : .responder
        time.seconds += 1
        let length = Int(input.uint16() & 0x0FFF)
        if control & 0x02 != 0 {
            layer.receiveGap(UInt64(length), from: side, at: time, count)
            continue
        }
        let chunk = input.take(length)
        received[Int(side.rawValue)] += chunk.count
        layer.receive(chunk, from: side, at: time, count)
    }
    layer.finish(at: time, count)
    _ = layer.summary
    _ = layer.tlsSession
    // Never invent bytes: what comes out of a side is at most what went in (records carry a header
    // and a tag, passthrough hands the bytes on as they are).
    for side in 0..<2 where delivered[side] > received[side] {
        fatalError("side \(side): \(delivered[side]) bytes delivered from \(received[side]) received")
    }
    if showsDelivery { print("FuzzTLSRecords: received \(received), delivered \(delivered), \(layer.tlsSession.map { "\($0.version) \($0.cipher)" } ?? "no session")") }
    return 0
}
