@testable import BatonServer
import BatonCore
import Testing

/// Widget frames read into requests: the fields of the protocol, clear errors for the rest.
@Suite struct ClientRequestTests {
    private func refusal(_ text: String) -> ProtocolError? {
        do {
            _ = try ClientRequest.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func framesOfTheProtocolAreRead() throws {
        guard case .hello(let widget, let token, nil, let lastSeen, let user, nil, nil, nil) = try ClientRequest.parse(#"{"type":"hello","widget":"demo","token":null,"lastSeen":42,"extra":[1,{"a":2}]}"#) else {
            Issue.record("not a hello"); return
        }
        #expect(widget == "demo" && token == nil && lastSeen == 42 && user == nil)
        guard case .message(let clientID, let text, let action, let files) = try ClientRequest.parse(#"{"type":"message","clientId":"c1","text":"Caf\u00e9 \"ok\"\n😀","action":"handover"}"#) else {
            Issue.record("not a message"); return
        }
        #expect(clientID == "c1" && text == "Café \"ok\"\n😀" && action == "handover" && files.isEmpty)
        // Files alone need no text.
        let id = FileID.newFile().rawValue
        guard case .message(_, "", nil, let sent) = try ClientRequest.parse(#"{"type":"message","clientId":"c2","files":["\#(id)"]}"#) else {
            Issue.record("not a message of files"); return
        }
        #expect(sent == [FileID(id)])
        guard case .typing(let active) = try ClientRequest.parse(#" {"type":"typing","active":false} "#) else {
            Issue.record("not typing"); return
        }
        #expect(!active)
        guard case .typing(true) = try ClientRequest.parse(#"{"type":"typing"}"#) else { Issue.record("typing defaults to active"); return }
        guard case .ping = try ClientRequest.parse(#"{"type":"ping"}"#) else { Issue.record("not a ping"); return }
        // The code of an emailed link.
        guard case .hello(_, _, "Zq3-_x", _, _, _, _, _) = try ClientRequest.parse(#"{"type":"hello","widget":"w","link":"Zq3-_x"}"#) else {
            Issue.record("no link"); return
        }
        // A negative lastSeen counts from the start.
        guard case .hello(_, _, _, 0, _, _, _, _) = try ClientRequest.parse(#"{"type":"hello","widget":"w","lastSeen":-5}"#) else {
            Issue.record("lastSeen below 0"); return
        }
    }

    @Test func endAndRateAreReadAndChecked() throws {
        guard case .end = try ClientRequest.parse(#"{"type":"end"}"#) else { Issue.record("not an end"); return }
        guard case .rate(let conversation, .bad) = try ClientRequest.parse(#"{"type":"rate","conversation":"abc","rating":"bad"}"#) else {
            Issue.record("not a rating"); return
        }
        #expect(conversation == ConversationID("abc"))
        #expect(refusal(#"{"type":"rate","rating":"good"}"#)?.code == "missing_field")
        #expect(refusal(#"{"type":"rate","conversation":"abc"}"#)?.code == "missing_field")
        #expect(refusal(#"{"type":"rate","conversation":"abc","rating":"meh"}"#)?.code == "invalid_rating")
        #expect(refusal(#"{"type":"rate","conversation":"abc","rating":5}"#)?.code == "malformed_frame")
    }

    /// The browser's language in the hello: a language tag, written the usual way; left
    /// out when it is not one (the chat still opens).
    @Test func theBrowsersLanguageIsReadAndChecked() throws {
        for (sent, kept) in [("de-de", "de-DE"), ("pt-BR", "pt-BR"), ("EN", "en"), ("zh-hant-tw", "zh-Hant-TW"), ("es-419", "es-419")] {
            guard case .hello(_, _, _, _, _, _, let language, _) = try ClientRequest.parse(#"{"type":"hello","widget":"w","language":""# + sent + #""}"#) else {
                Issue.record("no hello"); return
            }
            #expect(language == kept, "\(sent)")
        }
        for bad in ["", "x", "de_DE", "de--DE", "<script>", "de-DE-a-b-c-d", String(repeating: "a", count: 9), "ab-" + String(repeating: "c", count: 40)] {
            guard case .hello(_, _, _, _, _, _, nil, _) = try ClientRequest.parse(#"{"type":"hello","widget":"w","language":""# + bad + #""}"#) else {
                Issue.record("kept \(bad)"); return
            }
        }
        #expect(refusal(#"{"type":"hello","widget":"w","language":5}"#)?.code == "malformed_frame")
        // The widget's own language: one Baton speaks, else left out.
        guard case .hello(_, _, _, _, _, _, _, "fr") = try ClientRequest.parse(#"{"type":"hello","widget":"w","widgetLanguage":"fr"}"#),
              case .hello(_, _, _, _, _, _, _, nil) = try ClientRequest.parse(#"{"type":"hello","widget":"w","widgetLanguage":"tlh"}"#) else {
            Issue.record("widgetLanguage"); return
        }
    }

    /// The page the widget is on: in the hello (left out when unusable, the chat still
    /// opens) and in `page` frames (refused when unusable).
    @Test func pagesAreReadAndChecked() throws {
        guard case .hello(_, _, _, _, _, let page?, _, _) = try ClientRequest.parse(
            #"{"type":"hello","widget":"w","page":{"url":"https://shop.example/pricing?plan=pro#faq","title":"  Pricing\n| Shop \u0007"}}"#) else {
            Issue.record("no page"); return
        }
        #expect(page == VisitedPage(stored: "https://shop.example/pricing?plan=pro#faq", title: "Pricing | Shop"))
        for bad in [#""javascript:alert(1)""#, #""/pricing""#, #""file:///etc/passwd""#, #""https://""#, "\"https://a.example/\(String(repeating: "x", count: 2100))\""] {
            guard case .hello(_, _, _, _, _, nil, _, _) = try ClientRequest.parse(#"{"type":"hello","widget":"w","page":{"url":"# + bad + "}}") else {
                Issue.record("kept \(bad)"); return
            }
        }
        guard case .page(let moved) = try ClientRequest.parse(#"{"type":"page","url":"http://shop.example/cart"}"#) else {
            Issue.record("not a page"); return
        }
        #expect(moved == VisitedPage(stored: "http://shop.example/cart", title: ""))
        let long = try #require(VisitedPage(url: "https://a.example/", title: String(repeating: "é", count: 500)))
        #expect(long.title.count == VisitedPage.maxTitleLength && long.title.hasSuffix("…"))
        #expect(refusal(#"{"type":"page"}"#)?.code == "missing_field")
        #expect(refusal(#"{"type":"page","url":"javascript:alert(1)"}"#)?.code == "invalid_page")
        #expect(refusal(#"{"type":"page","url":42}"#)?.code == "malformed_frame")
        #expect(refusal(#"{"type":"hello","widget":"w","page":"https://a.example/"}"#)?.code == "malformed_frame")
    }

    @Test func aSignedInUserIsReadAndChecked() throws {
        let hash = String(repeating: "aB", count: 32)
        guard case .hello(_, _, _, _, let user?, _, _, _) = try ClientRequest.parse(
            #"{"type":"hello","widget":"w","user":{"id":"42","hash":"\#(hash)","name":"  Ada\nLovelace ","email":"","x":1}}"#) else {
            Issue.record("no user"); return
        }
        // The hash is compared in lowercase; names keep one line; empty details are absent.
        #expect(user == ClaimedUser(id: "42", hash: hash.lowercased(), name: "Ada Lovelace", email: nil))
        guard case .hello(_, _, _, _, nil, _, _, _) = try ClientRequest.parse(#"{"type":"hello","widget":"w","user":null}"#) else {
            Issue.record("a null user is no user"); return
        }
        #expect(refusal(#"{"type":"hello","widget":"w","user":"42"}"#)?.message
            == #"The frame is not valid JSON of the widget protocol: "user" must be an object."#)
        #expect(refusal(#"{"type":"hello","widget":"w","user":{"id":42,"hash":"\#(hash)"}}"#)?.message
            == #"The frame is not valid JSON of the widget protocol: "user.id" must be a string."#)
        #expect(refusal(#"{"type":"hello","widget":"w","user":{"hash":"\#(hash)"}}"#)?.code == "invalid_identity")
        #expect(refusal(#"{"type":"hello","widget":"w","user":{"id":"","hash":"\#(hash)"}}"#)?.code == "invalid_identity")
        #expect(refusal(#"{"type":"hello","widget":"w","user":{"id":"a\u0007b","hash":"\#(hash)"}}"#)?.code == "invalid_identity")
        #expect(refusal(#"{"type":"hello","widget":"w","user":{"id":"\#(String(repeating: "x", count: 257))","hash":"\#(hash)"}}"#)?.code == "invalid_identity")
        #expect(refusal(#"{"type":"hello","widget":"w","user":{"id":"42"}}"#)?.message
            == #"hello.user is not valid: "hash" must be the HMAC-SHA256 of the id, as 64 hex digits."#)
        #expect(refusal(#"{"type":"hello","widget":"w","user":{"id":"42","hash":"zz\#(hash.dropFirst(2))"}}"#)?.code == "invalid_identity")
        #expect(refusal(#"{"type":"hello","widget":"w","user":{"id":"42","hash":"\#(hash)","name":"\#(String(repeating: "n", count: 201))"}}"#)?.code == "invalid_identity")
    }

    @Test func refusalsSayWhatIsWrong() {
        #expect(refusal("not json")?.message == "The frame is not valid JSON of the widget protocol: it does not parse as a JSON object.")
        #expect(refusal("[1,2]")?.message == "The frame is not valid JSON of the widget protocol: a frame is a JSON object.")
        #expect(refusal(#"{"type":42}"#)?.message == #"The frame is not valid JSON of the widget protocol: "type" must be a string."#)
        #expect(refusal(#"{"type":"typing","active":"yes"}"#)?.message == #"The frame is not valid JSON of the widget protocol: "active" must be true or false."#)
        #expect(refusal(#"{"type":"hello","widget":"w","lastSeen":"3"}"#)?.message == #"The frame is not valid JSON of the widget protocol: "lastSeen" must be an integer."#)
        // A wrong field in a frame that is not JSON after all: the JSON is what is wrong.
        #expect(refusal(#"{"type":42,"text":"#)?.message == "The frame is not valid JSON of the widget protocol: it does not parse as a JSON object.")
        #expect(refusal(#"{"type":"hello","lastSeen":1.5,"widget":"w"}"#)?.message == #"The frame is not valid JSON of the widget protocol: "lastSeen" must be an integer."#)
        #expect(refusal(#"{"type":"seen","upTo":5.5}"#)?.message == #"The frame is not valid JSON of the widget protocol: "upTo" must be an integer."#)
        #expect(refusal(#"{"type":"seen","upTo":1e30}"#)?.message == #"The frame is not valid JSON of the widget protocol: "upTo" must be an integer."#)
        #expect(refusal(#"{"type":"message","text":"x"}"#)?.code == "missing_field")
        #expect(refusal(#"{"type":"message","clientId":"c"}"#) == ProtocolError(code: "missing_field", message: "A message frame needs the field \"text\".", clientID: "c"))
        #expect(refusal(#"{"type":"dance"}"#)?.code == "unknown_type")
        #expect(refusal(#"{}"#)?.code == "missing_field")
    }
}
