import BatonCore
import Foundation

/// A `ReplyMail` as an Internet message (RFC 5322 with MIME): headers in ASCII, names and
/// the subject as UTF-8 encoded words (RFC 2047), the text in base64, so that no line of
/// it can be taken for a header or for the end of the message, whatever the text holds.
enum MailText {
    static func message(_ mail: ReplyMail, from sender: MailSender, date: Date, messageID: String) -> String {
        let name = sender.name ?? mail.senderName
        var headers = [
            "From: " + displayName(name) + "<\(sender.address)>",
            "To: <\(mail.to)>",
            "Subject: " + header(mail.subject),
            "Date: " + rfc5322Date(date),
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            // Out-of-office replies and the like should not answer it (RFC 3834).
            "Auto-Submitted: auto-generated",
        ]
        if !mail.language.isEmpty, mail.language.utf8.allSatisfy({ $0 == 0x2D || ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) {
            headers.append("Content-Language: " + mail.language)
        }
        let body = Data(mail.body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
            .base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n"
    }

    /// A sender's name before its address: quoted when it is short printable ASCII
    /// (`"Shop support" `), else encoded words on lines of their own; nothing when empty.
    static func displayName(_ name: String) -> String {
        if name.isEmpty { return "" }
        if name.utf8.count <= 40, name.utf8.allSatisfy({ (0x20...0x7E).contains($0) && $0 != 0x22 && $0 != 0x5C }), !name.contains("=?") {
            return "\"\(name)\" "
        }
        return encodedWords(name) + "\r\n "
    }

    /// A header's text: as it is when it is short printable ASCII, else encoded words.
    static func header(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.utf8.count <= 70, flat.utf8.allSatisfy({ (0x20...0x7E).contains($0) }), !flat.contains("=?") { return flat }
        return encodedWords(flat)
    }

    /// `text` as UTF-8 base64 encoded words, each of whole characters and 64 characters
    /// at most, folded onto lines of their own (with a header's name, under 78).
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk = ""
        // Whole characters where they fit; one longer than a word (a letter under hundreds
        // of combining marks) goes by code points, which RFC 2047 allows, rather than make
        // a line no mail server takes.
        let pieces = text.flatMap { character in
            character.utf8.count <= 39 ? [String(character)] : character.unicodeScalars.map { String($0) }
        }
        for piece in pieces {
            if chunk.utf8.count + piece.utf8.count > 39, !chunk.isEmpty {
                words.append(chunk)
                chunk = ""
            }
            chunk += piece
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// The DATA section's bytes: lines starting with a dot get another (RFC 5321 4.5.2),
    /// then the closing line.
    static func dotStuffed(_ message: String) -> String {
        message.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
            + (message.hasSuffix("\r\n") ? "" : "\r\n") + ".\r\n"
    }
}
