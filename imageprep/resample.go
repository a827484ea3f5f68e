package imageprep

// Scaling the cropped digit so that its longer side is Box pixels.

import (
	"math"
)

// resampleToBox scales the crop so that its longer side is Box pixels.
func resampleToBox(crop plane) plane {
	scale := float64(Box) / float64(max(crop.w, crop.h))
	ow := max(1, min(Box, int(math.Round(float64(crop.w)*scale))))
	oh := max(1, min(Box, int(math.Round(float64(crop.h)*scale))))
	wx := resampleWeights(crop.w, ow)
	wy := resampleWeights(crop.h, oh)
	// Rows first (crop.h x ow), then columns (oh x ow).
	tmp := make([]float32, crop.h*ow)
	for y := range crop.h {
		src := crop.p[y*crop.w : (y+1)*crop.w]
		for x, taps := range wx {
			var s float32
			for _, t := range taps {
				s += float32(t.w * src[t.i])
			}
			tmp[y*ow+x] = s
		}
	}
	out := plane{w: ow, h: oh, p: make([]float32, ow*oh)}
	for y, taps := range wy {
		for x := range ow {
			var s float32
			for _, t := range taps {
				s += float32(t.w * tmp[t.i*ow+x])
			}
			out.p[y*ow+x] = s
		}
	}
	return out
}

type tap struct {
	i int
	w float32
}

// resampleWeights returns, for each of the m output samples, the input
// samples of a line of n that contribute to it. Shrinking averages the area
// each output pixel covers (no aliasing); enlarging interpolates linearly
// between pixel centres.
func resampleWeights(n, m int) [][]tap {
	out := make([][]tap, m)
	s := float64(m) / float64(n) // output pixels per input pixel
	if s <= 1 {
		for j := range m {
			lo, hi := float64(j)/s, float64(j+1)/s
			var taps []tap
			for i := int(lo); i < n && float64(i) < hi; i++ {
				cover := min(hi, float64(i+1)) - max(lo, float64(i))
				if cover > 0 {
					taps = append(taps, tap{i, float32(cover * s)})
				}
			}
			out[j] = taps
		}
		return out
	}
	for j := range m {
		c := (float64(j)+0.5)/s - 0.5
		i0 := int(math.Floor(c))
		t := float32(c - float64(i0))
		a, b := min(max(i0, 0), n-1), min(max(i0+1, 0), n-1)
		out[j] = []tap{{a, 1 - t}, {b, t}}
	}
	return out
}
