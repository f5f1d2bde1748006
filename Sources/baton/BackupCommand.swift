import ArgumentParser
import BatonCore
import BatonServer
import BatonStore
import Foundation

/// `baton backup FILE`: a consistent copy of the SQLite database, safe to take while
/// Baton runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the SQLite database into a new file, safely, also while Baton runs.",
        discussion: """
            The copy is consistent (one moment's state) and compact; Baton opens it as it is:
            to restore, stop Baton and start it with --database on the copy, or put the copy
            in the database's place. Keep the key file (baton.key, or BATON_SECRET_KEY) with
            your backups: without it the stored Mattermost credentials cannot be read.
            On PostgreSQL, back up with PostgreSQL's own tools (pg_dump).

            Example:
              baton backup /var/backups/baton-$(date +%F).sqlite --database /var/lib/baton/baton.sqlite
            """)

    @Argument(help: "The new file to write (it must not exist).") var file: String
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let config = try storage.configuration()
        switch config.database {
        case .postgres:
            throw CommandFailure(message: "The database is PostgreSQL: back it up with pg_dump (docs/configuration.md#backups).")
        case .sqlite(let path):
            do {
                let size = try SQLiteBackup.copy(path, to: file)
                print("Backed up \(path) to \(file) (\(ByteCount.text(size))).")
                print("Keep the key file with it: \(config.resolvedSecretKeyFile), unless BATON_SECRET_KEY holds the key.")
            } catch {
                throw CommandFailure(error)
            }
        }
    }
}
