import Foundation

/// The worker pools that run the sessions' agents, off the socket thread.
///
/// A session with queued requests sits in a ready queue; an idle worker takes it, answers its
/// oldest request, and puts it back at the tail if more are queued. So one session's requests
/// run in order and never concurrently, and different sessions run in parallel.
///
/// There are two pools of equal size, each with its own queue. Sessions start *quick*; a session
/// whose steps take longer than the slow-step threshold (on average) becomes *slow* and is served
/// by the second pool, whose threads run at a lower OS priority (nice +10). On a machine with few
/// cores, the scheduler then preempts an expensive planner as soon as a quick robot's step, the
/// socket thread or a client needs the CPU, so one expensive robot cannot delay the others; the
/// expensive ones share what is left. A session becomes quick again once its steps are short.
///
/// Answered slots go to a completion queue, and a byte on a pipe wakes the socket thread (which
/// polls the pipe with its sockets) to send the replies. After warm-up nothing here allocates:
/// the queues are rings that only grow past their largest size so far.
final class SessionScheduler: @unchecked Sendable {
    // Guards every field below and the sessions' queue indices.
    private let condition = NSCondition()
    /// Ready sessions by class: [quick, slow].
    private var ready = [Ring(), Ring()]
    private let slowCondition = NSCondition()
    private var completed = Ring()
    /// Requests submitted whose reply the socket thread has not yet taken.
    private var outstanding = 0
    private var stopping = false
    private var threads: [Thread] = []
    private let exited = DispatchSemaphore(value: 0)
    /// The pipe that wakes the socket thread: workers write, the socket thread polls and drains.
    let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    /// Answers one slot of a session (set by the server; runs on a worker thread).
    private let answer: (Session, RequestSlot) -> Void

    /// Seconds of average step compute above which a session is served by the slow pool.
    private let slowStepThreshold: Double

    init(slowStepThreshold: Double, answer: @escaping (Session, RequestSlot) -> Void) {
        self.slowStepThreshold = slowStepThreshold
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "SessionScheduler: pipe() failed (errno \(errno))")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeReadFD = fds[0]
        wakeWriteFD = fds[1]
        self.answer = answer
    }

    deinit {
        stop()
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    /// Starts `count` worker threads for quick sessions and `count` for slow ones.
    func start(workers count: Int) {
        for slow in [false, true] {
            for i in 0..<count {
                let thread = Thread { [self] in
                    if slow { Self.lowerPriorityOfCallingThread() }
                    while runNext(wait: true, slow: slow) {}
                    exited.signal()
                }
                thread.name = "pckit-bridge-\(slow ? "slow" : "quick")-\(i)"
                thread.stackSize = 8 << 20
                threads.append(thread)
                thread.start()
            }
        }
    }

    /// Puts the calling thread in Linux's `SCHED_IDLE` class, which any normal thread preempts at
    /// once when it wakes (raising no privilege is needed to lower one's own priority); where
    /// that fails, nice +19.
    static func lowerPriorityOfCallingThread() {
        var parameters = sched_param(sched_priority: 0)
        let schedIdle: Int32 = 5  // SCHED_IDLE (linux/sched.h)
        if sched_setscheduler(0, schedIdle, &parameters) != 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        }
    }

    /// Stops the workers after the requests they are answering and waits for them.
    func stop() {
        condition.lock()
        let wasRunning = !stopping && !threads.isEmpty
        stopping = true
        condition.broadcast()
        condition.unlock()
        slowCondition.lock()
        slowCondition.broadcast()
        slowCondition.unlock()
        if wasRunning { for _ in threads { exited.wait() } }
    }

    // MARK: Socket thread

    /// The next free slot of `session`, or `nil` when its queue is full.
    func freeSlot(of session: Session) -> RequestSlot? {
        condition.lock()
        defer { condition.unlock() }
        guard session.queueCount < session.slots.count else { return nil }
        return session.slots[(session.queueStart + session.queueCount) % session.slots.count]
    }

    /// Queues the slot ``freeSlot(of:)`` returned, after the socket thread filled it.
    func submit(_ session: Session) {
        condition.lock()
        outstanding += 1
        session.queueCount += 1
        if !session.scheduled {
            session.scheduled = true
            makeReady(session)
        }
        condition.unlock()
    }

    /// Queues a session on its class's ready queue and wakes one of that pool's workers.
    /// Called with `condition` held.
    private func makeReady(_ session: Session) {
        let slow = session.isSlow
        ready[slow ? 1 : 0].push(session)
        let pool = slow ? slowCondition : condition
        if slow { slowCondition.lock() }
        pool.signal()
        if slow { slowCondition.unlock() }
    }

    /// The oldest answered slot whose reply has not been sent, with its session, or `nil`.
    /// The socket thread sends the reply, then calls ``release(_:)``.
    func nextCompleted() -> (Session, RequestSlot)? {
        condition.lock()
        defer { condition.unlock() }
        guard let session = completed.pop() else { return nil }
        outstanding -= 1
        return (session, session.slots[session.queueStart])
    }

    /// Frees the session's oldest slot once its reply was sent.
    func release(_ session: Session) {
        condition.lock()
        session.queueStart = (session.queueStart + 1) % session.slots.count
        session.queueCount -= 1
        session.queueAnswered -= 1
        condition.unlock()
    }

    /// Whether a submitted request still awaits its reply (the socket thread then polls without
    /// sleeping for a moment, sparing a wake-up on quick steps).
    var hasOutstandingRequests: Bool {
        condition.lock()
        defer { condition.unlock() }
        return outstanding > 0
    }

    /// Empties the wake pipe (the socket thread calls it when the pipe polled readable).
    func drainWakeups() {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &buffer, { read(wakeReadFD, $0.baseAddress, $0.count) }) > 0 {}
    }

    // MARK: Workers

    /// Takes one ready session and answers its oldest unanswered request.
    /// - Parameter wait: block until a session is ready (workers) or return at once (tests).
    /// - Returns: false when stopping (or, without waiting, when nothing was ready).
    /// - Parameter slow: take from the slow sessions' queue (else the quick ones'); without
    ///   waiting, either queue is served (tests).
    @discardableResult
    func runNext(wait: Bool, slow: Bool = false) -> Bool {
        condition.lock()
        if wait && slow {
            // Slow workers sleep on their own condition, so quick work never wakes them.
            while ready[1].isEmpty && !stopping {
                slowCondition.lock()
                condition.unlock()
                slowCondition.wait()
                slowCondition.unlock()
                condition.lock()
            }
        } else {
            while ready[0].isEmpty && !stopping && wait { condition.wait() }
        }
        let session = wait ? ready[slow ? 1 : 0].pop() : (ready[0].pop() ?? ready[1].pop())
        guard !stopping, let session else {
            condition.unlock()
            return false
        }
        let slot = session.slots[(session.queueStart + session.queueAnswered) % session.slots.count]
        condition.unlock()

        answer(session, slot)

        condition.lock()
        session.queueAnswered += 1
        // Reclassify with hysteresis: slow above the threshold, quick again below half of it.
        if session.stepSecondsAverage > slowStepThreshold { session.isSlow = true }
        if session.stepSecondsAverage < 0.5 * slowStepThreshold { session.isSlow = false }
        completed.push(session)
        if session.queueAnswered < session.queueCount {
            makeReady(session)
        } else {
            session.scheduled = false
        }
        condition.unlock()
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)  // a full pipe already wakes the socket thread
        return true
    }
}

/// A FIFO of sessions in a ring that doubles when full (so it allocates only past its largest size).
private struct Ring {
    private var storage: [Session?] = Array(repeating: nil, count: 64)
    private var start = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func push(_ session: Session) {
        if count == storage.count {
            var grown = [Session?](repeating: nil, count: storage.count * 2)
            for i in 0..<count { grown[i] = storage[(start + i) % storage.count] }
            storage = grown
            start = 0
        }
        storage[(start + count) % storage.count] = session
        count += 1
    }

    mutating func pop() -> Session? {
        guard count > 0 else { return nil }
        let session = storage[start]
        storage[start] = nil
        start = (start + 1) % storage.count
        count -= 1
        return session
    }
}
