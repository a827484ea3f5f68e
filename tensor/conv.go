package tensor

import (
	"fmt"

	"github.com/rakam-ml/rakam/tensor/internal/vec"
)

// ConvOut returns the output size of a convolution or pooling window of
// size k over in values with the given stride and zero padding on both
// sides: (in + 2·pad − k)/stride + 1, or 0 when the window does not fit.
func ConvOut(in, k, stride, pad int) int {
	if stride < 1 || k < 1 || in+2*pad < k {
		return 0
	}
	return (in+2*pad-k)/stride + 1
}

// Im2Col lowers one (C, H, W) image x (NCHW, one example) to its patch
// matrix so that a convolution becomes one Gemm: row (c·KH+i)·KW+j of col,
// which starts at col[((c·KH+i)·KW+j)·ld], holds for every output position
// (oy, ox) the input pixel x[c][oy·stride−pad+i][ox·stride−pad+j], or 0 in
// the padding:
//
//	col[((c·KH+i)·KW+j)·ld + oy·OW + ox]
//
// with OH = ConvOut(h, kh, stride, pad) and OW = ConvOut(w, kw, stride, pad).
// ld ≥ OH·OW lets a caller put several examples side by side (example e at
// column offset e·OH·OW) and run a single Gemm for a whole batch.
func Im2Col(col []float32, ld int, x []float32, c, h, w, kh, kw, stride, pad int) {
	oh, ow := ConvOut(h, kh, stride, pad), ConvOut(w, kw, stride, pad)
	checkConv("Im2Col", col, ld, x, c, h, w, kh, kw, stride, pad, oh, ow)
	hw := oh * ow
	for ch := 0; ch < c; ch++ {
		img := x[ch*h*w : (ch+1)*h*w]
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				r := ((ch*kh+i)*kw + j) * ld
				row := col[r : r+hw]
				lo, hi := validCols(j, stride, pad, w, ow)
				if stride == 1 && ow == w {
					im2colSame(row, img, h, w, oh, i-pad, j-pad, lo, hi)
					continue
				}
				if stride == 1 && pad == 0 {
					im2colValid(row, img, w, oh, ow, i, j)
					continue
				}
				for oy := 0; oy < oh; oy++ {
					dst := row[oy*ow : (oy+1)*ow]
					iy := oy*stride - pad + i
					if iy < 0 || iy >= h || lo >= hi {
						clear(dst)
						continue
					}
					src := img[iy*w : (iy+1)*w]
					clear(dst[:lo])
					if stride == 1 {
						copy(dst[lo:hi], src[lo-pad+j:hi-pad+j])
					} else {
						ix := lo*stride - pad + j
						for ox := lo; ox < hi; ox++ {
							dst[ox] = src[ix]
							ix += stride
						}
					}
					clear(dst[hi:])
				}
			}
		}
	}
}

// Col2Im is the adjoint of Im2Col, the input gradient of a convolution: it
// sets x to zero and adds every entry of col back to the pixel Im2Col copied
// it from (padding entries are dropped). The arguments mean what they mean
// for Im2Col. Sums run in a fixed order, so results are deterministic.
// Col2Im may set col's padding entries (those Im2Col would fill with zeros)
// to zero; the other entries are left as they were.
func Col2Im(x, col []float32, ld int, c, h, w, kh, kw, stride, pad int) {
	oh, ow := ConvOut(h, kh, stride, pad), ConvOut(w, kw, stride, pad)
	checkConv("Col2Im", col, ld, x, c, h, w, kh, kw, stride, pad, oh, ow)
	clear(x[:c*h*w])
	if stride == 1 && ow == w {
		col2imSame(x, col, ld, 1, c, h, w, kh, kw, pad)
		return
	}
	hw := oh * ow
	for ch := 0; ch < c; ch++ {
		img := x[ch*h*w : (ch+1)*h*w]
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				r := ((ch*kh+i)*kw + j) * ld
				row := col[r : r+hw]
				lo, hi := validCols(j, stride, pad, w, ow)
				if lo >= hi {
					continue
				}
				if stride == 1 && pad == 0 {
					col2imValid(img, row, w, oh, ow, i, j)
					continue
				}
				for oy := 0; oy < oh; oy++ {
					iy := oy*stride - pad + i
					if iy < 0 || iy >= h {
						continue
					}
					dst := img[iy*w : (iy+1)*w]
					src := row[oy*ow+lo : oy*ow+hi]
					if stride == 1 {
						d := dst[lo-pad+j : hi-pad+j]
						d = d[:len(src)]
						for k, v := range src {
							d[k] += v
						}
					} else {
						ix := lo*stride - pad + j
						for _, v := range src {
							dst[ix] += v
							ix += stride
						}
					}
				}
			}
		}
	}
}

// The fast paths below are for stride 1 with as many output as input
// columns (ow == w: "same" padding, 2·pad = kw−1). A patch row (i, j) is then
// the image shifted by (di, dj) = (i−pad, j−pad): output position oy·w+ox
// reads input position oy·w+ox + di·w+dj, so all valid rows of the patch
// are one contiguous run of the image, except for the columns [0, lo) and
// [hi, w) whose pixels would come from the neighbouring image row. One long
// copy (or add) replaces a short one per output row, which on 14- and
// 28-pixel MNIST rows was mostly call and loop overhead.

// im2colSame fills one patch row (oh rows of w) from the (h, w) image img.
func im2colSame(row, img []float32, h, w, oh, di, dj, lo, hi int) {
	oy0, oy1 := max(0, -di), min(oh, h-di) // rows whose input row iy = oy+di is inside
	if oy0 >= oy1 || lo >= hi {
		clear(row[:oh*w])
		return
	}
	clear(row[:oy0*w])
	clear(row[oy1*w : oh*w])
	a, b := oy0*w+lo, (oy1-1)*w+hi // the run, in output positions
	d := di*w + dj
	copy(row[a:b], img[a+d:b+d])
	for c := 0; c < lo; c++ {
		zeroStrided(row[:oy1*w], oy0*w+c, w)
	}
	for c := hi; c < w; c++ {
		zeroStrided(row[:oy1*w], oy0*w+c, w)
	}
}

// Col2ImN is Col2Im of n images at once: image e is x[e·C·H·W:] and its
// patch columns start at col[e·OH·OW:] (rows ld apart, as the columns of
// a batch's patch matrix lie side by side), with the bits of Col2Im on
// each. A "same" convolution's patch row is added back to all n images in
// one call (col2imSame); other geometries go image by image.
func Col2ImN(x, col []float32, ld, n, c, h, w, kh, kw, stride, pad int) {
	oh, ow := ConvOut(h, kh, stride, pad), ConvOut(w, kw, stride, pad)
	size, hw := c*h*w, oh*ow
	if n <= 0 {
		return
	}
	checkConv("Col2ImN", col[(n-1)*hw:], ld, x[(n-1)*size:], c, h, w, kh, kw, stride, pad, oh, ow)
	if stride != 1 || ow != w {
		for e := 0; e < n; e++ {
			Col2Im(x[e*size:], col[e*hw:], ld, c, h, w, kh, kw, stride, pad)
		}
		return
	}
	clear(x[:n*size])
	col2imSame(x, col, ld, n, c, h, w, kh, kw, pad)
}

// col2imSame adds the patch rows of n images of a "same" convolution
// (stride 1, output as wide as the input) back to the cleared images, one
// vec.MaskedAddBlocks call per patch row for all n: the row's valid run is
// the image shifted by (i−pad, j−pad), and the mask drops the positions
// whose window column falls off the image (they add +0). Each pixel gets at
// most one value per patch row, so the sums run in the row-by-row loop's
// order and give its bits.
func col2imSame(x, col []float32, ld, n, c, h, w, kh, kw, pad int) {
	oh := ConvOut(h, kh, 1, pad)
	size, hw := c*h*w, oh*w
	p := Patches{C: c, H: h, W: w, KH: kh, KW: kw, Stride: 1, Pad: pad, oh: oh, ow: w, hw: hw}
	p.lookMasks()
	for ch := 0; ch < c; ch++ {
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				lo, hi := validCols(j, 1, pad, w, w)
				a, b, d := p.sameBounds(i, j, lo, hi)
				if a >= b {
					continue
				}
				r := ((ch*kh+i)*kw + j) * ld
				vec.MaskedAddBlocks(x[ch*h*w+a+d:], col[r+a:], p.maskOf(j, lo, hi)[a:], n, b-a, size, hw)
			}
		}
	}
}

// The fast paths below are for stride 1 without padding ("valid"): patch
// row (i, j) is, for each output row oy, the ow pixels of image row oy+i
// from column j, always inside the image: oh rows of ow values moved
// between row strides w and ow, one call per patch row (vec.RowsCopy,
// vec.RowsAdd). Rows of a 3×3 kernel over 12-pixel maps are 10 values, and
// a runtime copy or add per row (the general loop's) cost more than the
// values.

// im2colValid fills one patch row (oh rows of ow) from the (·, w) image img.
func im2colValid(row, img []float32, w, oh, ow, i, j int) {
	vec.RowsCopy(row, img[i*w+j:], oh, ow, ow, w)
}

// col2imValid adds one patch row back to the image. Each pixel gets at
// most one value per patch row, so the sums run in the general loop's
// order and give its bits.
func col2imValid(img, row []float32, w, oh, ow, i, j int) {
	vec.RowsAdd(img[i*w+j:], row, oh, ow, w, ow)
}

// validCols returns the range [lo, hi) of output columns ox whose input
// column ox·stride−pad+j lies inside [0, w).
func validCols(j, stride, pad, w, ow int) (lo, hi int) {
	// ox·stride ≥ pad−j  ⇔  ox ≥ ceil((pad−j)/stride)
	if d := pad - j; d > 0 {
		lo = (d + stride - 1) / stride
	}
	// ox·stride ≤ w−1+pad−j  ⇔  ox ≤ floor((w−1+pad−j)/stride)
	if d := w - 1 + pad - j; d >= 0 {
		hi = d/stride + 1
	}
	hi = min(hi, ow)
	lo = min(lo, hi)
	return lo, hi
}

func checkConv(name string, col []float32, ld int, x []float32, c, h, w, kh, kw, stride, pad, oh, ow int) {
	if c < 0 || h < 0 || w < 0 || kh < 1 || kw < 1 || stride < 1 || pad < 0 {
		panic(fmt.Sprintf("tensor: %s: bad geometry c=%d h=%d w=%d kernel %dx%d stride %d pad %d", name, c, h, w, kh, kw, stride, pad))
	}
	if len(x) < c*h*w {
		panic(fmt.Sprintf("tensor: %s: image has %d values, need %d", name, len(x), c*h*w))
	}
	rows, hw := c*kh*kw, oh*ow
	if rows == 0 || hw == 0 {
		return
	}
	if ld < hw {
		panic(fmt.Sprintf("tensor: %s: ld=%d < %d output positions", name, ld, hw))
	}
	if len(col) < (rows-1)*ld+hw {
		panic(fmt.Sprintf("tensor: %s: col has %d values, need %d", name, len(col), (rows-1)*ld+hw))
	}
}
