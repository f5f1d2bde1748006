@testable import BatonServer
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
        guard case .hello(let widget, let token, let lastSeen) = try ClientRequest.parse(#"{"type":"hello","widget":"demo","token":null,"lastSeen":42,"extra":[1,{"a":2}]}"#) else {
            Issue.record("not a hello"); return
        }
        #expect(widget == "demo" && token == nil && lastSeen == 42)
        guard case .message(let clientID, let text, let action) = try ClientRequest.parse(#"{"type":"message","clientId":"c1","text":"Caf\u00e9 \"ok\"\n😀","action":"handover"}"#) else {
            Issue.record("not a message"); return
        }
        #expect(clientID == "c1" && text == "Café \"ok\"\n😀" && action == "handover")
        guard case .typing(let active) = try ClientRequest.parse(#" {"type":"typing","active":false} "#) else {
            Issue.record("not typing"); return
        }
        #expect(!active)
        guard case .typing(true) = try ClientRequest.parse(#"{"type":"typing"}"#) else { Issue.record("typing defaults to active"); return }
        guard case .ping = try ClientRequest.parse(#"{"type":"ping"}"#) else { Issue.record("not a ping"); return }
        // A negative lastSeen counts from the start.
        guard case .hello(_, _, 0) = try ClientRequest.parse(#"{"type":"hello","widget":"w","lastSeen":-5}"#) else {
            Issue.record("lastSeen below 0"); return
        }
    }

    @Test func refusalsSayWhatIsWrong() {
        #expect(refusal("not json")?.message == "The frame is not valid JSON of the widget protocol: it does not parse as a JSON object.")
        #expect(refusal("[1,2]")?.message == "The frame is not valid JSON of the widget protocol: a frame is a JSON object.")
        #expect(refusal(#"{"type":42}"#)?.message == #"The frame is not valid JSON of the widget protocol: "type" must be a string."#)
        #expect(refusal(#"{"type":"typing","active":"yes"}"#)?.message == #"The frame is not valid JSON of the widget protocol: "active" must be true or false."#)
        #expect(refusal(#"{"type":"hello","widget":"w","lastSeen":"3"}"#)?.message == #"The frame is not valid JSON of the widget protocol: "lastSeen" must be an integer."#)
        // A wrong field in a frame that is not JSON after all: the JSON is what is wrong.
        #expect(refusal(#"{"type":42,"text":"#)?.message == "The frame is not valid JSON of the widget protocol: it does not parse as a JSON object.")
        #expect(refusal(#"{"type":"hello","lastSeen":1.5,"widget":"w"}"#)?.code == "malformed_frame")
        #expect(refusal(#"{"type":"message","text":"x"}"#)?.code == "missing_field")
        #expect(refusal(#"{"type":"message","clientId":"c"}"#) == ProtocolError(code: "missing_field", message: "A message frame needs the field \"text\".", clientID: "c"))
        #expect(refusal(#"{"type":"dance"}"#)?.code == "unknown_type")
        #expect(refusal(#"{}"#)?.code == "missing_field")
    }
}
