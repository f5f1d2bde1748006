import NIOCore
import NIOWebSocket

/// Reassembles fragmented WebSocket messages and checks them: size, UTF-8.
struct MessageAssembler {
    enum Result {
        case incomplete
        case text(String)
        case binary
        case failure(ProtocolError, close: WebSocketErrorCode)
    }

    let maxBytes: Int
    private var opcode: WebSocketOpcode?
    private var buffer = ByteBuffer()

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Adds a data frame (text, binary or continuation).
    mutating func add(opcode frameOpcode: WebSocketOpcode, fin: Bool, data: ByteBuffer) -> Result {
        switch frameOpcode {
        case .continuation:
            guard opcode != nil else {
                return .failure(ProtocolError(code: "protocol_error", message: "A continuation frame came without a message to continue."), close: .protocolError)
            }
        default:
            guard opcode == nil else {
                return .failure(ProtocolError(code: "protocol_error", message: "A new message started before the previous one ended."), close: .protocolError)
            }
            opcode = frameOpcode
            buffer.clear()
        }
        guard buffer.readableBytes + data.readableBytes <= maxBytes else {
            return .failure(ProtocolError(code: "too_large", message: "The message is larger than \(maxBytes) bytes."), close: .messageTooLarge)
        }
        // A message in one frame (nearly all of them) is read where it lies.
        if fin, buffer.readableBytes == 0 {
            opcode = nil
            return frameOpcode == .binary ? .binary : Self.text(data.readableBytesView)
        }
        var data = data
        buffer.writeBuffer(&data)
        guard fin, let kind = opcode else { return .incomplete }
        opcode = nil
        if kind == .binary { return .binary }
        // Let go of a large message's memory: an open connection keeps this assembler.
        defer { buffer = ByteBuffer() }
        return Self.text(buffer.readableBytesView)
    }

    private static func text(_ bytes: ByteBufferView) -> Result {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(ProtocolError(code: "invalid_utf8", message: "The text frame is not valid UTF-8."), close: .dataInconsistentWithMessage)
        }
        return .text(text)
    }
}
