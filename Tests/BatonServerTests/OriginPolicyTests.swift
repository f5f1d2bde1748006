@testable import BatonServer
import BatonTestSupport
import Testing

@Suite struct OriginPolicyTests {
    @Test func anEmptyListAllowsEveryPage() {
        #expect(OriginPolicy.allows(origin: "https://anywhere.example", host: "baton.example", allowed: []))
        #expect(OriginPolicy.allows(origin: nil, host: nil, allowed: []))
    }

    @Test func listedOriginsAreComparedWithoutCaseOrTrailingSlash() {
        let allowed = ["https://Shop.example/", "http://localhost:3000"]
        #expect(OriginPolicy.allows(origin: "https://shop.example", host: "baton.example", allowed: allowed))
        #expect(OriginPolicy.allows(origin: "http://localhost:3000", host: "baton.example", allowed: allowed))
        #expect(!OriginPolicy.allows(origin: "http://shop.example", host: "baton.example", allowed: allowed))
        #expect(!OriginPolicy.allows(origin: "https://shop.example.evil.example", host: "baton.example", allowed: allowed))
        #expect(!OriginPolicy.allows(origin: "http://localhost:3001", host: "baton.example", allowed: allowed))
    }

    @Test func batonsOwnPagesAreAlwaysAllowed() {
        #expect(OriginPolicy.allows(origin: "https://baton.example", host: "baton.example", allowed: ["https://shop.example"]))
        #expect(OriginPolicy.allows(origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080", allowed: ["https://shop.example"]))
        #expect(!OriginPolicy.allows(origin: "http://127.0.0.1:8081", host: "127.0.0.1:8080", allowed: ["https://shop.example"]))
    }

    @Test func aMissingOriginIsRefusedWhenTheListIsNotEmpty() {
        #expect(!OriginPolicy.allows(origin: nil, host: "baton.example", allowed: ["https://shop.example"]))
    }
}
