package gemm

import (
	"sync"

	"github.com/rakam-ml/rakam/internal/par"
	"github.com/rakam-ml/rakam/tensor/internal/vec"
)

// Split-K: threads that share a product's k blocks instead of its rows or
// columns, with the bits of the serial product.
//
// A weight gradient has few rows and columns and a long k (a 3×3
// convolution's 16×9 weight gradient sums over 50,176 output positions of a
// batch of 64): its rows and columns make one or a few tiles, too few to
// share between threads, and a product split by rows or columns runs on one
// thread, or unevenly on two.
//
// Serially, block() runs the k blocks in order, and the kernel adds each
// block's product into C with one rounding: c ← c + t_b, where t_b =
// alpha·acc_b is the block's product computed from zero (the contract in
// kernel.go, with beta = 1 after the first block). Split-K computes every
// t_b at once, each in its own slice of a buffer (kernel with beta = 0,
// which writes exactly t_b), on as many threads as there are blocks, and
// then adds them into C in block order, c + t_b rounded once (an Axpy with
// alpha 1: alpha·x is exact, so fused or not it rounds once). Every element
// of C gets the same operations in the same order as in block(): the bits
// are those of the serial product, whatever the thread count
// (TestSplitKSameBits). This holds for beta 0 and 1 (C's own scaling by
// other betas would need a fused multiply-add to match), which is all the
// layers use.

// splitKMin is the fewest k blocks worth splitting: with fewer, the buffer
// and the extra pass cost more than the threads save.
const splitKMin = 4

// splitKGain is how much better split-K must balance the threads than the
// row or column split before it is used (it writes and reads each block's
// product once more).
const splitKGain = 1.15

// splitKLong is the fewest k blocks at which split-K is used even when it
// balances the threads only about as well as the row or column split
// (splitKEven): with k that
// long, a split by columns packs all of A on every thread (by rows, all of
// B), while split-K packs each panel once. The conv weight gradients of the
// zoo cnn at batch 64 on the AVX2 kernels, 2 threads, where 6 column tiles
// share evenly: 32×12544×144:NT 166.6 → 188.0 GFLOP/s and 64×3136×288:NT
// 200.6 → 212.2 (bench/gemm/run.sh, 2026-12-06, AMD EPYC Zen 5).
const splitKLong = 8

// splitKEven is how close to the row or column split's balance split-K
// must come to be used for a long k (49 blocks over 2 threads balance at
// 49/50 where 6 column tiles balance exactly).
const splitKEven = 0.95

// useSplitK reports whether j, split by rows or columns as j.partition set
// it, would run better split by k blocks on threads threads.
func useSplitK(j *job, threads int) bool {
	if threads < 2 || (j.beta != 0 && j.beta != 1) || j.m > blockMC || j.n > blockNC {
		return false
	}
	nkb := (j.k + j.kc - 1) / j.kc
	if nkb < splitKMin {
		return false
	}
	unit := j.kern.nr
	size := j.n
	if j.splitM {
		unit, size = j.kern.mr, j.m
	}
	tiles := (size + unit - 1) / unit
	// Share of the threads' time spent working: tiles over the slowest
	// thread's tiles times the threads; the same for blocks.
	mn := float64(tiles) / float64(((tiles+threads-1)/threads)*threads)
	kb := float64(nkb) / float64(((nkb+threads-1)/threads)*threads)
	return kb > mn*splitKGain || (nkb >= splitKLong && kb >= mn*splitKEven)
}

// splitK is a product split by k blocks: its job and the buffer of the
// blocks' products, block b's m×n values at t[b·m·n:].
type splitK struct {
	j        job
	nkb      int
	t        []float32
	sumParts int // row ranges of the summing pass
}

// kSlots hold the split-K products running on par's workers (so that their
// state is not on the caller's stack: a warm Sgemm does not allocate).
var kSlots [4]struct {
	mu sync.Mutex
	sk splitK
}

// runSplitK runs j split by k blocks on up to threads goroutines and
// reports whether it did (false when every slot is taken).
func runSplitK(j *job, threads int) bool {
	for i := range kSlots {
		sl := &kSlots[i]
		if !sl.mu.TryLock() {
			continue
		}
		sk := &sl.sk
		sk.j = *j
		sk.nkb = (j.k + j.kc - 1) / j.kc
		if need := sk.nkb * j.m * j.n; cap(sk.t) < need {
			sk.t = make([]float32, need)
		}
		sk.t = sk.t[:sk.nkb*j.m*j.n]
		par.Do(threads, sk.nkb, (*splitKBlocks)(sk))
		sk.sumParts = min(j.m, threads*4)
		par.Do(threads, sk.sumParts, (*splitKSum)(sk))
		sk.j = job{} // drop references to the caller's matrices
		sl.mu.Unlock()
		return true
	}
	return false
}

// splitKBlocks: part b computes block b's product t_b.
type splitKBlocks splitK

func (sk *splitKBlocks) Part(b int) {
	j := sk.j // a copy, narrowed to block b
	pc := b * j.kc
	kc := min(j.kc, j.k-pc)
	switch {
	case j.asrc != nil:
		j.ak0 += pc
	case j.transA:
		j.a = j.a[pc*j.lda:]
	default:
		j.a = j.a[pc:]
	}
	switch {
	case j.bsrc != nil:
		j.bk0 += pc
	case j.transB:
		j.b = j.b[pc:]
	default:
		j.b = j.b[pc*j.ldb:]
	}
	j.k, j.kc = kc, kc
	j.beta = 0
	j.c, j.ldc = sk.t[b*j.m*j.n:(b+1)*j.m*j.n], j.n
	s := getScratch()
	j.block(s, 0, j.m, 0, j.n)
	putScratch(s)
}

// splitKSum: part p adds the blocks' products into a range of C's rows, in
// block order.
type splitKSum splitK

func (sk *splitKSum) Part(p int) {
	j := &sk.j
	lo, hi := p*j.m/sk.sumParts, (p+1)*j.m/sk.sumParts
	for i := lo; i < hi; i++ {
		c := j.c[i*j.ldc : i*j.ldc+j.n]
		for b := 0; b < sk.nkb; b++ {
			t := sk.t[b*j.m*j.n+i*j.n : b*j.m*j.n+(i+1)*j.n]
			if b == 0 && j.beta == 0 {
				copy(c, t)
				continue
			}
			vec.Axpy(1, t, c)
		}
	}
}
