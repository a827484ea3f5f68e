package tensor

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	blocked "github.com/rakam-ml/rakam/tensor/internal/gemm"
	"github.com/rakam-ml/rakam/tensor/internal/vec"
)

// Patches is the patch matrix of a batch of images — the matrix Im2Col
// lowers them to, side by side — as an operand that is never stored:
// GemmPatches and GemmPatchesT pack it straight from the images, one
// cache-sized block at a time, where Im2Col followed by Gemm writes the
// whole matrix out and reads it back (for a 16-channel 3×3 convolution over
// a batch of 64 14×14 maps, 7 MiB). The products have the bits of Gemm on
// the stored matrix: the same packed panels reach the same kernels in the
// same order (TestGemmPatchesSameBits).
//
// The matrix has C·KH·KW rows and N·OH·OW columns (OH = ConvOut(H, KH,
// Stride, Pad), OW likewise): column e·OH·OW + q holds example e's output
// position q, and row (c·KH+i)·KW+j the input pixel each position's window
// puts there, as in Im2Col.
type Patches struct {
	X                      []float32 // N images (C, H, W), one after another
	N, C, H, W             int
	KH, KW, Stride, Pad    int
	oh, ow, hw, size, rows int // set by check
	// masks[j]: a "same" geometry's wrap-column mask for kernel column j
	// (colMask), looked up once by check for the products' many rows.
	masks [8][]uint32
}

// check validates the geometry and fills the derived sizes; it panics on
// a programmer error, as Im2Col does.
func (p *Patches) check(name string) {
	if p.N < 0 || p.C < 1 || p.H < 1 || p.W < 1 || p.KH < 1 || p.KW < 1 || p.Stride < 1 || p.Pad < 0 {
		panic(fmt.Sprintf("tensor: %s: bad geometry n=%d c=%d h=%d w=%d kernel %dx%d stride %d pad %d", name, p.N, p.C, p.H, p.W, p.KH, p.KW, p.Stride, p.Pad))
	}
	p.oh, p.ow = ConvOut(p.H, p.KH, p.Stride, p.Pad), ConvOut(p.W, p.KW, p.Stride, p.Pad)
	p.hw, p.size, p.rows = p.oh*p.ow, p.C*p.H*p.W, p.C*p.KH*p.KW
	p.lookMasks()
	if len(p.X) < p.N*p.size {
		panic(fmt.Sprintf("tensor: %s: %d values for %d images of %dx%dx%d", name, len(p.X), p.N, p.C, p.H, p.W))
	}
}

// Rows and Cols return the patch matrix's size.
func (p *Patches) Rows() int { return p.C * p.KH * p.KW }
func (p *Patches) Cols() int {
	return p.N * ConvOut(p.H, p.KH, p.Stride, p.Pad) * ConvOut(p.W, p.KW, p.Stride, p.Pad)
}

// GemmPatches computes C = alpha·A·P + beta·C on up to threads goroutines,
// where P is the patch matrix of p (K×n, K = p.Rows(), n = p.Cols()), A is
// m×K row-major with stride lda and C m×n with stride ldc: a convolution's
// forward product, the filters times the patches.
func GemmPatches(threads, m int, alpha float32, a []float32, lda int, p *Patches, beta float32, c []float32, ldc int) {
	p.check("GemmPatches")
	k, n := p.rows, p.N*p.hw
	checkAC("GemmPatches", m, n, k, a, lda, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	blocked.SgemmFrom(threads, false, false, m, n, k, alpha, a, lda, (*patchesN)(p), beta, c, ldc)
}

// GemmPatchesT computes C = alpha·A·Pᵀ + beta·C, where A is m×n (n =
// p.Cols()) row-major with stride lda and C is m×K (K = p.Rows()): a
// convolution's weight gradient, the output gradient times the patches.
func GemmPatchesT(threads, m int, alpha float32, a []float32, lda int, p *Patches, beta float32, c []float32, ldc int) {
	p.check("GemmPatchesT")
	k, n := p.N*p.hw, p.rows
	checkAC("GemmPatchesT", m, n, k, a, lda, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	blocked.SgemmFrom(threads, false, true, m, n, k, alpha, a, lda, (*patchesT)(p), beta, c, ldc)
}

// patchesN is P as op(B) (a forward product): its columns are output
// positions, its depths patch rows.
type patchesN Patches

func (s *patchesN) TmpSize(nc, kc, w int) int { return nc }

func (s *patchesN) PackB(dst, tmp []float32, j0, nc, p0, kc, w int) {
	row := tmp[:nc]
	for p := 0; p < kc; p++ {
		(*Patches)(s).row(row, p0+p, j0)
		blocked.PackDepth(dst, row, p, kc, w)
	}
}

// patchesT is Pᵀ as op(B) (a weight gradient): its columns are patch rows,
// its depths output positions.
type patchesT Patches

func (s *patchesT) TmpSize(nc, kc, w int) int { return w * kc }

func (s *patchesT) PackB(dst, tmp []float32, j0, nc, p0, kc, w int) {
	for q := 0; q*w < nc; q++ {
		rows := min(w, nc-q*w)
		for r := 0; r < rows; r++ {
			(*Patches)(s).row(tmp[r*kc:(r+1)*kc], j0+q*w+r, p0)
		}
		blocked.PackCols(dst[q*kc*w:], tmp, kc, 0, rows, 0, kc, w)
	}
}

// zeroStrided zeroes s[i], s[i+step], … up to the end of s.
func zeroStrided(s []float32, i, step int) {
	for ; i < len(s); i += step {
		s[i] = 0
	}
}

// row fills dst with patch row r at columns [col0, col0+len(dst)): the
// values Im2Col writes there.
func (p *Patches) row(dst []float32, r, col0 int) {
	ch, ij := r/(p.KH*p.KW), r%(p.KH*p.KW)
	i, j := ij/p.KW, ij%p.KW
	lo, hi := validCols(j, p.Stride, p.Pad, p.W, p.ow)
	plane := p.H * p.W
	off, q0 := col0/p.hw*p.size+ch*plane, col0%p.hw // the first example's plane, and where in it
	if p.Stride == 1 && p.Pad == 0 && len(dst) > 0 {
		// "Valid": a part of the first example by run, then every whole
		// example in one call (its oh rows of ow values, w apart, the
		// examples size apart), then a part of the last.
		if q0 > 0 || len(dst) < p.hw {
			n := min(len(dst), p.hw-q0)
			p.run(dst[:n], p.X[off:off+plane], i, j, lo, hi, q0)
			dst, off = dst[n:], off+p.size
		}
		if whole := len(dst) / p.hw; whole > 0 {
			vec.RowsCopyBlocks(dst, p.X[off+i*p.W+j:], whole, p.oh, p.ow, p.W, p.size)
			dst, off = dst[whole*p.hw:], off+whole*p.size
		}
		if len(dst) > 0 {
			p.run(dst, p.X[off:off+plane], i, j, lo, hi, 0)
		}
		return
	}
	if p.Stride == 1 && p.ow == p.W {
		// "Same": each example's row is its image shifted by (i−Pad,
		// j−Pad) between zeros, the positions whose window column falls
		// off the image (and would read the neighbouring image row)
		// masked out. The bounds and the mask are the same for every
		// example: whole examples go in one call, a part of the first or
		// the last in one each.
		a, b, d := p.sameBounds(i, j, lo, hi)
		mask := p.maskOf(j, lo, hi)
		for len(dst) > 0 {
			n, blocks := min(p.hw-q0, len(dst)), 1 // positions [q0, q0+n) of the example
			if n == p.hw {
				blocks = len(dst) / p.hw
			}
			if s, e := max(a, q0), min(b, q0+n); s < e {
				vec.MaskedCopyBlocks(dst, p.X[off+s+d:], mask[q0:], blocks, n, s-q0, e-q0, p.size)
			} else {
				clear(dst[:blocks*n])
			}
			dst, off, q0 = dst[blocks*n:], off+blocks*p.size, 0
		}
		return
	}
	for len(dst) > 0 {
		q1 := min(p.hw, q0+len(dst))
		p.run(dst[:q1-q0], p.X[off:off+plane], i, j, lo, hi, q0)
		dst = dst[q1-q0:]
		off, q0 = off+p.size, 0
	}
}

// lookMasks fills p.masks for a "same" geometry (stride 1, output as wide
// as the input; oh, ow and hw set): one lookup per kernel column rather
// than one per patch row.
func (p *Patches) lookMasks() {
	p.masks = [len(p.masks)][]uint32{}
	if p.Stride != 1 || p.ow != p.W {
		return
	}
	for j := range min(p.KW, len(p.masks)) {
		lo, hi := validCols(j, 1, p.Pad, p.W, p.ow)
		p.masks[j] = colMask(p.W, p.hw, lo, hi)
	}
}

// maskOf returns the wrap-column mask of kernel column j, whose valid
// output columns are [lo, hi): from p.masks, or looked up.
func (p *Patches) maskOf(j, lo, hi int) []uint32 {
	if j < len(p.masks) && p.masks[j] != nil {
		return p.masks[j]
	}
	return colMask(p.W, p.hw, lo, hi)
}

// colMask returns the mask of output positions [0, hw) of rows w wide
// whose column lies in [lo, hi) (0xFFFFFFFF; 0 elsewhere), shared and
// never written: masks are made once per geometry and kept in a map
// replaced on each addition, so a lookup takes no lock.
func colMask(w, hw, lo, hi int) []uint32 {
	if max(w, hw, lo, hi) >= 1<<16 { // beyond the key: made each time
		return makeColMask(w, hw, lo, hi)
	}
	k := uint64(w) | uint64(hw)<<16 | uint64(lo)<<32 | uint64(hi)<<48
	if m, ok := (*colMasks.Load())[k]; ok {
		return m
	}
	colMasksMu.Lock()
	defer colMasksMu.Unlock()
	old := *colMasks.Load()
	if m, ok := old[k]; ok {
		return m
	}
	m := makeColMask(w, hw, lo, hi)
	next := make(map[uint64][]uint32, len(old)+1)
	maps.Copy(next, old)
	next[k] = m
	colMasks.Store(&next)
	return m
}

func makeColMask(w, hw, lo, hi int) []uint32 {
	m := make([]uint32, hw)
	for q := range m {
		if c := q % w; c >= lo && c < hi {
			m[q] = ^uint32(0)
		}
	}
	return m
}

// colMasks maps (w, hw, lo, hi), 16 bits each, to its mask.
var (
	colMasks   atomic.Pointer[map[uint64][]uint32]
	colMasksMu sync.Mutex
)

func init() { colMasks.Store(&map[uint64][]uint32{}) }

// sameBounds returns, for patch row (i, j) of a stride-1 convolution whose
// output is as wide as its input ("same" padding), the output positions
// [a, b) of an example outside which the window's pixel lies above or
// below the image or past the first or last column (a ≥ b: none), and
// the offset d from a position to its pixel: the image shifted by
// (i−Pad, j−Pad). Inside [a, b) the positions whose column is outside
// [lo, hi) wrap to the neighbouring image row, and colMask masks them.
func (p *Patches) sameBounds(i, j, lo, hi int) (a, b, d int) {
	di, dj := i-p.Pad, j-p.Pad
	oy0, oy1 := max(0, -di), min(p.oh, p.H-di)
	if oy0 >= oy1 || lo >= hi {
		return 0, 0, 0
	}
	return oy0*p.W + lo, (oy1-1)*p.W + hi, di*p.W + dj
}

// run fills seg with one image's patch row (i, j) at output positions
// [q0, q0+len(seg)), for any geometry but "same" (which row fills
// itself); [lo, hi) are the output columns whose input column is inside
// the image.
func (p *Patches) run(seg, img []float32, i, j, lo, hi, q0 int) {
	h, w, ow := p.H, p.W, p.ow
	q1 := q0 + len(seg)
	if p.Stride == 1 && p.Pad == 0 {
		// As im2colValid: output row oy is image row oy+i from column j;
		// whole output rows move in one vec.RowsCopy, a partial first or
		// last one by copy.
		for q := q0; q < q1; {
			oy, ox := q/ow, q%ow
			if n := (q1 - q) / ow; ox == 0 && n > 0 {
				vec.RowsCopy(seg[q-q0:], img[(oy+i)*w+j:], n, ow, ow, w)
				q += n * ow
				continue
			}
			end := min(q1, (oy+1)*ow)
			copy(seg[q-q0:end-q0], img[(oy+i)*w+j+ox:])
			q = end
		}
		return
	}
	// Any other geometry, one output row (or part of one) at a time.
	for q := q0; q < q1; {
		oy, ox := q/ow, q%ow
		end := min(q1, (oy+1)*ow)
		d := seg[q-q0 : end-q0]
		iy := oy*p.Stride - p.Pad + i
		if iy < 0 || iy >= h {
			clear(d)
			q = end
			continue
		}
		src := img[iy*w : (iy+1)*w]
		if p.Stride == 1 {
			a, b := max(ox, lo), min(ox+len(d), hi)
			if a >= b {
				clear(d)
			} else {
				clear(d[:a-ox])
				copy(d[a-ox:b-ox], src[a-p.Pad+j:b-p.Pad+j])
				clear(d[b-ox:])
			}
			q = end
			continue
		}
		for k := range d {
			x := ox + k
			if x < lo || x >= hi {
				d[k] = 0
				continue
			}
			d[k] = src[x*p.Stride-p.Pad+j]
		}
		q = end
	}
}
