package imageprep

// Finding the digit: separating ink from the background, dropping specks
// and sheets of paper, and cropping to the digit's bounding box.

import (
	"image"
	"math"
)

// findInk separates ink from background and returns it with the bounding
// box of the digit.
func findInk(pl plane) (plane, image.Rectangle, bool, error) {
	ink, inverted, err := extractInk(pl)
	if err != nil {
		return plane{}, image.Rectangle{}, false, err
	}
	share := float32(specksShare)
	if removeRuling(ink) {
		// What is left of a ruled line the erasing missed is a long thin
		// fragment, heavier than dust.
		share = ruledSpecksShare
	}
	box, ok := keepDigit(ink, share)
	if !ok {
		return plane{}, image.Rectangle{}, false, ErrBlank
	}
	return ink, box, inverted, nil
}

// isSheet reports whether the "ink" is a solid block covering much of the
// image, as a sheet of paper photographed on a dark desk is, and returns
// the block shrunk by 4% on each side (to leave out the sheet's edges). No
// digit fills 70% of its bounding box.
func isSheet(ink plane, box image.Rectangle) (image.Rectangle, bool) {
	area := box.Dx() * box.Dy()
	if area < ink.w*ink.h/5 {
		return image.Rectangle{}, false
	}
	var filled int
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for _, v := range ink.p[y*ink.w+box.Min.X : y*ink.w+box.Max.X] {
			if v > 0.5 {
				filled++
			}
		}
	}
	if filled*10 < area*7 {
		return image.Rectangle{}, false
	}
	mx, my := max(1, box.Dx()/25), max(1, box.Dy()/25)
	inner := image.Rect(box.Min.X+mx, box.Min.Y+my, box.Max.X-mx, box.Max.Y-my)
	if inner.Dx() < 8 || inner.Dy() < 8 {
		return image.Rectangle{}, false
	}
	return inner, true
}

// uncrop returns a w x h plane holding p at r, zero elsewhere.
func uncrop(p plane, r image.Rectangle, w, h int) []float32 {
	out := make([]float32, w*h)
	for y := range p.h {
		copy(out[(r.Min.Y+y)*w+r.Min.X:], p.p[y*p.w:(y+1)*p.w])
	}
	return out
}

// extractInk subtracts the fitted background and returns the ink strength in
// 0..1 (0 = background, 1 = the ink's typical darkest or brightest level),
// with noise below the threshold cut. inverted reports dark ink on a light
// background.
func extractInk(pl plane) (ink plane, inverted bool, err error) {
	bg := fitBackground(pl)
	// Sensor noise: 4 sigma of the border's spread around the surface; below
	// 0.06 (15/255) nothing a person would call ink.
	tau := float32(max(4*bg.sigma, 0.06))
	res := make([]float32, len(pl.p))
	var pos, neg float64
	for y := range pl.h {
		row := bg.row(y)
		for x := range pl.w {
			i := y*pl.w + x
			r := pl.p[i] - row.at(x)
			res[i] = r
			if r > tau {
				pos += float64(r - tau)
			} else if r < -tau {
				neg += float64(-r - tau)
			}
		}
	}
	// The ink is on the side of the background with the larger deviations.
	// A tie is settled by the border: light paper means dark ink.
	inverted = neg > pos || (neg == pos && bg.border > 0.5)
	// A shadow across the page: when a cubic surface through the paper
	// level explains the image better, it replaces the border's surface.
	// Better means less of the image on the wrong side of the background,
	// which for the right surface is only noise: with the border's surface
	// under a shadow, the lit paper stands out as much as the ink.
	// Only paper that is light where the border is measured, or dark ink,
	// can be in a shadow: not a chalkboard or a screen.
	var surface []float32
	if inverted || bg.border >= 0.3 {
		if s, stau, ok := shadowBackground(pl, bg, tau, true); ok && betterShadow(pl, bg, s, stau, inverted) {
			surface, tau, inverted = s, stau, true
		}
	}
	if surface == nil && pos == 0 && neg == 0 {
		return plane{}, false, ErrBlank
	}
	switch {
	case surface != nil:
		ref := float32(max(bg.border, 0.05))
		for i, s := range surface {
			res[i] = (s - pl.p[i]) * ref / max(s, 0.05)
		}
	case inverted:
		// Paper reflects light: what the camera sees is reflectance times
		// illumination, so dark ink is measured relative to the local paper
		// level (scaled to the median border level, which tau refers to).
		// Ink in a shadow then weighs as much as ink in full light.
		ref := float32(max(bg.border, 0.05))
		for y := range pl.h {
			row := bg.row(y)
			for x := range pl.w {
				i := y*pl.w + x
				res[i] = -res[i] * ref / max(row.at(x), 0.05)
			}
		}
	}

	// Peak: the 95th percentile of the pixels above the noise threshold, so a
	// few saturated pixels do not make the whole digit faint.
	var hist [1024]int
	n := 0
	for _, r := range res {
		if r > tau {
			hist[min(int(r*1023), 1023)]++
			n++
		}
	}
	want, seen := int(math.Ceil(0.95*float64(n))), 0
	peak := tau
	for i, c := range hist {
		seen += c
		if seen >= want {
			peak = max(tau, float32(i)/1023)
			break
		}
	}
	// Ink that barely clears the noise floor is noise itself.
	if peak < 1.6*tau {
		return plane{}, false, ErrBlank
	}
	span := peak - tau
	for i, r := range res {
		switch {
		case r <= tau:
			res[i] = 0
		case span < 1e-3:
			res[i] = 1
		default:
			res[i] = min((r-tau)/span, 1)
		}
	}
	return plane{pl.w, pl.h, res}, inverted, nil
}

// betterShadow reports whether dark ink measured from the shadow surface
// leaves a smaller share of the image on the wrong (bright) side than the
// border's surface bg does (with its polarity, inverted), both measured
// beyond the same threshold tau: the border's own threshold grows with
// whatever it fails to follow, and would hide its failure.
func betterShadow(pl plane, bg *background, surface []float32, tau float32, inverted bool) bool {
	var sInk, sAnti, qInk, qAnti float64
	for y := range pl.h {
		row := bg.row(y)
		for x := range pl.w {
			i := y*pl.w + x
			switch r := surface[i] - pl.p[i]; {
			case r > tau:
				sInk += float64(r - tau)
			case r < -tau:
				sAnti += float64(-r - tau)
			}
			r := pl.p[i] - row.at(x)
			if inverted {
				r = -r
			}
			switch {
			case r > tau:
				qInk += float64(r - tau)
			case r < -tau:
				qAnti += float64(-r - tau)
			}
		}
	}
	switch {
	case sInk == 0:
		return false
	case qInk == 0:
		return true // the border's surface finds nothing
	}
	if sAnti/sInk < qAnti/qInk {
		return true
	}
	// Leaving less of the image off the surface is no sign of a shadow
	// when the surface goes darker than a shadow does: it has followed a
	// dense tangle of ink.
	if min(pl.w, pl.h) < shadowLessSide || sInk+sAnti >= shadowLess*(qInk+qAnti) {
		return false
	}
	lo, hi := surface[0], surface[0]
	for _, v := range surface {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo >= shadowDeepest*hi
}

// shadowLess: a shadow surface that leaves this share or less of the
// border surface's deviations (ink and the other side together) is
// better whatever the sides: a shadow inside a lit border reads from the
// border's surface as ink, with nothing on the other side. It must not
// go darker than shadowDeepest of its brightest: a shadow takes at most
// about two thirds of the light.
// Nor is it one in an image under shadowLessSide pixels a side: there a
// cell is no wider than a stroke, and a soft digit's strokes (a small
// scan enlarged) cover whole cells.
const (
	shadowLess     = 0.5
	shadowDeepest  = 0.35
	shadowLessSide = 128
)

// minInkMass is the least ink, in full-strength pixels, that makes a digit:
// less is a speck of dust.
const minInkMass = 3

// Components lighter than this share of the largest are specks of dust or
// noise; on ruled paper, fragments of lines the erasing missed. Chosen on
// the tuning sets: 0.10, 0.15 and 0.20 read photo 0.910, 0.913 and 0.920
// (0.903, 0.907, 0.910 with a second quick cnn) against 0.880 at 0.03;
// 0.15 leaves a digit's separate bar (a 7's, a 5's) more room.
const (
	specksShare      = 0.03
	ruledSpecksShare = 0.15
)

// keepDigit finds the 8-connected components of the ink, zeroes those whose
// ink mass is under share of the largest (specks of dust or noise), and
// returns the bounding box of the rest.
func keepDigit(ink plane, share float32) (image.Rectangle, bool) {
	w, h := ink.w, ink.h
	root := components8(w, h, ink.p, 0)
	mass := make([]float32, w*h) // indexed by a component's root pixel
	for i, v := range ink.p {
		if r := root[i]; r >= 0 {
			mass[r] += v
		}
	}
	var largest float32
	for _, m := range mass {
		largest = max(largest, m)
	}
	if largest < minInkMass {
		return image.Rectangle{}, false
	}
	x0, y0, x1, y1 := w, h, -1, -1
	for y := range h {
		for x := range w {
			i := y*w + x
			if root[i] < 0 {
				continue
			}
			if mass[root[i]] < share*largest {
				ink.p[i] = 0
				continue
			}
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
	}
	return image.Rect(x0, y0, x1+1, y1+1), true
}

func cropPlane(pl plane, r image.Rectangle) plane {
	out := plane{w: r.Dx(), h: r.Dy(), p: make([]float32, r.Dx()*r.Dy())}
	for y := range out.h {
		copy(out.p[y*out.w:(y+1)*out.w], pl.p[(r.Min.Y+y)*pl.w+r.Min.X:])
	}
	return out
}

// components8 labels the 8-connected components of the pixels of a w×h
// plane whose value is above the threshold: each such pixel gets the index
// of its component's first pixel (row-major), every other pixel -1. It is
// a union-find in one raster pass, each pixel joined to its W, NW, N and
// NE neighbours.
func components8(w, h int, v []float32, above float32) []int32 {
	parent := make([]int32, w*h)
	for i := range parent {
		parent[i] = -1 // background
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int32) {
		ra, rb := find(a), find(b)
		if ra < rb {
			parent[rb] = ra
		} else if rb < ra {
			parent[ra] = rb
		}
	}
	for y := range h {
		for x := range w {
			i := y*w + x
			if !(v[i] > above) {
				continue
			}
			parent[i] = int32(i)
			if x > 0 && parent[i-1] >= 0 {
				union(int32(i), int32(i-1))
			}
			if y > 0 {
				for dx := -1; dx <= 1; dx++ {
					if xx := x + dx; xx >= 0 && xx < w && parent[i-w+dx] >= 0 {
						union(int32(i), int32(i-w+dx))
					}
				}
			}
		}
	}
	for i := range parent {
		if parent[i] >= 0 {
			parent[i] = find(int32(i))
		}
	}
	return parent
}
