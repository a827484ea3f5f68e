package imageprep

// Shadows: a phone held over a page casts a shadow whose soft edge crosses
// the paper. The quadratic surface fitted to the border cannot follow it,
// so the shadowed paper reads as ink, and faint pencil inside the shadow
// drowns in the spread it leaves. When the paper level measured across
// the whole image departs from that surface, a surface through it
// replaces it.

import (
	"math"
	"slices"
)

// Shadow model parameters.
const (
	shadowCells    = 18   // cells across the shorter side where the paper level is measured (tuning photo: 10 0.968, 14 and 18 0.980)
	shadowPaperQ   = 0.65 // quantile of a cell's luminance taken as its paper (0.35 for light ink)
	shadowMinShift = 2.0  // the paper must depart from the border's surface by this many tau somewhere
	shadowTrim     = 2.5  // cells further than this many spreads on the ink side of the paper around them are ink
	shadowMinCells = 16   // cells needed for a fit
	shadowRidge    = 1e-6 // keeps the normal equations well posed
)

// cell is where the paper level is measured.
type cell struct {
	u, v, level float64
	covered     bool // ink covers most of it: no paper to measure
}

// shadowNear is how many cells around a cell (each way) hold the paper it
// is compared with.
const shadowNear = 2

// nearPlane predicts the level of cell i from the cells within
// shadowNear of it (not i itself) that pass use, by a quadratic surface
// fitted to them (a plane when there are fewer than twelve): a shadow's
// edge bends where it begins and ends, which a plane through the cells
// around would take for a dip, and at the image's edge a surface
// extrapolates where a median would lag. ok is false with fewer than
// four such cells or when they lie on a line.
func nearPlane(cells []cell, gx, gy, i int, use func(j int) bool) (float64, bool) {
	cx, cy := i%gx, i/gx
	var a [6][6]float64
	var b [6]float64
	n := 0
	for y := max(0, cy-shadowNear); y <= min(gy-1, cy+shadowNear); y++ {
		for x := max(0, cx-shadowNear); x <= min(gx-1, cx+shadowNear); x++ {
			j := y*gx + x
			if j == i || !use(j) {
				continue
			}
			n++
			dx, dy := float64(x-cx), float64(y-cy)
			f := [6]float64{1, dx, dy, dx * dx, dy * dy, dx * dy}
			// The upper triangle: a is symmetric (f[r]·f[c] = f[c]·f[r]
			// exactly), mirrored below.
			for r := range 6 {
				for c := r; c < 6; c++ {
					a[r][c] += float64(f[r] * f[c])
				}
				b[r] += float64(f[r] * cells[j].level)
			}
		}
	}
	if n < 4 {
		return 0, false
	}
	for r := range 6 {
		for c := range r {
			a[r][c] = a[c][r]
		}
	}
	k := 6
	if n < 12 {
		k = 3
	}
	var rowsArr [6][]float64
	rows := rowsArr[:k]
	for r := range k {
		rows[r] = a[r][:k]
	}
	var xArr [6]float64
	x := xArr[:k]
	if !solveLinear(rows, b[:k], x) {
		return 0, false
	}
	return x[0], true
}

// localDips returns which cells hold paper: not covered by ink, and not
// further towards the ink than shadowTrim spreads from what the paper
// around them predicts (nearPlane; the spread: of those differences over
// all cells, at least tau/4). Twice: the second time the prediction
// leaves out the cells the first took for ink.
func localDips(cells []cell, gx, gy int, tau float64, inkSide func(level, surf float64) float64) []bool {
	keep := make([]bool, len(cells))
	for i, k := range cells {
		keep[i] = !k.covered
	}
	res := make([]float64, len(cells))
	has := make([]bool, len(cells))
	for range 2 {
		prev := slices.Clone(keep)
		use := func(j int) bool { return prev[j] }
		var all []float64
		for i, k := range cells {
			has[i] = false
			if k.covered {
				continue
			}
			if p, ok := nearPlane(cells, gx, gy, i, use); ok {
				res[i], has[i] = inkSide(k.level, p), true
				all = append(all, res[i])
			}
		}
		spread := max(1.4826*mad(all, 0), tau/4)
		for i, k := range cells {
			keep[i] = !k.covered && (!has[i] || res[i] <= shadowTrim*spread)
		}
	}
	return keep
}

// nearPaper predicts the paper level of cell i from the paper cells
// (keep) around it (nearPlane).
func nearPaper(cells []cell, keep []bool, gx, gy, i int) (float64, bool) {
	return nearPlane(cells, gx, gy, i, func(j int) bool { return keep[j] })
}

// fitCubic fits a cubic surface to the levels of the cells kept; n is how
// many there were.
func fitCubic(cells []cell, keep []bool) (c [10]float64, n int, ok bool) {
	var ata [10][10]float64
	var atb [10]float64
	for i, k := range cells {
		if !keep[i] {
			continue
		}
		n++
		b := cubicBasis(k.u, k.v)
		for r := range 10 {
			for s := range 10 {
				ata[r][s] += float64(b[r] * b[s])
			}
			atb[r] += float64(b[r] * k.level)
		}
	}
	if n < shadowMinCells {
		return c, n, false
	}
	for r := range 10 {
		ata[r][r] += shadowRidge * float64(n)
	}
	c, ok = solveN(ata, atb)
	return c, n, ok
}

// cubicBasis are the ten monomials of degree at most 3 in u, v.
func cubicBasis(u, v float64) [10]float64 {
	return [10]float64{1, u, v, u * u, u * v, v * v, u * u * u, u * u * v, u * v * v, v * v * v}
}

// shadowBackground measures the paper level in cells across pl, leaves
// out the cells where ink covers the paper (dips below the paper around
// them, localDips), gives them the level the paper around them predicts
// (or a cubic surface fitted to the paper cells, where there is none
// around), and returns the surface interpolating the cells at every
// pixel and the noise threshold around it (from the noise between
// neighbouring pixels, which a shadow's gradient hardly changes). ok is
// false when the border's surface bg already follows the paper to within
// shadowMinShift times that threshold and the border's own threshold
// borderTau is no larger than that either.
func shadowBackground(pl plane, bg *background, borderTau float32, inverted bool) (surface []float32, newTau float32, ok bool) {
	// Sensor noise from differences between neighbouring pixels; ink
	// edges are a minority the median absolute deviation ignores.
	stride := max(1, pl.h*pl.w/16384)
	var dev []float64
	for i := 0; i+1 < len(pl.p); i += stride {
		if (i+1)%pl.w != 0 {
			dev = append(dev, float64(pl.p[i+1]-pl.p[i]))
		}
	}
	sigma := max(1.4826*mad(dev, 0)/math.Sqrt2, 1.0/255)
	newTau = float32(max(4*sigma, 0.06))
	cs := max(8, min(pl.w, pl.h)/shadowCells)
	gx, gy := (pl.w+cs-1)/cs, (pl.h+cs-1)/cs
	if gx*gy < shadowMinCells {
		return nil, 0, false
	}
	q := shadowPaperQ
	if !inverted {
		q = 1 - q
	}
	// inkSide is how far a level lies towards the ink from the surface.
	inkSide := func(level, surf float64) float64 {
		if inverted {
			return surf - level
		}
		return level - surf
	}
	cells := make([]cell, gx*gy)
	levels := make([]float64, len(cells))
	step := max(1, cs/16)
	var vals []float64
	// Two passes: the first measures each cell's paper as a quantile of
	// all its pixels; the second as the median of the pixels the first
	// surface calls paper, which neither ink nor the shadow's gradient
	// across the cell biases.
	for pass := range 2 {
		for cy := range gy {
			for cx := range gx {
				vals = vals[:0]
				x0, y0 := cx*cs, cy*cs
				x1, y1 := min(x0+cs, pl.w), min(y0+cs, pl.h)
				total := 0
				for y := y0; y < y1; y += step {
					for x := x0; x < x1; x += step {
						v := float64(pl.p[y*pl.w+x])
						total++
						if pass == 1 && inkSide(v, float64(surface[y*pl.w+x])) > float64(newTau) {
							continue
						}
						vals = append(vals, v)
					}
				}
				k := &cells[cy*gx+cx]
				k.u, k.v = (float64(x0+x1)/2)/float64(pl.w), (float64(y0+y1)/2)/float64(pl.h)
				k.covered = 4*len(vals) < total
				if k.covered {
					continue
				}
				slices.Sort(vals)
				qq := q
				if pass == 1 {
					qq = 0.5
				}
				k.level = vals[min(len(vals)-1, int(qq*float64(len(vals))))]
			}
		}
		// Cells where ink covers the paper are dips below the cells
		// around them; a shadow is not, its edge being soft over several
		// cells. They are left out, and take the level of the paper
		// around them (the cubic's where there is none).
		keep := localDips(cells, gx, gy, float64(newTau), inkSide)
		c, n, solved := fitCubic(cells, keep)
		if n < shadowMinCells || !solved {
			return nil, 0, false
		}
		for i, k := range cells {
			levels[i] = k.level
			if !keep[i] {
				if l, ok := nearPaper(cells, keep, gx, gy, i); ok {
					levels[i] = l
				} else {
					levels[i] = dot10(c, cubicBasis(k.u, k.v))
				}
			}
		}
		surface = interpolate(levels, gx, gy, cs, pl.w, pl.h, surface)
	}
	shift := 0.0
	for i, k := range cells {
		quad := float64(bg.at(int(k.u*float64(pl.w)), int(k.v*float64(pl.h))))
		shift = max(shift, math.Abs(levels[i]-quad))
	}
	// The border's own noise threshold counts too: lines of ruled paper
	// crossing the border, or a shadow's gradient along it, swell it
	// until faint ink drowns, while the noise between neighbouring pixels
	// stays what it is.
	if shift < shadowMinShift*float64(newTau) && float64(borderTau) < shadowMinShift*float64(newTau) {
		return nil, 0, false
	}
	return surface, newTau, true
}

// interpolate fills dst (w x h, allocated when nil) bilinearly from the
// levels at the centres of gx x gy cells of side cs.
func interpolate(levels []float64, gx, gy, cs, w, h int, dst []float32) []float32 {
	if dst == nil {
		dst = make([]float32, w*h)
	}
	half := float64(cs) / 2
	for y := range h {
		fy := min(max((float64(y)+0.5-half)/float64(cs), 0), float64(gy-1))
		y0 := max(0, min(int(fy), gy-2))
		ty := fy - float64(y0)
		y1 := min(y0+1, gy-1)
		for x := range w {
			fx := min(max((float64(x)+0.5-half)/float64(cs), 0), float64(gx-1))
			x0 := max(0, min(int(fx), gx-2))
			tx := fx - float64(x0)
			x1 := min(x0+1, gx-1)
			l := (levels[y0*gx+x0]*(1-tx)+levels[y0*gx+x1]*tx)*(1-ty) + (levels[y1*gx+x0]*(1-tx)+levels[y1*gx+x1]*tx)*ty
			dst[y*w+x] = float32(l)
		}
	}
	return dst
}

func dot10(c, b [10]float64) float64 {
	var s float64
	for i := range c {
		s += c[i] * b[i]
	}
	return s
}

// solveN solves a 10x10 linear system (solveLinear).
func solveN(a [10][10]float64, b [10]float64) (x [10]float64, ok bool) {
	rows := make([][]float64, len(a))
	for i := range a {
		rows[i] = a[i][:] // a is this call's copy
	}
	ok = solveLinear(rows, b[:], x[:])
	return x, ok
}
