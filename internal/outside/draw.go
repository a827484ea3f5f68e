package outside

// Drawing primitives: handwriting-like pen strokes on an alpha mask.

import (
	"image"
	"math"
	"math/rand/v2"
)

type pt struct{ x, y float64 }

// skeletons are pen paths for each digit in a unit box (x right, y down),
// the way people commonly write them; some digits have two variants. The
// gallery draws from these only, so its files stay as they were.
var skeletons = map[int][][][]pt{
	0: {{{{0.5, 0}, {0.15, 0.2}, {0.12, 0.6}, {0.35, 0.97}, {0.7, 0.95}, {0.88, 0.55}, {0.82, 0.15}, {0.5, 0}, {0.38, 0.06}}}},
	1: {
		{{{0.5, 0}, {0.5, 1}}},
		{{{0.25, 0.22}, {0.55, 0}, {0.52, 1}}},
	},
	2: {
		{{{0.12, 0.25}, {0.4, 0.02}, {0.78, 0.08}, {0.8, 0.38}, {0.45, 0.7}, {0.1, 0.98}, {0.92, 0.96}}},
		{{{0.15, 0.2}, {0.5, 0}, {0.85, 0.22}, {0.6, 0.6}, {0.15, 1}, {0.55, 0.9}, {0.9, 1}}},
	},
	3: {{{{0.12, 0.12}, {0.5, 0}, {0.85, 0.15}, {0.78, 0.38}, {0.42, 0.48}, {0.82, 0.58}, {0.88, 0.82}, {0.55, 1}, {0.12, 0.88}}}},
	4: {
		{{{0.62, 1}, {0.62, 0}, {0.08, 0.66}, {0.92, 0.66}}},
		{{{0.2, 0}, {0.12, 0.58}, {0.88, 0.58}}, {{0.68, 0.18}, {0.66, 1}}},
	},
	5: {{{{0.85, 0.02}, {0.22, 0}, {0.16, 0.45}, {0.55, 0.38}, {0.86, 0.58}, {0.84, 0.85}, {0.5, 1}, {0.12, 0.9}}}},
	6: {{{{0.78, 0.02}, {0.42, 0.18}, {0.15, 0.58}, {0.2, 0.9}, {0.5, 1}, {0.8, 0.86}, {0.82, 0.6}, {0.5, 0.48}, {0.18, 0.66}}}},
	7: {
		{{{0.08, 0.02}, {0.92, 0}, {0.55, 0.5}, {0.38, 1}}},
		{{{0.1, 0.05}, {0.9, 0}, {0.42, 1}}, {{0.35, 0.52}, {0.8, 0.5}}},
	},
	8: {{{{0.55, 0.02}, {0.18, 0.18}, {0.28, 0.4}, {0.72, 0.6}, {0.82, 0.85}, {0.5, 1}, {0.18, 0.85}, {0.28, 0.6}, {0.72, 0.4}, {0.8, 0.15}, {0.55, 0.02}}}},
	9: {
		{{{0.82, 0.22}, {0.5, 0.02}, {0.18, 0.18}, {0.22, 0.42}, {0.55, 0.48}, {0.82, 0.3}, {0.8, 0.2}, {0.78, 0.6}, {0.7, 1}}},
		{{{0.8, 0.3}, {0.55, 0.02}, {0.2, 0.12}, {0.2, 0.42}, {0.6, 0.45}, {0.82, 0.25}}, {{0.82, 0.25}, {0.8, 1}}},
	},
}

// moreSkeletons are further ways of writing each digit, used with
// skeletons by the pen and photo kinds.
var moreSkeletons = map[int][][][]pt{
	0: {{{{0.62, 0.03}, {0.25, 0.12}, {0.1, 0.5}, {0.25, 0.92}, {0.62, 0.97}, {0.88, 0.6}, {0.82, 0.15}, {0.55, 0.02}}}},
	1: {{{{0.3, 0.2}, {0.55, 0}, {0.55, 1}}, {{0.25, 1}, {0.85, 1}}}},
	2: {{{{0.1, 0.28}, {0.45, 0}, {0.85, 0.2}, {0.72, 0.52}, {0.15, 0.97}, {0.3, 0.86}, {0.5, 0.96}, {0.92, 0.95}}}},
	3: {{{{0.1, 0.03}, {0.88, 0.03}, {0.45, 0.42}, {0.85, 0.58}, {0.86, 0.85}, {0.5, 1}, {0.1, 0.9}}}},
	4: {{{{0.55, 0}, {0.08, 0.65}, {0.92, 0.65}}, {{0.68, 0.3}, {0.66, 1}}}},
	5: {{{{0.22, 0}, {0.16, 0.45}, {0.55, 0.38}, {0.86, 0.6}, {0.8, 0.88}, {0.45, 1}, {0.1, 0.88}}, {{0.22, 0.01}, {0.85, 0}}}},
	6: {{{{0.72, 0}, {0.32, 0.3}, {0.15, 0.7}, {0.35, 1}, {0.75, 0.95}, {0.82, 0.68}, {0.48, 0.55}, {0.2, 0.74}}}},
	7: {{{{0.05, 0.15}, {0.25, 0.02}, {0.95, 0.02}, {0.62, 0.45}, {0.45, 1}}}},
	8: {{{{0.5, 0.5}, {0.18, 0.28}, {0.5, 0}, {0.82, 0.28}, {0.5, 0.5}, {0.12, 0.76}, {0.5, 1}, {0.88, 0.76}, {0.5, 0.5}}}},
	9: {{{{0.85, 0.18}, {0.5, 0}, {0.15, 0.2}, {0.3, 0.46}, {0.72, 0.4}, {0.85, 0.18}, {0.85, 0.6}, {0.75, 1}}}},
}

// variants returns every way of writing digit d.
func variants(d int) [][][]pt {
	return append(append([][][]pt{}, skeletons[d]...), moreSkeletons[d]...)
}

// drawStrokes jitters the skeleton's control points, maps the unit box to
// a w x h box centred on (cx, cy) with the slant and rotation given, and
// draws a Catmull-Rom spline through each stroke with a round pen of width
// about pen whose pressure varies slowly along the stroke.
func drawStrokes(mask *image.Alpha, strokes [][]pt, cx, cy, w, h, slant, rot, pen, jitter float64, rng *rand.Rand) {
	var paths [][]pt
	for _, s := range strokes {
		var ctrl []pt
		for _, p := range s {
			u := p.x + jitter*rng.NormFloat64()
			v := p.y + jitter*rng.NormFloat64()
			// Unit box to image: slant, then rotate about the centre.
			x := (u-0.5)*w + slant*(0.5-v)*h
			y := (v - 0.5) * h
			ctrl = append(ctrl, pt{cx + x*math.Cos(rot) - y*math.Sin(rot), cy + x*math.Sin(rot) + y*math.Cos(rot)})
		}
		paths = append(paths, spline(ctrl, 12))
	}
	phase := rng.Float64() * 6
	for _, p := range paths {
		for i := 0; i+1 < len(p); i++ {
			wv := pen * (0.85 + 0.3*math.Sin(phase+float64(i)*0.15))
			segment(mask, p[i], p[i+1], wv)
		}
	}
}

// spline returns a Catmull-Rom curve through the points.
func spline(p []pt, steps int) []pt {
	if len(p) < 2 {
		return p
	}
	get := func(i int) pt { return p[max(0, min(len(p)-1, i))] }
	var out []pt
	for i := 0; i+1 < len(p); i++ {
		p0, p1, p2, p3 := get(i-1), get(i), get(i+1), get(i+2)
		for s := range steps {
			t := float64(s) / float64(steps)
			t2, t3 := t*t, t*t*t
			f := func(a, b, c, d float64) float64 {
				return 0.5 * (2*b + (-a+c)*t + (2*a-5*b+4*c-d)*t2 + (-a+3*b-3*c+d)*t3)
			}
			out = append(out, pt{f(p0.x, p1.x, p2.x, p3.x), f(p0.y, p1.y, p2.y, p3.y)})
		}
	}
	return append(out, p[len(p)-1])
}

// segment paints a round-capped line of the given width, antialiased by the
// distance from each pixel centre to the segment.
func segment(m *image.Alpha, a, b pt, width float64) {
	r := width / 2
	x0, x1 := int(math.Min(a.x, b.x)-r-1), int(math.Max(a.x, b.x)+r+2)
	y0, y1 := int(math.Min(a.y, b.y)-r-1), int(math.Max(a.y, b.y)+r+2)
	bd := m.Bounds()
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	for y := max(y0, bd.Min.Y); y < min(y1, bd.Max.Y); y++ {
		for x := max(x0, bd.Min.X); x < min(x1, bd.Max.X); x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, ((px-a.x)*dx+(py-a.y)*dy)/l2))
			}
			d := math.Hypot(px-(a.x+t*dx), py-(a.y+t*dy))
			c := math.Max(0, math.Min(1, r-d+0.5))
			if v := uint8(c * 255); v > m.Pix[m.PixOffset(x, y)] {
				m.Pix[m.PixOffset(x, y)] = v
			}
		}
	}
}

func bilinear(m *image.Alpha, x, y float64) float64 {
	x -= 0.5
	y -= 0.5
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	tx, ty := x-float64(x0), y-float64(y0)
	at := func(x, y int) float64 {
		if !(image.Point{x, y}.In(m.Bounds())) {
			return 0
		}
		return float64(m.Pix[m.PixOffset(x, y)])
	}
	return (at(x0, y0)*(1-tx)+at(x0+1, y0)*tx)*(1-ty) + (at(x0, y0+1)*(1-tx)+at(x0+1, y0+1)*tx)*ty
}

func inkBounds(m *image.Alpha) image.Rectangle {
	r := image.Rectangle{}
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if m.Pix[m.PixOffset(x, y)] > 0 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func boxBlur(m *image.Alpha, r int) *image.Alpha {
	b := m.Bounds()
	out := image.NewAlpha(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var s, n int
			for yy := max(b.Min.Y, y-r); yy <= min(b.Max.Y-1, y+r); yy++ {
				for xx := max(b.Min.X, x-r); xx <= min(b.Max.X-1, x+r); xx++ {
					s += int(m.Pix[m.PixOffset(xx, yy)])
					n++
				}
			}
			out.Pix[out.PixOffset(x, y)] = uint8(s / n)
		}
	}
	return out
}
