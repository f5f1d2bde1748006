import BatonCore
import Crypto
import Foundation

/// AES-256-GCM with a random nonce; the sealed form is nonce ‖ ciphertext ‖ tag.
enum SecretCipher {
    static func key(from text: String) -> [UInt8] {
        if let bytes = Base64URL.decode(text), bytes.count == 32 { return bytes }
        return Array(SHA256.hash(data: Array(text.utf8)))
    }

    static func randomKey() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    static func seal(_ plaintext: [UInt8], key: [UInt8], context: [UInt8]) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: key), authenticating: context)
        guard let combined = box.combined else { throw CredentialError.cannotDecrypt }
        return Array(combined)
    }

    static func open(_ sealed: [UInt8], key: [UInt8], context: [UInt8]) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: context))
        } catch {
            throw CredentialError.cannotDecrypt
        }
    }
}
