@testable import BatonServer
import BatonCore
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

/// The widget's languages are exactly `WidgetSettings.languages`: a file more or less stops
/// Baton at start (a language the server accepts but the widget could not fetch, or one
/// nobody may choose), with the file named.
@Suite struct WidgetLanguageFilesTests {
    private func files(codes: [String]) -> [String: Data] {
        var files = ["widget.js": Data("(() => {\n    // @include languages\n})();\n".utf8)]
        for code in codes { files["languages/\(code).json"] = Data("{\n  \"name\": \"\(code)\",\n  \"strings\": {}\n}\n".utf8) }
        return files
    }

    @Test func everyLanguageHasItsFileAndNoOther() throws {
        var complete = files(codes: WidgetSettings.languages)
        try StaticAssets.composeLanguages(&complete)
        let widget = String(decoding: try #require(complete["widget.js"]), as: UTF8.self)
        #expect(widget.hasPrefix("(() => {\n    const LANGUAGES = { \"en\": {\n      \"name\": \"en\",\n      \"strings\": {}\n    } };\n    const LANGUAGE_VERSIONS = { \"ar\": \""))
        #expect(!widget.contains("\"en\": \"") && widget.contains("\"zh\": \""))
        let module = String(decoding: try #require(complete["dashboard/widget-languages.js"]), as: UTF8.self)
        #expect(module.hasSuffix("  };\n}\nexport { batonWidgetLanguages };\n"))

        var missing = files(codes: WidgetSettings.languages.filter { $0 != "ko" })
        do {
            try StaticAssets.composeLanguages(&missing)
            Issue.record("a missing language went unnoticed")
        } catch {
            #expect("\(error)" == "languages/ko.json is missing from the Baton installation")
        }
        var stray = files(codes: WidgetSettings.languages + ["xx"])
        do {
            try StaticAssets.composeLanguages(&stray)
            Issue.record("a stray language was taken")
        } catch {
            #expect("\(error)".hasPrefix("languages/xx.json is in the Baton installation, but its language is not among the widget's"))
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
