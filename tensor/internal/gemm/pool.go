package gemm

import (
	"sync"

	"github.com/rakam-ml/rakam/internal/par"
)

// parallelMin is the smallest m·n·k worth splitting over threads: below it
// waking a worker and packing twice cost more than they save.
var parallelMin = 64 * 64 * 64

// SetThreads sets the default thread budget of products whose caller gave
// none (par.SetDefault). n < 1 means runtime.GOMAXPROCS(0). Results do not
// depend on it (see the package comment); only speed does.
func SetThreads(n int) { par.SetDefault(n) }

// Threads reports the default thread budget (par.Default).
func Threads() int { return par.Default() }

// threadsFor returns how many threads an m×n×k product uses out of a budget
// of threads (0: the default).
func threadsFor(threads, m, n, k int) int {
	t := par.Resolve(threads)
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

// run executes j on up to threads goroutines through par.Do and reports
// whether it did; it returns false without doing anything when the split
// leaves a single task or every job slot is taken (concurrent callers).
func run(j *job, threads int) bool {
	j.partition(threads)
	if j.ntasks < 2 {
		return false
	}
	// The parts need the job where par's workers can reach it: a slot of
	// jobSlots rather than the caller's stack, so a warm Sgemm does not
	// allocate.
	for i := range jobSlots {
		sl := &jobSlots[i]
		if !sl.mu.TryLock() {
			continue
		}
		sl.j = *j
		par.Do(threads, j.ntasks, (*jobParts)(&sl.j))
		sl.j = job{} // drop references to the caller's matrices
		sl.mu.Unlock()
		return true
	}
	return false
}

// jobSlots hold the jobs of Sgemm calls running on par's workers.
var jobSlots [8]struct {
	mu sync.Mutex
	j  job
}

// jobParts is a job as a par.Task: part t is task t, on a scratch of its
// goroutine's.
type jobParts job

func (jp *jobParts) Part(t int) {
	s := getScratch()
	(*job)(jp).task(s, t)
	putScratch(s)
}
