//! WASI threads from a real toolchain: Zig's std.Thread spawns through `wasi.thread-spawn` and
//! joins by `memory.atomic.wait32` on the thread's id, which the thread clears and notifies.
//! Four threads add to one atomic counter and, under a futex lock (three states: free, held,
//! held with waiters), to a plain one; a lost update or a missed wake-up shows as a wrong sum
//! or a hang.
const std = @import("std");
pub const panic = std.debug.no_panic;

const threads_n = 4;
const rounds = 1000000;

var atomic_sum = std.atomic.Value(u32).init(0);
var lock_word = std.atomic.Value(u32).init(0);
var locked_sum: u64 = 0;
var contended: u32 = 0;
var heap: [4 << 20]u8 = undefined;

fn wait(ptr: *u32, expected: u32) void {
    _ = asm volatile (
        \\ local.get %[ptr]
        \\ local.get %[expected]
        \\ i64.const -1
        \\ memory.atomic.wait32 0
        \\ local.set %[ret]
        : [ret] "=r" (-> u32),
        : [ptr] "r" (ptr),
          [expected] "r" (expected),
    );
}

fn wake_one(ptr: *u32) void {
    _ = asm volatile (
        \\ local.get %[ptr]
        \\ i32.const 1
        \\ memory.atomic.notify 0
        \\ local.set %[ret]
        : [ret] "=r" (-> u32),
        : [ptr] "r" (ptr),
    );
}

fn lock() void {
    if (lock_word.cmpxchgStrong(0, 1, .acquire, .monotonic) == null) return;
    _ = @atomicRmw(u32, &contended, .Add, 1, .monotonic);
    while (lock_word.swap(2, .acquire) != 0) wait(&lock_word.raw, 2);
}

fn unlock() void {
    if (lock_word.swap(0, .release) == 2) wake_one(&lock_word.raw);
}

fn work(id: u32) void {
    var i: u32 = 0;
    while (i < rounds) : (i += 1) {
        _ = atomic_sum.fetchAdd(id, .seq_cst);
        lock();
        locked_sum += id;
        unlock();
    }
}

fn print(text: []const u8) void {
    const iov = [_]std.os.wasi.ciovec_t{.{ .base = text.ptr, .len = text.len }};
    var written: usize = 0;
    _ = std.os.wasi.fd_write(1, &iov, 1, &written);
}

pub fn main() !void {
    var fba = std.heap.FixedBufferAllocator.init(&heap);
    var threads: [threads_n]std.Thread = undefined;
    for (&threads, 0..) |*t, i| {
        t.* = try std.Thread.spawn(.{ .allocator = fba.allocator(), .stack_size = 256 << 10 }, work, .{@as(u32, @intCast(i + 1))});
    }
    for (threads) |t| t.join();
    var line: [64]u8 = undefined;
    print(try std.fmt.bufPrint(&line, "atomic {d} locked {d}\n", .{ atomic_sum.load(.seq_cst), locked_sum }));
}
