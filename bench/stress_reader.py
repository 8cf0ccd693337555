#!/usr/bin/env python3
"""Readers and a fault controller for bench/stress.sh.

Many threads read the mounted files at random offsets and lengths (buffered
and O_DIRECT, short and long, opening and closing files as they go) and
compare every byte with the local copy. Meanwhile a controller switches the
test gateway between healthy, failing (a share of requests answer 500) and
dead (every request stalls) by signals, and records each window it caused.

An EIO is explained when the read overlapped a failing or dead window (plus a
grace period for the fetch timeout and in-flight retries); each EIO is printed
with its cause. A short read is a buffered read that failed partway (POSIX
returns the bytes before the error): it is read again for the record and
explained the same way. Exit status: 0 only with no wrong byte, no
unexplained EIO or short read, and no other error.
"""
import argparse
import errno
import mmap
import os
import random
import signal
import subprocess
import sys
import threading
import time

MIB = 1 << 20


class Windows:
    """The fault windows the controller caused: (kind, start, end) in monotonic seconds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.list = []

    def open(self, kind):
        with self.lock:
            self.list.append([kind, time.monotonic(), None])

    def close(self):
        with self.lock:
            self.list[-1][2] = time.monotonic()

    def cause(self, start, end, grace):
        """The window that explains an error seen between start and end, or None."""
        with self.lock:
            for i, (kind, ws, we) in enumerate(self.list):
                if start <= (we if we is not None else time.monotonic()) + grace and end >= ws:
                    return i, kind, ws, we
        return None


def span(ws, we, t0):
    return f"+{ws - t0:.1f}s..{'still on' if we is None else f'+{we - t0:.1f}s'}"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reads = 0
        self.bytes = 0
        self.wrong_bytes = 0
        self.short_reads = 0
        self.short_explained = 0
        self.eio = 0
        self.eio_explained = 0
        self.other_errors = 0
        self.failures = []  # lines explaining every bad read


def controller(args, windows, stop, t0, log):
    """healthy -> failing -> healthy -> dead -> ... ; the last stretch is healthy."""
    gw = args.gateway_pid
    end = t0 + args.duration
    plan = [("healthy", args.healthy), ("failing", args.failing), ("healthy", args.healthy / 2),
            ("dead", args.dead)]
    i = 0
    next_drop = time.monotonic() + 20
    while not stop.is_set():
        kind, length = plan[i % len(plan)]
        i += 1
        now = time.monotonic()
        if kind != "healthy" and now + length > end - args.healthy:
            break  # end healthy, so the final check sees a working gateway
        if kind != "healthy":
            windows.open(kind)
            os.kill(gw, signal.SIGUSR1 if kind == "dead" else signal.SIGHUP)
            log(f"+{now - t0:7.1f}s gateway {kind} for {length:.0f}s")
        deadline = now + length
        while not stop.is_set() and time.monotonic() < deadline:
            if time.monotonic() > next_drop:  # buffered reads reach the mount again
                subprocess.run(["sh", "-c", "echo 1 > /proc/sys/vm/drop_caches"], check=False)
                next_drop = time.monotonic() + 20
            time.sleep(0.2)
        if kind != "healthy":
            os.kill(gw, signal.SIGUSR2)
            windows.close()
            log(f"+{time.monotonic() - t0:7.1f}s gateway healthy")


def first_difference(got, want):
    for i in range(min(len(got), len(want))):
        if got[i] != want[i]:
            return i
    return None


def reader(n, args, files, stats, windows, stop, t0, log):
    rng = random.Random(args.seed * 1000 + n)
    direct = n % 2 == 1
    names = list(files)
    weights = [max(1, len(files[f])) for f in names]
    buf = mmap.mmap(-1, 16 * MIB)  # page aligned, as O_DIRECT wants
    while not stop.is_set():
        name = rng.choices(names, weights)[0]
        want_all = files[name]
        path = os.path.join(args.top, name)
        try:
            fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
        except OSError as e:
            with stats.lock:
                stats.other_errors += 1
                stats.failures.append(f"reader {n} open {name}: errno {e.errno} ({e.strerror})")
            continue
        try:
            for _ in range(rng.randint(1, 20)):
                if stop.is_set():
                    break
                size = len(want_all)
                shape = rng.random()
                if shape < 0.5:
                    length = rng.randint(1, 64 << 10)
                elif shape < 0.9:
                    length = rng.randint(1, MIB)
                else:
                    length = rng.randint(4 * MIB, 16 * MIB)  # long enough for a ranged CAR
                offset = rng.randrange(0, max(1, size))
                if direct:
                    offset &= ~4095
                start = time.monotonic()
                try:
                    view = memoryview(buf)[:length]
                    got_n = os.preadv(fd, [view], offset)
                    err = 0
                except OSError as e:
                    got_n, err = -1, e.errno
                end = time.monotonic()
                expect = want_all[offset:offset + length]
                where = f"reader {n} {name}{' (O_DIRECT)' if direct else ''} offset {offset} length {length}"
                with stats.lock:
                    stats.reads += 1
                if got_n < 0:
                    cause = windows.cause(start, end, args.grace) if err == errno.EIO else None
                    with stats.lock:
                        if err != errno.EIO:
                            stats.other_errors += 1
                            stats.failures.append(f"{where}: errno {err} ({os.strerror(err)})")
                        else:
                            stats.eio += 1
                            if cause:
                                stats.eio_explained += 1
                    if err == errno.EIO:
                        took = f"at +{start - t0:.1f}s, took {end - start:.1f}s"
                        if cause:
                            i, kind, ws, we = cause
                            log(f"EIO {where} {took}: cause: the test made the gateway {kind} "
                                f"(window {i}, {span(ws, we, t0)}, grace {args.grace:.0f}s)")
                        else:
                            line = f"EIO {where} {took}: UNEXPLAINED (no fault window near it)"
                            log(line)
                            with stats.lock:
                                stats.failures.append(line)
                    continue
                got = bytes(buf[:got_n])
                with stats.lock:
                    stats.bytes += got_n
                if got != expect[:got_n] or got_n > len(expect):
                    diff = first_difference(got, expect)
                    if diff is None:  # more bytes than the file holds there
                        diff = len(expect)
                    wrong = max(1, sum(1 for a, b in zip(got, expect) if a != b) + got_n - min(got_n, len(expect)))
                    want_b = expect[diff] if diff < len(expect) else "EOF"
                    line = (f"WRONG BYTES {where}: returned {got_n}, {wrong} wrong, first at offset "
                            f"{offset + diff}: expected {want_b}, got {got[diff]}")
                    log(line)
                    with stats.lock:
                        stats.wrong_bytes += wrong
                        stats.failures.append(line)
                elif got_n != len(expect):
                    # A buffered read that fails partway returns what it had
                    # (POSIX): the rest, read again, tells whether it was an EIO.
                    try:
                        rest = os.preadv(fd, [memoryview(buf)[:len(expect) - got_n]], offset + got_n)
                        rest = f"the rest read again: {rest} bytes"
                    except OSError as e:
                        rest = f"the rest read again: errno {e.errno} ({e.strerror})"
                    cause = windows.cause(start, end, args.grace)
                    line = (f"SHORT READ {where} at +{start - t0:.1f}s, took {end - start:.1f}s: returned {got_n}, "
                            f"expected {len(expect)} ({rest})")
                    if cause:
                        i, kind, ws, we = cause
                        log(f"{line}: cause: the test made the gateway {kind} (window {i}, {span(ws, we, t0)})")
                    else:
                        line += ": UNEXPLAINED (no fault window near it)"
                        log(line)
                    with stats.lock:
                        stats.short_reads += 1
                        if cause:
                            stats.short_explained += 1
                        else:
                            stats.failures.append(line)
        finally:
            os.close(fd)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--top", required=True, help="the mounted directory (MNT/ipfs/ROOT)")
    p.add_argument("--src", required=True, help="the local tree that was imported")
    p.add_argument("--gateway-pid", type=int, required=True)
    p.add_argument("--duration", type=float, default=600)
    p.add_argument("--readers", type=int, default=16)
    p.add_argument("--healthy", type=float, default=20, help="seconds of each healthy stretch")
    p.add_argument("--failing", type=float, default=10, help="seconds of each failing window")
    p.add_argument("--dead", type=float, default=6, help="seconds of each dead window")
    p.add_argument("--grace", type=float, default=10,
                   help="seconds after a window in which an EIO still counts as caused by it")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log", help="also write every event line here")
    args = p.parse_args()

    files = {}
    for dirpath, _, names in os.walk(args.src):
        for f in names:
            full = os.path.join(dirpath, f)
            with open(full, "rb") as fh:
                files[os.path.relpath(full, args.src)] = fh.read()
    log_file = open(args.log, "a") if args.log else None
    log_lock = threading.Lock()

    def log(line):
        with log_lock:
            print(line, flush=True)
            if log_file:
                log_file.write(line + "\n")
                log_file.flush()

    stats, windows, stop = Stats(), Windows(), threading.Event()
    t0 = time.monotonic()
    threads = [threading.Thread(target=controller, args=(args, windows, stop, t0, log))]
    threads += [threading.Thread(target=reader, args=(n, args, files, stats, windows, stop, t0, log))
                for n in range(args.readers)]
    for t in threads:
        t.start()
    last = t0
    while time.monotonic() < t0 + args.duration:
        time.sleep(1)
        if time.monotonic() - last >= 30:
            last = time.monotonic()
            with stats.lock:
                log(f"+{last - t0:7.1f}s reads {stats.reads}, {stats.bytes / MIB:.0f} MiB, "
                    f"EIOs {stats.eio}, failures {len(stats.failures)}")
    stop.set()
    for t in threads:
        t.join()

    # Healthy again: every file, whole, must be right.
    for name, want in files.items():
        with open(os.path.join(args.top, name), "rb") as fh:
            got = fh.read()
        if got != want:
            diff = first_difference(got, want)
            line = f"FINAL READ {name}: {len(got)} of {len(want)} bytes, first difference at {diff}"
            log(line)
            stats.failures.append(line)
            stats.wrong_bytes += max(1, sum(1 for a, b in zip(got, want) if a != b))

    unexplained = stats.eio - stats.eio_explained
    with windows.lock:
        n_windows = len(windows.list)
    log(f"stress: {time.monotonic() - t0:.0f}s, {args.readers} readers, reads {stats.reads}, "
        f"bytes {stats.bytes}, wrong bytes {stats.wrong_bytes}, short reads {stats.short_reads} "
        f"({stats.short_explained} in fault windows, {stats.short_reads - stats.short_explained} unexplained), "
        f"EIOs {stats.eio} ({stats.eio_explained} in fault windows the test caused, {unexplained} unexplained), "
        f"other errors {stats.other_errors}, fault windows {n_windows}")
    short_unexplained = stats.short_reads - stats.short_explained
    ok = stats.wrong_bytes == 0 and short_unexplained == 0 and unexplained == 0 and stats.other_errors == 0
    if not ok:
        log("stress: FAILED")
        for line in stats.failures[:50]:
            log("  " + line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
