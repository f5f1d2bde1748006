import BatonCore
import BatonMattermost
import BatonStore
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// A database restored without its key file: the connection's credentials do not
/// decrypt. Baton says so, and does not try (and say it) again every poll.
@Suite struct KeyMismatchTests {
    @Test func aConnectionWhoseCredentialsDoNotDecryptIsTriedOnce() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = DatabaseLocation.sqlite(path: folder.database)
        try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            try await HandoverRig.run(database: database, sandbox: sandbox) { rig in try await rig.connect() }
            // The same database where its key file is not: a new one is made.
            let elsewhere = folder.url.appendingPathComponent("elsewhere.key").path
            try await HandoverRig.run(database: database, sandbox: sandbox, baton: { $0.secretKeyFile = elsewhere }) { rig in
                let store = rig.baton.services.store
                try await eventually("the connection's failure") {
                    try await store.integrationStatus(widgetKey: "demo", kind: MattermostSettings.kind)?.state == "error"
                }
                let first = try await store.integrationStatus(widgetKey: "demo", kind: MattermostSettings.kind)
                #expect(first?.lastError?.contains("cannot be decrypted") == true, "\(String(describing: first))")
                #expect(FileManager.default.fileExists(atPath: elsewhere))
                // The key names the connections it does not open (said at start).
                let integrations = try await store.integrations(kind: MattermostSettings.kind)
                let other = try CredentialBox.load(environment: [:], keyFile: elsewhere)
                #expect(other.unreadable(integrations) == ["demo"])
                let original = try CredentialBox.load(environment: [:], keyFile: folder.url.appendingPathComponent("baton.key").path)
                #expect(original.unreadable(integrations).isEmpty)
                // Polled every 100 ms here: not tried (nor its failure stored) again.
                try await Task.sleep(for: .milliseconds(600))
                #expect(try await store.integrationStatus(widgetKey: "demo", kind: MattermostSettings.kind)?.updatedAt == first?.updatedAt)
            }
        }
    }
}
