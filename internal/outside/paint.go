package outside

// Putting a mask of ink on paper, and picking paper and ink colours.

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// paint puts ink through the mask onto uniform paper and adds sensor noise
// of the given spread (0..255 units, per channel).
func paint(mask *image.Alpha, paper, ink color.NRGBA, noise float64, rng *rand.Rand) *image.NRGBA {
	b := mask.Bounds()
	img := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			a := float64(mask.Pix[mask.PixOffset(x, y)]) / 255
			i := img.PixOffset(x, y)
			for c, pair := range [3][2]uint8{{paper.R, ink.R}, {paper.G, ink.G}, {paper.B, ink.B}} {
				v := float64(pair[0])*(1-a) + float64(pair[1])*a
				if noise > 0 {
					v += noise * rng.NormFloat64()
				}
				img.Pix[i+c] = clamp8(v)
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// lightPaper is white, cream, or light grey or tinted paper.
func lightPaper(rng *rand.Rand) color.NRGBA {
	l := 222 + 33*rng.Float64()
	t := func() uint8 { return clamp8(l - 10*rng.Float64()) }
	return color.NRGBA{t(), t(), t(), 255}
}

// darkInk is black, dark grey, blue or dark red ink.
func darkInk(rng *rand.Rand) color.NRGBA {
	switch rng.IntN(5) {
	case 0, 1:
		k := uint8(rng.IntN(45))
		return color.NRGBA{k, k, k + uint8(rng.IntN(10)), 255}
	case 2:
		k := uint8(40 + rng.IntN(50))
		return color.NRGBA{k, k, k, 255}
	case 3:
		return color.NRGBA{uint8(15 + rng.IntN(40)), uint8(25 + rng.IntN(50)), uint8(110 + rng.IntN(80)), 255}
	default:
		return color.NRGBA{uint8(110 + rng.IntN(60)), uint8(10 + rng.IntN(30)), uint8(10 + rng.IntN(30)), 255}
	}
}

// frame picks an image size: the longer side in [lo, hi], the aspect
// between 3:4 and 4:3.
func frame(lo, hi int, rng *rand.Rand) (w, h int) {
	long := lo + rng.IntN(hi-lo+1)
	short := int(float64(long) * (0.75 + 0.25*rng.Float64()))
	if rng.IntN(2) == 0 {
		return long, short
	}
	return short, long
}

// centre picks a centre for a box of w x h in a frame of fw x fh, at
// least margin pixels (or less if the box does not fit) from the edges.
func centre(w, h float64, fw, fh int, margin float64, rng *rand.Rand) (cx, cy float64) {
	pick := func(size float64, f int) float64 {
		lo, hi := size/2+margin, float64(f)-size/2-margin
		if hi < lo {
			return float64(f) / 2
		}
		return lo + (hi-lo)*rng.Float64()
	}
	return pick(w, fw), pick(h, fh)
}

// uniform returns a number in [lo, hi).
func uniform(lo, hi float64, rng *rand.Rand) float64 { return lo + (hi-lo)*rng.Float64() }
