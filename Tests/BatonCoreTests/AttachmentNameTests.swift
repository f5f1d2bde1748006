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
        #expect(Attachment.cleanName("two\nlines\t.txt") == "twolines.txt")
        // The joiners stay: a Persian word, an emoji made of several (they were taken out).
        #expect(Attachment.cleanName("گزارش\u{200C}ها.pdf") == "گزارش\u{200C}ها.pdf")
        #expect(Attachment.cleanName("👩\u{200D}💻 notes.txt") == "👩\u{200D}💻 notes.txt")
        #expect(Attachment.cleanName("a\u{200B}b\u{FEFF}.txt") == "ab.txt")
    }

    /// A long name is cut between characters: no half a flag, no skin tone without its
    /// hand, no accent without its letter.
    @Test func aLongNameIsCutBetweenCharacters() {
        let filler = String(repeating: "a", count: 195)
        #expect(Attachment.cleanName(filler + "🇩🇪🇩🇪.txt") == filler + ".txt")
        #expect(Attachment.cleanName(filler + "👍🏽👍🏽.txt") == filler + ".txt")
        let accented = "x" + String(repeating: "e\u{301}", count: 150) + ".pdf"
        let cut = Attachment.cleanName(accented)
        #expect(cut.unicodeScalars.count <= 200 && cut.hasSuffix("e\u{301}.pdf"), "\(cut.unicodeScalars.suffix(6))")
    }

    @Test func aTextIsCutInScalarsBetweenCharacters() {
        #expect("ab🇩🇪".prefix(scalars: 3) == "ab")
        #expect("ab🇩🇪".prefix(scalars: 4) == "ab🇩🇪")
        #expect("👨\u{200D}👩\u{200D}👧".prefix(scalars: 4) == "")
        #expect("".prefix(scalars: 5) == "")
        #expect("abc".prefix(scalars: 0) == "")
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
