import BatonCore
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

    /// An origin as an admin may write it, as a browser sends it: the scheme's default
    /// port left out, a host in other letters in ASCII; what is no origin is refused.
    @Test(arguments: [
        ("HTTPS://SHOP.EXAMPLE:443/", "https://shop.example"), ("http://shop.example:80", "http://shop.example"),
        ("https://shop.example:80", "https://shop.example:80"), ("http://localhost:3000", "http://localhost:3000"),
        ("https://ü.example", "https://xn--tda.example"), ("https://Bücher.Example", "https://xn--bcher-kva.example"),
        ("http://[::1]:8080", "http://[::1]:8080"), ("http://127.0.0.1", "http://127.0.0.1"),
        ("https://shop.example:99999", nil), ("https://shop.example:0", nil), ("https://shop.example:", nil),
        ("ftp://shop.example", nil), ("https://shop.example/cart", nil), ("https://user@shop.example", nil),
        ("https://", nil), ("shop.example", nil), ("https://shop .example", nil), ("https://shop.example?x", nil),
    ] as [(String, String?)]) func originsAreWrittenAsBrowsersSendThem(_ text: String, _ origin: String?) {
        #expect(OriginPolicy.canonical(text) == origin)
    }

    @Test func anOriginSavedWithItsDefaultPortStillMatches() {
        #expect(OriginPolicy.allows(origin: "https://shop.example", host: "baton.example", allowed: ["https://shop.example:443"]))
        #expect(OriginPolicy.allows(origin: "https://xn--tda.example", host: "baton.example", allowed: ["https://ü.example"]))
    }

    @Test func aMissingOriginIsRefusedWhenTheListIsNotEmpty() {
        #expect(!OriginPolicy.allows(origin: nil, host: "baton.example", allowed: ["https://shop.example"]))
    }
}

/// The origin of a page's address, as the widget's socket compares it with the socket's own.
@Suite struct WebOriginTests {
    @Test(arguments: [
        ("https://shop.example/cart?x=1#top", "https://shop.example"), ("HTTPS://Shop.Example:443/", "https://shop.example"),
        ("http://127.0.0.1:8080/dashboard/", "http://127.0.0.1:8080"), ("http://[::1]:8080/", "http://[::1]:8080"),
        ("https://xn--mller-kva.example/", "https://xn--mller-kva.example"),
    ]) func pagesHaveTheirOrigins(_ url: String, _ origin: String) {
        #expect(WebOrigin.of(url: url) == origin)
    }

    @Test func otherAddressesHaveNone() {
        for url in ["javascript:alert(1)", "file:///etc/passwd", "ws://127.0.0.1/", "not a url", "https:///path"] {
            #expect(WebOrigin.of(url: url) == nil, "\(url)")
        }
    }
}
