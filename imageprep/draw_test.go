package imageprep

import (
	"image"
	"image/color"
	"math"
)

// Test images are drawn with an antialiased polyline rasteriser: the
// coverage of a pixel is how far its centre lies inside the stroke, clamped
// to one pixel.

type pt struct{ x, y float64 }

// one, seven and zero are digit shapes in a unit box (x right, y down).
var (
	one   = [][]pt{{{0.35, 0.2}, {0.55, 0.0}, {0.55, 1.0}}}
	seven = [][]pt{{{0.1, 0.05}, {0.9, 0.05}, {0.4, 1.0}}}
	zero  = [][]pt{ellipse(0.5, 0.5, 0.35, 0.48, 40)}
)

func ellipse(cx, cy, rx, ry float64, n int) []pt {
	var p []pt
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		p = append(p, pt{cx + rx*math.Cos(a), cy + ry*math.Sin(a)})
	}
	return p
}

func segDist(p, a, b pt) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/l2))
	}
	ex, ey := p.x-(a.x+t*dx), p.y-(a.y+t*dy)
	return math.Hypot(ex, ey)
}

// coverage returns, for each pixel of a w x h image, the ink coverage 0..1 of
// strokes scaled into the rectangle box, with the given pen width in pixels.
func coverage(w, h int, strokes [][]pt, box image.Rectangle, pen float64) []float64 {
	cov := make([]float64, w*h)
	sx, sy := float64(box.Dx()), float64(box.Dy())
	for _, s := range strokes {
		for i := 0; i+1 < len(s); i++ {
			a := pt{float64(box.Min.X) + s[i].x*sx, float64(box.Min.Y) + s[i].y*sy}
			b := pt{float64(box.Min.X) + s[i+1].x*sx, float64(box.Min.Y) + s[i+1].y*sy}
			x0 := max(0, int(math.Min(a.x, b.x)-pen))
			x1 := min(w-1, int(math.Max(a.x, b.x)+pen))
			y0 := max(0, int(math.Min(a.y, b.y)-pen))
			y1 := min(h-1, int(math.Max(a.y, b.y)+pen))
			for y := y0; y <= y1; y++ {
				for x := x0; x <= x1; x++ {
					d := segDist(pt{float64(x) + 0.5, float64(y) + 0.5}, a, b)
					c := math.Max(0, math.Min(1, pen/2-d+0.5))
					cov[y*w+x] = math.Max(cov[y*w+x], c)
				}
			}
		}
	}
	return cov
}

// drawRGBA paints strokes in ink over bg.
func drawRGBA(w, h int, strokes [][]pt, box image.Rectangle, pen float64, bg, ink color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cov := coverage(w, h, strokes, box, pen)
	mix := func(a, b uint8, t float64) uint8 { return uint8(math.Round(float64(a)*(1-t) + float64(b)*t)) }
	for i, c := range cov {
		img.Pix[4*i+0] = mix(bg.R, ink.R, c)
		img.Pix[4*i+1] = mix(bg.G, ink.G, c)
		img.Pix[4*i+2] = mix(bg.B, ink.B, c)
		img.Pix[4*i+3] = mix(bg.A, ink.A, c)
	}
	return img
}

// drawGray paints strokes with grey level ink over grey level bg.
func drawGray(w, h int, strokes [][]pt, box image.Rectangle, pen float64, bg, ink uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	cov := coverage(w, h, strokes, box, pen)
	for i, c := range cov {
		img.Pix[i] = uint8(math.Round(float64(bg)*(1-c) + float64(ink)*c))
	}
	return img
}
