#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain OS thread for CPU-bound codec work, joined before its results are read.
///
/// Encoding is blocking C code; running it on dedicated threads keeps it off Swift's
/// cooperative pool, whose threads the server needs for requests.
final class WorkerThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private var thread = pthread_t()
    private var joined = false

    /// Starts `body` on a new thread. Whatever `body` touches must not be touched by anyone
    /// else until `join()` returns; `join()` makes its writes visible to the caller.
    init(_ body: @escaping () -> Void) throws(AudioError) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        if result != 0 {
            Unmanaged<Body>.fromOpaque(context).release()
            throw .codec(call: "pthread_create", code: result, detail: String(cString: strerror(result)))
        }
    }

    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    deinit { join() }
}
