import BatonCore
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Sends email through one SMTP server (RFC 5321): a connection per email (Baton sends
/// few), EHLO, STARTTLS or TLS from the start, AUTH PLAIN or LOGIN, one recipient.
/// Errors are `MailFailure`: temporary for what may pass later (the server unreachable
/// or slow, a 4xx answer), permanent for a 5xx answer.
public struct SMTPClient: Mailer {
    public let server: SMTPServer
    public let sender: MailSender
    /// Certificates trusted besides the system's (tests' own authority).
    var trustRoots: [NIOSSLCertificate]
    /// How long the server may take to answer any one command.
    var timeout: TimeAmount
    /// The name Baton gives itself in EHLO.
    var clientName: String

    /// How long the answer to the message's final dot may take: RFC 5321 (4.5.3.2.6) gives
    /// it 10 minutes, as servers check the message (spam, viruses) before they answer. A
    /// client that gives up sooner sends again what the server had kept: twice.
    let acceptTimeout: TimeAmount

    /// - Parameter timeout: how long each of the server's answers may take, but the one to
    ///   the message itself (`acceptTimeout`).
    public init(server: SMTPServer, sender: MailSender, trustRoots: [NIOSSLCertificate] = [], timeout: Duration = .seconds(30),
                acceptTimeout: Duration = .seconds(600)) {
        self.server = server
        self.sender = sender
        self.trustRoots = trustRoots
        self.timeout = TimeAmount(timeout)
        self.acceptTimeout = TimeAmount(acceptTimeout)
        clientName = Self.machineName()
    }

    /// Tests: a server on this machine counts as one across the network (which tests may
    /// not reach).
    var loopbackCountsAsNetwork = false

    /// This machine's name when it is a usable domain name, else an address literal.
    /// (`gethostname`, not Foundation's `hostName`, which asks the resolver and loads its
    /// libraries into every Baton that sends email.)
    static func machineName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, 255) == 0 else { return "[127.0.0.1]" }
        let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let usable = host.contains(".") && host.utf8.allSatisfy { $0 == 0x2D || $0 == 0x2E || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }
        return usable ? host : "[127.0.0.1]"
    }

    public func send(_ mail: ReplyMail) async throws {
        guard ReplyMail.isAddress(mail.to) else { throw MailFailure.permanent("\(mail.to) is not an email address") }
        let domain = sender.address.split(separator: "@").last.map(String.init) ?? "baton"
        let message = MailText.message(mail, from: sender, date: Date(), messageID: UUID().uuidString.lowercased() + "@" + domain)
        let session = try await connect()
        // A server that answers, but slower and slower, is not waited for without end.
        let channel = session.channel, overtime = session.overtime
        let deadline = channel.eventLoop.scheduleTask(in: Self.deadline) {
            overtime.set()
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            try await session.converse(self, to: mail.to, message: message)
        } catch {
            session.close()
            throw Self.failure(error, server: server)
        }
        session.close()
    }

    /// The longest one email may take, all its commands together (the answer to its text
    /// included, which may take 10 minutes: `acceptTimeout`).
    static let deadline = TimeAmount.minutes(12)
    /// The longest line a server may send (its replies are short).
    static let maxLine = 64 * 1024

    private func connect() async throws -> SMTPSession {
        let tls = try makeTLSContext()
        let serverName = server.isIPAddress ? nil : server.host
        let (replies, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let implicitTLS = server.security == .tls
        let timeout = self.timeout
        let reader = SMTPReplyReader(continuation, plain: !implicitTLS)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handlers = channel.pipeline.syncOperations
                        if implicitTLS { try handlers.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                        try handlers.addHandler(IdleStateHandler(readTimeout: timeout), name: SMTPSession.idleHandler)
                        try handlers.addHandler(reader)
                    }
                }
                .connect(host: server.host, port: server.port).get()
            return SMTPSession(channel: channel, replies: replies, reader: reader, tls: tls, serverName: serverName,
                               encrypted: implicitTLS, overtime: Flag())
        } catch {
            throw Self.failure(error, server: server)
        }
    }

    private func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !trustRoots.isEmpty { configuration.additionalTrustRoots = [.certificates(trustRoots)] }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw MailFailure.temporary("cannot set up TLS: \(error)")
        }
    }

    /// Any error as a `MailFailure` that names the server.
    static func failure(_ error: any Error, server: SMTPServer) -> MailFailure {
        switch error {
        case let failure as MailFailure:
            return failure
        case let reply as SMTPReply:
            let text = "the mail server \(server) answered \(reply)"
            return reply.code >= 500 ? .permanent(text) : .temporary(text)
        case is NIOSSLError, is BoringSSLError:
            let detail = String(reflecting: error)
            if detail.contains("WRONG_VERSION_NUMBER") || detail.contains("PACKET_LENGTH_TOO_LONG") || detail.contains("HTTP_REQUEST") {
                // What answered is not TLS: a plain SMTP server (or STARTTLS on 587) at smtps://.
                return .temporary("the mail server \(server) does not speak TLS from the start: for a server that starts in plain text "
                                  + "(STARTTLS, port 587 or 25) use smtp://, for TLS from the start use its TLS port (465)")
            }
            if detail.contains("CERTIFICATE_VERIFY_FAILED") {
                return .temporary("TLS with the mail server \(server) failed: its certificate is not signed by an authority Baton trusts; "
                                  + "if a private authority signed it, give Baton that authority's certificate (--mail-ca-file, or BATON_MAIL_CA_FILE)")
            }
            // The library's error names the file it was built from: only its reason goes out.
            let reason = detail.range(of: #"error:[0-9A-F]+:[^:]*:[^:]*:([A-Z_]+)"#, options: .regularExpression)
                .map { String(detail[$0]).split(separator: ":").last.map(String.init) ?? "" } ?? "\(error)"
            return .temporary("TLS with the mail server \(server) failed (\(reason)); is its certificate valid for \(server.host)?")
        case is ByteToMessageDecoderError.PayloadTooLargeError:
            return .temporary("the mail server \(server) sent a line longer than \(maxLine / 1024) KB: is it a mail server?")
        case ChannelError.connectTimeout:
            return .temporary("the mail server \(server) did not accept a connection in time")
        default:
            return .temporary("cannot reach the mail server \(server) (\(reason(error)))")
        }
    }

    /// Why a connection failed, in a few words where they can be told (NIO's own
    /// description lists every address it tried).
    static func reason(_ error: any Error) -> String {
        if let connection = error as? NIOConnectionError {
            if connection.connectionErrors.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "its host name does not resolve"
            }
            if let first = connection.connectionErrors.first?.error { return reason(first) }
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "it did not answer"
            case EHOSTUNREACH, ENETUNREACH: return "no route to it"
            default: return "\(io)"
            }
        }
        return "\(error)"
    }
}

extension SMTPServer {
    var isIPAddress: Bool { (try? SocketAddress(ipAddress: host, port: 0)) != nil }
}

/// One reply of the server: its code and its lines' texts.
struct SMTPReply: Error, CustomStringConvertible {
    var code: Int
    var lines: [String]
    var description: String { "\(code) " + lines.joined(separator: " ").prefix(300) }
}

/// One connection's conversation, command by command.
private struct SMTPSession {
    let channel: any Channel
    let replies: AsyncThrowingStream<SMTPReply, any Error>
    fileprivate let reader: SMTPReplyReader
    let tls: NIOSSLContext
    let serverName: String?
    var encrypted: Bool
    /// Set when the email took longer than `SMTPClient.deadline` and the connection was closed.
    let overtime: Flag

    func close() { channel.close(promise: nil) }

    /// The handler that ends a conversation whose server stays silent too long.
    static let idleHandler = "smtp-idle"

    func converse(_ client: SMTPClient, to recipient: String, message: String) async throws {
        var session = self
        var iterator = replies.makeAsyncIterator()
        func next() async throws -> SMTPReply {
            guard let reply = try await iterator.next() else {
                throw MailFailure.temporary(overtime.isSet
                    ? "the mail server \(client.server) took longer than \(SMTPClient.deadline.nanoseconds / 60_000_000_000) minutes"
                    : "the mail server \(client.server) closed the connection")
            }
            return reply
        }
        func write(_ text: String) async throws {
            do {
                try await channel.writeAndFlush(ByteBuffer(string: text))
            } catch {
                // The connection closed: the reader knows why (a TLS failure, say).
                _ = try await next()
                throw error
            }
        }
        func expect(_ codes: ClosedRange<Int>, after command: String?) async throws -> SMTPReply {
            if let command { try await write(command + "\r\n") }
            let reply = try await next()
            guard codes.contains(reply.code) else { throw reply }
            return reply
        }
        _ = try await expect(200...299, after: nil)
        var features = try await expect(200...299, after: "EHLO \(client.clientName)").features
        if !session.encrypted, features.contains("STARTTLS") {
            try await channel.eventLoop.submit { self.reader.tlsAsked() }.get()
            _ = try await expect(200...299, after: "STARTTLS")
            // TLS from the next byte on. Anything the server sent after its answer came in
            // plain text, where someone in between may have added it, and would be read as
            // if it had come through TLS: the conversation ends.
            let ssl = try NIOSSLClientHandler(context: tls, serverHostname: serverName)
            try await channel.eventLoop.submit {
                try self.reader.tlsStarts()
                try self.channel.pipeline.syncOperations.addHandler(ssl, position: .first)
            }.get()
            session.encrypted = true
            features = try await expect(200...299, after: "EHLO \(client.clientName)").features
        }
        // Not across a network in plain text unless the admin said so: an email carries a
        // link that opens the visitor's chat, and a STARTTLS an attacker in between took
        // out of the server's list would otherwise pass unseen.
        let unseenByOthers = session.encrypted || client.server.isLoopback && !client.loopbackCountsAsNetwork
        guard unseenByOthers || client.server.plainAllowed else {
            throw MailFailure.permanent("the mail server \(client.server) does not offer STARTTLS, and Baton sends no email unencrypted "
                                        + "across a network (for a server without TLS, add ?tls=optional to BATON_SMTP)")
        }
        if let username = client.server.username {
            guard unseenByOthers else {
                throw MailFailure.permanent("the mail server \(client.server) does not offer STARTTLS, and Baton sends no password unencrypted")
            }
            let password = client.server.password ?? ""
            let methods = features.first { $0.hasPrefix("AUTH ") }.map { Set($0.split(separator: " ").dropFirst().map(String.init)) } ?? []
            do {
                if methods.contains("PLAIN") || !methods.contains("LOGIN") {
                    let token = Data(("\0" + username + "\0" + password).utf8).base64EncodedString()
                    _ = try await expect(235...235, after: "AUTH PLAIN " + token)
                } else {
                    _ = try await expect(334...334, after: "AUTH LOGIN")
                    _ = try await expect(334...334, after: Data(username.utf8).base64EncodedString())
                    _ = try await expect(235...235, after: Data(password.utf8).base64EncodedString())
                }
            } catch let reply as SMTPReply {
                let text = "the mail server \(client.server) refused the user name and password (\(reply))"
                throw reply.code >= 500 ? MailFailure.permanent(text) : MailFailure.temporary(text)
            }
        }
        // An address with other letters before its `@` needs the server's SMTPUTF8 (RFC 6531).
        let international = ReplyMail.needsSMTPUTF8(recipient) || ReplyMail.needsSMTPUTF8(client.sender.address)
        if international, !features.contains(where: { $0 == "SMTPUTF8" || $0.hasPrefix("SMTPUTF8 ") }) {
            throw MailFailure.permanent("the mail server \(client.server) does not take addresses with letters other than ASCII before the @ (it does not offer SMTPUTF8)")
        }
        _ = try await expect(200...299, after: "MAIL FROM:<\(client.sender.address)>" + (international ? " SMTPUTF8" : ""))
        _ = try await expect(200...299, after: "RCPT TO:<\(recipient)>")
        _ = try await expect(354...354, after: "DATA")
        // The message ends with its own CRLF.CRLF. Its answer is waited for longer.
        try await channel.pipeline.removeHandler(name: Self.idleHandler).get()
        try await channel.pipeline.addHandler(IdleStateHandler(readTimeout: client.acceptTimeout), name: Self.idleHandler,
                                              position: .first).get()
        try await write(MailText.dotStuffed(message))
        _ = try await expect(200...299, after: nil)
        _ = try? await expect(200...299, after: "QUIT")
    }
}

/// A flag set once, from any thread.
private final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

extension SMTPReply {
    /// EHLO's extensions, upper-cased: `STARTTLS`, `AUTH PLAIN LOGIN`…
    var features: [String] { lines.dropFirst().map { $0.uppercased() } }
}

/// Splits what the server sends into lines and gathers them (`250-…` goes on, `250 …`
/// ends) into replies. Its own lines, not a decoder's: at STARTTLS nothing may be left over
/// from the plain-text part (`tlsStarts`). Used on the channel's event loop only.
fileprivate final class SMTPReplyReader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    private var received = ByteBuffer()
    private var lines: [String] = []
    /// Connected without TLS (`smtp://`), and whether the server said anything yet.
    private let plain: Bool
    private var greeted = false
    /// STARTTLS was sent, and its answer read: nothing more may come in plain text.
    private var startTLSSent = false
    private var tlsAnswered = false
    private var finished = false

    init(_ continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation, plain: Bool) {
        self.continuation = continuation
        self.plain = plain
    }

    func tlsAsked() { startTLSSent = true }

    /// TLS takes over from here: throws if the server sent anything after its answer to
    /// STARTTLS (read or not yet a whole line).
    func tlsStarts() throws {
        guard tlsAnswered, received.readableBytes == 0, !finished else {
            let failure = Self.injected
            fail(failure, context: nil)
            throw failure
        }
        startTLSSent = false
        tlsAnswered = false
    }

    static let injected = MailFailure.temporary("the mail server sent more in plain text after agreeing to STARTTLS, "
                                                + "which someone between Baton and it may have added: not sent")

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        var buffer = unwrapInboundIn(data)
        if tlsAnswered {
            fail(Self.injected, context: context)
            return
        }
        received.writeBuffer(&buffer)
        while let newline = received.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let line = received.readString(length: newline - received.readerIndex) ?? ""
            received.moveReaderIndex(forwardBy: 1)
            read(line.trimmingCharacters(in: CharacterSet(charactersIn: "\r")), context: context)
            if finished { return }
            if tlsAnswered, received.readableBytes > 0 {
                fail(Self.injected, context: context)
                return
            }
        }
        if received.readableBytes > SMTPClient.maxLine {
            fail(ByteToMessageDecoderError.PayloadTooLargeError(), context: context)
            return
        }
        received.discardReadBytes()
    }

    private func read(_ line: String, context: ChannelHandlerContext) {
        let digits = line.prefix(3)
        guard digits.count == 3, let code = Int(digits), (200...599).contains(code) else {
            fail(MailFailure.temporary("the mail server answered something that is not SMTP: \(line.prefix(100))"), context: context)
            return
        }
        let rest = line.dropFirst(3)
        lines.append(String(rest.dropFirst()))
        if rest.first != "-" {
            greeted = true
            if startTLSSent { tlsAnswered = true }
            continuation.yield(SMTPReply(code: code, lines: lines))
            lines = []
        }
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext?) {
        guard !finished else { return }
        finished = true
        continuation.finish(throwing: error)
        context?.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // Silent from the start, over plain text: most likely a port that waits for TLS.
            let hint = plain && !greeted ? " (it sent no greeting: for a port that speaks TLS from the start, 465, use smtps://)" : ""
            fail(MailFailure.temporary("the mail server did not answer in time" + hint), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}
