@testable import BatonServer
import Foundation
import NIOCore
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

/// The admin API's document is read at the first request to the API, once.
@Suite struct APIContractTests {
    @Test func theDocumentIsReadAtFirstUseAndKept() throws {
        let assets = try StaticAssets.load()
        let document = try #require(assets.asset("api/openapi.yaml"))
        let contract = APIContract(document: String(buffer: document.body))
        let first = try contract.get()
        guard case .accepted(let operation, _) = first.check(method: "GET", path: "/api/v1/session", query: nil, body: Data()) else {
            Issue.record("GET /api/v1/session was not accepted")
            return
        }
        #expect(operation == "getSession")
        guard case .unknownPath = try contract.get().check(method: "GET", path: "/api/v1/nothing", query: nil, body: Data()) else {
            Issue.record("an unknown path was accepted")
            return
        }
        // A document that cannot be read fails each request that needs it, not the start.
        let broken = APIContract(document: "paths: [")
        #expect(throws: (any Error).self) { try broken.get() }
        #expect(throws: (any Error).self) { try broken.get() }
    }
}
