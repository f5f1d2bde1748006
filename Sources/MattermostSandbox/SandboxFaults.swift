import Foundation

/// Injected faults: how a real server, or the network in front of it, misbehaves.
extension MattermostSandbox {
    /// The next `count` REST requests (under `pathPrefix`, e.g. `/api/v4/posts`, when given)
    /// are answered with `status` and a JSON error body.
    public func fail(next count: Int, status: Int, pathPrefix: String? = nil) {
        core.control.withLock { $0.failures.append(.init(remaining: count, answer: .error(status: status), pathPrefix: pathPrefix)) }
    }

    /// The next `count` REST requests (under `pathPrefix`, when given) are answered by a
    /// reverse proxy in front of Mattermost instead, with `status` and the proxy's own HTML
    /// page (nginx's `502 Bad Gateway` while Mattermost restarts, say); Mattermost never
    /// sees them.
    public func answerAsProxy(next count: Int, status: Int = 502, pathPrefix: String? = nil) {
        core.control.withLock { $0.failures.append(.init(remaining: count, answer: .proxyPage(status: status), pathPrefix: pathPrefix)) }
    }

    /// The next `count` REST requests are redirected (301) to the same path on `base`, as
    /// a web server does from http:// to https:// or from an old host name to a new one.
    public func redirect(next count: Int, to base: String) {
        core.control.withLock { $0.failures.append(.init(remaining: count, answer: .redirect(to: base))) }
    }

    /// The next `count` REST requests get 429 with the plain-text body `limit exceeded` and
    /// `X-Ratelimit-Limit`, `X-Ratelimit-Remaining` and `X-Ratelimit-Reset` (seconds).
    public func rateLimit(next count: Int, resetSeconds: Int) {
        core.control.withLock { control in
            control.rateLimitRemaining = count
            control.rateLimitReset = resetSeconds
        }
    }

    /// Adds latency to every REST request; nil removes it.
    public func delay(_ duration: Duration?) {
        core.control.withLock { $0.delay = duration }
    }

    /// Closes every event socket abruptly: no close frame, as when a server crashes or a
    /// proxy drops idle connections.
    public func dropWebSockets() {
        core.dropSockets()
    }

    /// Every open event socket goes dead without a word, as when a NAT's table is flushed
    /// or a cable pulled between Baton and Mattermost: it stays open, but nothing more is
    /// sent on it and nothing read from it, not even the WebSocket's pongs. Sockets opened
    /// afterwards work. (`silenceWebSockets` keeps answering pings.)
    public func freezeWebSockets() {
        core.freezeSockets()
    }

    /// Every open connection goes dead without a word, the REST API's kept-alive ones as
    /// well as the event sockets (`freezeWebSockets`): a network path between Baton and
    /// Mattermost gone, while new connections take another. A request sent on a frozen
    /// connection is never read, so never answered. Connections opened afterwards work.
    public func freezeConnections() {
        core.freezeConnections()
    }

    /// Refuses every event socket's upgrade while on (400, as when a proxy in front of
    /// Mattermost does not pass `Upgrade` on and Mattermost gets a plain GET), while the
    /// REST API keeps working. Open sockets are not touched.
    public func refuseWebSockets(_ on: Bool) {
        core.control.withLock { $0.refusesUpgrades = on }
    }

    /// Keeps event sockets open but delivers nothing on them (events and replies), the
    /// failure a client only notices by checking its session now and then.
    public func silenceWebSockets(_ on: Bool) {
        core.world.withLock { $0.socketsSilenced = on }
    }

    /// Every login session token now gets 401 `api.context.session_expired.app_error`, and
    /// sockets authenticated with one go quiet; personal access tokens keep working.
    public func expireSessions() {
        core.world.withLock { $0.expireSessions() }
    }
}

extension SandboxHTTP {
    /// Takes one injected fault for this request, if any is pending.
    func takeFault(path: String, requestID: String) -> Reply? {
        core.control.withLock { control -> Reply? in
            if control.rateLimitRemaining > 0 {
                control.rateLimitRemaining -= 1
                let reset = String(control.rateLimitReset)
                return Reply(status: 429, body: Array("limit exceeded\n".utf8), contentType: "text/plain; charset=utf-8",
                             headers: [("X-Ratelimit-Limit", "10"), ("X-Ratelimit-Remaining", "0"),
                                       ("X-Ratelimit-Reset", reset), ("Retry-After", reset),
                                       ("X-Content-Type-Options", "nosniff")])
            }
            guard let index = control.failures.firstIndex(where: { rule in
                rule.remaining > 0 && (rule.pathPrefix.map { path.hasPrefix($0) } ?? true)
            }) else { return nil }
            control.failures[index].remaining -= 1
            let answer = control.failures[index].answer
            if control.failures[index].remaining == 0 { control.failures.remove(at: index) }
            switch answer {
            case .redirect(let base):
                return Reply(status: 301, body: [], contentType: nil, headers: [("Location", base + path)])
            case .proxyPage(let status):
                let title = "\(status) \(Self.reasonPhrase(status))"
                let page = "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                return Reply(status: status, body: Array(page.utf8), contentType: "text/html", headers: [])
            case .error(let status):
                let error = MattermostSandbox.APIError("api.sandbox.injected_failure.app_error",
                                                       "The sandbox was told to fail this request.", status: status,
                                                       detailed: "injected status \(status)")
                return Reply(status: status, body: error.json(requestID: requestID))
            }
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 502: "Bad Gateway"
        case 503: "Service Temporarily Unavailable"
        case 504: "Gateway Time-out"
        default: "Error"
        }
    }
}
