import BatonCore
import Crypto

/// Visitor tokens are stored only as their SHA-256, so a copy of the database does not
/// let anyone resume a visitor's chat.
enum TokenHash {
    static func sha256(_ token: String) -> String {
        Hex.string(SHA256.hash(data: Array(token.utf8)))
    }
}
