package nn

import (
	"github.com/rakam-ml/rakam/internal/par"
	"github.com/rakam-ml/rakam/tensor"
)

// Layer passes split across threads.
//
// A layer's expensive pass is cut into a fixed set of independent
// partitions — ranges of examples, of image planes or of channels, chosen
// from the batch's shape alone — and runPart(p) handles partition p.
// parallelFor runs them through par.Do, the primitive GEMM runs on too, on
// up to the layer's thread budget. No partition reads what another writes,
// and every reduction either stays inside one partition in the serial
// order (a convolution's bias gradient) or is added up after the pass, in
// that order, from pieces that do not depend on the partitioning (a
// BatchNorm channel's sums, from one partial sum per plane), so the bits
// do not depend on the thread count or on which goroutine ran which
// partition: they equal the serial code's. A second goroutine calling while
// the workers are busy (replicas serving concurrently) runs its partitions
// itself.

// budget is a layer's thread budget: how many goroutines its passes and
// matrix products may use. Sequential.SetThreads sets it; 0 means the
// process default, tensor.Threads(), read at each call.
type budget struct{ threads int }

func (b *budget) setThreads(n int) { b.threads = max(n, 0) }

// nthreads is the budget to pass on (0: the default).
func (b *budget) nthreads() int { return b.threads }

// threaded is a layer with a budget.
type threaded interface{ setThreads(n int) }

// parallelFor runs t.Part(p) for p in [0, n) on up to threads goroutines
// (0: the default) and returns when all are done.
func parallelFor(threads, n int, t par.Task) {
	if serialLayers {
		threads = 1
	}
	par.Do(threads, n, t)
}

// gemm is tensor.GemmThreads for a layer: its products keep to its budget.
func (b *budget) gemm(tA, tB tensor.Transpose, m, n, k int, alpha float32, a []float32, lda int, x []float32, ldb int, beta float32, c []float32, ldc int) {
	tensor.GemmThreads(b.threads, tA, tB, m, n, k, alpha, a, lda, x, ldb, beta, c, ldc)
}

// The layers as par.Tasks: each type's Part is its runPart, on a type of
// its own so that Part stays out of the layers' exported methods.
type (
	convTask Conv2D
	bnTask   BatchNorm
	poolTask MaxPool2D
	reluTask ReLU
)

func (c *convTask) Part(p int) { (*Conv2D)(c).runPart(p) }
func (b *bnTask) Part(p int)   { (*BatchNorm)(b).runPart(p) }
func (m *poolTask) Part(p int) { (*MaxPool2D)(m).runPart(p) }
func (r *reluTask) Part(p int) { (*ReLU)(r).runPart(p) }

// serialLayers turns parallelFor into a plain loop (GEMM keeps its
// threads): the paired benchmark BenchmarkLayerThreads compares the two.
var serialLayers = false

// maxParts bounds the partitions of a pass: enough for the threads of this
// kind of machine to balance when one is slowed by other load, few enough
// that handing them out costs nothing measurable.
const maxParts = 16

// partRange returns partition p's share [lo, hi) of n items cut into parts.
func partRange(p, parts, n int) (lo, hi int) {
	return p * n / parts, (p + 1) * n / parts
}
