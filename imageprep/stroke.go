package imageprep

// Stroke width: measuring it and thickening ink that would come out
// thinner than MNIST's.

import (
	"math"
)

// Stroke widths in output pixels: MNIST's strokes measure about 2.8 px
// (twice the area over the boundary of the pixels above 0.5); thinner ink,
// a fine pen photographed large, is thickened to targetStroke.
const (
	minStroke    = 2.0
	targetStroke = 2.6
)

// strokeWidth estimates the ink's stroke width in pixels as twice its area
// over its boundary: a stroke of width w and length L covers wL pixels with
// 2L of them on its boundary.
func strokeWidth(pl plane) float64 {
	in := func(x, y int) bool {
		return x >= 0 && y >= 0 && x < pl.w && y < pl.h && pl.p[y*pl.w+x] > 0.5
	}
	var area, boundary int
	for y := range pl.h {
		for x := range pl.w {
			if !in(x, y) {
				continue
			}
			area++
			if !in(x-1, y) || !in(x+1, y) || !in(x, y-1) || !in(x, y+1) {
				boundary++
			}
		}
	}
	if boundary == 0 {
		return 1
	}
	return 2 * float64(area) / float64(boundary)
}

// thickenStrokes dilates ink whose strokes would come out thinner than
// minStroke after scaling to the box, so a fine pen reads like MNIST's.
func thickenStrokes(crop plane) plane {
	scale := float64(Box) / float64(max(crop.w, crop.h))
	w := strokeWidth(crop)
	if w*scale >= minStroke {
		return crop
	}
	r := int(math.Ceil((targetStroke/scale - w) / 2))
	r = min(r, max(crop.w, crop.h)/8)
	if r < 1 {
		return crop
	}
	padded := plane{w: crop.w + 2*r, h: crop.h + 2*r}
	padded.p = make([]float32, padded.w*padded.h)
	for y := range crop.h {
		copy(padded.p[(y+r)*padded.w+r:], crop.p[y*crop.w:(y+1)*crop.w])
	}
	dilate(padded, r)
	return padded
}

// dilate replaces each pixel by the maximum over the (2r+1)x(2r+1) square
// around it, separably, with the van Herk/Gil-Werman algorithm (three
// comparisons per pixel whatever r).
func dilate(pl plane, r int) {
	n := max(pl.w, pl.h)
	line := make([]float32, n)
	out := make([]float32, n)
	scratch := make([]float32, 3*(n+4*r+2))
	for y := range pl.h {
		row := pl.p[y*pl.w : (y+1)*pl.w]
		maxFilter1D(out[:pl.w], row, r, scratch)
		copy(row, out[:pl.w])
	}
	for x := range pl.w {
		for y := range pl.h {
			line[y] = pl.p[y*pl.w+x]
		}
		maxFilter1D(out[:pl.h], line[:pl.h], r, scratch)
		for y := range pl.h {
			pl.p[y*pl.w+x] = out[y]
		}
	}
}

// maxFilter1D sets dst[i] = max(src[i-r..i+r]) (out-of-range values count as
// 0; the input is non-negative).
func maxFilter1D(dst, src []float32, r int, scratch []float32) {
	n, k := len(src), 2*r+1
	m := n + 2*r
	m += (k - m%k) % k // whole blocks
	pad := scratch[:m]
	clear(pad)
	copy(pad[r:], src)
	g := scratch[m : 2*m]   // running max from each block's start
	h := scratch[2*m : 3*m] // running max to each block's end
	for i := 0; i < m; i += k {
		g[i] = pad[i]
		for j := i + 1; j < i+k; j++ {
			g[j] = max(g[j-1], pad[j])
		}
		h[i+k-1] = pad[i+k-1]
		for j := i + k - 2; j >= i; j-- {
			h[j] = max(h[j+1], pad[j])
		}
	}
	for i := range n {
		dst[i] = max(h[i], g[i+k-1]) // window pad[i .. i+k-1], centred on src[i]
	}
}
