import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Synchronization

/// A mail server on a loopback port that keeps what it is sent (RFC 5321's commands
/// as a client like Baton's uses them): EHLO, STARTTLS (when given a certificate), AUTH
/// PLAIN and LOGIN (when given a user), MAIL, RCPT, DATA, RSET, NOOP, QUIT. It can refuse
/// recipients and fail the next messages, to test how a sender copes.
public final class SMTPCatcher: Sendable {
    /// A message as received, and as read back.
    public struct Mail: Sendable {
        public var from: String
        public var recipients: [String]
        /// The DATA section, dots unstuffed, lines joined with CRLF.
        public var data: String
        /// Whether the session had turned to TLS, and had signed in, before the message.
        public var encrypted: Bool
        public var signedIn: Bool

        /// A header's value (unfolded), by name in any case.
        public func header(_ name: String) -> String? {
            let head = data.components(separatedBy: "\r\n\r\n").first ?? ""
            var fields: [(String, String)] = []
            for line in head.components(separatedBy: "\r\n") {
                if line.hasPrefix(" ") || line.hasPrefix("\t"), let last = fields.popLast() {
                    fields.append((last.0, last.1 + line))
                } else if let colon = line.firstIndex(of: ":") {
                    fields.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                }
            }
            return fields.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// A header's value with its encoded words (`=?UTF-8?B?…?=`) decoded.
        public func decodedHeader(_ name: String) -> String? {
            guard let value = header(name) else { return nil }
            var result = "", rest = Substring(value)
            while let start = rest.range(of: "=?UTF-8?B?", options: .caseInsensitive), let end = rest[start.upperBound...].range(of: "?=") {
                let between = rest[..<start.lowerBound]
                if !between.allSatisfy(\.isWhitespace) || result.isEmpty { result += between }
                let bytes = Data(base64Encoded: String(rest[start.upperBound..<end.lowerBound])) ?? Data()
                result += String(decoding: bytes, as: UTF8.self)
                rest = rest[end.upperBound...]
            }
            return result + rest
        }

        /// The body, decoded from base64 when it says so, with `\n` line ends.
        public var text: String {
            let body = data.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            guard header("Content-Transfer-Encoding")?.lowercased() == "base64" else {
                return body.replacingOccurrences(of: "\r\n", with: "\n")
            }
            let bytes = Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")) ?? Data()
            return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        }
    }

    public struct Options: Sendable {
        /// Offer STARTTLS with this certificate.
        public var tls: TLSConfiguration?
        /// Ask for this user name and password (AUTH), refusing mail before.
        public var credentials: (user: String, password: String)?
        /// The first line the server sends (a web server's answer, to test a client told
        /// the wrong address).
        public var greeting = "220 catcher.test ESMTP ready"
        /// The AUTH methods offered.
        public var authMethods = "PLAIN LOGIN"
        /// Recipients refused at RCPT, with the reply line (`550 5.1.1 No such user`).
        public var refusedRecipients: [String: String] = [:]
        /// The next messages' DATA fail with `451` (a temporary failure).
        public var temporaryFailures = 0
        /// Offer SMTPUTF8 (RFC 6531): addresses with other letters before the `@`, which
        /// are refused (553 5.6.7) in a transaction that did not ask for it.
        public var smtpUTF8 = false
        /// How long the answer to a message's final dot takes (a server that filters for
        /// spam or viruses after taking the message); the message is kept at once.
        public var acceptDelay: TimeAmount = .zero
        /// Lines sent in plain text right after the answer to STARTTLS, in the same write:
        /// what someone between client and server could add (`250 AUTH LOGIN`).
        public var afterStartTLS: String?

        public init(tls: TLSConfiguration? = nil, credentials: (user: String, password: String)? = nil) {
            self.tls = tls
            self.credentials = credentials
        }
    }

    struct State {
        var mails: [Mail] = []
        var temporaryFailures: Int
        var sessions = 0
        /// Every command's verb, in order, across sessions (not the message's lines, nor
        /// AUTH LOGIN's answers).
        var verbs: [String] = []
    }

    public let port: Int
    let options: Options
    let state: Mutex<State>
    private let channel: any Channel

    private init(port: Int, options: Options, channel: any Channel) {
        self.port = port
        self.options = options
        self.state = Mutex(State(temporaryFailures: options.temporaryFailures))
        self.channel = channel
    }

    /// Starts listening on a free port of 127.0.0.1.
    public static func start(_ options: Options = Options()) async throws -> SMTPCatcher {
        let box = CatcherBox()
        let tls = try options.tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let catcher = box.catcher else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(SMTPSessionHandler(catcher: catcher, tls: tls))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let catcher = SMTPCatcher(port: channel.localAddress?.port ?? 0, options: options, channel: channel)
        box.catcher = catcher
        return catcher
    }

    /// The messages received so far.
    public var mails: [Mail] { state.withLock { $0.mails } }
    /// How many connections were made.
    public var sessions: Int { state.withLock { $0.sessions } }
    /// The verbs of the commands received so far (`EHLO`, `AUTH`…), in order.
    public var verbs: [String] { state.withLock { $0.verbs } }

    /// Waits until `count` messages have come (at most `seconds`).
    @discardableResult
    public func waitForMails(_ count: Int = 1, seconds: Double = 20) async throws -> [Mail] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let mails = self.mails
            if mails.count >= count { return mails }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the mail server got \(mails.count) messages within \(seconds) s, not \(count)")
    }

    public func stop() async {
        try? await channel.close()
    }
}

/// Lets the server's initializer reach the catcher made after it binds.
private final class CatcherBox: @unchecked Sendable {
    private let lock = Mutex<SMTPCatcher?>(nil)
    var catcher: SMTPCatcher? {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}

/// One client's session.
private final class SMTPSessionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let catcher: SMTPCatcher
    let tls: NIOSSLContext?
    var encrypted = false
    var signedIn = false
    var from: String?
    var recipients: [String] = []
    /// The transaction's MAIL asked for SMTPUTF8.
    var international = false
    var data: [String]?
    /// AUTH LOGIN's steps: waiting for the user name, then the password.
    var login: (step: Int, user: String)?

    init(catcher: SMTPCatcher, tls: NIOSSLContext?) {
        self.catcher = catcher
        self.tls = tls
    }

    func channelActive(context: ChannelHandlerContext) {
        catcher.state.withLock { $0.sessions += 1 }
        reply(catcher.options.greeting, context: context)
    }

    private func reply(_ line: String, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data incoming: NIOAny) {
        var buffer = unwrapInboundIn(incoming)
        var line = buffer.readString(length: buffer.readableBytes) ?? ""
        if line.hasSuffix("\r") { line.removeLast() }
        if var lines = data {
            if line == "." {
                data = nil
                finishMessage(lines.joined(separator: "\r\n"), context: context)
            } else {
                lines.append(line.hasPrefix(".") ? String(line.dropFirst()) : line)
                data = lines
            }
            return
        }
        if let step = login {
            let decoded = String(decoding: Data(base64Encoded: line) ?? Data(), as: UTF8.self)
            if step.step == 0 {
                login = (1, decoded)
                reply("334 UGFzc3dvcmQ6", context: context)
            } else {
                login = nil
                signIn(user: step.user, password: decoded, context: context)
            }
            return
        }
        let verb = line.prefix(while: { $0 != " " }).uppercased()
        let argument = line.dropFirst(verb.count).trimmingCharacters(in: .whitespaces)
        catcher.state.withLock { $0.verbs.append(verb) }
        let options = catcher.options
        switch verb {
        case "EHLO", "HELO":
            var features = ["250-catcher.test greets you", "250-8BITMIME"]
            if tls != nil, !encrypted { features.append("250-STARTTLS") }
            if options.credentials != nil { features.append("250-AUTH " + options.authMethods) }
            if options.smtpUTF8 { features.append("250-SMTPUTF8") }
            features.append("250 SIZE 10000000")
            reply(features.joined(separator: "\r\n"), context: context)
        case "STARTTLS":
            guard let tls, !encrypted else { return reply("503 5.5.1 TLS already active or not offered", context: context) }
            let channel = context.channel
            let added = options.afterStartTLS.map { $0 + "\r\n" } ?? ""
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "220 2.0.0 Ready to start TLS\r\n" + added))).whenSuccess {
                try? channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
            }
            encrypted = true
            signedIn = false
        case "AUTH":
            let parts = argument.split(separator: " ").map(String.init)
            let offered = options.authMethods.uppercased().split(separator: " ")
            if parts.first?.uppercased() == "PLAIN", parts.count == 2, offered.contains("PLAIN") {
                let fields = String(decoding: Data(base64Encoded: parts[1]) ?? Data(), as: UTF8.self).split(separator: "\0", omittingEmptySubsequences: false)
                signIn(user: fields.count == 3 ? String(fields[1]) : "", password: fields.count == 3 ? String(fields[2]) : "", context: context)
            } else if parts.first?.uppercased() == "LOGIN", offered.contains("LOGIN") {
                login = (0, "")
                reply("334 VXNlcm5hbWU6", context: context)
            } else {
                reply("504 5.5.4 Unrecognized authentication type", context: context)
            }
        case "MAIL":
            guard options.credentials == nil || signedIn else { return reply("530 5.7.0 Authentication required", context: context) }
            from = Self.address(argument)
            recipients = []
            international = argument.uppercased().hasSuffix(" SMTPUTF8")
            if international, !options.smtpUTF8 { return reply("555 5.5.4 SMTPUTF8 not offered", context: context) }
            reply("250 2.1.0 OK", context: context)
        case "RCPT":
            guard from != nil else { return reply("503 5.5.1 MAIL first", context: context) }
            let address = Self.address(argument)
            if !address.utf8.allSatisfy({ $0 < 0x80 }), !international {
                return reply("553 5.6.7 Non-ASCII addresses need SMTPUTF8", context: context)
            }
            if let refusal = options.refusedRecipients[address] { return reply(refusal, context: context) }
            recipients.append(address)
            reply("250 2.1.5 OK", context: context)
        case "DATA":
            guard from != nil, !recipients.isEmpty else { return reply("503 5.5.1 RCPT first", context: context) }
            data = []
            reply("354 End data with <CR><LF>.<CR><LF>", context: context)
        case "RSET":
            from = nil
            recipients = []
            reply("250 2.0.0 OK", context: context)
        case "NOOP":
            reply("250 2.0.0 OK", context: context)
        case "QUIT":
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "221 2.0.0 Bye\r\n"))).whenComplete { _ in context.close(promise: nil) }
        default:
            reply("502 5.5.2 Command not recognized", context: context)
        }
    }

    private func signIn(user: String, password: String, context: ChannelHandlerContext) {
        if let expected = catcher.options.credentials, expected.user == user, expected.password == password {
            signedIn = true
            reply("235 2.7.0 Authentication successful", context: context)
        } else {
            reply("535 5.7.8 Authentication credentials invalid", context: context)
        }
    }

    private func finishMessage(_ text: String, context: ChannelHandlerContext) {
        let failing = catcher.state.withLock { state in
            guard state.temporaryFailures > 0 else { return false }
            state.temporaryFailures -= 1
            return true
        }
        if failing { return reply("451 4.3.0 Try again later", context: context) }
        let mail = SMTPCatcher.Mail(from: from ?? "", recipients: recipients, data: text, encrypted: encrypted, signedIn: signedIn)
        catcher.state.withLock { $0.mails.append(mail) }
        from = nil
        recipients = []
        let delay = catcher.options.acceptDelay
        guard delay > .zero else { return reply("250 2.0.0 OK queued", context: context) }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            handler.reply("250 2.0.0 OK queued", context: context)
        }
    }

    /// `FROM:<a@b>` → `a@b`.
    static func address(_ argument: String) -> String {
        guard let open = argument.firstIndex(of: "<"), let close = argument.lastIndex(of: ">"), open < close else { return argument }
        return String(argument[argument.index(after: open)..<close])
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
