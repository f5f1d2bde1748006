import Foundation

/// A loopback port that refuses connections for as long as this value lives: a socket bound
/// to it that never listens. Holding the port keeps parallel tests (or anything else on the
/// machine) from taking it meanwhile, which a port bound and released at once cannot promise:
/// the kernel hands the freed port to the next listener that asks for any port.
public final class ClosedPort: Sendable {
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        (descriptor, port) = try boundLoopbackSocket()
    }

    deinit { close(descriptor) }
}

/// A loopback port where connections open and nothing ever answers, for as long as this
/// value lives: a socket that listens and never accepts, so the kernel completes each
/// connection (up to its backlog) and keeps what the client sends.
public final class SilentPort: Sendable {
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        (descriptor, port) = try boundLoopbackSocket()
        guard listen(descriptor, 16) == 0 else {
            close(descriptor)
            throw ClosedPortError(what: "listen")
        }
    }

    deinit { close(descriptor) }
}

/// A TCP socket bound to a free port of 127.0.0.1, and that port.
private func boundLoopbackSocket() throws -> (descriptor: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ClosedPortError(what: "socket") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else {
        close(fd)
        throw ClosedPortError(what: "bind")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

public struct ClosedPortError: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "could not hold a loopback port: \(what) failed" }
}
