package gemm

import "math"

// Zero skipping. A network's first layer multiplies the input images by its
// weights, and MNIST images are four-fifths zeros; its weight gradient
// multiplies the same images, transposed, by the output gradient. In both
// products A is mostly zeros, and in a packed micro-panel of A (MR rows by
// KC depths) many depths have all MR values zero: about 58 % of them for
// six images side by side, 67 % for six neighbouring pixels across a batch
// of 128 (MNIST test images). A step of the micro-kernel at such a depth
// adds a·b = ±0 to every accumulator and changes nothing, so Sgemm lists
// the depths with a non-zero value once per packed panel of A and, where
// enough of them are zero, runs a kernel that takes only the listed steps.
//
// The result is bit for bit the dense kernel's: an accumulator starts at +0
// and is never -0 (x + y rounds to -0 only when both are -0), so adding ±0
// leaves it unchanged, and the listed steps run in the same order with the
// same instructions. The one exception is ±Inf or NaN in B at a skipped
// depth: the dense kernel gives NaN (0·Inf), the skipping one leaves the
// term out, as reference BLAS does when it skips zero operands.
//
// Whether to list at all is decided per product from a sample of A (dense
// operands such as output gradients pay nothing but the sample), and per
// panel from the list's length; neither depends on threads or timing.
//
// The AVX-512 kernel has no skipping variant; on such a CPU a product with
// a mostly-zero A can run on the AVX2 kernels instead (kernel.skipWith).
// That changes no bit either: both kernels compute each element as the
// same chain of fused multiply-adds over the same k blocks (blockKC for
// both) and store it with the same alpha/beta update; only the tile shape
// differs (TestFusedKernelsMatchContract; on a CPU without AVX-512,
// TestEmulatedSgemm runs the AVX-512 kernels in an interpreter of their
// assembly). But the AVX2 kernel runs at about half the AVX-512 rate, so
// the hand-over pays only where more than half of its panels' depths are
// all zero (handOverPays): MNIST images (58 % of the depths of six images
// side by side, 67 % for six neighbouring pixels across a batch) yes; the
// activations after a ReLU, each zero about half the time on its own, no
// (six of them are all zero at 2 % of the depths), and there the hand-over
// ran the product dense at AVX2's rate (docs/performance.md has the
// measurements).

// skipSample is how many leading values of the stored A (whole rows, or
// the start of the first row when a row is longer) the density test reads, and skipMaxDensity the share of them that may be
// non-zero for Sgemm to list steps at all.
const (
	skipSample     = 1024
	skipMaxDensity = 0.5
)

// skipOff switches zero skipping off (a test and benchmark hook).
var skipOff = false

// skipFunc is a zero-skipping micro-kernel: kernelFunc's contract with the
// sum running over p = steps[t] for t = 0..len(steps)-1 (increasing depths
// within the packed panels) instead of p = 0..kc-1. steps may be empty.
type skipFunc func(steps []int32, a, b, c []float32, ldc int, alpha, beta float32)

// useSkip reports whether Sgemm should list the non-zero steps of A's
// packed panels: the kernel has a skipping variant and at most half of a
// sample of A's leading stored rows is non-zero.
func useSkip(kern *kernel, transA bool, m, k int, a []float32, lda int) bool {
	if skipOff || kern.skip == nil {
		return false
	}
	rows, cols := m, k // stored A
	if transA {
		rows, cols = k, m
	}
	// A weight gradient's rows are a batch's output positions (50,176 for
	// a 28×28 layer at batch 64): reading all of one row took 0.8 % of the
	// zoo cnn's training step.
	take, width := min(rows, max(1, skipSample/cols)), min(cols, skipSample)
	nz := 0
	for i := 0; i < take; i++ {
		for _, v := range a[i*lda : i*lda+width] {
			if v != 0 {
				nz++
			}
		}
	}
	return float64(nz) <= skipMaxDensity*float64(take*width)
}

// handOverSlack lowers the share of zero depths a hand-over to a slower
// skipping kernel needs, below the break-even of the rates: the sample
// reads 0.49-0.61 on MNIST batches whose whole panels are 58 % (images ·
// W) and 67 % (imagesᵀ · dY) zero, and the break-even measured on Zen 5
// (BenchmarkSkip/mnist, AVX2 skipping against AVX-512 dense, 2026-12-06)
// is about 0.52 against the rates' 0.5. Products whose A comes from a
// ReLU (cnn-fast's) sample at 0-0.4.
const handOverSlack = 0.05

// handOverPays reports whether a product with A as given runs faster on w,
// skipping the depths at which its w.mr-row panels are all zero, than dense
// on the best of kern and its alternatives. With r the ratio of their rates
// (tileRate on m×n), skipping a share z of the depths pays when 1-z < r;
// z is estimated by zeroDepthShare.
func handOverPays(kern, w *kernel, transA bool, m, n, k int, a []float32, lda int) bool {
	r := 1.0 // kernels without a stated rate (lanes 0) count as equal
	if _, best := bestKernel(kern, m, n); best > 0 && w.lanes > 0 {
		r = tileRate(w, m, n) / best
	}
	need := 1 - r - handOverSlack
	return need <= 0 || zeroDepthShare(transA, m, k, a, lda, w.mr) > need
}

// zeroDepthShare estimates the share of depths at which an mr-row panel
// of op(A) (m×k) has every value ±0: over up to four panels spread across
// the rows, at depths spread evenly across k, about skipSample values in
// all. NaN counts as non-zero.
func zeroDepthShare(transA bool, m, k int, a []float32, lda, mr int) float64 {
	if m < 1 || k < 1 || mr < 1 {
		return 0
	}
	rows := min(mr, m)
	panels := min(4, max(1, m/rows))
	depths := min(k, max(1, skipSample/(rows*panels)))
	at := func(i, p int) float32 { // op(A)[i][p]
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	zero, n := 0, 0
	for q := range panels {
		i0 := q * (m - rows) / max(1, panels-1)
		for t := range depths {
			p := t * k / depths
			var or uint32
			for i := i0; i < i0+rows; i++ {
				or |= math.Float32bits(at(i, p))
			}
			if or<<1 == 0 {
				zero++
			}
			n++
		}
	}
	return float64(zero) / float64(n)
}

// worthSkipping reports whether a panel with n of kc steps listed should
// run the skipping kernel: it costs a little more per step than the dense
// one, so a panel needs a fifth of its steps zero.
func worthSkipping(n, kc int) bool { return 5*n <= 4*kc }

// panelSteps writes to steps the depths p < kc at which the packed
// micro-panel a (a[p*mr+i], i < mr) has a value that is not ±0, in
// increasing order, and returns how many. NaN counts as non-zero.
func panelSteps(a []float32, mr, kc int, steps []int32) int {
	a, steps = a[:mr*kc], steps[:kc]
	done, n := panelStepsFast(a, mr, kc, steps)
	for p := done; p < kc; p++ {
		var or uint32
		for _, v := range a[mr*p : mr*p+mr] {
			or |= math.Float32bits(v)
		}
		steps[n] = int32(p)
		if or<<1 != 0 { // not every value ±0
			n++
		}
	}
	return n
}

// kernelGo2x3Skip is goKernel's zero-skipping variant: kernelGo2x3's
// arithmetic over the listed steps only.
func kernelGo2x3Skip(steps []int32, a, b, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02 float32
	var c10, c11, c12 float32
	for _, p := range steps {
		ap := a[2*p : 2*p+2]
		bp := b[3*p : 3*p+3]
		a0, a1 := ap[0], ap[1]
		c00 += float32(a0 * bp[0])
		c10 += float32(a1 * bp[0])
		c01 += float32(a0 * bp[1])
		c11 += float32(a1 * bp[1])
		c02 += float32(a0 * bp[2])
		c12 += float32(a1 * bp[2])
	}
	update3(c[0:], c00, c01, c02, alpha, beta)
	update3(c[ldc:], c10, c11, c12, alpha, beta)
}
