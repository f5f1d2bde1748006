import ArgumentParser
import BatonCore
import BatonMail
import BatonServer
import Foundation

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "Check the mail server Baton emails visitors through.",
        subcommands: [Test.self]
    )
}

extension MailCommand {
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test email through BATON_SMTP, as the emails of missed replies go.",
            discussion: """
                Example:
                  BATON_SMTP='smtp://baton%40example.com:PASSWORD@mail.example.com:587' \\
                    baton mail test --mail-from 'Support <support@example.com>' --to you@example.com
                """)

        @Option(help: "Who gets the test email.")
        var to: String

        @Option(help: "Who it comes from, e.g. \"Support <support@example.com>\" (BATON_MAIL_FROM).")
        var mailFrom: String?

        @Option(help: "PEM certificates of a private certificate authority that signed the mail server's certificate (BATON_MAIL_CA_FILE).")
        var mailCAFile: String?

        func run() async throws {
            var config = try BatonConfiguration.fromEnvironment(BatonConfiguration.environment(
                ProcessInfo.processInfo.environment, only: ["BATON_SMTP", "BATON_MAIL_FROM", "BATON_MAIL_CA_FILE"]))
            if let mailFrom { try config.mail.setSender(mailFrom, from: "--mail-from") }
            if let mailCAFile { try config.mail.setAuthorityFile(mailCAFile, from: "--mail-ca-file") }
            guard let server = config.mail.server else {
                throw CommandFailure(message: "No mail server: set BATON_SMTP, e.g. BATON_SMTP='smtp://USER:PASSWORD@mail.example.com:587' (or smtps://… for port 465).")
            }
            guard let sender = config.mail.sender else {
                throw CommandFailure(message: "No sender: give --mail-from 'Support <support@example.com>' or set BATON_MAIL_FROM.")
            }
            guard let to = ReplyMail.deliverableAddress(to) else {
                throw CommandFailure(message: "\"\(to)\" is not an email address Baton can send to.")
            }
            let mail = ReplyMail(to: to, senderName: "Baton", subject: "Baton can send email",
                                 body: """
                                     This is a test from Baton, sent through \(server).

                                     Visitors who leave a chat before the agents answer get the replies by email like this one, \
                                     from \(sender.address).
                                     """, language: "en")
            do {
                try await config.mail.client(server: server, sender: sender).send(mail)
            } catch {
                throw CommandFailure(message: "Not sent: \(error)")
            }
            print("Sent a test email to \(to) from \(sender.address) through \(server).")
        }
    }
}
