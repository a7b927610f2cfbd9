import Catalog

/// What a play session's request for a byte range needs before its bytes go out: the one
/// statement of the metering rule, which ``PlaysController`` acts on and ``SendfileRoutes``
/// consults to answer, below the router, only what changes nothing.
///
/// Pure: it looks at the session's state, the rendition's ``PreviewWindow`` and the range,
/// and nothing else. Deciding allocates nothing (the sendfile path runs it on every request
/// of a session's stream).
enum MeteringDecision: Equatable, Sendable {
    /// Send the range as asked, recording nothing: the session streams without limit or has
    /// counted, or the range is a duration probe of the file's tail, or it lies in the
    /// preview and either the first audio is already recorded or it reaches no audio.
    case send
    /// The range lies in the preview and reaches audio, and the session's first audio is not
    /// recorded yet: record it (listening time counts from it), then send.
    case recordFirstAudio
    /// The range starts past the preview: a seek, which counts the play before anything is sent.
    case count
    /// The range starts in the preview (or at its end) and goes on past it: the free bytes
    /// may go out at once, the rest only once the preview has been listened to and the play
    /// counted (see ``Continuation``).
    case continuePastPreview(freeBytes: Range<Int64>)

    /// What the decision needs of a play session.
    struct Session: Equatable, Sendable {
        /// Free, own, owned or admin access: everything streams without a counted play.
        var unlimited: Bool
        var counted: Bool
        var firstAudioRecorded: Bool

        init(unlimited: Bool, counted: Bool, firstAudioRecorded: Bool) {
            (self.unlimited, self.counted, self.firstAudioRecorded) = (unlimited, counted, firstAudioRecorded)
        }

        init(_ session: PlaySession) {
            self.init(unlimited: session.access.isUnlimited, counted: session.isCounted, firstAudioRecorded: session.firstAudioAt != nil)
        }
    }

    /// The decision for `range` (bytes, inclusive) of a rendition whose preview window is
    /// `window` (worked out only if the session is metered and uncounted).
    init(session: Session, range: ClosedRange<Int64>, window: @autoclosure () -> PreviewWindow) {
        self = Self.withoutWindow(session) ?? Self.metered(session, range: range, window: window())
    }

    /// The same with the window only if it is already worked out (`cachedWindow` is asked only
    /// if needed): nil when the decision needs a window that is not there yet.
    init?(session: Session, range: ClosedRange<Int64>, cachedWindow: () -> PreviewWindow?) {
        if let decided = Self.withoutWindow(session) {
            self = decided
        } else if let window = cachedWindow() {
            self = Self.metered(session, range: range, window: window)
        } else {
            return nil
        }
    }

    /// A session that streams without limit, or has counted, gets everything as asked.
    private static func withoutWindow(_ session: Session) -> MeteringDecision? {
        session.unlimited || session.counted ? .send : nil
    }

    /// A metered, uncounted session: it depends on where the range lies.
    private static func metered(_ session: Session, range: ClosedRange<Int64>, window: PreviewWindow) -> MeteringDecision {
        switch window.decision(for: range) {
        case .tailProbe: .send
        case .free: session.firstAudioRecorded || range.upperBound < window.audioStart ? .send : .recordFirstAudio
        case .seekPastPreview: .count
        case .continuePastPreview(let freeBytes): .continuePastPreview(freeBytes: freeBytes)
        }
    }

    /// Whether the answer is the range as asked and changes nothing: what ``SendfileHandler``
    /// may send itself.
    var changesNothing: Bool { self == .send }

    /// How a request that goes on past the preview is answered, once the session's first
    /// audio is recorded and the ledger has said whether the play could be paid now.
    enum Continuation<Refusal> {
        /// Nothing free to send, and the play cannot be paid: the refusal (402) at once.
        case refuse(Refusal)
        /// The play cannot be paid: only the free bytes go out, at once, as a shorter 206
        /// (RFC 9110 §15.3.7 lets it carry less than was asked).
        case sendFreeBytesOnly(ClosedRange<Int64>)
        /// Nothing free to send: wait until the preview has been listened to, count, then
        /// send (so that a refusal found then is still a proper 402).
        case waitThenCount
        /// The free bytes go out at once and the rest is held at the preview's end until it
        /// has been listened to and the play counted. A refused play whose answer must be
        /// whole (a 200) is sent this way too: it ends at the preview.
        case sendHeldAtPreview

        /// - Parameters:
        ///   - freeBytes: the free part of the range (``MeteringDecision/continuePastPreview(freeBytes:)``).
        ///   - refusal: why the play cannot be paid now, or nil if it can.
        ///   - partial: whether the answer is a 206 (a Range request) rather than a whole 200.
        init(freeBytes: Range<Int64>, refusal: Refusal?, partial: Bool) {
            switch (refusal, freeBytes.isEmpty) {
            case (let refusal?, true): self = .refuse(refusal)
            case (.some, false) where partial: self = .sendFreeBytesOnly(freeBytes.lowerBound...(freeBytes.upperBound - 1))
            case (.some, false): self = .sendHeldAtPreview
            case (nil, true): self = .waitThenCount
            case (nil, false): self = .sendHeldAtPreview
            }
        }
    }
}

extension MeteringDecision.Continuation: Equatable where Refusal: Equatable {}
extension MeteringDecision.Continuation: Sendable where Refusal: Sendable {}
