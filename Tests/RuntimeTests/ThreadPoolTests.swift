import RuntimeLib
import Synchronization
import XCTest

/// Per-task execution counters shared with the C task function through the args slots.
private final class TaskCounters {
    let counts: UnsafeMutablePointer<Atomic<Int>>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        counts = .allocate(capacity: capacity)
        for i in 0..<capacity { (counts + i).initialize(to: Atomic(0)) }
    }

    deinit {
        counts.deinitialize(count: capacity)
        counts.deallocate()
    }

    func value(_ i: Int) -> Int { (counts + i).pointee.load(ordering: .acquiring) }
}

/// Counts one execution of task `t` in the counters whose address is args[0].
private let countTask: llmc_task_fn = { args, task in
    guard let args, let base = UnsafeMutablePointer<Atomic<Int>>(bitPattern: Int(args[0])) else { return }
    (base + Int(task)).pointee.wrappingAdd(1, ordering: .relaxed)
}

/// Sleeps args[1] microseconds, then counts like countTask: the sleep frees the CPU for the workers even on a
/// busy machine, and widens the window in which a late worker would still be running when the call returns.
private let slowCountTask: llmc_task_fn = { args, task in
    usleep(UInt32(args?[1] ?? 0))
    countTask(args, task)
}

/// Runs a nested llmc_parallel_for over args[1] tasks from inside each task.
private let nestedTask: llmc_task_fn = { args, _ in
    guard let args else { return }
    llmc_parallel_for(countTask, args, args[1])
}

final class ThreadPoolTests: XCTestCase {
    override func tearDown() {
        llmc_threadpool_shutdown()
    }

    private func run(_ counters: TaskCounters, tasks: Int, calls: Int, fn: llmc_task_fn = countTask) {
        let args: [Int64] = [Int64(Int(bitPattern: counters.counts)), Int64(tasks)]
        args.withUnsafeBufferPointer { buf in
            for _ in 0..<calls { llmc_parallel_for(fn, buf.baseAddress, Int64(tasks)) }
        }
    }

    func testEveryTaskRunsExactlyOncePerCall() {
        for threads in [1, 2, 3, 8] {
            XCTAssertEqual(llmc_threadpool_init(Int64(threads)), 0)
            XCTAssertEqual(llmc_threadpool_threads(), Int64(threads))
            for tasks in [2, 3, 7, 64, 1000] {
                let counters = TaskCounters(capacity: tasks)
                run(counters, tasks: tasks, calls: 500)
                for t in 0..<tasks {
                    XCTAssertEqual(counters.value(t), 500, "threads \(threads), tasks \(tasks), task \(t)")
                }
            }
        }
    }

    func testAllTasksHaveFinishedWhenTheCallReturns() {
        XCTAssertEqual(llmc_threadpool_init(4), 0)
        // Alternating counters and task counts: a worker still busy with (or claiming from) an earlier call would
        // show up as a count that is off right after the call returns.
        let sets = [TaskCounters(capacity: 3), TaskCounters(capacity: 9)]
        for call in 0..<300 {
            let counters = sets[call % 2]
            let tasks = counters.capacity
            let args: [Int64] = [Int64(Int(bitPattern: counters.counts)), Int64(20 * (call % 3))]
            args.withUnsafeBufferPointer { llmc_parallel_for(slowCountTask, $0.baseAddress, Int64(tasks)) }
            for t in 0..<tasks where counters.value(t) != call / 2 + 1 {
                XCTFail("call \(call): task \(t) ran \(counters.value(t)) times, expected \(call / 2 + 1)")
                return
            }
        }
    }

    func testSingleTaskRunsInline() {
        XCTAssertEqual(llmc_threadpool_init(4), 0)
        let counters = TaskCounters(capacity: 1)
        run(counters, tasks: 1, calls: 10_000)
        XCTAssertEqual(counters.value(0), 10_000)
    }

    func testZeroAndNegativeTaskCountsRunNothing() {
        let counters = TaskCounters(capacity: 1)
        let args: [Int64] = [Int64(Int(bitPattern: counters.counts)), 0]
        args.withUnsafeBufferPointer { buf in
            llmc_parallel_for(countTask, buf.baseAddress, 0)
            llmc_parallel_for(countTask, buf.baseAddress, -5)
        }
        XCTAssertEqual(counters.value(0), 0)
    }

    func testLargeTaskCount() {
        XCTAssertEqual(llmc_threadpool_init(llmc_default_threads()), 0)
        let tasks = 1_000_000
        let counters = TaskCounters(capacity: tasks)
        run(counters, tasks: tasks, calls: 2)
        for t in 0..<tasks where counters.value(t) != 2 {
            XCTFail("task \(t) ran \(counters.value(t)) times")
            break
        }
    }

    func testNestedCallsRunInlineAndComplete() {
        XCTAssertEqual(llmc_threadpool_init(3), 0)
        let inner = 5
        let counters = TaskCounters(capacity: inner)
        let args: [Int64] = [Int64(Int(bitPattern: counters.counts)), Int64(inner)]
        args.withUnsafeBufferPointer { buf in llmc_parallel_for(nestedTask, buf.baseAddress, 4) }
        for t in 0..<inner { XCTAssertEqual(counters.value(t), 4) }
    }

    func testCallsAfterIdleSleepAndRestart() {
        XCTAssertEqual(llmc_threadpool_init(2), 0)
        let counters = TaskCounters(capacity: 8)
        for _ in 0..<3 {
            usleep(20_000)  // long enough for the workers to go to sleep
            run(counters, tasks: 8, calls: 1)
        }
        llmc_threadpool_shutdown()
        XCTAssertEqual(llmc_threadpool_threads(), 0)
        run(counters, tasks: 8, calls: 1)  // restarts lazily with the default size
        XCTAssertEqual(llmc_threadpool_threads(), llmc_default_threads())
        for t in 0..<8 { XCTAssertEqual(counters.value(t), 4) }
    }

    func testInvalidThreadCountIsRejected() {
        XCTAssertEqual(llmc_threadpool_init(0), -1)
        let counters = TaskCounters(capacity: 4)
        run(counters, tasks: 4, calls: 3)
        for t in 0..<4 { XCTAssertEqual(counters.value(t), 3) }
    }
}
