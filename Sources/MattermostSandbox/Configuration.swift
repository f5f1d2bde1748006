import Logging
import NIOSSL

extension MattermostSandbox {
    /// How the sandbox behaves; the defaults are those of a current Mattermost server.
    public struct Configuration: Sendable {
        /// Address to listen on; loopback by default.
        public var host = "127.0.0.1"
        /// Port to listen on; 0 picks a free one (read it from `port` once running).
        public var port = 0
        /// Newer servers take `{"user_ids": [...]}` on `POST /channels/{id}/members`; older
        /// ones answer 400 (`api.context.invalid_param.app_error`, user_id) to it.
        public var supportsUserIDsOnAddMember = true
        /// Longest message in Unicode scalars (runes); old databases allow 4,000.
        public var maxPostRunes = 16_383
        /// Largest file `POST /files` takes, in bytes (`FileSettings.MaxFileSize`: 100 MiB);
        /// larger ones are refused with 413.
        public var maxFileSize: Int64 = 100 << 20
        /// How often the server pings each event socket (the real server: 60 s).
        public var pingInterval: Duration = .seconds(60)
        /// How long a `pending_post_id` de-duplicates a retried `POST /posts`.
        public var pendingPostWindow: Duration = .seconds(30)
        /// The real server queues the `hello` event before the reply to
        /// `authentication_challenge` (both go through its hub in that order), so clients
        /// usually see `hello` first. Set to false to send the reply first.
        public var helloBeforeAuthenticationReply = true
        /// `ServiceSettings.EnableAPIChannelDeletion`: whether `DELETE /channels/{id}?permanent=true`
        /// deletes for good (off by default, as on the real server: 401).
        public var enableAPIChannelDeletion = false
        /// `TeamSettings.MaxChannelsPerTeam`: `POST /channels` answers 400
        /// (`api.channel.create_channel.max_channel_limit.app_error`) once a team holds this
        /// many channels, archived ones counted (the real server's first check counts them).
        public var maxChannelsPerTeam = 2000
        /// `ServiceSettings.PostEditTimeLimit` in seconds, -1 for none (the default): a
        /// change of a post's text after that long is refused with 400
        /// (`api.post.update_post.permissions_time_limit.app_error`).
        public var postEditTimeLimit = -1
        /// The version reported in `hello` and `X-Version-Id`.
        public var serverVersion = "10.5.0"
        /// Most posts `GET /channels/{id}/posts?since=` answers (the real server's query has
        /// `LIMIT 1000`); the ones changed first, as its index on the update time reads them.
        public var maxPostsSince = 1000
        /// Which of the changed posts a `since` answer over `maxPostsSince` holds. The real
        /// query has no `ORDER BY` before its `LIMIT`: PostgreSQL usually reads the index on
        /// the update time (the first changed), but may read another (the newest made).
        public var postsSinceNewestFirst = false
        /// Largest `per_page` honoured; larger values are capped silently.
        public var maxPerPage = 200
        /// Whether every REST exchange is kept for `exchanges` (tests check them against the
        /// API reference); a load generator that makes thousands turns this off.
        public var recordsExchanges = true
        /// `ServiceSettings.AllowCorsFrom`, as the event socket's upgrade reads it: empty (the
        /// default), an upgrade that carries an `Origin` must come from the server's own
        /// host and port (its `Host`), as gorilla/websocket checks, else it is refused (400
        /// here; the real server writes 403 and logs 400); `*` takes any; otherwise the
        /// origins listed, separated by spaces. An upgrade without an `Origin` (a
        /// server-side client) is always taken.
        public var allowCorsFrom = ""
        /// Serve HTTPS (and `wss://` events) with this certificate and key instead of plain
        /// HTTP: a Mattermost behind a private certificate authority.
        public var tls: TLSConfiguration?
        /// Level of the sandbox's own log (to stderr).
        public var logLevel: Logger.Level = .error

        public init() {}
    }
}
