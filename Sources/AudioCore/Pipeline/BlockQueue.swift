#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded first-in first-out queue between two threads.
///
/// Its bound keeps memory constant: a fast decoder waits for slow encoders instead of
/// buffering the track.
final class BlockQueue<Element: Sendable>: @unchecked Sendable {
    private let capacity: Int
    private var items: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private var cancelled = false
    // pthread objects must not move in memory, so they live on the heap.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(capacity: Int) {
        self.capacity = capacity
        items = Array(repeating: nil, count: capacity)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(notEmpty, nil)
        pthread_cond_init(notFull, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(notEmpty)
        pthread_cond_destroy(notFull)
        mutex.deallocate()
        notEmpty.deallocate()
        notFull.deallocate()
    }

    /// Adds `item`, waiting while the queue is full. Returns false once the consumer cancelled.
    @discardableResult
    func push(_ item: Element) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == capacity && !cancelled { pthread_cond_wait(notFull, mutex) }
        if cancelled { return false }
        items[(head + count) % capacity] = item
        count += 1
        pthread_cond_signal(notEmpty)
        return true
    }

    /// Takes the oldest item, waiting while the queue is empty; nil once it is closed and drained.
    func pop() -> Element? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 && !closed && !cancelled { pthread_cond_wait(notEmpty, mutex) }
        if count == 0 || cancelled { return nil }
        let item = items[head]
        items[head] = nil
        head = (head + 1) % capacity
        count -= 1
        pthread_cond_signal(notFull)
        return item
    }

    /// No more items will be pushed; the consumer drains what is left.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(notEmpty)
        pthread_mutex_unlock(mutex)
    }

    /// Stops both sides at once: the producer's pushes fail and the consumer gets nil.
    func cancel() {
        pthread_mutex_lock(mutex)
        cancelled = true
        pthread_cond_broadcast(notEmpty)
        pthread_cond_broadcast(notFull)
        pthread_mutex_unlock(mutex)
    }
}

/// A block of interleaved 48 kHz float audio, shared read-only by every encoder.
final class AudioBlock: @unchecked Sendable {
    let samples: UnsafeMutableBufferPointer<Float>
    let frames: Int

    /// Copies `frames` frames of `channels` channels from `source`.
    init(copying source: UnsafePointer<Float>, frames: Int, channels: Int) {
        samples = .allocate(capacity: frames * channels)
        _ = samples.initialize(fromContentsOf: UnsafeBufferPointer(start: source, count: frames * channels))
        self.frames = frames
    }

    deinit { samples.deallocate() }
}
