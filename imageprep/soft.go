package imageprep

// Soft ink: a blurred photo, or a small scan enlarged with smoothing, has
// strokes whose edges fade over several output pixels, where MNIST's fade
// over about one. Measured from the faintest ink, such a digit comes out
// with a wide halo and a thin core, and too small in the box.

import (
	"image"
	"math"
)

// softEdge is the widest stroke edge, in output pixels, left as it is:
// MNIST's own edges measure about one pixel. Chosen on the tuning sets
// (internal/outside): 1.6 leaves the dilated digits of "thick" soft, 0.7
// changes MNIST digits themselves (TestMNISTIsAFixedPoint).
const softEdge = 1.0

// edgeWidth estimates how many output pixels the ink's edges span: the
// pixels between 0.1 and 0.9 over the boundary of the pixels above 0.5,
// times the scale to the box.
func edgeWidth(crop plane) float64 {
	in := func(x, y int) bool {
		return x >= 0 && y >= 0 && x < crop.w && y < crop.h && crop.p[y*crop.w+x] > 0.5
	}
	var edge, boundary int
	for y := range crop.h {
		for x := range crop.w {
			v := crop.p[y*crop.w+x]
			if v > 0.1 && v < 0.9 {
				edge++
			}
			if in(x, y) && (!in(x-1, y) || !in(x+1, y) || !in(x, y-1) || !in(x, y+1)) {
				boundary++
			}
		}
	}
	if boundary == 0 {
		return 0
	}
	return float64(edge) / float64(boundary) * float64(Box) / float64(max(crop.w, crop.h))
}

// The ramp soft ink is mapped through: from sharpMid-sharpRamp/2 (0) to
// sharpMid+sharpRamp/2 (1) of the ink's strength. Chosen on the tuning
// sets with two quick cnns: a middle of 0.4 reads "lowres" 1.5 to 2
// points better than 0.5 (0.3 and 0.6 worse, a ramp of 0.5 worse).
const (
	sharpMid  = 0.4
	sharpRamp = 0.2
)

// sharpen maps soft ink to a steep ramp a little under half strength and
// crops to what is left, and reports whether it did; crisp ink is
// returned unchanged.
func sharpen(crop plane) (plane, bool) {
	if edgeWidth(crop) <= softEdge {
		return crop, false
	}
	out := plane{w: crop.w, h: crop.h, p: make([]float32, len(crop.p))}
	x0, y0, x1, y1 := crop.w, crop.h, -1, -1
	for y := range crop.h {
		for x := range crop.w {
			v := crop.p[y*crop.w+x]
			v = min(max((v-sharpMid)/sharpRamp+0.5, 0), 1)
			out.p[y*crop.w+x] = v
			if v > 0 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return crop, false
	}
	return cropPlane(out, image.Rect(x0, y0, x1+1, y1+1)), true
}

// maxStroke is the widest stroke, in output pixels, left as it is:
// thicker crisp ink (a marker, a bold font, a dilated scan) is eroded
// towards thinStroke. MNIST's strokes measure about 2.8. Chosen on the
// tuning sets: it lifts "thick" without changing the others; soft ink,
// once sharpened, is left as thick as it is (eroding it lost "lowres").
const (
	maxStroke  = 4.0
	thinStroke = 3.0
)

// thinStrokes erodes ink whose strokes would come out wider than
// maxStroke after scaling to the box.
func thinStrokes(crop plane) plane {
	scale := float64(Box) / float64(max(crop.w, crop.h))
	w := strokeWidth(crop)
	if w*scale <= maxStroke {
		return crop
	}
	r := int(math.Floor((w - thinStroke/scale) / 2))
	if r < 1 {
		return crop
	}
	// Erosion is dilation of the background; outside the crop is
	// background.
	inv := plane{w: crop.w, h: crop.h, p: make([]float32, len(crop.p))}
	for i, v := range crop.p {
		inv.p[i] = 1 - v
	}
	padded := plane{w: crop.w + 2*r, h: crop.h + 2*r}
	padded.p = make([]float32, padded.w*padded.h)
	for i := range padded.p {
		padded.p[i] = 1
	}
	for y := range crop.h {
		copy(padded.p[(y+r)*padded.w+r:], inv.p[y*crop.w:(y+1)*crop.w])
	}
	dilate(padded, r)
	out := plane{w: crop.w, h: crop.h, p: make([]float32, len(crop.p))}
	x0, y0, x1, y1 := crop.w, crop.h, -1, -1
	for y := range crop.h {
		for x := range crop.w {
			v := 1 - padded.p[(y+r)*padded.w+x+r]
			out.p[y*crop.w+x] = v
			if v > 0 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return crop
	}
	return cropPlane(out, image.Rect(x0, y0, x1+1, y1+1))
}
