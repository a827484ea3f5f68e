// Package par is rakam's one parallel primitive: Do runs the parts of a
// task on the calling goroutine and on persistent worker goroutines, with
// the number of threads passed by the caller as a value. Matrix products
// (tensor's GEMM) and the layer passes of nn both run on it, so a product
// started inside a layer's pass finds the workers busy and runs on its own
// goroutine instead of starting more threads than the caller allowed.
//
// Work is cut into parts by the caller, from the shape of the work alone;
// which goroutine runs which part is left to timing. Callers keep their
// results independent of that: no part reads what another writes, and every
// sum stays inside one part. The bits then depend on neither the thread
// count nor the schedule.
//
// The workers are started once and reused: a call allocates nothing. On the
// small virtual machines rakam is measured on, waking a parked goroutine
// can take longer than a whole layer pass, so Do never waits for a worker
// to wake: the caller takes parts too, and a worker that wakes late finds
// nothing left. Between calls a worker polls for the next one for a while
// (spinFor) before it parks.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Task is work cut into parts: Part(p) does part p. Parts of one call may
// run concurrently, in any order, each exactly once.
type Task interface{ Part(p int) }

// MaxParts is the largest part count Do splits; a call with more parts runs
// them on the caller alone.
const MaxParts = 1<<16 - 1

// maxWorkers bounds the persistent workers, whatever budgets callers pass.
const maxWorkers = 255

var defaultThreads atomic.Int32

func init() { defaultThreads.Store(int32(runtime.GOMAXPROCS(0))) }

// Default is the thread budget of callers that were given none:
// runtime.GOMAXPROCS(0) at start-up, or what SetDefault set.
func Default() int { return int(defaultThreads.Load()) }

// SetDefault sets Default; n < 1 restores runtime.GOMAXPROCS(0). It is for
// programs (a command's --threads flag), not for libraries, which pass a
// budget to Do instead.
func SetDefault(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	defaultThreads.Store(int32(n))
}

// Resolve returns threads when it is positive and Default() otherwise: a
// budget of 0 means "the default".
func Resolve(threads int) int {
	if threads > 0 {
		return threads
	}
	return Default()
}

// spinFor is how long a worker polls for a new call after its last part,
// and waitFor how long a caller polls for parts still running on workers
// before it blocks. The passes and products of a training step follow each
// other within tens of microseconds, less than a parked goroutine takes to
// wake here. Polling calls runtime.Gosched every 64 checks, so other
// goroutines still run.
var (
	spinFor = 250 * time.Microsecond
	waitFor = 2 * time.Millisecond
)

// pool is the process's set of workers. One Do at a time owns it (mu); a
// Do that finds it owned, including one started from inside a part, runs
// its parts itself.
var pool struct {
	mu       sync.Mutex  // held by the call that owns the workers
	wake     chan uint32 // a generation to work on
	nworkers int
	cur      Task // the running call's task, published by claim
	gen      uint32
	// claim packs the current call's generation (bits 32–63), its part
	// count (16–31) and its next unclaimed part (0–15): a worker decides
	// from one load whether there is a part to take, and one that wakes
	// after its call has ended cannot take a part of a later call.
	claim atomic.Uint64
	done  atomic.Int64  // parts of the current call finished
	fin   chan struct{} // signalled by whoever finishes the last part
	// spinning counts workers polling for a call; they need no wake-up.
	spinning atomic.Int32
}

func init() {
	pool.wake = make(chan uint32, maxWorkers)
	pool.fin = make(chan struct{}, 1)
}

// Do runs t.Part(p) for every p in [0, n) on up to threads goroutines,
// the caller's included, and returns when all parts are done. threads < 1
// means Default(). With one thread, one part, more than MaxParts parts, or
// the workers owned by another call, the caller runs every part itself, in
// order.
func Do(threads, n int, t Task) {
	threads = min(Resolve(threads), n, maxWorkers+1)
	if threads <= 1 || n > MaxParts || !pool.mu.TryLock() {
		for p := 0; p < n; p++ {
			t.Part(p)
		}
		return
	}
	for pool.nworkers < threads-1 {
		pool.nworkers++
		go worker()
	}
	pool.cur = t
	pool.gen++
	if pool.gen == 0 {
		pool.gen = 1
	}
	g := pool.gen
	pool.done.Store(0)
	pool.claim.Store(uint64(g)<<32 | uint64(n)<<16) // publishes cur
	for range threads - 1 - int(pool.spinning.Load()) {
		select {
		case pool.wake <- g:
		default: // workers far behind: the caller does their share
		}
	}
	drain(g)
	// Parts still running are a worker's: poll for them for a while, then
	// block. The last part always signals fin, so fin is received either
	// way and holds nothing for the next call.
	start := time.Now()
	for i := 0; pool.done.Load() < int64(n); i++ {
		if i%64 == 63 {
			runtime.Gosched()
			if time.Since(start) > waitFor {
				break
			}
		}
	}
	<-pool.fin
	pool.cur = nil // drop the reference to the caller's task
	pool.mu.Unlock()
}

// drain claims and runs parts of call g until none is left. cur is read
// only after a successful claim, while call g is still running.
func drain(g uint32) {
	for {
		v := pool.claim.Load()
		p, n := int(v&0xffff), int(v>>16&0xffff)
		if uint32(v>>32) != g || p >= n {
			return
		}
		if !pool.claim.CompareAndSwap(v, v+1) {
			continue
		}
		pool.cur.Part(p)
		// n, not a field of the pool: once done reaches n the caller may
		// start the next call.
		if pool.done.Add(1) == int64(n) {
			pool.fin <- struct{}{}
		}
	}
}

// worker runs the parts of the calls it is woken for, then polls for
// further calls for spinFor before it parks again.
func worker() {
	for g := range pool.wake {
		drain(g)
		spin(g)
	}
}

// spin looks for new calls for spinFor after the last one, running any it
// finds (and starting over after each).
//
// A caller that saw this worker counted as spinning sent no wake-up, so
// after leaving the count the worker looks once more: the caller publishes
// its call before it reads the count, and the worker leaves the count
// before it looks, so (the atomics being sequentially consistent) one of
// the two sees the other and no call is left with a parked worker that was
// counted on. (Without that look, a call could run on its caller alone; a
// test whose two parts wait for each other timed out that way at load 7.)
func spin(last uint32) {
	for {
		pool.spinning.Add(1)
		start := time.Now()
		for i := 0; ; i++ {
			v := pool.claim.Load()
			if g := uint32(v >> 32); g != last && v&0xffff < v>>16&0xffff {
				drain(g)
				last, start = g, time.Now()
				continue
			}
			if i%64 == 63 {
				runtime.Gosched()
				if time.Since(start) > spinFor {
					break
				}
			}
		}
		pool.spinning.Add(-1)
		v := pool.claim.Load()
		g := uint32(v >> 32)
		if g == last || v&0xffff >= v>>16&0xffff {
			return
		}
		drain(g)
		last = g
	}
}
