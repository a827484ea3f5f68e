package imageprep

// Ruled and squared paper: a digit written in a school exercise book sits
// on long, thin, straight, evenly spaced lines that stand out from the
// paper as much as pencil does. Left in, they make the digit a small blob
// inside a grey box. They are found as lines that cross at least half the
// image with ink along most of their length, and removed before the digit
// is looked for.

import (
	"math"
	"slices"
)

// Ruling detection parameters.
const (
	rulingSide     = 256  // the ink is max-pooled to at most this many pixels on a side to find lines
	rulingMaxTilt  = 20.0 // degrees: the steepest a ruled line may be from the horizontal (or vertical)
	rulingSpan     = 0.5  // a line crosses at least this fraction of the image
	rulingCoverage = 0.6  // and has ink along at least this fraction of its length
	rulingMinLines = 3    // parallel lines that make paper ruled
	// A lone line across the other direction of ruled paper (a margin) is
	// removed only when it crosses nearly all of the image.
	marginSpan     = 0.8
	marginCoverage = 0.8
	// Once paper is ruled, a line parallel to the others and where their
	// spacing puts one needs ink along only this fraction of its length.
	faintCoverage = 0.25
	// Smaller images are taken to hold a digit alone: in a thumbnail, a
	// digit's own strokes are as thin as ruled lines.
	rulingMinSide = 64
)

// rule is a straight line in the reduced plane: across = c + along*t,
// where along is x and across is y for a near-horizontal line (vertical
// false), the other way round for a near-vertical one.
type rule struct {
	vertical bool
	c, t     float64
	coverage float64
	span     float64 // fraction of the image the line crosses
}

// removeRuling finds the lines of ruled or squared paper in the ink and
// zeroes them, keeping the ink of strokes that cross them. It reports
// whether it found ruled paper.
func removeRuling(ink plane) bool {
	if min(ink.w, ink.h) < rulingMinSide {
		return false
	}
	f := (max(ink.w, ink.h) + rulingSide - 1) / rulingSide
	red := maxPool(ink, f)
	var lines [2][]fitted
	ruled := false
	for k, vertical := range []bool{false, true} {
		for _, r := range findRules(red, vertical, rulingCoverage) {
			if fr, ok := fitRule(ink, r, f, rulingCoverage); ok {
				lines[k] = append(lines[k], fr)
			}
		}
		ruled = ruled || len(lines[k]) >= rulingMinLines
	}
	if !ruled {
		return removeLoneLines(ink, lines)
	}
	// On ruled paper, fainter lines (broken by noise, a shadow or JPEG) are
	// found too where the lines found so far say a line should be.
	for k, vertical := range []bool{false, true} {
		if len(lines[k]) < rulingMinLines {
			continue
		}
		grid := newGrid(ink, lines[k])
		for _, r := range findRules(red, vertical, faintCoverage) {
			if fr, ok := fitRule(ink, r, f, faintCoverage); ok && grid.admits(fr) {
				lines[k] = append(lines[k], fr)
				grid.taken = append(grid.taken, grid.position(fr))
			}
		}
	}
	for k := range lines {
		for _, r := range lines[k] {
			if len(lines[k]) < rulingMinLines && (r.span < marginSpan || r.coverage < marginCoverage) {
				continue
			}
			eraseRule(ink, r)
		}
	}
	for k := range lines {
		if len(lines[k]) >= rulingMinLines {
			dropFragments(ink, lines[k])
		}
	}
	// A line the grid did not admit (bent by perspective, or off the
	// spacing where the page is seen askew) is left whole across the
	// image: erased as a lone line when it runs past the ink.
	red = maxPool(ink, f)
	var left [2][]fitted
	for k, vertical := range []bool{false, true} {
		for _, r := range findRules(red, vertical, rulingCoverage) {
			if fr, ok := fitRule(ink, r, f, rulingCoverage); ok {
				left[k] = append(left[k], fr)
			}
		}
	}
	removeLoneLines(ink, left)
	return true
}

// maxPool reduces pl by f in each direction, each cell the maximum of the
// pixels it covers, so a line one pixel wide stays at full strength.
func maxPool(pl plane, f int) plane {
	if f <= 1 {
		return pl
	}
	w, h := (pl.w+f-1)/f, (pl.h+f-1)/f
	out := plane{w: w, h: h, p: make([]float32, w*h)}
	for y := range pl.h {
		row := out.p[(y/f)*w : (y/f+1)*w]
		for x, v := range pl.p[y*pl.w : (y+1)*pl.w] {
			if v > row[x/f] {
				row[x/f] = v
			}
		}
	}
	return out
}

// findRules returns the lines crossing at least rulingSpan of the plane
// with ink along the given fraction (coverage) of their length, near-horizontal ones or
// near-vertical ones, strongest first, none meeting or within two pixels of
// another inside the image.
func findRules(red plane, vertical bool, coverage float64) []rule {
	// along/across sizes and the ink points, ordered by along.
	na, nc := red.w, red.h
	if vertical {
		na, nc = red.h, red.w
	}
	if na < 16 || nc < 4 {
		return nil
	}
	type point struct{ a, c int32 }
	var pts []point
	lo, hi := na, -1 // extent of the ink along the lines
	for a := range na {
		for c := range nc {
			i := c*red.w + a
			if vertical {
				i = a*red.w + c
			}
			if red.p[i] > 0 {
				pts = append(pts, point{int32(a), int32(c)})
				lo, hi = min(lo, a), max(hi, a)
			}
		}
	}
	// A line crossing half the image needs that many points at least, and
	// ink reaching across half of it.
	if float64(len(pts)) < rulingSpan*coverage*float64(na) || float64(hi-lo+1) < rulingSpan*float64(na) {
		return nil
	}
	maxT := math.Tan(rulingMaxTilt * math.Pi / 180)
	pad := int(math.Ceil(maxT*float64(na))) + 2
	nb := nc + 2*pad
	count := make([]int32, nb)
	last := make([]int32, nb)
	step := 0.5 / float64(na) // the line drifts at most half a pixel between neighbouring angles
	type cand struct {
		rule
		n int32
	}
	var cands []cand
	for t := -maxT; t <= maxT; t += step {
		clear(count)
		for i := range last {
			last[i] = -1
		}
		for _, p := range pts {
			// Bin of the point, then the two windows [b-1, b] and [b, b+1]
			// it belongs to; each counts a column once.
			b := int(math.Floor(float64(p.c)-float64(p.a)*t)) + pad
			for _, wdx := range [2]int{b - 1, b} {
				if wdx >= 0 && wdx < nb && last[wdx] != p.a {
					last[wdx] = p.a
					count[wdx]++
				}
			}
		}
		for wdx, n := range count {
			if float64(n) < rulingSpan*coverage*float64(na) {
				continue
			}
			// The window's centre line: across = c + along*t.
			c := float64(wdx-pad) + 1
			span := spanInside(c, t, na, nc)
			if span < rulingSpan*float64(na) {
				continue
			}
			if cov := float64(n) / span; cov >= coverage {
				cands = append(cands, cand{rule{vertical, c, t, min(cov, 1), span / float64(na)}, n})
			}
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		if x.n != y.n {
			return int(y.n - x.n)
		}
		return 0
	})
	var out []rule
	for _, k := range cands {
		near := false
		for _, r := range out {
			// Lines of ruled paper never meet inside the image: a
			// candidate that comes within two pixels of a line already
			// taken (at either end, or by crossing it) is the same ink
			// seen at another angle.
			d0, d1 := k.c-r.c, k.c+k.t*float64(na)-r.c-r.t*float64(na)
			if math.Abs(d0) <= 2 || math.Abs(d1) <= 2 || (d0 < 0) != (d1 < 0) {
				near = true
				break
			}
		}
		if !near {
			out = append(out, k.rule)
		}
	}
	return out
}

// spanInside returns how many of the na positions along the line
// across = c + along*t fall inside 0..nc.
func spanInside(c, t float64, na, nc int) float64 {
	a0, a1 := 0.0, float64(na)
	if t != 0 {
		// 0 <= c + a t < nc.
		l, h := (0-c)/t, (float64(nc)-c)/t
		if l > h {
			l, h = h, l
		}
		a0, a1 = max(a0, l), min(a1, h)
	} else if c < 0 || c >= float64(nc) {
		return 0
	}
	return max(0, a1-a0)
}

// fitted is a line placed at full resolution: its centre across the
// lines at position a along them is c + a*t, and its ink is width wide.
type fitted struct {
	rule
	width float64
}

// lineAxes returns the sizes along and across a line and the index of a
// pixel from its position along and across.
func lineAxes(ink plane, vertical bool) (na, nc int, at func(a, c int) int) {
	if vertical {
		return ink.h, ink.w, func(a, c int) int { return a*ink.w + c }
	}
	return ink.w, ink.h, func(a, c int) int { return c*ink.w + a }
}

// inkRun returns the run of ink across the line through position c at a
// (exclusive end), or ok false when there is no ink there.
func inkRun(ink plane, at func(a, c int) int, nc, a, c int) (s, e int, ok bool) {
	if c < 0 || c >= nc || ink.p[at(a, c)] == 0 {
		return 0, 0, false
	}
	s, e = c, c+1
	for s > 0 && ink.p[at(a, s-1)] > 0 {
		s--
	}
	for e < nc && ink.p[at(a, e)] > 0 {
		e++
	}
	return s, e, true
}

// maxRuleWidth is the widest ink a ruled line may have, in pixels of the
// working plane whose side across the lines is nc: the lines of paper
// are thin; a stroke of a large digit holds parallel "lines" too, but wide.
func maxRuleWidth(nc int) float64 { return max(4, float64(nc)/100) }

// fitRule places a line found in a plane reduced by f at full resolution:
// in each position along it, the run of ink nearest the predicted centre;
// the median of their lengths is the line's width, and a straight fit
// through the median offsets of the two halves corrects the centre. It
// fails for a line too wide to be a ruled one, or with ink in too few
// places.
func fitRule(ink plane, r rule, f int, coverage float64) (fitted, bool) {
	na, nc, at := lineAxes(ink, r.vertical)
	// Centre of the line at full resolution, and how far it may be off.
	centre := func(a int) float64 {
		ar := (float64(a)+0.5)/float64(f) - 0.5
		return (r.c+ar*r.t+0.5)*float64(f) - 0.5
	}
	band := float64(f) + 2
	type hit struct {
		a   int
		off float64
	}
	var hits []hit
	var lengths []int
	for a := range na {
		y := centre(a)
		best, bestD, bestLen := hit{}, math.Inf(1), 0
		for c := int(math.Floor(y - band)); c <= int(math.Ceil(y+band)); c++ {
			s, e, ok := inkRun(ink, at, nc, a, c)
			if !ok {
				continue
			}
			mid := float64(s+e-1) / 2
			if d := math.Abs(mid - y); d < bestD {
				best, bestD, bestLen = hit{a, mid - y}, d, e-s
			}
			c = e // the next run
		}
		if bestLen > 0 {
			hits = append(hits, best)
			lengths = append(lengths, bestLen)
		}
	}
	if float64(len(hits)) < rulingSpan*coverage*float64(na) {
		return fitted{}, false
	}
	slices.Sort(lengths)
	width := float64(lengths[len(lengths)/2])
	if width > maxRuleWidth(nc) {
		return fitted{}, false
	}
	half := len(hits) / 2
	medOff := func(h []hit) (float64, float64) {
		offs := make([]float64, len(h))
		var am float64
		for i, x := range h {
			offs[i] = x.off
			am += float64(x.a)
		}
		slices.Sort(offs)
		return am / float64(len(h)), offs[len(offs)/2]
	}
	a0, o0 := medOff(hits[:half])
	a1, o1 := medOff(hits[half:])
	slope := 0.0
	if a1 > a0 {
		slope = (o1 - o0) / (a1 - a0)
	}
	// centre(a) is linear in a: c0 + a*tf.
	c0 := centre(0)
	tf := centre(1) - c0
	out := fitted{rule: r, width: width}
	out.c = c0 + o0 - a0*slope
	out.t = tf + slope
	return out, true
}

// eraseRule zeroes, along the line, the runs of ink across it that are
// no longer than 1.5 times its width plus a pixel: where a stroke crosses
// the line the run is longer, and kept.
func eraseRule(ink plane, r fitted) {
	na, nc, at := lineAxes(ink, r.vertical)
	maxRun := int(math.Ceil(1.5*r.width)) + 1
	reach := r.width/2 + 1.5
	for a := range na {
		y := r.c + float64(a)*r.t
		for c := int(math.Floor(y - reach)); c <= int(math.Ceil(y+reach)); c++ {
			s, e, ok := inkRun(ink, at, nc, a, c)
			if !ok {
				continue
			}
			if e-s <= maxRun {
				for k := s; k < e; k++ {
					ink.p[at(a, k)] = 0
				}
			}
			c = e
		}
	}
}

// grid is the set of parallel lines found on ruled paper: their tilt and
// positions across them (at the middle of the image), and their spacing.
type grid struct {
	na      int
	tilt    float64
	taken   []float64
	spacing float64
	origin  float64
}

func newGrid(ink plane, lines []fitted) *grid {
	g := &grid{na: ink.w}
	if lines[0].vertical {
		g.na = ink.h
	}
	for _, l := range lines {
		g.taken = append(g.taken, g.position(l))
	}
	g.tilt = medianTilt(lines)
	pos := slices.Clone(g.taken)
	slices.Sort(pos)
	// The spacing is the smallest gap between neighbouring lines (some
	// lines may be missing between others, never extra ones).
	g.spacing = math.Inf(1)
	for i := 1; i < len(pos); i++ {
		if d := pos[i] - pos[i-1]; d >= 3 {
			g.spacing = min(g.spacing, d)
		}
	}
	g.origin = pos[0]
	return g
}

// position is where the line crosses the middle of the image.
func (g *grid) position(l fitted) float64 { return l.c + l.t*float64(g.na)/2 }

// admits reports whether a line is parallel to the grid's (within about
// two degrees), lies where the spacing puts a line (within a tenth of it,
// at least two pixels), and is not one already taken.
func (g *grid) admits(l fitted) bool {
	if math.IsInf(g.spacing, 0) || math.Abs(l.t-g.tilt) > 0.035 {
		return false
	}
	p := g.position(l)
	for _, q := range g.taken {
		if math.Abs(p-q) < g.spacing/2 {
			return false
		}
	}
	j := math.Round((p - g.origin) / g.spacing)
	return math.Abs(p-g.origin-j*g.spacing) <= max(2, g.spacing/10)
}

// dropFragments zeroes the pieces of ink that are pieces of ruled lines the
// erasing left (where a line was too faint to be found whole): components
// no wider across the lines than twice their width plus two pixels and at
// least three times as long along them. A digit's strokes along a line
// are joined to the rest of the digit.
func dropFragments(ink plane, lines []fitted) {
	vertical := lines[0].vertical
	width := 0.0
	for _, l := range lines {
		width = max(width, l.width)
	}
	t := medianTilt(lines)
	thin := 2*width + 2
	for _, comp := range componentPixels(ink) {
		aLo, aHi, cLo, cHi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, i := range comp {
			a, c := float64(i%ink.w), float64(i/ink.w)
			if vertical {
				a, c = c, a
			}
			c -= a * t
			aLo, aHi, cLo, cHi = min(aLo, a), max(aHi, a), min(cLo, c), max(cHi, c)
		}
		// Across is measured along the tilt, in fractions of a pixel.
		across, along := math.Round(cHi-cLo)+1, aHi-aLo+1
		if across > thin && touchesEdge(ink, comp) {
			// A piece of a line leaving the image, whose own line was
			// too short inside it to be found: perspective turns the
			// lines near the edge of a photo away from the others' tilt.
			across = min(across, ownAcross(ink, comp, vertical, t))
		}
		if across <= thin && along >= 3*across {
			for _, i := range comp {
				ink.p[i] = 0
			}
		}
	}
}

// medianTilt is the median slope of lines.
func medianTilt(lines []fitted) float64 {
	tilts := make([]float64, len(lines))
	for i, l := range lines {
		tilts[i] = l.t
	}
	return median(tilts)
}

// componentPixels lists the pixel indices of each 8-connected component of
// the ink (components8), components in the order of their first pixel,
// pixels in raster order.
func componentPixels(ink plane) [][]int {
	root := components8(ink.w, ink.h, ink.p, 0)
	slot := make(map[int32]int)
	var comps [][]int
	for i, r := range root {
		if r < 0 {
			continue
		}
		k, ok := slot[r]
		if !ok {
			k = len(comps)
			slot[r] = k
			comps = append(comps, nil)
		}
		comps[k] = append(comps[k], i)
	}
	return comps
}

// touchesEdge reports whether a component (pixel indices) reaches the
// border of the plane.
func touchesEdge(ink plane, comp []int) bool {
	for _, i := range comp {
		if x, y := i%ink.w, i/ink.w; x == 0 || y == 0 || x == ink.w-1 || y == ink.h-1 {
			return true
		}
	}
	return false
}

// fragmentTurn is how far (as a slope) a piece of a line near the edge may
// turn from the lines' tilt.
const fragmentTurn = 0.15

// ownAcross measures a component across the straight line fitted to it
// (across on along, least squares), when that line's slope is within
// fragmentTurn of the lines' tilt t; otherwise it reports +Inf.
func ownAcross(ink plane, comp []int, vertical bool, t float64) float64 {
	var n, sa, sc, saa, sac float64
	for _, i := range comp {
		a, c := float64(i%ink.w), float64(i/ink.w)
		if vertical {
			a, c = c, a
		}
		n++
		sa += a
		sc += c
		saa += float64(a * a)
		sac += float64(a * c)
	}
	d := float64(n*saa) - float64(sa*sa)
	if d <= 0 {
		return math.Inf(1)
	}
	slope := (float64(n*sac) - float64(sa*sc)) / d
	if math.Abs(slope-t) > fragmentTurn {
		return math.Inf(1)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, i := range comp {
		a, c := float64(i%ink.w), float64(i/ink.w)
		if vertical {
			a, c = c, a
		}
		r := c - float64(slope*a)
		lo, hi = min(lo, r), max(hi, r)
	}
	return math.Round(hi-lo) + 1
}

// lineExtent returns the first and last positions along a fitted line
// (exclusive end) where ink lies on it, within its width and a pixel.
func lineExtent(ink plane, r fitted) (lo, hi int, ok bool) {
	na, nc, at := lineAxes(ink, r.vertical)
	reach := r.width/2 + 1
	lo, hi = na, -1
	for a := range na {
		y := r.c + float64(a)*r.t
		for c := max(0, int(math.Floor(y-reach))); c <= min(nc-1, int(math.Ceil(y+reach))); c++ {
			if ink.p[at(a, c)] > 0 {
				lo, hi = min(lo, a), max(hi, a)
				break
			}
		}
	}
	return lo, hi + 1, hi >= 0
}

// Lone lines: fewer than rulingMinLines lines in either direction are
// paper's only when each crosses nearly the whole image (marginSpan, with
// ink along marginCoverage of it) and reaches past the ink left once they
// are erased by loneReach of the image at both ends: lined paper whose
// spacing is large next to the frame shows one or two lines (and a
// margin) running past the digit; a digit's own straight stroke ends
// where the digit does.
const (
	loneReach = 0.1
	loneTail  = 0.02 // the share of the ink's mass left out at each end of its extent
)

// removeLoneLines erases the lines of lines (found in each direction,
// fewer than rulingMinLines of them) that are lone lines of paper, and
// reports whether it erased any.
func removeLoneLines(ink plane, lines [2][]fitted) bool {
	var cands []fitted
	for k := range lines {
		for _, r := range lines[k] {
			if r.span >= marginSpan && r.coverage >= marginCoverage {
				cands = append(cands, r)
			}
		}
	}
	if len(cands) == 0 {
		return false
	}
	trial := plane{ink.w, ink.h, slices.Clone(ink.p)}
	for _, r := range cands {
		eraseRule(trial, r)
	}
	// The extent of what is left, along x and along y, leaving out
	// loneTail of its mass at each end (noise, bits of the lines).
	px, py := make([]float64, ink.w), make([]float64, ink.h)
	var mass float64
	for y := range ink.h {
		for x, v := range trial.p[y*ink.w : (y+1)*ink.w] {
			px[x] += float64(v)
			py[y] += float64(v)
			mass += float64(v)
		}
	}
	if mass < minInkMass {
		return false // the lines were all the ink: a digit's strokes
	}
	extent := func(p []float64) (lo, hi int) {
		var s float64
		lo, hi = 0, len(p)
		for i, v := range p {
			s += v
			if s > loneTail*mass {
				lo = i
				break
			}
		}
		s = 0
		for i := len(p) - 1; i >= 0; i-- {
			s += p[i]
			if s > loneTail*mass {
				hi = i + 1
				break
			}
		}
		return lo, hi
	}
	xlo, xhi := extent(px)
	ylo, yhi := extent(py)
	erased := false
	for _, r := range cands {
		lo, hi, ok := lineExtent(ink, r)
		if !ok {
			continue
		}
		na, ilo, ihi := ink.w, xlo, xhi
		if r.vertical {
			na, ilo, ihi = ink.h, ylo, yhi
		}
		reach := loneReach * float64(na)
		if float64(ilo-lo) < reach || float64(hi-ihi) < reach {
			continue
		}
		eraseRule(ink, r)
		erased = true
	}
	if erased {
		for k := range lines {
			if len(lines[k]) > 0 {
				dropFragments(ink, lines[k])
			}
		}
	}
	return erased
}
