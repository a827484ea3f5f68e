package tensor

import (
	"fmt"
	"math"

	"github.com/rakam-ml/rakam/tensor/internal/vec"
)

// AddRowVector adds the length-n vector v to every row of the m×n matrix x
// (stride ldx): the bias add of a dense layer.
func AddRowVector(m, n int, x []float32, ldx int, v []float32) {
	if len(v) < n {
		panic(fmt.Sprintf("tensor: AddRowVector: vector has %d values, need %d", len(v), n))
	}
	for i := 0; i < m; i++ {
		vec.Axpy(1, v[:n], x[i*ldx:i*ldx+n]) // 1·v is exact: a plain add
	}
}

// SumRows sets dst[j] = beta·dst[j] + Σ_i x[i][j] over the m×n matrix x: the
// bias gradient of a dense layer.
func SumRows(m, n int, x []float32, ldx int, beta float32, dst []float32) {
	if len(dst) < n {
		panic(fmt.Sprintf("tensor: SumRows: dst has %d values, need %d", len(dst), n))
	}
	d := dst[:n]
	if beta == 0 {
		clear(d)
	} else if beta != 1 {
		for j := range d {
			d[j] *= beta
		}
	}
	for i := 0; i < m; i++ {
		vec.Axpy(1, x[i*ldx:i*ldx+n], d)
	}
}

// ReLU sets y = max(x, 0) elementwise. x and y may be the same slice.
// Negative values and −0 become +0; a NaN with its sign bit clear (what
// arithmetic produces) goes through, so it reaches the loss and the
// divergence guard rather than vanishing.
func ReLU(y, x []float32) {
	if len(y) != len(x) {
		panic(fmt.Sprintf("tensor: ReLU: len(y)=%d != len(x)=%d", len(y), len(x)))
	}
	vec.ReLU(y, x)
}

// ReLUBackward sets dx = dy where y > 0 and 0 elsewhere (NaN included),
// given the ReLU's output y. dx and dy may be the same slice.
func ReLUBackward(dx, dy, y []float32) {
	if len(dx) != len(dy) || len(dy) != len(y) {
		panic(fmt.Sprintf("tensor: ReLUBackward: lengths %d, %d, %d differ", len(dx), len(dy), len(y)))
	}
	vec.ReLUBackward(dx, dy, y)
}

// SoftmaxRows writes the softmax of each row of the m×n matrix x into y
// (both contiguous, m·n values). It subtracts the row maximum first so large
// logits do not overflow. x and y may be the same slice.
func SoftmaxRows(m, n int, y, x []float32) {
	if len(x) < m*n || len(y) < m*n {
		panic(fmt.Sprintf("tensor: SoftmaxRows: need %d values, have x=%d y=%d", m*n, len(x), len(y)))
	}
	for i := 0; i < m; i++ {
		xr := x[i*n : i*n+n]
		yr := y[i*n : i*n+n]
		mx := float32(math.Inf(-1))
		for _, v := range xr {
			if v > mx {
				mx = v
			}
		}
		var sum float32
		for j, v := range xr {
			e := float32(math.Exp(float64(v - mx)))
			yr[j] = e
			sum += e
		}
		inv := 1 / sum
		for j := range yr {
			yr[j] *= inv
		}
	}
}

// CrossEntropy returns the mean over rows of −log p[i][label[i]] for the m×n
// probability matrix p. Probabilities are clamped at 1e-12 as Keras and
// scikit-learn do, so a confident wrong answer gives a large finite loss.
func CrossEntropy(m, n int, p []float32, labels []uint8) float64 {
	if len(labels) < m || len(p) < m*n {
		panic(fmt.Sprintf("tensor: CrossEntropy: %d rows need %d labels and %d probabilities", m, len(labels), m*n))
	}
	var sum float64
	for i := 0; i < m; i++ {
		l := int(labels[i])
		if l >= n {
			panic(fmt.Sprintf("tensor: CrossEntropy: label %d out of range for %d classes", l, n))
		}
		sum -= math.Log(math.Max(float64(p[i*n+l]), 1e-12))
	}
	if m == 0 {
		return 0
	}
	return sum / float64(m)
}

// ArgmaxRows writes the index of the largest value of each row of the m×n
// matrix x into dst. Ties go to the lowest index, as NumPy's argmax does.
func ArgmaxRows(m, n int, x []float32, dst []int) {
	if len(dst) < m || len(x) < m*n {
		panic(fmt.Sprintf("tensor: ArgmaxRows: %d rows need dst of %d and %d values", m, m, m*n))
	}
	for i := 0; i < m; i++ {
		row := x[i*n : i*n+n]
		best := 0
		for j := 1; j < n; j++ {
			if row[j] > row[best] {
				best = j
			}
		}
		dst[i] = best
	}
}

// Axpy sets y += alpha·x. With AVX2+FMA each element is rounded once (a
// fused multiply-add); the pure-Go path (purego, or a CPU or architecture
// without the assembly) rounds the product and the sum separately, with the
// same bits on every architecture and GOAMD64 level: it converts the product,
// so the compiler cannot fuse it.
func Axpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("tensor: Axpy: len(x)=%d != len(y)=%d", len(x), len(y)))
	}
	vec.Axpy(alpha, x, y)
}

// Scale sets x *= alpha.
func Scale(alpha float32, x []float32) {
	vec.Scale(alpha, x)
}

// Sum returns the float64 sum of x.
func Sum(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// BytesToFloat sets dst[i] = float32(src[i]) / div, rounded as Go's float32
// division rounds (the AVX2 kernel divides too, it does not multiply by a
// reciprocal), so pixels become the same floats on every path. dst must be
// at least as long as src.
func BytesToFloat(dst []float32, src []uint8, div float32) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("tensor: BytesToFloat: len(dst)=%d < len(src)=%d", len(dst), len(src)))
	}
	vec.BytesToFloat(dst, src, div)
}

// AddConst sets dst[i] = src[i] + c (a bias added while copying); dst and
// src may be the same slice, and must have the same length.
func AddConst(dst, src []float32, c float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("tensor: AddConst: len(dst)=%d != len(src)=%d", len(dst), len(src)))
	}
	vec.AddConst(dst, src, c)
}

// MaxPool2x2 max-pools one pair of image rows with 2×2 windows at stride 2:
// window j covers columns 2j and 2j+1 of rows r0 and r1. out[j] gets its
// largest value and arg[j] that value's index, base + column for r0 and
// base + w + column for r1 (base is r0's offset in the image, w the row
// width, so arg indexes the image). Comparisons are ordered greater-than:
// ties and NaN keep the earlier position in row-major order, and ±0 compare
// equal. len(arg) ≥ len(out), and r0 and r1 hold at least 2·len(out) values.
func MaxPool2x2(out []float32, arg []int32, r0, r1 []float32, base, w int) {
	if len(arg) < len(out) || len(r0) < 2*len(out) || len(r1) < 2*len(out) {
		panic(fmt.Sprintf("tensor: MaxPool2x2: %d outputs need %d indices and rows of %d, have %d, %d, %d", len(out), len(out), 2*len(out), len(arg), len(r0), len(r1)))
	}
	vec.MaxPool2x2(out, arg, r0, r1, int32(base), int32(w))
}

// MaxPool2x2Planes max-pools planes planes with 2×2 windows at stride 2:
// plane p starts at x[p·plane], its output row oy (ow windows) comes from
// its input rows 2·oy and 2·oy+1 (rows w ≥ 2·ow values apart), and
// out[(p·rows+oy)·ow+j], arg[…] are what MaxPool2x2 gives for that row
// pair with base 2·oy·w, so arg indexes the plane. Nothing past the
// planes·rows·ow outputs is written. One call does all the planes (one
// assembly call, apart from the last plane's rows when they are shorter
// than eight windows), where MaxPool2x2 takes a call or two per row.
func MaxPool2x2Planes(out []float32, arg []int32, x []float32, planes, rows, ow, w, plane int) {
	n := planes * rows * ow
	if planes < 0 || rows < 0 || ow < 0 || w < 2*ow || (rows > 0 && plane < (2*rows-1)*w+2*ow) || len(out) < n || len(arg) < n ||
		(n > 0 && len(x) < (planes-1)*plane+(2*rows-1)*w+2*ow) {
		panic(fmt.Sprintf("tensor: MaxPool2x2Planes: %d planes of %d rows of %d windows (rows %d, planes %d apart) need %d outputs and indices and %d values, have %d, %d, %d",
			planes, rows, ow, w, plane, n, (planes-1)*plane+(2*rows-1)*w+2*ow, len(out), len(arg), len(x)))
	}
	vec.MaxPool2x2Planes(out, arg, x, planes, rows, ow, w, plane)
}

// MaxUnpool2x2Plane is MaxPool2x2Planes' backward pass on one plane: for
// oy < rows it sets columns [0, 2·ow) of rows 2·oy and 2·oy+1 of the plane
// dx (rows w apart): each window's position arg[oy·ow+j] gets 0 + g[oy·ow+j] and its
// other positions +0 — what adding the gradients to a cleared plane gives.
// With y non-nil (a ReLU fused after the pool), g counts only where
// y[oy·ow+j], the pooled value, is positive. arg must be what
// MaxPool2x2Planes gave (not checked, for speed: an index outside its
// window is undefined). The rest of dx is left as it was.
func MaxUnpool2x2Plane(dx, g []float32, arg []int32, y []float32, rows, ow, w int) {
	if rows < 0 || ow < 0 || w < 2*ow || len(g) < rows*ow || len(arg) < rows*ow || (y != nil && len(y) < rows*ow) || (rows > 0 && len(dx) < (2*rows-1)*w+2*ow) {
		panic(fmt.Sprintf("tensor: MaxUnpool2x2Plane: %d rows of %d windows at row width %d need %d gradients, indices and outputs and %d values, have %d, %d, %d, %d",
			rows, ow, w, rows*ow, (2*rows-1)*w+2*ow, len(g), len(arg), len(y), len(dx)))
	}
	vec.MaxUnpool2x2Rows(dx, g, arg, y, rows, ow, w)
}

// RowSums sets out[r], for r < len(out) ≤ 8, to the sum of y[r·ld :
// r·ld+n] added from left to right in float32: the bits of one plain loop
// per row, eight rows at a time in the assembly (a bias gradient's sums).
func RowSums(out, y []float32, ld, n int) {
	if len(out) > 8 || n < 0 || (len(out) > 1 && ld < n) || (len(out) > 0 && n > 0 && len(y) < (len(out)-1)*ld+n) {
		panic(fmt.Sprintf("tensor: RowSums: %d rows of %d values %d apart need at most 8 rows and %d values, have %d", len(out), n, ld, (len(out)-1)*ld+n, len(y)))
	}
	vec.RowSums(out, y, ld, n)
}
