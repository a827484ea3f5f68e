package gemm

// kernelFunc is the micro-kernel contract. With acc[i][j] = Σ_p
// a[p*mr+i]·b[p*nr+j] for p = 0..kc-1 (a and b are packed micro-panels; the
// sum runs in order of p), it sets, for i < mr and j < nr,
//
//	c[i*ldc+j] = alpha·acc[i][j]                            if beta == 0 (c is not read)
//	c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha·acc[i][j])     otherwise
//
// kc ≥ 1. The caller guarantees len(a) ≥ kc·mr, len(b) ≥ kc·nr and
// len(c) ≥ (mr-1)·ldc+nr; edge tiles go through a padded scratch tile so that
// every tile of C is computed by exactly the same instructions.
type kernelFunc func(kc int, a, b, c []float32, ldc int, alpha, beta float32)

// tilesFunc runs a kernel over tiles ≥ 1 whole tiles down a column of C:
// tile t is kernelFunc's tile with a[t*kc*mr:] and c[t*mr*ldc:] (the same
// B panel), with the same bits. The caller guarantees len(a) ≥
// tiles·kc·mr, len(b) ≥ kc·nr and len(c) ≥ (tiles·mr-1)·ldc+nr.
type tilesFunc func(kc int, a, b, c []float32, ldc int, alpha, beta float32, tiles int)

// edgeKernel computes the last, narrower column of tiles of a product with
// its kernel's A panels and the first w columns of its B panels (nr wide):
// c[i*ldc+j] for i < mr and j < w, by the kernelFunc contract with
// b[p*nr+j]. Every element gets the same arithmetic as in the full kernel,
// so the same bits; the column costs w/nr of a full one, and when it is
// exactly w wide it is written in place instead of through a padded tile.
type edgeKernel struct {
	name  string // the TEXT function, for the interpreter
	w     int
	fn    kernelFunc
	tiles tilesFunc
}

// kernel describes one micro-kernel and its register block.
type kernel struct {
	name   string
	mr, nr int
	fn     kernelFunc
	// tiles, when set, is fn over several tiles down a column of C in one
	// call (the assembly kernels'), saving a call and the Go loop's work
	// per tile; nil runs fn tile by tile.
	tiles tilesFunc
	// edges are the kernel's edge kernels, narrowest first.
	edges []edgeKernel
	// kc, when set, bounds the depth of a k block for this kernel instead
	// of blockKC (the Go kernel's narrow panels allow deeper blocks).
	kc int
	// skip is the zero-skipping variant of fn (sparse.go); nil switches
	// zero skipping off for this kernel.
	skip skipFunc
	// skipWith, for a kernel without a skipping variant, is the kernel
	// that runs a product with a mostly-zero A instead (with the same bits:
	// see sparse.go).
	skipWith *kernel
	// alts are kernels with the same bits (all fused, same k blocking) and
	// other tiles, which run the products kern's tile fits worse (see plan).
	alts []*kernel
	// lanes is how many float32 multiply-adds one of the kernel's
	// instructions does, and eff (0: 1) its measured rate on whole tiles
	// relative to lanes: together the rate plan weighs tiles by.
	lanes int
	eff   float64
	// native reports whether this CPU runs the kernel, from
	// golang.org/x/sys/cpu (which honours GODEBUG=cpu.avx512f=off and the
	// like) at start-up.
	native bool
	// fused reports that every term of acc is one fused multiply-add, as
	// the SIMD kernels compute it; the Go kernel rounds the product and
	// the sum apart. Kernels with fused set give the same bits as each
	// other for the same k blocking, whatever their tile (contract_test.go).
	fused bool
}

// best returns the first kernel of builtKernels (best first, the Go
// kernel last) that this CPU runs.
func best() *kernel {
	for _, k := range builtKernels {
		if k.native {
			return k
		}
	}
	return &goKernel
}

// active is the micro-kernel Sgemm uses, chosen once at start-up.
var active = best()

// Active returns the name of the micro-kernel chosen at start-up, then
// those of its alternatives this CPU runs, which products whose shape they
// fit better go to ("avx512_14x32", "avx512_8x48", ...).
func Active() []string {
	names := []string{active.name}
	for _, w := range active.alts {
		if w.native {
			names = append(names, w.name)
		}
	}
	return names
}

// kcFor returns the depth of each k block of a product through kern.
func (kern *kernel) kcFor(k int) int {
	if kern.kc > 0 {
		return kcSplitMax(k, kern.kc)
	}
	return kcSplit(k)
}

// Blocking parameters. KC bounds the depth of a packed panel: a KC×NR panel
// of B (256·16·4 = 16 KiB for the AVX2 kernel) stays in the 32 KiB L1d next
// to the streaming A micro-panel. MC·KC floats of packed A (≈ 144 KiB) stay
// in the 512 KiB L2; KC·NC floats of packed B (4 MiB) in the 32 MiB L3.
var (
	blockKC = 256
	blockMC = 144
	blockNC = 4080
)

// kcSplit returns the depth of each k block: k is cut into the fewest
// blocks of at most blockKC, of (nearly) equal depth, rounded up to a
// multiple of 4 so that the kernels' unrolled loops run whole. It depends
// only on k, never on the thread count.
func kcSplit(k int) int { return kcSplitMax(k, blockKC) }

// kcSplitMax is kcSplit with blocks of at most kcMax.
func kcSplitMax(k, kcMax int) int {
	nb := (k + kcMax - 1) / kcMax
	kc := (k + nb - 1) / nb
	kc = (kc + 3) &^ 3
	if kc > k {
		kc = k
	}
	return kc
}
