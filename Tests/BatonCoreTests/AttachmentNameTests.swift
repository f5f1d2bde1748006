import BatonCore
import Testing

/// File names as they are kept and shown: what a visitor or an agent named them, safe.
struct AttachmentNameTests {
    @Test func pathsControlsAndOverridesGo() {
        #expect(Attachment.cleanName("../../etc/passwd") == "passwd")
        #expect(Attachment.cleanName("C:\\Users\\me\\report.pdf") == "report.pdf")
        #expect(Attachment.cleanName("evil\u{202E}gnp.exe") == "evilgnp.exe")
        #expect(Attachment.cleanName("...hidden") == "hidden")
        #expect(Attachment.cleanName(" \u{0}\n ") == "file")
    }

    /// A name over 200 characters is cut before its extension, which stays, so that the
    /// file still opens by its type.
    @Test func aLongNameKeepsItsExtension() {
        let long = String(repeating: "x", count: 240)
        #expect(Attachment.cleanName(long + ".txt") == String(repeating: "x", count: 196) + ".txt")
        #expect(Attachment.cleanName(long + ".tar.gz").hasSuffix("xxx.gz"))
        #expect(Attachment.cleanName(long + ".pdf").count == 200)
        // Not an extension: too long, or not letters and digits, or none at all.
        #expect(Attachment.cleanName(long + "." + String(repeating: "e", count: 20)) == String(repeating: "x", count: 200))
        #expect(Attachment.cleanName(long + ".a b") == String(repeating: "x", count: 200))
        #expect(Attachment.cleanName(long) == String(repeating: "x", count: 200))
        #expect(Attachment.cleanName(String(repeating: "é", count: 250) + ".résumé") == String(repeating: "é", count: 193) + ".résumé")
        // Short names are as they were.
        #expect(Attachment.cleanName("notes.md") == "notes.md")
    }
}
