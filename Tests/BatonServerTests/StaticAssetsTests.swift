@testable import BatonServer
import Testing

/// The shared scripts (Public/shared/) become dashboard modules that export their first
/// top-level function; the name is found without a regex.
@Suite struct StaticAssetsTests {
    @Test func theSharedCodesFunctionIsTheFirstDeclaredAtALinesStart() {
        let cases: [(String, String?)] = [
            ("// Rich text.\nfunction batonRichText(el) {\n  function inner() {}\n}\n", "batonRichText"),
            ("\nfunction a_1(b) {}\nfunction second() {}", "a_1"),
            // Not at a line's start, not a name, or no parenthesis: passed over.
            ("  function indented() {}\nfunctionx() {}\nfunction (x) {}\nfunction two words() {}\nfunction found() {}", "found"),
            ("function atTheVeryStart() {}", nil),
            ("const f = () => 1;\n", nil),
            ("\nfunction unfinished", nil),
        ]
        for (code, name) in cases {
            #expect(StaticAssets.topLevelFunction(in: code).map(String.init) == name, "\(code)")
        }
    }
}
