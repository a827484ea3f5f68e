package vec

import "math"

// The direct one-channel convolution's kernels (tensor.Direct1): r rows of
// t consecutive taps of a filter at once. Rows start rows[i] values into
// x; tap (i, j) reads x from rows[i]+j. The assembly (tensor/_asm/vec,
// taps.go) keeps the r·t weights or accumulators in registers, for r ≤ 3
// rows of t ≤ 8 taps with r·t ≤ 12 (taps_amd64.go); the Go loops do
// every other shape, with the same bits.

// DotTaps sets out[i·t+j] = Σ_p g[p]·x[p+rows[i]+j] over p < len(g) for
// i < len(rows), j < t: per tap, DotSum's dot product, bit for bit. It
// returns Σ g[p], DotSum's sum (and Sum's), bit for bit. x must hold
// rows[i]+t−1+len(g) values for every i; out r·t.
func DotTaps(g, x []float32, rows []int, t int, out []float32) (sum float32) {
	n := len(g)
	out = out[:len(rows)*t]
	for _, r := range rows {
		_ = x[r : r+t-1+n] // the kernels read exactly this much
	}
	if useAVX2 {
		if s, ok := dotTapsAVX2(len(rows), t, g, x, rows, out); ok {
			return s
		}
	}
	if len(out) == 0 {
		return sumGo(g)
	}
	for i, r := range rows {
		for j := 0; j < t; j++ {
			out[i*t+j], sum = dotsumGo(g, x[r+j:r+j+n])
		}
	}
	return sum
}

// MulAddTaps sets y[p] += w[i·t+j]·x[p+rows[i]+j] for p < len(y), tap by
// tap in row-major order (i, then j < t), each product rounded before its
// add: the bits of one MulAdd per tap in that order. With set, y[p] starts
// from +0 (as if cleared first) instead of its value. x must hold
// rows[i]+t−1+len(y) values for every i; w r·t.
func MulAddTaps(y, x []float32, rows []int, t int, w []float32, set bool) {
	n := len(y)
	w = w[:len(rows)*t]
	for _, r := range rows {
		_ = x[r : r+t-1+n]
	}
	if useAVX2 && mulAddTapsAVX2(len(rows), t, y, x, rows, w, set) {
		return
	}
	if set {
		clear(y)
	}
	for i, r := range rows {
		for j := 0; j < t; j++ {
			mulAddGo(w[i*t+j], x[r+j:r+j+n], y)
		}
	}
}

// RowsCopy sets dst[r·ds+q] = src[r·ss+q] for r < rows, q < width: rows
// moved to another row stride. dst and src must not overlap.
func RowsCopy(dst, src []float32, rows, width, ds, ss int) {
	if !rowsFit(dst, src, rows, width, ds, ss) {
		return
	}
	if useAVX2 && width >= 8 {
		rowsCopyAVX2(dst, src, rows, width, ds, ss)
		return
	}
	rowsCopyGo(dst, src, rows, width, ds, ss)
}

// RowsAddConst sets dst[r·ds+q] = src[r·ss+q] + c for r < rows, q < width.
// dst and src must not overlap.
func RowsAddConst(dst, src []float32, rows, width, ds, ss int, c float32) {
	if !rowsFit(dst, src, rows, width, ds, ss) {
		return
	}
	if useAVX2 && width >= 8 {
		rowsAddConstAVX2(dst, src, rows, width, ds, ss, c)
		return
	}
	rowsAddConstGo(dst, src, rows, width, ds, ss, c)
}

// RowsAdd sets dst[r·ds+q] += src[r·ss+q] for r < rows, q < width: rows
// added to another row stride, each sum rounded once as the plain loop's,
// so every path gives the same bits. dst and src must not overlap.
func RowsAdd(dst, src []float32, rows, width, ds, ss int) {
	if !rowsFit(dst, src, rows, width, ds, ss) {
		return
	}
	if useAVX2 && width >= 8 {
		rowsAddAVX2(dst, src, rows, width, ds, ss)
		return
	}
	rowsAddGo(dst, src, rows, width, ds, ss)
}

// RowsCopyBlocks sets dst[(b·rows+r)·width+q] = src[b·bs+r·ss+q] for
// b < blocks, r < rows, q < width: blocks of rows (rows ss apart, blocks bs
// apart) copied one after another into dst, as RowsCopy of each block with
// ds = width would, in one call. dst and src must not overlap.
func RowsCopyBlocks(dst, src []float32, blocks, rows, width, ss, bs int) {
	if blocks <= 0 || rows <= 0 || width <= 0 {
		return
	}
	if ss < 0 || bs < 0 {
		panic("vec: negative row or block stride")
	}
	_ = dst[blocks*rows*width-1]
	_ = src[(blocks-1)*bs+(rows-1)*ss+width-1]
	if useAVX2 && width >= 8 && width <= 32 {
		rowsCopyBlocksAVX2(dst, src, blocks, rows, width, ss, bs)
		return
	}
	for b := 0; b < blocks; b++ {
		RowsCopy(dst[b*rows*width:], src[b*bs:], rows, width, width, ss)
	}
}

// MaskedCopyBlocks sets, for e < blocks, dst[e·n+q] = src[e·ss+q−a] with
// its bits ANDed with mask[q] (each 0 or 0xFFFFFFFF: the value itself, or
// +0) for a ≤ q < b, and +0 for q < a and b ≤ q < n: blocks of n values one
// after another, each a run of src between zeros — a "same" convolution's
// patch row of several images (the mask zeroes the positions whose window
// column falls off the image). dst and src must not overlap; mask holds at
// least b values.
func MaskedCopyBlocks(dst, src []float32, mask []uint32, blocks, n, a, b, ss int) {
	if blocks <= 0 || n <= 0 {
		return
	}
	if a < 0 || b > n || ss < 0 {
		panic("vec: MaskedCopyBlocks: bad run or stride")
	}
	_ = dst[blocks*n-1]
	if a >= b {
		clear(dst[:blocks*n])
		return
	}
	_ = mask[b-1]
	_ = src[(blocks-1)*ss+b-a-1]
	if useAVX2 && n >= 8 && b-a >= 8 {
		maskedCopyBlocksAVX2(dst, src, mask, blocks, n, a, b, ss)
		return
	}
	for e := 0; e < blocks; e++ {
		d, s := dst[e*n:(e+1)*n], src[e*ss:e*ss+b-a]
		clear(d[:a])
		for q, v := range s {
			d[a+q] = math.Float32frombits(math.Float32bits(v) & mask[a+q])
		}
		clear(d[b:])
	}
}

// MaskedAddBlocks sets dst[e·ds+q] += src[e·ss+q] with its bits ANDed
// with mask[q] (each 0 or 0xFFFFFFFF: the value, or +0) for e < blocks and
// q < n, each sum rounded once as the plain loop's: a "same" convolution's
// patch row of several images added back to them (col2im). dst and src
// must not overlap; mask holds at least n values.
func MaskedAddBlocks(dst, src []float32, mask []uint32, blocks, n, ds, ss int) {
	if blocks <= 0 || n <= 0 {
		return
	}
	if ds < 0 || ss < 0 {
		panic("vec: MaskedAddBlocks: negative stride")
	}
	_ = mask[n-1]
	_ = dst[(blocks-1)*ds+n-1]
	_ = src[(blocks-1)*ss+n-1]
	if useAVX2 && n >= 8 {
		maskedAddBlocksAVX2(dst, src, mask, blocks, n, ds, ss)
		return
	}
	for e := 0; e < blocks; e++ {
		d, s := dst[e*ds:e*ds+n], src[e*ss:e*ss+n]
		for q, v := range s {
			d[q] += math.Float32frombits(math.Float32bits(v) & mask[q])
		}
	}
}

// rowsFit reports whether there is anything to move, and panics (with an
// index out of range) if the rows do not fit in dst and src.
func rowsFit(dst, src []float32, rows, width, ds, ss int) bool {
	if rows <= 0 || width <= 0 {
		return false
	}
	if ds < 0 || ss < 0 {
		panic("vec: negative row stride")
	}
	_ = dst[(rows-1)*ds+width-1]
	_ = src[(rows-1)*ss+width-1]
	return true
}

func rowsCopyGo(dst, src []float32, rows, width, ds, ss int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*ds:r*ds+width], src[r*ss:r*ss+width])
	}
}

func rowsAddGo(dst, src []float32, rows, width, ds, ss int) {
	for r := 0; r < rows; r++ {
		d, s := dst[r*ds:r*ds+width], src[r*ss:r*ss+width]
		for q, v := range s {
			d[q] += v
		}
	}
}

func rowsAddConstGo(dst, src []float32, rows, width, ds, ss int, c float32) {
	for r := 0; r < rows; r++ {
		addConstGo(dst[r*ds:r*ds+width], src[r*ss:r*ss+width], c)
	}
}
