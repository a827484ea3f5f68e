package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
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
// splits the dimension whose operand is cheaper to pack twice (columns when
// m ≤ n, so each task packs all of A and its own columns of B), in whole
// micro-tiles.
func (j *job) partition(threads int) {
	mr, nr := j.kern.mr, j.kern.nr
	j.splitM = j.m > j.n
	size, unit := j.n, nr
	if j.splitM {
		size, unit = j.m, mr
	}
	tiles := (size + unit - 1) / unit
	tasks := min(threads, tiles)
	j.step = (tiles + tasks - 1) / tasks * unit
	j.ntasks = (size + j.step - 1) / j.step
}

// pool is a persistent set of worker goroutines. One Sgemm at a time uses
// it; a concurrent call that finds it busy runs on its own goroutine.
type pool struct {
	threads atomic.Int32

	mu       sync.Mutex // held for a whole parallel Sgemm
	wake     chan *job  // a nil job tells a worker to exit
	nworkers int
	cur      job // the running job, shared with the workers
	next     atomic.Int64
	done     sync.WaitGroup
}

var defaultPool = newPool()

func newPool() *pool {
	p := &pool{wake: make(chan *job, 256)}
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
	cur := &p.cur
	p.next.Store(0)
	nw := min(p.nworkers, cur.ntasks-1)
	p.done.Add(nw)
	for range nw {
		p.wake <- cur
	}
	s := getScratch()
	p.drain(cur, s)
	putScratch(s)
	p.done.Wait()
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
		p.wake <- nil
	}
}

func (p *pool) worker() {
	s := new(scratch)
	for j := range p.wake {
		if j == nil {
			return
		}
		p.drain(j, s)
		p.done.Done()
	}
}

// drain runs tasks of j until none is left. Which goroutine runs which task
// does not affect the result: tasks write disjoint parts of C and each does
// the same arithmetic wherever it runs.
func (p *pool) drain(j *job, s *scratch) {
	for {
		t := int(p.next.Add(1) - 1)
		if t >= j.ntasks {
			return
		}
		j.task(s, t)
	}
}
