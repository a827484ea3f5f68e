package imageprep

import (
	"cmp"
	"math"
	"slices"
)

// background is a quadratic surface a0 + a1 u + a2 v + a3 u² + a4 v² + a5 uv
// over normalised coordinates u = x/w, v = y/h, fitted to the border pixels.
// A photo of paper is rarely evenly lit; a plane or a bowl captures a light
// gradient or vignetting, which a single background level would turn into
// ink.
type background struct {
	c      [6]float64
	w, h   float64
	sigma  float64 // robust spread of border pixels around the surface
	border float64 // median border luminance
}

func (bg *background) at(x, y int) float32 {
	return bg.row(y).at(x)
}

// bgRow is the surface along one row: a + b u + c u².
type bgRow struct {
	a, b, c float32
	invW    float32
}

func (bg *background) row(y int) bgRow {
	v := (float64(y) + 0.5) / bg.h
	c := &bg.c
	return bgRow{
		a:    float32(c[0] + float64(c[2]*v) + float64(c[4]*v*v)),
		b:    float32(c[1] + float64(c[5]*v)),
		c:    float32(c[3]),
		invW: float32(1 / bg.w),
	}
}

func (r bgRow) at(x int) float32 {
	u := (float32(x) + 0.5) * r.invW
	return r.a + float32(u*(r.b+float32(r.c*u)))
}

// maxFitPoints bounds the border pixels the fit uses.
const maxFitPoints = 4096

func basis(u, v float64) [6]float64 { return [6]float64{1, u, v, u * u, v * v, u * v} }

// fitBackground fits the surface to the outer ring of pl (about 4% of the
// shorter side, at least one pixel), ignoring in two refits the pixels that
// stray far from it: ink that touches the border must not pull the
// background towards itself.
func fitBackground(pl plane) *background {
	ring := max(1, min(pl.w, pl.h)/25)
	type pt struct {
		x, y int
		val  float64
	}
	var pts []pt
	for y := range pl.h {
		// A counted loop, not range: the jump below must move x.
		for x := 0; x < pl.w; x++ {
			if x >= ring && x < pl.w-ring && y >= ring && y < pl.h-ring {
				if x == ring { // jump over the interior of this row
					x = pl.w - ring - 1
				}
				continue
			}
			pts = append(pts, pt{x, y, float64(pl.p[y*pl.w+x])})
		}
	}
	// A few thousand points determine six coefficients well; a large ring
	// is thinned evenly.
	if k := len(pts)/maxFitPoints + 1; k > 1 {
		thin := pts[:0]
		for i := 0; i < len(pts); i += k {
			thin = append(thin, pts[i])
		}
		pts = thin
	}
	bg := &background{w: float64(pl.w), h: float64(pl.h)}
	vals := make([]float64, len(pts))
	for i, p := range pts {
		vals[i] = p.val
	}
	bg.border = median(vals)
	bg.c[0] = bg.border
	bg.sigma = 1.4826 * mad(vals, bg.border)

	keep := make([]bool, len(pts))
	res := make([]float64, 0, len(pts))
	for iter := 0; iter < 3; iter++ {
		// Inliers: within max(3 sigma, 0.05) of the current surface.
		lim := max(3*bg.sigma, 0.05)
		n := 0
		for i, p := range pts {
			r := p.val - float64(bg.at(p.x, p.y))
			keep[i] = math.Abs(r) <= lim
			if keep[i] {
				n++
			}
		}
		if n < 12 {
			break
		}
		var ata [6][6]float64
		var atb [6]float64
		for i, p := range pts {
			if !keep[i] {
				continue
			}
			b := basis((float64(p.x)+0.5)/bg.w, (float64(p.y)+0.5)/bg.h)
			for r := range 6 {
				for c := r; c < 6; c++ { // the upper triangle; the lower mirrors it below
					ata[r][c] += float64(b[r] * b[c])
				}
				atb[r] += float64(b[r] * p.val)
			}
		}
		for r := range 6 { // b[r]·b[c] = b[c]·b[r]: the same sums
			for c := range r {
				ata[r][c] = ata[c][r]
			}
		}
		for r := range 6 { // a touch of ridge keeps tiny rings well posed
			ata[r][r] += float64(1e-6 * float64(n))
		}
		c, ok := solve6(ata, atb)
		if !ok {
			break
		}
		bg.c = c
		res = res[:0]
		for i, p := range pts {
			if keep[i] {
				res = append(res, p.val-float64(bg.at(p.x, p.y)))
			}
		}
		bg.sigma = 1.4826 * mad(res, 0)
	}
	bg.sigma = max(bg.sigma, 1.0/255)
	return bg
}

// solve6 solves a 6x6 linear system (solveLinear).
func solve6(a [6][6]float64, b [6]float64) (x [6]float64, ok bool) {
	rows := make([][]float64, len(a))
	for i := range a {
		rows[i] = a[i][:] // a is this call's copy
	}
	ok = solveLinear(rows, b[:], x[:])
	return x, ok
}

// solveLinear solves the square system a·x = b by Gaussian elimination with
// partial pivoting, overwriting a and b. Every product is rounded before
// it is added (float64(...)), so no fused multiply-add changes the result
// on any CPU. It reports false for a singular system or a result that is
// not finite.
func solveLinear(a [][]float64, b, x []float64) bool {
	n := len(b)
	for col := range n {
		p := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12 {
			clear(x)
			return false
		}
		a[col], a[p] = a[p], a[col]
		b[col], b[p] = b[p], b[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			for c := col; c < n; c++ {
				a[r][c] -= float64(f * a[col][c])
			}
			b[r] -= float64(f * b[col])
		}
	}
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for c := r + 1; c < n; c++ {
			s -= float64(a[r][c] * x[c])
		}
		x[r] = s / a[r][r]
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			clear(x)
			return false
		}
	}
	return true
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// mad is the median absolute deviation of v around centre: the value
// median would return for the deviations, selected (kth) rather than
// sorted.
func mad(v []float64, centre float64) float64 {
	if len(v) == 0 {
		return 0
	}
	d := make([]float64, len(v))
	for i, x := range v {
		d[i] = math.Abs(x - centre)
	}
	return kth(d, len(d)/2)
}

// kth returns the value at index k of s sorted by slices.Sort (NaNs
// first), reordering s (Hoare's selection, middle pivot). Values that
// compare equal have the same bits here except ±0 and NaN payloads, which
// mad's deviations (math.Abs, of finite pixels) never hold.
func kth(s []float64, k int) float64 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		p := s[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for cmp.Less(s[i], p) {
				i++
			}
			for cmp.Less(p, s[j]) {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}
