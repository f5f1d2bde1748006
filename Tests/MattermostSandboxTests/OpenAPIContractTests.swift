import Foundation
import OpenAPIContract
import Testing

/// The checker itself: deliberately wrong exchanges must be reported, right ones not.
@Suite struct OpenAPIContractTests {
    static let post = """
        {"id":"p1","create_at":1,"update_at":1,"edit_at":0,"delete_at":0,"user_id":"u","channel_id":"c","root_id":"",
         "original_id":"","message":"hi","type":"","props":{},"hashtags":"","file_ids":[],"pending_post_id":"","metadata":{}}
        """

    func exchange(_ method: String, _ path: String, request: String = "", status: Int, response: String = "",
                  type: String? = "application/json") -> HTTPExchange {
        HTTPExchange(method: method, path: path, requestBody: Data(request.utf8), status: status,
                     responseContentType: type, responseBody: Data(response.utf8))
    }

    @Test func aConformingExchangeHasNoViolations() throws {
        let contract = try OpenAPIContract.mattermost
        let created = exchange("POST", "/api/v4/posts", request: #"{"channel_id":"c","message":"hi"}"#, status: 201, response: Self.post)
        #expect(contract.violations(of: created) == [])
    }

    @Test func aWrongTypeInTheResponseIsReportedWithItsPath() throws {
        let contract = try OpenAPIContract.mattermost
        let wrong = Self.post.replacingOccurrences(of: #""create_at":1"#, with: #""create_at":"1""#)
        let violations = contract.violations(of: exchange("POST", "/api/v4/posts", request: #"{"channel_id":"c","message":"hi"}"#,
                                                          status: 201, response: wrong))
        #expect(violations == ["POST /api/v4/posts → 201: $.create_at: expected integer, got string"])
        let fractional = Self.post.replacingOccurrences(of: #""create_at":1"#, with: #""create_at":1.5"#)
        #expect(contract.violations(of: exchange("GET", "/api/v4/posts/p1", status: 200, response: fractional))
            == ["GET /api/v4/posts/p1 → 200: $.create_at: expected integer, got number"])
    }

    @Test func nestedValuesAreCheckedThroughReferences() throws {
        let contract = try OpenAPIContract.mattermost
        let bad = Self.post.replacingOccurrences(of: #""file_ids":[]"#, with: #""file_ids":[7]"#)
        let list = #"{"order":["p1"],"posts":{"p1":\#(bad)},"next_post_id":"","prev_post_id":"","has_next":false}"#
        #expect(contract.violations(of: exchange("GET", "/api/v4/channels/c1/posts", status: 200, response: list))
            == ["GET /api/v4/channels/c1/posts → 200: $.posts.p1.file_ids[0]: expected string, got integer"])
    }

    @Test func undocumentedStatusesAreViolationsButOutagesAndRateLimitsAreNot() throws {
        let contract = try OpenAPIContract.mattermost
        let teapot = contract.violations(of: exchange("GET", "/api/v4/users/me", status: 418, response: "{}"))
        #expect(teapot.count == 1)
        #expect(teapot.first?.hasPrefix("GET /api/v4/users/me → 418: status not documented") == true)
        #expect(contract.violations(of: exchange("GET", "/api/v4/users/me", status: 502, response: "<html>bad gateway</html>", type: "text/html")) == [])
        #expect(contract.violations(of: exchange("GET", "/api/v4/users/me", status: 503,
                                                 response: #"{"id":"x","message":"m","status_code":"503"}"#))
            == ["GET /api/v4/users/me → 503: $.status_code: expected integer, got string"])
        let limited = exchange("POST", "/api/v4/posts", request: #"{"channel_id":"c","message":"m"}"#, status: 429,
                               response: "limit exceeded\n", type: "text/plain; charset=utf-8")
        #expect(contract.violations(of: limited) == [])
        let strict = try OpenAPIContract(contentsOf: OpenAPIContract.mattermostDocumentPath, deviations: [])
        #expect(strict.violations(of: limited) == ["POST /api/v4/posts → 429: expected a JSON error body, got text/plain; charset=utf-8"])
    }

    @Test func loginIsExcusedFor200OnlyWithTheDeviation() throws {
        let contract = try OpenAPIContract.mattermost
        let user = #"{"id":"u1","username":"alice","create_at":1}"#
        let login = exchange("POST", "/api/v4/users/login", request: #"{"login_id":"a","password":"p"}"#, status: 200, response: user)
        #expect(contract.violations(of: login) == [])
        let badUser = exchange("POST", "/api/v4/users/login", request: #"{"login_id":"a","password":"p"}"#, status: 200,
                               response: #"{"id":1}"#)
        #expect(contract.violations(of: badUser) == ["POST /api/v4/users/login → 200: $.id: expected string, got integer"])
        let strict = try OpenAPIContract(contentsOf: OpenAPIContract.mattermostDocumentPath, deviations: [])
        #expect(strict.violations(of: login).count == 1)
        // The deviation is for login only.
        #expect(contract.violations(of: exchange("POST", "/api/v4/posts", request: #"{"channel_id":"c","message":"m"}"#,
                                                 status: 200, response: Self.post)).count == 1)
    }

    @Test func requestBodiesAreChecked() throws {
        let contract = try OpenAPIContract.mattermost
        #expect(contract.violations(of: exchange("POST", "/api/v4/posts", request: #"{"channel_id":"c"}"#, status: 201, response: Self.post))
            == ["POST /api/v4/posts request: $.message: required property is missing"])
        #expect(contract.violations(of: exchange("POST", "/api/v4/posts", request: #"{"channel_id":"c","message":5}"#, status: 201, response: Self.post))
            == ["POST /api/v4/posts request: $.message: expected string, got integer"])
        #expect(contract.violations(of: exchange("POST", "/api/v4/posts", request: "{oops", status: 400, response: #"{"id":"x"}"#))
            == ["POST /api/v4/posts request: the body is not JSON"])
        let members = "/api/v4/channels/c1/members"
        let member = #"{"channel_id":"c1","user_id":"u1","roles":"channel_user"}"#
        #expect(contract.violations(of: exchange("POST", members, request: #"{"user_ids":["u1"]}"#, status: 201, response: "[\(member)]")) == [])
        let strict = try OpenAPIContract(contentsOf: OpenAPIContract.mattermostDocumentPath, deviations: [])
        #expect(strict.violations(of: exchange("POST", members, request: #"{"user_ids":["u1"]}"#, status: 201, response: "[\(member)]")).count >= 1)
    }

    @Test func literalPathSegmentsWinOverTemplates() throws {
        let contract = try OpenAPIContract.mattermost
        let users = #"[{"id":"u1","username":"alice"}]"#
        #expect(contract.violations(of: exchange("POST", "/api/v4/users/usernames", request: #"["alice"]"#, status: 200, response: users)) == [])
        #expect(contract.violations(of: exchange("POST", "/api/v4/users/usernames", request: #"{"a":1}"#, status: 200, response: users))
            == ["POST /api/v4/users/usernames request: $: expected array, got object"])
        #expect(contract.violations(of: exchange("GET", "/api/v4/users/me", status: 200, response: #"{"id":"u1"}"#)) == [])
        #expect(contract.violations(of: exchange("GET", "/api/v4/nowhere", status: 200)) == ["GET /api/v4/nowhere: no such path in the document"])
        #expect(contract.violations(of: exchange("PATCH", "/api/v4/system/ping", status: 200)).first?.contains("documents no PATCH") == true)
    }

    @Test func queryParametersAreTyped() throws {
        let contract = try OpenAPIContract.mattermost
        let list = #"{"order":[],"posts":{},"next_post_id":"","prev_post_id":"","has_next":false}"#
        let bad = HTTPExchange(method: "GET", path: "/api/v4/channels/c1/posts?since=yesterday&per_page=10", status: 200,
                               responseContentType: "application/json", responseBody: Data(list.utf8))
        #expect(contract.violations(of: bad) == ["GET /api/v4/channels/c1/posts request: query parameter since=yesterday: expected an integer"])
    }

    @Test func schemaKeywordsOfASmallDocument() throws {
        let yaml = """
            openapi: 3.0.0
            paths:
              /things/{id}:
                get:
                  responses:
                    "200":
                      content:
                        application/json:
                          schema:
                            $ref: "#/components/schemas/Thing"
            components:
              schemas:
                Thing:
                  type: object
                  required: [kind]
                  properties:
                    kind: {type: string, enum: [a, b]}
                    note: {type: string, nullable: true}
                    size: {type: number}
                    tags: {type: object, additionalProperties: {type: integer}}
                    shape:
                      oneOf:
                        - {type: object, required: [radius], properties: {radius: {type: number}}}
                        - {type: object, required: [side], properties: {side: {type: number}}}
                    both:
                      allOf:
                        - {type: object, properties: {x: {type: integer}}}
                        - {type: object, properties: {y: {type: boolean}}}
            """
        let contract = try OpenAPIContract(yaml: yaml, deviations: [])
        func check(_ body: String) -> [String] {
            contract.violations(of: HTTPExchange(method: "GET", path: "/things/1", status: 200,
                                                 responseContentType: "application/json", responseBody: Data(body.utf8)))
        }
        #expect(check(#"{"kind":"a","note":null,"size":2,"tags":{"t":1},"shape":{"side":1},"both":{"x":1,"y":true},"extra":[1]}"#) == [])
        #expect(check(#"{"kind":"c"}"#) == [#"GET /things/1 → 200: $.kind: "c" is not one of "a", "b""#])
        #expect(check(#"{}"#) == ["GET /things/1 → 200: $.kind: required property is missing"])
        #expect(check(#"{"kind":"a","size":null}"#) == ["GET /things/1 → 200: $.size: expected number, got null"])
        #expect(check(#"{"kind":"a","tags":{"t":"x"}}"#) == ["GET /things/1 → 200: $.tags.t: expected integer, got string"])
        #expect(check(#"{"kind":"a","both":{"x":1,"y":1}}"#) == ["GET /things/1 → 200: $.both.y: expected boolean, got integer"])
        let shape = check(#"{"kind":"a","shape":{"corner":1}}"#)
        #expect(shape.count == 1)
        #expect(shape.first?.contains("$.shape: matches none of the 2 oneOf alternatives") == true)
        #expect(check("[]") == ["GET /things/1 → 200: $: expected object, got array"])
        #expect(contract.violations(of: HTTPExchange(method: "GET", path: "/things/1", status: 200, responseContentType: "text/plain",
                                                     responseBody: Data("hi".utf8))) == ["GET /things/1 → 200: expected application/json, got text/plain"])
    }

    /// A body documented in another type than JSON must come in that type.
    @Test func aBodyDocumentedAsTextMustComeAsText() throws {
        let yaml = """
            openapi: 3.0.3
            info: {title: t, version: "1"}
            paths:
              /notes/{id}:
                get:
                  parameters: [{name: id, in: path, required: true, schema: {type: string}}]
                  responses:
                    "200":
                      description: a note
                      content:
                        text/plain: {schema: {type: string}}
            """
        let contract = try OpenAPIContract(yaml: yaml, deviations: [])
        func check(_ type: String?) -> [String] {
            contract.violations(of: HTTPExchange(method: "GET", path: "/notes/1", status: 200, responseContentType: type, responseBody: Data("hi".utf8)))
        }
        #expect(check("text/plain; charset=utf-8") == [])
        #expect(check("application/json") == ["GET /notes/1 → 200: expected text/plain, got application/json"])
        #expect(check(nil) == ["GET /notes/1 → 200: expected text/plain, got no content type"])
    }
}
