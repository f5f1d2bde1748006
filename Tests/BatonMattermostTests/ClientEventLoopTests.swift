@testable import BatonMattermost
import BatonTestSupport
import Logging
import MattermostSandbox
import NIOCore
import NIOPosix
import Testing

/// Where the client's requests run: a caller on one of the HTTP client's event loops (a
/// link, `EventLoopExecutor`) stays there, and a request ends with the task that waits for it.
@Suite struct ClientEventLoopTests {
    @Test func aCallerOnTheClientsEventLoopStaysThereAcrossRequests() async throws {
        try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            let client = try MattermostClient(url: sandbox.url, credentials: HandoverRig.relayCredentials,
                                              logger: Logger(label: "test"), onOneEventLoop: true)
            let loop = try #require(client.eventLoop)
            #expect(client.http.eventLoopGroup.makeIterator().contains { $0 === loop })
            try await withTaskExecutorPreference(EventLoopExecutor(loop)) { () async throws in
                // The login first, then the session's requests.
                for _ in 0..<3 {
                    let me = try await client.me()
                    #expect(me.username == "relay")
                    #expect(MultiThreadedEventLoopGroup.currentEventLoop === loop)
                }
                await #expect(throws: MattermostError.self) { try await client.user(id: "nobodyatall0000000000000000") }
                #expect(MultiThreadedEventLoopGroup.currentEventLoop === loop)
            }
            // Without the choice, no loop is named and requests go anywhere.
            let anywhere = try MattermostClient(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: Logger(label: "test"))
            #expect(anywhere.eventLoop == nil)
            let me = try await anywhere.me()
            #expect(me.username == "relay")
        }
    }

    /// An https:// address of a server that says nothing to TLS's hello (one that speaks
    /// plain HTTP there, and waits): the time-out names the handshake and the likely mistake.
    @Test func aServerSilentToTLSIsSaidToBe() async throws {
        let silent = try SilentPort()
        let client = try MattermostClient(url: "https://127.0.0.1:\(silent.port)", credentials: .token("token"), logger: Logger(label: "test"))
        do {
            _ = try await client.me()
            Issue.record("a silent server answered")
        } catch let MattermostError.unreachable(_, reason) {
            #expect(reason.contains("TLS handshake timed out; if it speaks plain HTTP on that port, use an http:// address"), "\(reason)")
        } catch {
            Issue.record("not a TLS failure: \(error)")
        }
    }

    /// https:// given for a server that speaks plain HTTP on its port (the sandbox): the
    /// failure says to use http:// (it said "HTTPClientError.tlsHandshakeTimeout").
    @Test func anHTTPSAddressOfAPlainHTTPServerSuggestsHTTP() async throws {
        try await MattermostSandbox.run { sandbox in
            let url = sandbox.url.replacingOccurrences(of: "http://", with: "https://")
            let client = try MattermostClient(url: url, credentials: .token("token"), logger: Logger(label: "test"), interactive: true,
                                              timeout: .seconds(15))
            do {
                _ = try await client.me()
                Issue.record("a plain HTTP server answered over TLS")
            } catch let error as MattermostError {
                #expect(error.description.contains("use an http:// address"), "\(error)")
                #expect(!error.description.contains("HTTPClientError"), "\(error)")
            }
        }
    }

    @Test func aRequestEndsWhenItsTaskIsCancelled() async throws {
        // A server that takes the connection and never answers: only the client's own
        // timeout (20 s) or the cancellation ends the request. Which one did is told by the
        // error, not by the time it took (a starved machine can take seconds for anything).
        let silent = try SilentPort()
        let client = try MattermostClient(url: "http://127.0.0.1:\(silent.port)", credentials: .token("token"), logger: Logger(label: "test"))
        let request = Task { try await client.me() }
        try await Task.sleep(for: .milliseconds(300))
        request.cancel()
        guard case .failure(let error) = await request.result, case .unreachable(_, let reason)? = error as? MattermostError else {
            Issue.record("the request did not fail as unreachable")
            return
        }
        #expect(reason != "timed out", "the request ran into its timeout instead of ending with its task")
    }
}
