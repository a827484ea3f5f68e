package gemm

import "sync"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, C
// m×n with row stride ldc, op(A) m×k, op(B) k×n; transA/transB say whether A
// and B are stored transposed. The caller has checked sizes and strides.
//
// As in reference BLAS, when alpha == 0 or k == 0 A and B are not read and C
// is only scaled by beta; when beta == 0, C is not read (it may hold NaN).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmThreads(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmThreads is Sgemm on at most threads goroutines (0: the default
// budget, Threads()). The bits do not depend on it.
func SgemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, false)
}

// sgemm is SgemmThreads; swapped marks the product Cᵀ = op(B)ᵀ·op(A)ᵀ run
// for a small C that tiles better transposed (see swapBetter), which is
// neither swapped again nor run with zero skipping.
func sgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, swapped bool) {
	sgemmFrom(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc, swapped)
}

// sgemmFrom is sgemm with op(B) packed by src when src is not nil (b and
// ldb are then unused; transB tells the partition how costly B's packing
// is). Such a product, transposed, has src pack its A (swapProduct).
func sgemmFrom(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, src Source, beta float32, c []float32, ldc int, swapped bool) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	var kern *kernel
	var skip bool
	if swapped {
		kern, _ = bestKernel(active, m, n)
	} else {
		kern, skip = plan(active, transA, m, n, k, a, lda)
		if !skip && swapBetter(m, n, k, beta) {
			swapProduct(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, src, beta, c, ldc)
			return
		}
	}
	execute(threads, job{
		kern: kern, transA: transA, transB: transB,
		m: m, n: n, k: k, kc: kern.kcFor(k),
		alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
		bsrc: src, skip: skip,
	})
}

// execute runs j on up to threads goroutines: split by k blocks, by rows
// or columns, or on the caller's goroutine.
func execute(threads int, j job) {
	if planned != nil {
		planned(active, j.kern, j.skip)
	}
	threads = threadsFor(threads, j.m, j.n, j.k)
	if threads > 1 {
		j.partition(threads)
		if useSplitK(&j, threads) && runSplitK(&j, threads) {
			if splitKRan != nil {
				splitKRan()
			}
			return
		}
	}
	if threads > 1 && run(&j, threads) {
		return
	}
	s := getScratch()
	j.block(s, 0, j.m, 0, j.n)
	putScratch(s)
}

// plan returns the kernel that runs an m×n product through kern and
// whether it lists A's non-zero steps: kern itself; or, when A is mostly
// zeros and kern has no skipping variant, the kernel it hands such
// products to, where that pays (handOverPays); or, when one of kern's
// alternative kernels fits m×n better, that one. Every choice gives the
// same bits (the kernels are fused, with the same k blocking) and depends
// only on the operands, never on threads or timing.
func plan(kern *kernel, transA bool, m, n, k int, a []float32, lda int) (*kernel, bool) {
	run, skip := kern, useSkip(kern, transA, m, k, a, lda)
	if w := kern.skipWith; !skip && w != nil && w.native && useSkip(w, transA, m, k, a, lda) && handOverPays(kern, w, transA, m, n, k, a, lda) {
		run, skip = w, true
	} else if !skip {
		run, _ = bestKernel(kern, m, n)
	}
	return run, skip
}

// bestKernel returns whichever of kern and its native alternatives has the
// best tileRate on an m×n product, and that rate.
func bestKernel(kern *kernel, m, n int) (*kernel, float64) {
	run, best := kern, tileRate(kern, m, n)
	for _, w := range kern.alts {
		if r := tileRate(w, m, n); w.native && r > best {
			run, best = w, r
		}
	}
	return run, best
}

// Transposed products. Cᵀ = op(B)ᵀ·op(A)ᵀ computes every element of C with
// the same fused multiply-adds in the same order (a·b = b·a exactly, and the
// k blocking depends on k alone), so a small C whose tiles fit badly (a 3×3
// convolution's 16×9 weight gradient on AVX2: 6×16 tiles hold 16×9 at 50 %,
// 9×16 at 75 %) is computed transposed into a scratch buffer, with the same
// bits, and copied back (TestSwapSameBits). (Where A and B both hold a NaN
// at the same step, which NaN's payload a fused multiply-add passes on can
// differ; the result is NaN either way.) Zero skipping is left out of it
// (skipping zeros of B would change what ±Inf or NaN in A give).

// swapMaxC bounds C for a transposed product: the copies must stay cheap.
const swapMaxC = 1 << 14

// swapGain is how much better the transposed product must tile.
const swapGain = 1.2

// swapMinWork is the least k·(share of the kernel's time saved) for which
// a transposed product pays for copying C out (and in, when beta ≠ 0) of
// its buffer: each element of C costs 2k flops, a few hundred picoseconds
// each, against about a nanosecond per element copied with a stride. The
// conv1 weight gradient (k = 50,176, a third saved) is far above it; a
// 64×196 convolution output with k = 288 and an 18 % saving, which ran
// slower transposed (1-thread cnn step, 2026-12-06), is below it.
const swapMinWork = 512

// swapBetter reports whether the m×n×k product runs better as its
// transpose.
func swapBetter(m, n, k int, beta float32) bool {
	copies := 1.0
	if beta != 0 {
		copies = 2
	}
	// k·(share saved) < k, so a short k never pays: decided before the
	// tile rates are worked out (most small products stop here).
	if m == n || m*n > swapMaxC || float64(k) < swapMinWork*copies || noSwap {
		return false
	}
	_, r := bestKernel(active, m, n)
	_, rt := bestKernel(active, n, m)
	if rt <= r*swapGain {
		return false
	}
	return float64(k)*(1-r/rt) >= swapMinWork*copies
}

// noSwap switches transposed products off (tests compare both ways).
var noSwap bool

// swapRan, when set, is told of every product run transposed (tests).
var swapRan func()

// swapProduct computes C = alpha·op(A)·op(B) + beta·C as Cᵀ =
// alpha·op(B)ᵀ·op(A)ᵀ + beta·Cᵀ in a scratch buffer. With src (op(B)
// packed by a Source), src packs the transposed product's A: its rows are
// op(B)'s columns, and PackB's micro-panels of width mr are exactly the
// A panels block packs (asrc).
func swapProduct(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, src Source, beta float32, c []float32, ldc int) {
	if swapRan != nil {
		swapRan()
	}
	s := getScratch()
	if cap(s.swap) < m*n {
		s.swap = make([]float32, m*n)
	}
	t := s.swap[:m*n] // Cᵀ, n×m
	if beta != 0 {
		for i := 0; i < m; i++ {
			for j, v := range c[i*ldc : i*ldc+n] {
				t[j*m+i] = v
			}
		}
	}
	// op(B)ᵀ is B as stored when B is stored transposed, else its
	// transpose; the same for op(A)ᵀ.
	if src == nil {
		sgemm(threads, !transB, !transA, n, m, k, alpha, b, ldb, a, lda, beta, t, m, true)
	} else {
		kern, _ := bestKernel(active, n, m)
		execute(threads, job{
			kern: kern, transB: !transA,
			m: n, n: m, k: k, kc: kern.kcFor(k),
			alpha: alpha, beta: beta,
			b: a, ldb: lda, c: t, ldc: m,
			asrc: src,
		})
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			row[j] = t[j*m+i]
		}
	}
	putScratch(s)
}

// tileRate models a kernel's rate on an m×n product: its lanes times the
// share of its tiles' work that lands inside C. A 14×32 AVX-512 tile on the
// 16×9 weight gradient of a one-channel 3×3 convolution does 16% useful
// work at 16 lanes, a 6×16 AVX2 tile 50% at 8: the AVX2 kernel is faster
// there (36 against 24 GFLOP/s in BenchmarkConvShapes on Zen 5). On a
// 32-channel convolution's 32×12544 output the 8×48 tile fills 100%, the
// 14×32 one 76%.
func tileRate(kern *kernel, m, n int) float64 {
	tiles := float64((m+kern.mr-1)/kern.mr*kern.mr) * float64((n+kern.nr-1)/kern.nr*kern.nr)
	eff := kern.eff
	if eff == 0 {
		eff = 1
	}
	return float64(kern.lanes) * eff * float64(m) * float64(n) / tiles
}

// planned, when set, is told the plan of every product Sgemm runs: the
// kernel asked for, the kernel that runs it and whether it skips zeros. Tests set it to
// see which paths ran; nil otherwise (set before any Sgemm runs).
var planned func(asked, run *kernel, skip bool)

// splitKRan, when set, is told of every product run split by k blocks
// (tests).
var splitKRan func()

// scaleC sets C = beta·C (C = 0 without reading it when beta == 0).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// job is one Sgemm call: operands, the kernel and the k blocking.
type job struct {
	kern           *kernel
	transA, transB bool
	m, n, k, kc    int
	alpha, beta    float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
	// bsrc, when not nil, packs op(B) in place of b (Source); bk0 is the
	// depth of op(B) where this job's k starts (split-K narrows it).
	bsrc Source
	bk0  int
	// asrc, when not nil, packs op(A) in place of a, as the A of a
	// transposed product whose op(B) a Source packs (swapProduct): its
	// PackB's columns are op(A)'s rows; ak0 is as bk0. transA is then
	// false (a source's panels cost a gather to pack, as a row-major A's).
	asrc Source
	ak0  int

	// Partition for the worker pool: task t covers rows
	// [t·mStep, (t+1)·mStep) ∩ [0, m) when splitM, else that range of
	// columns with nStep. Steps are multiples of MR or NR, so tiles never
	// straddle two tasks.
	splitM bool
	step   int
	ntasks int

	// skip: list the non-zero steps of each packed panel of A and run the
	// kernel's zero-skipping variant where it pays (sparse.go).
	skip bool
}

// task runs partition t.
func (j *job) task(s *scratch, t int) {
	lo := t * j.step
	if j.splitM {
		j.block(s, lo, min(lo+j.step, j.m), 0, j.n)
	} else {
		j.block(s, 0, j.m, lo, min(lo+j.step, j.n))
	}
}

// block computes rows [m0, m1) and columns [n0, n1) of C with the five
// BLIS loops. The k loop is outermost after the column block, in order, so
// each element accumulates its k blocks in the same order whatever the
// partition.
func (j *job) block(s *scratch, m0, m1, n0, n1 int) {
	mr, nr := j.kern.mr, j.kern.nr
	kcMax := j.kc
	// Blocks no larger than this part of C (rounded to whole tiles), so a
	// small product does not size its packing buffers for a large one.
	mcMax := min(max(blockMC/mr, 1), (m1-m0+mr-1)/mr) * mr
	ncMax := min(max(blockNC/nr, 1), (n1-n0+nr-1)/nr) * nr
	s.ensure(mcMax*kcMax, ncMax*kcMax, mr*nr)
	if j.skip {
		s.ensureSteps(mcMax/mr, kcMax)
	}
	fn, skipFn, tilesFn := j.kern.fn, j.kern.skip, j.kern.tiles
	for jc := n0; jc < n1; jc += ncMax {
		nc := min(ncMax, n1-jc)
		for pc := 0; pc < j.k; pc += kcMax {
			kc := min(kcMax, j.k-pc)
			bp := s.b[:((nc+nr-1)/nr)*nr*kc]
			if j.bsrc != nil {
				j.bsrc.PackB(bp, s.tmpFor(j.bsrc.TmpSize(ncMax, kcMax, nr)), jc, nc, j.bk0+pc, kc, nr)
			} else if j.transB {
				packGather(bp, j.b, j.ldb, jc, nc, pc, kc, nr)
			} else {
				packCopy(bp, j.b, j.ldb, jc, nc, pc, kc, nr)
			}
			beta := j.beta
			if pc > 0 {
				beta = 1
			}
			for ic := m0; ic < m1; ic += mcMax {
				mc := min(mcMax, m1-ic)
				ap := s.a[:((mc+mr-1)/mr)*mr*kc]
				if j.asrc != nil {
					j.asrc.PackB(ap, s.tmpFor(j.asrc.TmpSize(mcMax, kcMax, mr)), ic, mc, j.ak0+pc, kc, mr)
				} else if j.transA {
					packCopy(ap, j.a, j.lda, ic, mc, pc, kc, mr)
				} else {
					packGather(ap, j.a, j.lda, ic, mc, pc, kc, mr)
				}
				if j.skip {
					for ir := 0; ir < mc; ir += mr {
						q := ir / mr
						s.nsteps[q] = panelSteps(ap[ir*kc:ir*kc+mr*kc], mr, kc, s.steps[q*kcMax:])
					}
				}
				for jr := 0; jr < nc; jr += nr {
					nrr := min(nr, nc-jr)
					bpan := bp[jr*kc : jr*kc+nr*kc]
					// The last column, narrower than the tile, runs the
					// narrowest edge kernel that covers it (cw columns).
					kfn, tfn, cw := fn, tilesFn, nr
					if nrr < nr {
						for _, e := range j.kern.edges {
							if e.w >= nrr {
								kfn, tfn, cw = e.fn, e.tiles, e.w
								break
							}
						}
					}
					// dense reports whether tile q of the column runs the
					// dense kernel on the whole panel.
					dense := func(q int) bool { return !j.skip || !worthSkipping(s.nsteps[q], kc) }
					for ir := 0; ir < mc; ir += mr {
						if tfn != nil && nrr == cw && ir+mr <= mc && dense(ir/mr) {
							// A run of whole dense tiles down the column in
							// one call.
							n := 1
							for ir+(n+1)*mr <= mc && dense(ir/mr+n) {
								n++
							}
							tfn(kc, ap[ir*kc:(ir+n*mr)*kc], bpan, j.c[(ic+ir)*j.ldc+jc+jr:], j.ldc, j.alpha, beta, n)
							ir += (n - 1) * mr
							continue
						}
						mrr := min(mr, mc-ir)
						apan := ap[ir*kc : ir*kc+mr*kc]
						off := (ic+ir)*j.ldc + jc + jr
						var steps []int32
						if j.skip && worthSkipping(s.nsteps[ir/mr], kc) {
							q := ir / mr
							steps = s.steps[q*kcMax : q*kcMax+s.nsteps[q]]
						}
						// An edge tile runs on a padded copy, so edge
						// elements see exactly the same arithmetic; the
						// zero-skipping kernel always writes nr columns.
						w := cw
						if steps != nil {
							w = nr
						}
						edge := mrr < mr || nrr < w
						dst, ldd := j.c[off:], j.ldc
						if edge {
							dst, ldd = s.tile[:mr*nr], nr
							if beta != 0 {
								for i := 0; i < mrr; i++ {
									row := dst[i*nr : i*nr+nr]
									copy(row, j.c[off+i*j.ldc:off+i*j.ldc+nrr])
									clear(row[nrr:])
								}
								clear(dst[mrr*nr:])
							}
						}
						if steps != nil {
							skipFn(steps, apan, bpan, dst, ldd, j.alpha, beta)
						} else {
							kfn(kc, apan, bpan, dst, ldd, j.alpha, beta)
						}
						if edge {
							for i := 0; i < mrr; i++ {
								copy(j.c[off+i*j.ldc:off+i*j.ldc+nrr], dst[i*nr:i*nr+nrr])
							}
						}
					}
				}
			}
		}
	}
}

// scratch holds one worker's packing buffers. They grow to the largest
// blocks seen and are then reused, so a warm Sgemm does not allocate.
type scratch struct {
	a, b, tile []float32
	tmp        []float32 // a Source's working space
	swap       []float32 // Cᵀ of a transposed product
	// Zero skipping: the listed steps of each micro-panel of the packed
	// A block (kcMax apart) and their counts.
	steps  []int32
	nsteps []int
	// slot is 1 + the index of the resident scratch this is, or 0 for one
	// from the pool.
	slot int
}

func (s *scratch) ensureSteps(panels, kcMax int) {
	if cap(s.steps) < panels*kcMax {
		s.steps = make([]int32, panels*kcMax)
	}
	if cap(s.nsteps) < panels {
		s.nsteps = make([]int, panels)
	}
	s.steps, s.nsteps = s.steps[:cap(s.steps)], s.nsteps[:cap(s.nsteps)]
}

// tmpFor returns s.tmp with at least n values.
func (s *scratch) tmpFor(n int) []float32 {
	if cap(s.tmp) < n {
		s.tmp = make([]float32, n)
	}
	return s.tmp[:cap(s.tmp)]
}

func (s *scratch) ensure(na, nb, nt int) {
	// +8: room for the spill of the last AVX2 transposing store (see
	// gatherFast).
	if cap(s.a) < na+8 {
		s.a = make([]float32, na+8)
	}
	if cap(s.b) < nb {
		s.b = make([]float32, nb)
	}
	if cap(s.tile) < nt {
		s.tile = make([]float32, nt)
	}
	s.a, s.b, s.tile = s.a[:cap(s.a)], s.b[:cap(s.b)], s.tile[:cap(s.tile)]
}

// Sgemm callers and pool workers take a resident scratch when one is free,
// so buffers survive garbage collections and moves between Ps: a sync.Pool
// is emptied by the first and misses on the second, and a training step
// would then allocate again (TestTrainStepAllocs failed that way under
// load: the layers' partitions and the pool's workers call concurrently).
// Only when every resident scratch is busy does a caller fall back to the
// pool.
const residentSlots = 8

var (
	resident    [residentSlots]residentScratch
	scratchPool = sync.Pool{New: func() any { return new(scratch) }}
)

type residentScratch struct {
	mu sync.Mutex
	s  scratch
}

func getScratch() *scratch {
	for i := range resident {
		if r := &resident[i]; r.mu.TryLock() {
			r.s.slot = i + 1
			return &r.s
		}
	}
	return scratchPool.Get().(*scratch)
}

func putScratch(s *scratch) {
	if s.slot > 0 {
		resident[s.slot-1].mu.Unlock()
		return
	}
	scratchPool.Put(s)
}
