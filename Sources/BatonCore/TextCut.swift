extension StringProtocol {
    /// The longest start of this text of at most `limit` Unicode scalars (what Mattermost
    /// and Baton's limits count) that ends between two characters: a flag, a family emoji,
    /// a hand with its skin tone or a letter with its accents is kept whole or left out,
    /// never cut in half. Empty when the first character alone is longer than `limit`.
    public func prefix(scalars limit: Int) -> SubSequence {
        var count = 0
        var end = startIndex
        for index in indices {
            count += self[index].unicodeScalars.count
            guard count <= limit else { break }
            end = self.index(after: index)
        }
        return self[startIndex..<end]
    }
}

extension String {
    /// The offsets (in Unicode scalars) at which a character ends, for cutting a text
    /// counted in scalars between characters.
    public var characterEnds: Set<Int> {
        var ends: Set<Int> = [0]
        var offset = 0
        for character in self {
            offset += character.unicodeScalars.count
            ends.insert(offset)
        }
        return ends
    }
}
