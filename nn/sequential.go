package nn

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/rakam-ml/rakam/tensor"
)

// Sequential is a model that applies its layers in order. Build it from a
// Spec; the Spec it was built from stays in the Spec field so that Save can
// write it and Load can rebuild the model.
//
// A Sequential is not safe for concurrent use: its layers own their
// buffers. Use Replica for one copy per goroutine sharing the weights.
type Sequential struct {
	Spec   Spec
	Layers []Layer

	shapes [][]int       // per-example shape before each layer, and the output
	in     tensor.Tensor // the input batch viewed as (N, Spec.Input...)
	inShp  []int
}

// InputShape returns the per-example input shape, e.g. [784] or [1 28 28].
func (m *Sequential) InputShape() []int { return append([]int(nil), m.shapes[0]...) }

// OutputShape returns the per-example output shape, e.g. [10].
func (m *Sequential) OutputShape() []int { return append([]int(nil), m.shapes[len(m.shapes)-1]...) }

// Shapes returns the per-example shape before each layer and, last, the
// output shape, as the ONNX exporter and the summary need them.
func (m *Sequential) Shapes() [][]int {
	out := make([][]int, len(m.shapes))
	for i, s := range m.shapes {
		out[i] = append([]int(nil), s...)
	}
	return out
}

// Forward runs the model on a batch. x holds N examples of prod(InputShape)
// values each, with any shape whose first dimension is N: (N, 784) and
// (N, 1, 28, 28) both work. It returns the output (N, out...) — logits for
// the zoo's models — owned by the last layer. Passing a batch of the wrong
// size is a programmer error and panics.
func (m *Sequential) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	per := prod(m.shapes[0])
	if len(x.Shape) == 0 || x.Cols() != per || x.Rows()*per != len(x.Data) {
		panic(fmt.Sprintf("nn: Sequential.Forward: input %v does not hold examples of shape %v", x.Shape, m.shapes[0]))
	}
	m.inShp = append(append(m.inShp[:0], x.Rows()), m.shapes[0]...)
	m.in.Shape = m.inShp
	m.in.Data = x.Data
	h := &m.in
	for _, l := range m.Layers {
		h = l.Forward(h, train)
	}
	return h
}

// Backward propagates dy, the gradient of the loss with respect to the
// output of the last Forward, through the model and sets every parameter's
// Grad (overwriting it). It does not compute the gradient with respect to
// the input; BackwardInput does.
func (m *Sequential) Backward(dy *tensor.Tensor) {
	for i := len(m.Layers) - 1; i >= 0; i-- {
		dy = m.Layers[i].Backward(dy, i > 0)
	}
}

// BackwardInput is Backward that also returns the gradient with respect to
// the model's input, (N, InputShape...), owned by the first layer: the
// saliency map of an explanation.
func (m *Sequential) BackwardInput(dy *tensor.Tensor) *tensor.Tensor {
	for i := len(m.Layers) - 1; i >= 0; i-- {
		dy = m.Layers[i].Backward(dy, true)
	}
	return dy
}

// Params returns every trainable parameter, in layer order.
func (m *Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// State returns every non-trainable persistent tensor (BatchNorm running
// statistics), in layer order.
func (m *Sequential) State() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.State()...)
	}
	return ps
}

// Tensors returns Params followed by State: everything Save writes.
func (m *Sequential) Tensors() []*Param {
	return append(m.Params(), m.State()...)
}

// NumParams is the number of trainable values, as Keras' "Trainable params".
func (m *Sequential) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		n += p.Value.Len()
	}
	return n
}

// NumState is the number of non-trainable saved values (BatchNorm running
// statistics), as Keras' "Non-trainable params".
func (m *Sequential) NumState() int {
	n := 0
	for _, p := range m.State() {
		n += p.Value.Len()
	}
	return n
}

// FLOPs is the forward cost of one example, counting a multiply-add as two.
func (m *Sequential) FLOPs() int64 {
	var f int64
	for i, l := range m.Layers {
		f += l.FLOPs(m.shapes[i])
	}
	return f
}

// RandomLayers returns the layers whose random state a checkpoint must keep.
func (m *Sequential) RandomLayers() []RandomLayer {
	var rs []RandomLayer
	for _, l := range m.Layers {
		if r, ok := l.(RandomLayer); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// Replica returns a model with the same Spec whose parameters and state
// share m's Value tensors but which has its own buffers and gradients, so
// several goroutines can run inference (train=false) on one set of weights
// at once. Training a replica would write the shared weights: don't.
func (m *Sequential) Replica() *Sequential {
	r, err := Build(m.Spec, 0)
	if err != nil {
		panic("nn: Replica: spec of a built model does not build: " + err.Error())
	}
	src, dst := m.Tensors(), r.Tensors()
	for i := range src {
		dst[i].Value = src[i].Value
	}
	return r
}

// MarshalRNG returns the state of every random layer's generator (the
// Dropout masks still to come), for a checkpoint: a uvarint count, then per
// layer a uvarint length and the generator's bytes.
func (m *Sequential) MarshalRNG() ([]byte, error) {
	rs := m.RandomLayers()
	b := binary.AppendUvarint(nil, uint64(len(rs)))
	for _, r := range rs {
		s, err := r.MarshalRNG()
		if err != nil {
			return nil, fmt.Errorf("nn: %s generator: %w", r.Kind(), err)
		}
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// UnmarshalRNG restores generator states written by MarshalRNG of a model
// with the same Spec, so training resumes with the masks an uninterrupted
// run would have drawn.
func (m *Sequential) UnmarshalRNG(b []byte) error {
	rs := m.RandomLayers()
	n, k := binary.Uvarint(b)
	if k <= 0 || n != uint64(len(rs)) {
		return fmt.Errorf("nn: generator state holds %d layers; the model has %d random layers", n, len(rs))
	}
	b = b[k:]
	for i, r := range rs {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return fmt.Errorf("nn: generator state of random layer %d is truncated", i)
		}
		if err := r.UnmarshalRNG(b[k : k+int(l)]); err != nil {
			return err
		}
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return fmt.Errorf("nn: %d trailing bytes after the generator states", len(b))
	}
	return nil
}

// Layer passes split across threads.
//
// A layer's expensive pass is cut into a fixed set of independent
// partitions — ranges of examples, of image planes or of channels, chosen
// from the batch's shape alone — and runPart(p) handles partition p.
// parallelFor runs them on up to tensor.Threads() goroutines: the caller
// and persistent workers started once (no goroutine, no allocation per
// call). No partition reads what another writes, and every reduction (a
// BatchNorm channel's sums, a convolution's bias gradient) stays inside one
// partition in the serial order, so the bits do not depend on the thread
// count or on which goroutine ran which partition: they equal the serial
// code's. A second goroutine calling while the workers are busy (replicas
// serving concurrently) runs its partitions itself.
type partTask interface{ runPart(p int) }

type parJob struct {
	t   partTask
	n   int
	gen uint32
}

var par struct {
	mu      sync.Mutex // held by the caller that owns the workers
	jobs    chan parJob
	started int
	gen     uint32
	// claim packs the current call's generation (high 32 bits) and its next
	// unclaimed partition (low 32 bits): a worker that wakes up late, after
	// its call has finished, cannot take a partition of a later call.
	claim atomic.Uint64
	done  atomic.Int64  // partitions of the current call finished
	fin   chan struct{} // signalled by whoever finishes the last partition
}

// parallelFor runs t.runPart(p) for p in [0, n), concurrently when
// tensor.Threads() > 1 and the workers are free, and returns when all are
// done. The caller takes partitions too and waits only for partitions a
// worker has started, never for a worker to wake up: on a loaded machine a
// sleeping worker just leaves its share to the caller.
func parallelFor(n int, t partTask) {
	nt := min(tensor.Threads(), n)
	if nt <= 1 || serialLayers || !par.mu.TryLock() {
		for p := 0; p < n; p++ {
			t.runPart(p)
		}
		return
	}
	if par.jobs == nil {
		par.jobs = make(chan parJob, 64)
		par.fin = make(chan struct{}, 1)
	}
	for ; par.started < nt-1; par.started++ {
		go parWorker(par.jobs)
	}
	par.gen++
	g := par.gen
	par.done.Store(0)
	par.claim.Store(uint64(g) << 32)
	for i := 0; i < nt-1; i++ {
		select {
		case par.jobs <- parJob{t, n, g}:
		default: // workers far behind: the caller does their share
		}
	}
	parDrain(t, n, g)
	// Partitions still running are a worker's: poll for them for a while
	// before blocking (a parked goroutine takes tens of microseconds to wake
	// on this kind of VM, as long as a small layer pass). The last
	// partition always signals fin, so it is received either way.
	for i := 0; i < parSpin && par.done.Load() < int64(n); i++ {
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	<-par.fin
	par.mu.Unlock()
}

// parSpin bounds the polling of callers, and of workers after a call, in
// checks (one runtime.Gosched every 64): tens of microseconds.
const parSpin = 64 * 64

// parDrain claims partitions of call g until none is left.
func parDrain(t partTask, n int, g uint32) {
	for {
		v := par.claim.Load()
		p := int(uint32(v))
		if uint32(v>>32) != g || p >= n {
			return
		}
		if !par.claim.CompareAndSwap(v, v+1) {
			continue
		}
		t.runPart(p)
		if par.done.Add(1) == int64(n) {
			par.fin <- struct{}{}
		}
	}
}

// parWorker runs the partitions of the calls it is sent. Between calls it
// polls the channel for a while (the passes of a training step follow each
// other closely, and a message to a polling worker needs no wake-up) before
// parking on it.
func parWorker(jobs <-chan parJob) {
	for {
		var j parJob
		got := false
		for i := 0; i < parSpin && !got; i++ {
			select {
			case j = <-jobs:
				got = true
			default:
				if i%64 == 63 {
					runtime.Gosched()
				}
			}
		}
		if !got {
			j = <-jobs
		}
		parDrain(j.t, j.n, j.gen)
	}
}

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
