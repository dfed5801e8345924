import Foundation
import FuzzConversation
import Sessions

/// A HAR file (wstap's export or a browser's), read by `wstap replay`: `HARReader`, the session
/// file replay makes of it and what replay prepares from that, and the HAR written again.
func fuzzHAR(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let connections = try? HARReader().read(Data(bytes: data, count: size)) else { return 0 }
    ReplayPreparation.exercise(SessionFile(connections: connections.map(SessionConnection.init(recorded:))))
    // Written as a HAR (export) and read again, the same connections come back.
    guard let written = try? HARWriter().encode(connections) else { fatalError("connections read from a HAR cannot be written as one") }
    guard let again = try? HARReader().read(written), again.count == connections.count else {
        fatalError("a HAR written from \(connections.count) connections does not read back as many")
    }
    return 0
}
