package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// parallelMin is the smallest m·n·k worth splitting over threads: below it
// waking a worker and packing twice cost more than they save.
var parallelMin = 64 * 64 * 64

// SetThreads sets how many threads (the caller plus n-1 pooled workers) a
// large Sgemm uses. n < 1 means runtime.GOMAXPROCS(0). Results do not depend
// on it (see the package comment); only speed does.
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	defaultPool.threads.Store(int32(n))
}

// Threads reports the thread count set by SetThreads.
func Threads() int { return int(defaultPool.threads.Load()) }

// threadsFor returns how many threads to use for an m×n×k product.
func threadsFor(m, n, k int) int {
	t := Threads()
	if t <= 1 || m*n*k < parallelMin {
		return 1
	}
	return t
}

// partition fills j's fixed split of C into at most threads tasks. It
// splits rows or columns, in whole micro-tiles, so that the operand every
// task packs in full is the cheaper one: splitting rows makes each task
// pack all of B, splitting columns all of A. Packing a row-major A or a
// transposed B gathers values across rows, about twice the cost of the
// contiguous copy the other layouts get, so a row-major A counts twice.
func (j *job) partition(threads int) {
	mr, nr := j.kern.mr, j.kern.nr
	costA, costB := j.m*j.k, j.k*j.n
	if !j.transA {
		costA *= 2
	}
	if j.transB {
		costB *= 2
	}
	j.splitM = costB <= costA
	size, unit := j.n, nr
	if j.splitM {
		size, unit = j.m, mr
	}
	tiles := (size + unit - 1) / unit
	tasks := min(threads, tiles, 1<<15) // the pool packs the count in 16 bits
	j.step = (tiles + tasks - 1) / tasks * unit
	j.ntasks = (size + j.step - 1) / j.step
}

// pool is a persistent set of worker goroutines. One Sgemm at a time uses
// it; a concurrent call that finds it busy runs on its own goroutine.
//
// The caller takes tasks too and waits only for tasks a worker has
// claimed, never for a worker to wake up: on this kind of machine (a VM, 2
// cores) waking a parked goroutine can take longer than a whole MLP-sized
// product, and a pool that waited for every worker to check in made two
// threads slower than one (128×784×128: 61 GFLOP/s against 82). A worker
// that wakes after its call has finished finds the generation changed and
// goes back to sleep without touching the job.
type pool struct {
	threads atomic.Int32

	mu       sync.Mutex  // held for a whole parallel Sgemm
	wake     chan uint32 // a generation to work on; 0 tells a worker to exit
	nworkers int
	cur      job // the running job, shared with the workers
	gen      uint32
	// claim packs the current call's generation (high 32 bits), its task
	// count (bits 16–31) and its next unclaimed task (low 16 bits), so a
	// worker decides from one atomic load whether a task is left to claim.
	claim atomic.Uint64
	done  atomic.Int64  // tasks of the current call finished
	fin   chan struct{} // signalled by whoever finishes the last task
	// spinning counts workers in spin, which take new calls without being
	// woken through the channel.
	spinning atomic.Int32
}

// spinFor is how long a worker stays awake after its last task, and
// waitFor how long a caller polls for its workers' tasks before blocking.
// The products of a training step follow each other within tens of
// microseconds, and a parked goroutine takes longer than that to wake on
// this kind of VM: a worker that parked after a shorter poll (about 20 µs)
// ran only a quarter of the tasks of back-to-back 64×784×128 products,
// the caller the rest, and two threads were no faster than one. Polling
// calls runtime.Gosched every 64 checks, so other goroutines still run.
var (
	spinFor = 250 * time.Microsecond
	waitFor = 2 * time.Millisecond
)

var defaultPool = newPool()

func newPool() *pool {
	p := &pool{wake: make(chan uint32, 256), fin: make(chan struct{}, 1)}
	p.threads.Store(int32(runtime.GOMAXPROCS(0)))
	return p
}

// run executes j on up to threads threads and reports whether it did; it
// returns false without doing anything when the pool is busy or the split
// leaves a single task.
func (p *pool) run(j *job, threads int) bool {
	j.partition(threads)
	if j.ntasks < 2 {
		return false
	}
	if !p.mu.TryLock() {
		return false
	}
	defer p.mu.Unlock()
	p.resize(threads - 1)
	// The workers get a copy owned by the pool, so the caller's job stays
	// on its stack and a warm Sgemm does not allocate.
	p.cur = *j
	p.gen++
	if p.gen == 0 { // 0 means "exit" on the wake channel
		p.gen = 1
	}
	g := p.gen
	p.done.Store(0)
	p.claim.Store(uint64(g)<<32 | uint64(p.cur.ntasks)<<16) // publishes p.cur
	for range min(p.nworkers, p.cur.ntasks-1) - int(p.spinning.Load()) {
		select {
		case p.wake <- g:
		default: // workers far behind: the caller does their share
		}
	}
	s := getScratch()
	p.drain(g, s)
	putScratch(s)
	// Tasks still running are a worker's: poll for them for a while (a
	// parked caller, like a parked worker, takes tens of microseconds to
	// wake here), then block. The last task always signals fin, so fin is
	// received either way and holds nothing for the next call.
	start := time.Now()
	for i := 0; p.done.Load() < int64(p.cur.ntasks); i++ {
		if i%64 == 63 {
			runtime.Gosched()
			if time.Since(start) > waitFor {
				break
			}
		}
	}
	<-p.fin
	p.cur = job{} // drop references to the caller's matrices
	return true
}

// resize grows or shrinks the pool to n workers; p.mu is held.
func (p *pool) resize(n int) {
	for p.nworkers < n {
		p.nworkers++
		go p.worker()
	}
	for p.nworkers > n && n >= 0 {
		p.nworkers--
		p.wake <- 0
	}
}

func (p *pool) worker() {
	s := new(scratch)
	for g := range p.wake {
		if g == 0 {
			return
		}
		p.drain(g, s)
		p.spin(s, g)
	}
}

// spin keeps a worker looking for new calls for spinFor after its last
// task, running any it finds (and starting over after each).
func (p *pool) spin(s *scratch, last uint32) {
	p.spinning.Add(1)
	start := time.Now()
	for i := 0; ; i++ {
		v := p.claim.Load()
		if g := uint32(v >> 32); g != last && v&0xffff < v>>16&0xffff {
			p.drain(g, s)
			last, start = g, time.Now()
			continue
		}
		if i%64 == 63 {
			runtime.Gosched() // let other goroutines of this processor run
			if time.Since(start) > spinFor {
				break
			}
		}
	}
	p.spinning.Add(-1)
}

// drain claims and runs tasks of call g until none is left. Which goroutine
// runs which task does not affect the result: tasks write disjoint parts of
// C and each does the same arithmetic wherever it runs. p.cur is read only
// after a successful claim, when call g is still running.
func (p *pool) drain(g uint32, s *scratch) {
	for {
		v := p.claim.Load()
		t, n := int(v&0xffff), int(v>>16&0xffff)
		if uint32(v>>32) != g || t >= n {
			return
		}
		if !p.claim.CompareAndSwap(v, v+1) {
			continue
		}
		p.cur.task(s, t)
		// n, not p.cur.ntasks: once done reaches n the caller may reuse p.cur.
		if p.done.Add(1) == int64(n) {
			p.fin <- struct{}{}
		}
	}
}
