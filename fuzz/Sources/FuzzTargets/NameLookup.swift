#if canImport(Glibc)
import Glibc
#endif

// libpcap resolves names in filter expressions (`host example.com`, a bare word, `net NAME`,
// `ether host NAME`, `gateway NAME`): a fuzzed expression would send DNS queries, wait on their
// timeouts, and reach the network. These definitions replace the resolver functions libpcap calls
// for the fuzz program (they take precedence over libc's, and over AddressSanitizer's weak
// interceptors): numeric addresses still parse, names are never found.

private typealias GetaddrinfoFunction = @convention(c) (
    UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<addrinfo>?, UnsafeMutablePointer<UnsafeMutablePointer<addrinfo>?>?
) -> CInt

/// libc's own `getaddrinfo` (the next definition after this program's: `RTLD_NEXT`).
private let libcGetaddrinfo: GetaddrinfoFunction? = dlsym(UnsafeMutableRawPointer(bitPattern: -1), "getaddrinfo")
    .map { unsafeBitCast($0, to: GetaddrinfoFunction.self) }

/// Host names must be numeric; service names (/etc/services, a local file) are left alone.
@_cdecl("getaddrinfo")
public func numericGetaddrinfo(
    _ node: UnsafePointer<CChar>?, _ service: UnsafePointer<CChar>?, _ hints: UnsafePointer<addrinfo>?,
    _ result: UnsafeMutablePointer<UnsafeMutablePointer<addrinfo>?>?
) -> CInt {
    guard let libcGetaddrinfo else { return EAI_FAIL }
    var numeric = hints?.pointee ?? addrinfo()
    if node != nil { numeric.ai_flags |= AI_NUMERICHOST }
    return libcGetaddrinfo(node, service, &numeric, result)
}

@_cdecl("gethostbyname")
public func noGethostbyname(_ name: UnsafePointer<CChar>?) -> UnsafeMutableRawPointer? { nil }

@_cdecl("ether_hostton")
public func noEtherHostton(_ name: UnsafePointer<CChar>?, _ address: UnsafeMutableRawPointer?) -> CInt { -1 }

@_cdecl("getnetbyname_r")
public func noGetnetbynameR(
    _ name: UnsafePointer<CChar>?, _ entry: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int,
    _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ error: UnsafeMutablePointer<CInt>?
) -> CInt {
    result?.pointee = nil
    return 0
}
