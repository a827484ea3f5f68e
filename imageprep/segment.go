package imageprep

// Reading a number: finding the digits written in a row, left to right.

import (
	"fmt"
	"image"
	"math"
	"slices"
	"sort"
)

// Part is one piece of a segmented number: a digit, unless NotDigit says
// otherwise.
type Part struct {
	// Box is the part's bounding box in the source image's coordinates.
	Box image.Rectangle
	// Image is the part with a margin as the source shows it (luminance,
	// at Segment's working size), the other parts' ink painted over with
	// the background: the part's ink is the only ink in it. It is ready
	// for FromImage.
	Image *image.Gray
	// Cut reports that the part was cut from ink it touched (a neighbour
	// written into it).
	Cut bool
	// Uncertain reports that a cut that made the part is doubtful: it runs
	// through much ink, or leaves a piece much narrower or wider than the
	// row's digits. Reason says which.
	Uncertain bool
	// NotDigit reports a mark no digit looks like: much shorter than the
	// row's digits (a dash, a comma). Reason says what it looked like.
	NotDigit bool
	// Reason explains Uncertain and NotDigit ("" when neither is set).
	Reason string
	// Stroke reports that the part is shaped as a 1 (one narrow straight
	// stroke about as high as the row's digits) and was cut along the ink
	// from a neighbour it touched through less than a stroke's width of
	// ink: a 1 touching a digit, a cut that is likely right.
	Stroke bool
	// Group numbers the pieces of ink the parts were cut from: parts cut
	// from one piece share it, and Alternatives refer to it.
	Group int
	// CutStrokes is how many strokes the cut between the part and the
	// next part of its piece crosses (the separate runs of ink along it;
	// for a split along the ink, the places the two parts meet): one
	// between two digits that touch, two or more through a digit's middle
	// (both arcs of a 0). It is 0 for the last part of its piece.
	CutStrokes int
}

// Alternative is another plausible reading of one piece of ink: cut into
// a different number of digits than the Parts of its Group are. A reader
// with a model can compare them (see infer.SegmentNumber).
type Alternative struct {
	Group int
	Parts []Part
}

// Segmentation is a row of digits found in an image.
type Segmentation struct {
	// Parts are the digits (and marks that are not) from left to right.
	Parts []Part
	// Inverted reports that the source had dark ink on a light background.
	Inverted bool
	// Specks counts the small marks ignored (dust, noise, a full stop).
	Specks int
	// Alternatives are other ways to cut the pieces that may hold a
	// different number of digits than Parts says: a piece about as wide
	// as two digits read as one, or touching digits cut into one more or
	// one fewer.
	Alternatives []Alternative
}

// Uncertain reports whether any part's cut is uncertain.
func (s *Segmentation) Uncertain() bool {
	for _, p := range s.Parts {
		if p.Uncertain {
			return true
		}
	}
	return false
}

// Tuning of Segment, in units of the row's digit height (segRef) unless
// said otherwise.
const (
	// segWorkMax is the longest side Segment works at; larger images are
	// reduced by an integer factor with area averaging, as FromImage does.
	segWorkMax = 1024
	// segLow is the ink strength (0..1 of the ink's peak) a pixel needs to
	// join a connected component; weaker antialiased fringes follow the
	// component they touch.
	segLow = 0.35
	// segMergeOverlap: two pieces whose x-ranges overlap by at least this
	// share of the narrower one are one digit (a 5's detached top bar, a
	// stroke broken by the pen).
	segMergeOverlap = 0.5
	// segMergeShort: pieces overlapping in x that share their rows are
	// still one digit when one is shorter than this share of the other.
	segMergeShort = 0.6
	// segSpeckSize: a piece smaller than this in both directions, or
	// lighter than segSpeckMass of the heaviest piece, is a speck.
	segSpeckSize = 0.3
	segSpeckMass = 0.03
	// segShort: a piece shorter than this is not a digit (a dash).
	segShort = 0.45
	// segWide: a piece wider than this times its height holds several
	// digits (no digit is that wide).
	segWide = 1.15
	// segSplitMin: a piece narrower than this times its height is not
	// cut in two, even as an alternative.
	segSplitMin = 0.7
	// segMaxComps is the most pieces of ink Segment considers: the
	// heaviest ones, the rest counted as specks.
	segMaxComps = 200
	// segMaxErode bounds the erosion that separates touching digits, in
	// working pixels.
	segMaxErode = 6
	// segDigitWidth is the typical digit width when the row has no lone
	// digit to measure it on.
	segDigitWidth = 0.7
)

// Segment finds the digits of a number written in a row (a year, a
// postcode, a phone number), dark on light or light on dark, at any size,
// and returns them left to right. It fails with ErrEmpty for an image with
// no pixels and ErrBlank when no ink stands out from the background.
//
// The ink is separated from the background (a plane fitted to the border,
// so light falling unevenly on paper is not ink; the ink is the side of it
// with the larger deviations) and split into
// 8-connected components. When the ink is one solid block covering much of
// the image (a sheet of paper photographed on a desk), the number is
// looked for on the sheet. Components whose x-ranges overlap are one digit;
// specks are dropped; a component wider than any digit is cut where its
// column profile has least ink, near the places the row's digit width
// suggests. Each part's Image is then ready for FromImage.
func Segment(img image.Image) (*Segmentation, error) { return segment(img, true) }

// segment is Segment; it looks inside a sheet only when sheets is set (a
// sheet on the sheet is not looked into).
func segment(img image.Image, sheets bool) (*Segmentation, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("%w: it is %dx%d", ErrEmpty, b.Dx(), b.Dy())
	}
	lum, w, h, f, ok := segLuminance(img)
	if !ok {
		return nil, fmt.Errorf("%w (every pixel is transparent)", ErrBlank)
	}
	ink, bg, inverted, ok := segInk(lum, w, h)
	if !ok {
		return nil, ErrBlank
	}
	s := segmenter{w: w, h: h, ink: ink, lum: lum, bg: float32(bg)}
	s.label()
	// A sheet of paper photographed on a darker desk stands out from the
	// border as one solid block: read the number on the sheet.
	if r, ok := s.sheet(); ok && sheets {
		if sub, can := img.(interface {
			SubImage(image.Rectangle) image.Image
		}); can {
			inner := image.Rect(r.Min.X*f, r.Min.Y*f, min(r.Max.X*f, b.Dx()), min(r.Max.Y*f, b.Dy())).Add(b.Min)
			if seg, err := segment(sub.SubImage(inner), false); err == nil {
				return seg, nil
			}
		}
	}
	groups := s.group()
	if len(groups) == 0 {
		return nil, ErrBlank
	}
	groups, specks := s.dropSpecks(groups)
	groups = s.attachFragments(groups)
	specks += s.dust
	if len(groups) == 0 {
		return nil, ErrBlank
	}
	out := &Segmentation{Inverted: inverted, Specks: specks}
	toParts := func(ps []segPiece, group int) []Part {
		var parts []Part
		for _, p := range ps {
			r := p.box
			box := image.Rect(r.Min.X*f, r.Min.Y*f, min(r.Max.X*f, b.Dx()), min(r.Max.Y*f, b.Dy())).Add(b.Min)
			parts = append(parts, Part{
				Box: box, Image: s.partImage(p), Cut: p.cut,
				Uncertain: p.uncertain, NotDigit: p.notDigit, Reason: p.reason, Group: group,
				Stroke: p.one, CutStrokes: p.cutN,
			})
		}
		return parts
	}
	for g, alts := range s.split(groups) {
		out.Parts = append(out.Parts, toParts(alts[0], g)...)
		for _, a := range alts[1:] {
			out.Alternatives = append(out.Alternatives, Alternative{Group: g, Parts: toParts(a, g)})
		}
	}
	return out, nil
}

// Segment decodes an encoded image within l, turned upright as its EXIF
// orientation says (DecodeUpright), and segments it. The parts' boxes are
// in the upright image's coordinates.
func (l Limits) Segment(data []byte) (*Segmentation, error) {
	img, err := l.DecodeUpright(data)
	if err != nil {
		return nil, err
	}
	return Segment(img)
}

// DecodeUpright decodes an encoded image within l, as Decode does, and
// turns it as its EXIF orientation says (Orientation): a phone photo of a
// number stored on its side comes out with the digits in a row, left to
// right. An image with no orientation to apply is returned as decoded.
func (l Limits) DecodeUpright(data []byte) (image.Image, error) {
	img, _, err := l.Decode(data)
	if err != nil {
		return nil, err
	}
	return upright(img, Orientation(data)), nil
}

// upright turns img as EXIF orientation o says (see orient): a gray image
// stays gray, any other becomes NRGBA.
func upright(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	r := image.Rect(0, 0, w, h)
	if o >= 5 { // the four orientations that swap width and height
		r = image.Rect(0, 0, h, w)
	}
	// src maps a pixel of the upright image to the stored one.
	src := func(x, y int) (int, int) {
		switch o {
		case 2: // mirrored left-right
			return w - 1 - x, y
		case 3: // turned 180°
			return w - 1 - x, h - 1 - y
		case 4: // mirrored top-bottom
			return x, h - 1 - y
		case 5: // transposed
			return y, x
		case 6: // needs a quarter turn clockwise
			return y, h - 1 - x
		case 7: // transversed
			return w - 1 - y, h - 1 - x
		default: // 8: needs a quarter turn anticlockwise
			return w - 1 - y, x
		}
	}
	if g, ok := img.(*image.Gray); ok {
		out := image.NewGray(r)
		for y := range r.Dy() {
			for x := range r.Dx() {
				sx, sy := src(x, y)
				out.Pix[y*out.Stride+x] = g.Pix[g.PixOffset(b.Min.X+sx, b.Min.Y+sy)]
			}
		}
		return out
	}
	out := image.NewNRGBA(r)
	for y := range r.Dy() {
		for x := range r.Dx() {
			sx, sy := src(x, y)
			out.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return out
}

// segLuminance converts img to luminance in 0..1, transparent pixels
// composited onto a background that contrasts with the visible content,
// reduced by an integer factor f so that no side exceeds segWorkMax. ok is
// false when every pixel is transparent.
func segLuminance(img image.Image) (lum []float32, w, h, f int, ok bool) {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	row := segRowReader(img)
	l := make([]float32, sw)
	a := make([]float32, sw)
	// Dark ink on transparency goes onto white, light ink onto black.
	var bg float32
	if o, isOpaque := img.(interface{ Opaque() bool }); !isOpaque || !o.Opaque() {
		var sumL, sumA float64
		for y := range sh {
			row(y, l, a)
			for x := range sw {
				sumL += float64(l[x])
				sumA += float64(a[x])
			}
		}
		if sumA < 0.5 {
			return nil, 0, 0, 1, false
		}
		if sumL/sumA < 0.5 {
			bg = 1
		}
	}
	f = (max(sw, sh) + segWorkMax - 1) / segWorkMax
	w, h = (sw+f-1)/f, (sh+f-1)/f
	lum = make([]float32, w*h)
	for y := range sh {
		row(y, l, a)
		dst := lum[(y/f)*w : (y/f+1)*w]
		for x := range sw {
			dst[x/f] += l[x] + bg*(1-a[x])
		}
	}
	if f > 1 {
		for cy := range h {
			ny := min(f, sh-cy*f)
			for cx := range w {
				lum[cy*w+cx] /= float32(ny * min(f, sw-cx*f))
			}
		}
	}
	return lum, w, h, f, true
}

// segRowReader returns a function that fills l (luminance, premultiplied
// by alpha) and a (alpha), both 0..1, for row y of img counted from its
// top, reading the common image types directly.
func segRowReader(img image.Image) func(y int, l, a []float32) {
	b := img.Bounds()
	w := b.Dx()
	luma := func(r, g, bl uint32, scale float32) float32 {
		return float32(0.299*float64(r)+0.587*float64(g)+0.114*float64(bl)) / scale
	}
	switch m := img.(type) {
	case *image.Gray:
		return func(y int, l, a []float32) {
			for x, p := range m.Pix[y*m.Stride : y*m.Stride+w] {
				l[x], a[x] = float32(p)/255, 1
			}
		}
	case *image.RGBA:
		return func(y int, l, a []float32) {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				p := row[4*x : 4*x+4]
				l[x], a[x] = luma(uint32(p[0]), uint32(p[1]), uint32(p[2]), 255), float32(p[3])/255
			}
		}
	case *image.NRGBA:
		return func(y int, l, a []float32) {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				p := row[4*x : 4*x+4]
				al := float32(p[3]) / 255
				l[x], a[x] = al*luma(uint32(p[0]), uint32(p[1]), uint32(p[2]), 255), al
			}
		}
	case *image.YCbCr:
		return func(y int, l, a []float32) {
			for x, p := range m.Y[y*m.YStride : y*m.YStride+w] {
				l[x], a[x] = float32(p)/255, 1
			}
		}
	default:
		return func(y int, l, a []float32) {
			for x := range w {
				r, g, bl, al := img.At(b.Min.X+x, b.Min.Y+y).RGBA() // premultiplied
				l[x], a[x] = luma(r, g, bl, 65535), float32(al)/65535
			}
		}
	}
}

// segInk returns the ink strength of each pixel in 0..1 (0 background, 1
// the ink's typical peak) and whether the ink is dark on light. ok is false
// when no ink stands out from the background.
func segInk(lum []float32, w, h int) (ink []float32, bg float64, inverted, ok bool) {
	ring := max(1, min(w, h)/25)
	var border []segPoint
	for y := range h {
		for x := range w {
			if x < ring || x >= w-ring || y < ring || y >= h-ring {
				border = append(border, segPoint{(float64(x) + 0.5) / float64(w), (float64(y) + 0.5) / float64(h), float64(lum[y*w+x])})
			}
		}
	}
	vals := make([]float64, len(border))
	for i, p := range border {
		vals[i] = p.l
	}
	bg = segMedian(vals)
	plane, sigma := segFitPlane(border, bg)
	level := func(x, y int) float32 {
		return float32(plane[0] + plane[1]*(float64(x)+0.5)/float64(w) + plane[2]*(float64(y)+0.5)/float64(h))
	}
	tau := float32(max(4*sigma, 0.06))
	res := make([]float32, len(lum))
	var pos, neg float64
	for y := range h {
		for x := range w {
			r := lum[y*w+x] - level(x, y)
			res[y*w+x] = r
			switch {
			case r > tau:
				pos += float64(r - tau)
			case r < -tau:
				neg += float64(-r - tau)
			}
		}
	}
	if pos == 0 && neg == 0 {
		return nil, 0, false, false
	}
	inverted = neg > pos || (neg == pos && bg > 0.5)
	ink = make([]float32, len(lum))
	var above []float32
	for i, d := range res {
		if inverted {
			d = -d
		}
		ink[i] = d
		if d > tau {
			above = append(above, d)
		}
	}
	slices.Sort(above)
	peak := above[min(len(above)-1, int(0.95*float64(len(above))))]
	if peak < 1.6*tau {
		return nil, 0, false, false
	}
	span := peak - tau
	for i, d := range ink {
		ink[i] = min(max((d-tau)/span, 0), 1)
	}
	return ink, bg, inverted, true
}

// segPoint is a border pixel: its position in 0..1 and its luminance.
type segPoint struct{ u, v, l float64 }

// segFitPlane fits the background a + b u + c v to the border pixels by
// least squares, twice leaving out the pixels far from the last fit (ink
// touching the border must not pull the background towards itself), and
// returns it with the robust spread of the pixels around it. Uneven light
// across a photo is a gradient a single level would turn into ink.
func segFitPlane(pts []segPoint, level float64) (plane [3]float64, sigma float64) {
	plane = [3]float64{level, 0, 0}
	res := make([]float64, len(pts))
	spread := func() float64 {
		for i, p := range pts {
			res[i] = math.Abs(p.l - (plane[0] + plane[1]*p.u + plane[2]*p.v))
		}
		return max(1.4826*segMedian(res), 1.0/255)
	}
	sigma = spread()
	for range 2 {
		var a [3][3]float64
		var b [3]float64
		for i, p := range pts {
			if res[i] > max(3*sigma, 0.05) {
				continue
			}
			f := [3]float64{1, p.u, p.v}
			for r := range 3 {
				for c := range 3 {
					a[r][c] += f[r] * f[c]
				}
				b[r] += f[r] * p.l
			}
		}
		next, ok := segSolve3(a, b)
		if !ok {
			break
		}
		plane = next
		sigma = spread()
	}
	return plane, sigma
}

// segSolve3 solves a 3x3 linear system by Cramer's rule; ok is false when
// it is (nearly) singular.
func segSolve3(a [3][3]float64, b [3]float64) ([3]float64, bool) {
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(a)
	if math.Abs(d) < 1e-12 {
		return [3]float64{}, false
	}
	var x [3]float64
	for c := range 3 {
		m := a
		for r := range 3 {
			m[r][c] = b[r]
		}
		x[c] = det(m) / d
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return [3]float64{}, false
		}
	}
	return x, true
}

func segMedian(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// segmenter holds the ink plane of an image being segmented and the
// connected component of each pixel.
type segmenter struct {
	w, h  int
	ink   []float32
	lum   []float32 // the luminance ink was found in
	bg    float32   // the background's luminance
	comp  []int32   // component of each pixel, -1 for pixels under segLow
	comps []segComp
	dust  int // components dropped before grouping
}

// segComp is a connected component of ink.
type segComp struct {
	box  image.Rectangle
	mass float32
}

// segPiece is a set of components (one digit, or several touching ones)
// restricted to columns [x0, x1).
type segPiece struct {
	comps     []int32
	box       image.Rectangle
	mass      float32
	x0, x1    int
	cut       bool
	uncertain bool
	notDigit  bool
	reason    string
	// one reports a 1 a path cut freed from a neighbour (freesOne).
	one bool
	// cutN is how many strokes the cut at the piece's right side crosses
	// (Part.CutStrokes).
	cutN int
	// own, when set, is the piece's pixels (a split along the ink, not a
	// column): only they belong to it.
	own map[int]struct{}
}

// has reports whether pixel (x, y) is p's.
func (s *segmenter) has(p *segPiece, x, y int) bool {
	if x < p.x0 || x >= p.x1 || y < 0 || y >= s.h {
		return false
	}
	i := y*s.w + x
	if p.own != nil {
		_, ok := p.own[i]
		return ok
	}
	c := s.comp[i]
	return c >= 0 && slices.Contains(p.comps, c)
}

// sheet reports whether the heaviest component is a solid block covering
// a fifth of the image or more (no digit fills 70% of its box, as a sheet
// of paper on a desk does) and returns the block shrunk by 4% on each
// side, to leave out the sheet's edges.
func (s *segmenter) sheet() (image.Rectangle, bool) {
	heaviest := -1
	for i, c := range s.comps {
		if heaviest < 0 || c.mass > s.comps[heaviest].mass {
			heaviest = i
		}
	}
	if heaviest < 0 {
		return image.Rectangle{}, false
	}
	box := s.comps[heaviest].box
	area := box.Dx() * box.Dy()
	if area*5 < s.w*s.h {
		return image.Rectangle{}, false
	}
	filled := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if s.comp[y*s.w+x] == int32(heaviest) {
				filled++
			}
		}
	}
	if filled*10 < area*7 {
		return image.Rectangle{}, false
	}
	inner := box.Inset(max(1, min(box.Dx(), box.Dy())/25))
	return inner, inner.Dx() >= 8 && inner.Dy() >= 8
}

// label finds the 8-connected components of the pixels with ink of at
// least segLow.
func (s *segmenter) label() {
	w, h := s.w, s.h
	// s.ink >= segLow: above the float just below it.
	root := components8(w, h, s.ink, math.Nextafter32(segLow, float32(math.Inf(-1))))
	s.comp = make([]int32, w*h)
	id := map[int32]int32{}
	for i, r := range root {
		if r < 0 {
			s.comp[i] = -1
			continue
		}
		c, ok := id[r]
		if !ok {
			c = int32(len(s.comps))
			id[r] = c
			s.comps = append(s.comps, segComp{})
		}
		s.comp[i] = c
		x, y := i%w, i/w
		cc := &s.comps[c]
		cc.box = cc.box.Union(image.Rect(x, y, x+1, y+1))
		cc.mass += s.ink[i]
	}
}

// group merges the components whose x-ranges overlap by at least
// segMergeOverlap of the narrower into pieces, sorted left to right.
func (s *segmenter) group() []segPiece {
	// Dust first: components lighter than a hundredth of the heaviest
	// could only ever be specks, and only the segMaxComps heaviest are
	// kept (a number has a few dozen pieces, not thousands; this bounds
	// the work on noise).
	var heaviest float32
	for _, c := range s.comps {
		heaviest = max(heaviest, c.mass)
	}
	var ps []segPiece
	for i, c := range s.comps {
		if c.mass < heaviest/100 {
			s.dust++
			continue
		}
		ps = append(ps, segPiece{comps: []int32{int32(i)}, box: c.box, mass: c.mass, x0: c.box.Min.X, x1: c.box.Max.X})
	}
	if len(ps) > segMaxComps {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].mass > ps[j].mass })
		s.dust += len(ps) - segMaxComps
		ps = ps[:segMaxComps]
	}
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(ps) && !merged; i++ {
			for j := i + 1; j < len(ps); j++ {
				a, b := ps[i].box, ps[j].box
				ov := min(a.Max.X, b.Max.X) - max(a.Min.X, b.Min.X)
				if float64(ov) < segMergeOverlap*float64(min(a.Dx(), b.Dx())) || ov <= 0 {
					continue
				}
				// Pieces of one digit are stacked (a 5's bar over its
				// body) or one is small beside the other; two digits
				// side by side share their rows (a slanted 1 tucked
				// under a 3's arc).
				yov := min(a.Max.Y, b.Max.Y) - max(a.Min.Y, b.Min.Y)
				if float64(yov) > 0.5*float64(min(a.Dy(), b.Dy())) && float64(min(a.Dy(), b.Dy())) > segMergeShort*float64(max(a.Dy(), b.Dy())) {
					continue
				}
				ps[i].comps = append(ps[i].comps, ps[j].comps...)
				ps[i].box = a.Union(b)
				ps[i].mass += ps[j].mass
				ps[i].x0, ps[i].x1 = ps[i].box.Min.X, ps[i].box.Max.X
				ps = slices.Delete(ps, j, j+1)
				merged = true
				break
			}
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].box.Min.X < ps[j].box.Min.X })
	return ps
}

// segRef is the row's digit height: the median height of the pieces that
// carry at least a quarter of the heaviest one's ink.
func segRef(ps []segPiece) float64 {
	var heaviest float32
	for _, p := range ps {
		heaviest = max(heaviest, p.mass)
	}
	var hs []float64
	for _, p := range ps {
		if p.mass >= heaviest/4 {
			hs = append(hs, float64(p.box.Dy()))
		}
	}
	return segMedian(hs)
}

// dropSpecks removes the pieces too small or too light to be a digit, and
// marks those too short to be one as not digits.
func (s *segmenter) dropSpecks(ps []segPiece) ([]segPiece, int) {
	ref := segRef(ps)
	var heaviest float32
	for _, p := range ps {
		heaviest = max(heaviest, p.mass)
	}
	if heaviest < 3 { // less than three full pixels of ink: dust
		return nil, len(ps)
	}
	kept := ps[:0]
	specks := 0
	for _, p := range ps {
		small := float64(p.box.Dx()) < segSpeckSize*ref && float64(p.box.Dy()) < segSpeckSize*ref
		if small || p.mass < segSpeckMass*heaviest {
			specks++
			continue
		}
		if float64(p.box.Dy()) < segShort*ref {
			p.notDigit = true
			p.reason = fmt.Sprintf("a mark %d px high among digits %.0f px high", p.box.Dy(), ref)
		}
		kept = append(kept, p)
	}
	return kept, specks
}

// split cuts the pieces too wide to be one digit into digits. For each
// piece it returns the cut it chose first, then the alternatives: a piece
// that may hold one digit more or fewer, cut that way.
func (s *segmenter) split(ps []segPiece) [][][]segPiece {
	ref := segRef(ps)
	// The digit width: the median width of the pieces that are plainly one
	// digit each, else a typical digit's for the row's height.
	var ws []float64
	for _, p := range ps {
		if !p.notDigit && float64(p.box.Dx()) <= segWide*float64(p.box.Dy()) {
			ws = append(ws, float64(p.box.Dx()))
		}
	}
	width := segDigitWidth * ref
	if len(ws) > 0 {
		// Ones are narrow: never take less than half the height.
		width = max(segMedian(ws), 0.5*ref)
	}
	stroke := s.strokeWidth()
	var out [][][]segPiece
	for _, p := range ps {
		if p.notDigit {
			out = append(out, [][]segPiece{{p}})
			continue
		}
		k := 1
		if float64(p.box.Dx()) > segWide*float64(p.box.Dy()) {
			k = max(2, int(math.Round(float64(p.box.Dx())/width)))
		}
		// The estimate first, then one digit fewer and one more (two narrow
		// digits touching, a 1 and a 4, are no wider than one digit is
		// tall). A cut that leaves a piece too short to be a digit (the
		// tail of a 2) is no reading.
		var alts [][]segPiece
		for _, k2 := range []int{k, k - 1, k + 1} {
			if k2 < 1 || k2 > 1 && float64(p.box.Dx()) < segSplitMin*float64(p.box.Dy())*float64(k2)/2 {
				continue
			}
			if a := s.cut(p, k2, width, stroke); len(a) == k2 && segTall(a, ref) {
				alts = append(alts, a)
			}
		}
		if float64(p.box.Dx()) >= segSplitMin*float64(p.box.Dy()) {
			if a := s.erodeSplit(p, ref, stroke); len(a) > 1 && segTall(a, ref) {
				if k > 1 && len(a) == k && len(alts) > 0 {
					// Separated along the ink into the expected count:
					// better than the column cut.
					alts = append([][]segPiece{a}, alts...)
				} else {
					alts = append(alts, a)
				}
			}
		}
		if k <= 2 && float64(p.box.Dx()) >= segPathOneWidth*ref {
			// Narrower pieces are cut only to free a 1 at either side.
			alts = append(alts, s.pathCuts(p, ref, stroke, float64(p.box.Dx()) < segPathMinWidth*ref)...)
		}
		if len(alts) == 0 {
			alts = [][]segPiece{{p}}
		}
		out = append(out, alts)
	}
	return out
}

// erodeSplit separates digits that touch by a thin bridge of ink: the
// piece's ink is eroded (3x3) until it falls apart into pieces that each
// span the row's height (at most half the stroke width), and every pixel
// goes to the piece it is nearest to along the ink. Unlike a cut along a
// column, this separates digits whose x-ranges overlap (a 2's tail under a
// 4). It returns nil when no erosion separates the piece.
func (s *segmenter) erodeSplit(p segPiece, ref, stroke float64) []segPiece {
	// The piece on a grid of its box, one cell of margin: in marks its
	// pixels, cur the eroded ones.
	bw, bh := p.box.Dx()+2, p.box.Dy()+2
	in := make([]bool, bw*bh)
	cell := func(x, y int) int { return (y-p.box.Min.Y+1)*bw + x - p.box.Min.X + 1 }
	s.each(p, func(i, x, y int) { in[cell(x, y)] = true })
	cur := slices.Clone(in)
	next := make([]bool, len(in))
	label := make([]int32, len(in))
	nbr := [8]int{-bw - 1, -bw, -bw + 1, -1, 1, bw - 1, bw, bw + 1}
	for r := 1; float64(r) <= min(max(1, stroke/2), segMaxErode); r++ {
		for c := range cur {
			next[c] = false
			if !cur[c] {
				continue
			}
			keep := true
			for _, d := range nbr {
				if !cur[c+d] {
					keep = false
					break
				}
			}
			next[c] = keep
		}
		cur, next = next, cur
		// The eroded ink's components: seeds when they span enough rows.
		for c := range label {
			label[c] = -1
		}
		var seeds [][]int
		for c := range cur {
			if !cur[c] || label[c] >= 0 {
				continue
			}
			comp := []int{c}
			label[c] = -2
			for q := 0; q < len(comp); q++ {
				for _, d := range nbr {
					if j := comp[q] + d; cur[j] && label[j] == -1 {
						label[j] = -2
						comp = append(comp, j)
					}
				}
			}
			y0, y1 := bh, 0
			for _, j := range comp {
				y0, y1 = min(y0, j/bw), max(y1, j/bw)
			}
			if float64(y1-y0+1) >= segShort*ref {
				seeds = append(seeds, comp)
			}
		}
		if len(seeds) < 2 {
			continue
		}
		// Grow the seeds back over the piece's ink, breadth first.
		for c := range label {
			label[c] = -1
		}
		var queue []int
		for k, sd := range seeds {
			for _, c := range sd {
				label[c] = int32(k)
				queue = append(queue, c)
			}
		}
		for q := 0; q < len(queue); q++ {
			for _, d := range nbr {
				if j := queue[q] + d; in[j] && label[j] == -1 {
					label[j] = label[queue[q]]
					queue = append(queue, j)
				}
			}
		}
		out := make([]segPiece, len(seeds))
		for k := range out {
			out[k] = segPiece{comps: p.comps, own: map[int]struct{}{}, cut: true}
		}
		for c, k := range label {
			if k < 0 {
				continue
			}
			x, y := c%bw+p.box.Min.X-1, c/bw+p.box.Min.Y-1
			i := y*s.w + x
			out[k].own[i] = struct{}{}
			out[k].mass += s.ink[i]
			out[k].box = out[k].box.Union(image.Rect(x, y, x+1, y+1))
		}
		// Left to right, each piece counting the places it meets the
		// next.
		order := make([]int, len(out))
		for k := range out {
			out[k].x0, out[k].x1 = out[k].box.Min.X, out[k].box.Max.X
			order[k] = k
		}
		sort.Slice(order, func(a, b int) bool { return out[order[a]].box.Min.X < out[order[b]].box.Min.X })
		sorted := make([]segPiece, len(out))
		for k, o := range order {
			sorted[k] = out[o]
			if k+1 < len(order) {
				sorted[k].cutN = segBridges(label, bw, nbr, int32(o), int32(order[k+1]))
			}
		}
		return sorted
	}
	return nil
}

// segTall reports whether every piece is tall enough to be a digit.
func segTall(ps []segPiece, ref float64) bool {
	for _, p := range ps {
		if float64(p.box.Dy()) < segShort*ref {
			return false
		}
	}
	return true
}

// cut splits p into k digits: first in two (k/2 on the left) at the column
// with least ink near where the digit width puts the boundary, then each
// side further.
func (s *segmenter) cut(p segPiece, k int, width, stroke float64) []segPiece {
	if k < 2 {
		return []segPiece{p}
	}
	proj, extent := s.profile(p)
	w := p.x1 - p.x0
	kl := k / 2
	target := float64(w) * float64(kl) / float64(k)
	lo := max(1, int(target-0.4*width))
	hi := min(w-1, int(target+0.4*width))
	// The boundary may not leave a piece narrower than a third of a digit.
	lo = max(lo, int(0.33*width*float64(kl)))
	hi = min(hi, w-int(0.33*width*float64(k-kl)))
	if lo >= hi {
		return []segPiece{p}
	}
	best, bestCost := -1, math.Inf(1)
	for c := lo; c <= hi; c++ {
		// Ink in the column, its vertical extent (where two round digits
		// touch, the ink is short: background above and below), and a
		// mild pull towards the expected place.
		cost := proj[c] + 0.5*extent[c] + 0.5*stroke*math.Abs(float64(c)-target)/width
		if cost < bestCost {
			best, bestCost = c, cost
		}
	}
	col := p.x0 + best
	left, right := s.restrict(p, p.x0, col), s.restrict(p, col, p.x1)
	if left.mass == 0 || right.mass == 0 {
		return []segPiece{p}
	}
	for _, q := range []*segPiece{&left, &right} {
		q.cut = true
		if q.reason == "" && proj[best] > 2.5*stroke {
			q.uncertain = true
			q.reason = fmt.Sprintf("cut through %.0f px of ink (strokes are %.0f px)", proj[best], stroke)
		}
	}
	var out []segPiece
	out = append(out, s.cut(left, kl, width, stroke)...)
	out[len(out)-1].cutN = segRuns(p.box.Dy(), func(y int) bool { return s.has(&p, col, p.box.Min.Y+y) })
	out = append(out, s.cut(right, k-kl, width, stroke)...)
	for i := range out {
		q := &out[i]
		if q.reason == "" && (float64(q.box.Dx()) < 0.35*width || float64(q.box.Dx()) > 1.6*width) {
			q.uncertain = true
			q.reason = fmt.Sprintf("cut leaves a piece %d px wide among digits about %.0f px wide", q.box.Dx(), width)
		}
	}
	return out
}

// profile is the ink of p in each of its columns (the column projection)
// and the height from its first to its last ink pixel.
func (s *segmenter) profile(p segPiece) (proj, extent []float64) {
	proj = make([]float64, p.x1-p.x0)
	top := make([]int, p.x1-p.x0)
	bottom := make([]int, p.x1-p.x0)
	for i := range top {
		top[i], bottom[i] = s.h, -1
	}
	s.each(p, func(i, x, y int) {
		c := x - p.x0
		proj[c] += float64(s.ink[i])
		top[c], bottom[c] = min(top[c], y), max(bottom[c], y)
	})
	extent = make([]float64, len(proj))
	for c := range extent {
		extent[c] = float64(max(0, bottom[c]-top[c]+1))
	}
	return proj, extent
}

// each calls fn for every pixel of p's components within its columns.
func (s *segmenter) each(p segPiece, fn func(i, x, y int)) {
	for y := p.box.Min.Y; y < p.box.Max.Y; y++ {
		for x := p.x0; x < p.x1; x++ {
			if s.has(&p, x, y) {
				fn(y*s.w+x, x, y)
			}
		}
	}
}

// restrict returns p limited to columns [x0, x1), its box and mass
// measured anew.
func (s *segmenter) restrict(p segPiece, x0, x1 int) segPiece {
	q := segPiece{comps: p.comps, own: p.own, x0: x0, x1: x1, box: image.Rect(x0, p.box.Min.Y, x1, p.box.Max.Y)}
	var bx image.Rectangle // the empty rectangle: Union starts from the first pixel
	s.each(q, func(i, x, y int) {
		q.mass += s.ink[i]
		bx = bx.Union(image.Rect(x, y, x+1, y+1))
	})
	if q.mass > 0 {
		q.box = bx
		q.x0, q.x1 = bx.Min.X, bx.Max.X
	}
	return q
}

// strokeWidth is the median length of the horizontal runs of ink: the
// pen's width.
func (s *segmenter) strokeWidth() float64 {
	var runs []float64
	for y := range s.h {
		n := 0
		for x := 0; x <= s.w; x++ {
			if x < s.w && s.comp[y*s.w+x] >= 0 {
				n++
				continue
			}
			if n > 0 {
				runs = append(runs, float64(n))
			}
			n = 0
		}
	}
	return max(1, segMedian(runs))
}

// partImage is the image around p (with a margin of a fifth of its longer
// side) as the source shows it, but with the ink of other parts painted
// over with the background: p's components within its columns, and the
// weaker fringe pixels next to them, are all the ink left.
func (s *segmenter) partImage(p segPiece) *image.Gray {
	m := max(2, int(0.2*float64(max(p.box.Dx(), p.box.Dy()))))
	r := p.box.Inset(-m)
	img := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	bg := uint8(math.Round(float64(255 * s.bg)))
	for i := range img.Pix {
		img.Pix[i] = bg
	}
	mine := func(x, y int) bool { return s.has(&p, x, y) }
	inked := func(x, y int) bool { return x >= 0 && x < s.w && y >= 0 && y < s.h && s.comp[y*s.w+x] >= 0 }
	for y := max(r.Min.Y, 0); y < min(r.Max.Y, s.h); y++ {
		for x := max(r.Min.X, 0); x < min(r.Max.X, s.w); x++ {
			i := y*s.w + x
			keep := s.ink[i] == 0 || mine(x, y)
			if !keep && s.comp[i] < 0 {
				// A fringe pixel belongs to the part its neighbour is in;
				// one next to no component is faint noise, left as is.
				other := false
				for dy := -1; dy <= 1 && !keep; dy++ {
					for dx := -1; dx <= 1 && !keep; dx++ {
						keep = mine(x+dx, y+dy)
						other = other || inked(x+dx, y+dy)
					}
				}
				keep = keep || !other
			}
			if keep {
				img.Pix[(y-r.Min.Y)*img.Stride+x-r.Min.X] = uint8(math.Round(float64(255 * s.lum[i])))
			}
		}
	}
	return img
}

// Tuning of pathCuts.
const (
	// segPathCuts is the most cuts along paths pathCuts proposes for one
	// piece.
	segPathCuts = 3
	// segPathStep is what a path pays, in pixels of full ink, to move one
	// column sideways: it keeps to a straight cut unless ink is in the way.
	segPathStep = 0.3
	// segPathNarrow: a path cut may leave a piece as narrow as this share
	// of the row's height (a 1) on either side.
	segPathNarrow = 0.08
	// segPathMinWidth: a piece narrower than this times the row's height
	// is not cut along a path (one digit, not two touching).
	segPathMinWidth = 0.75
	// segPathOneWidth: a piece at least this wide (times the row's height)
	// may be a 1 touching a digit, and a cut freeing a part no wider than
	// segPathOne and at least segPathOneTall high is proposed.
	segPathOneWidth = 0.6
	segPathOne      = 0.4
	segPathOneTall  = 0.75
	// segOneBend is how far (times the row's height, at most a stroke
	// width) the middle of a 1's ink may stray from a straight line, and
	// segOneWideRows the share of its rows that may be wider than two
	// strokes.
	segOneBend     = 0.05
	segOneWideRows = 0.15
	// segOneCutInk: a cut freeing a 1 crosses at most this many stroke
	// widths of ink.
	segOneCutInk = 0.7
)

// pathCuts proposes ways to cut p in two along paths from its top to its
// bottom that cross the least ink, each moving at most one column a row:
// unlike a column, a path follows the gap between a slanted 1 and its
// neighbour, or passes under an arc that overhangs the next digit. The
// cheapest paths ending at different columns are taken, at most
// segPathCuts of them, cheapest first; each leaves pieces at least
// segPathNarrow of ref wide and tall enough to be digits.
func (s *segmenter) pathCuts(p segPiece, ref, stroke float64, onlyOnes bool) [][]segPiece {
	w, h := p.x1-p.x0, p.box.Dy()
	minW := max(2, int(segPathNarrow*ref))
	if w < 2*minW+1 || h < 2 {
		return nil
	}
	v := make([]float64, w*h)
	s.each(p, func(i, x, y int) { v[(y-p.box.Min.Y)*w+x-p.x0] = float64(s.ink[i]) })
	// cost[y*w+x] is the least ink on a path from the top row to (x, y);
	// from[y*w+x] the column it came from in row y-1.
	cost := make([]float64, w*h)
	from := make([]int32, w*h)
	copy(cost[:w], v[:w])
	for y := 1; y < h; y++ {
		for x := range w {
			best, bx := cost[(y-1)*w+x], x
			for _, dx := range []int{-1, 1} {
				if xx := x + dx; xx >= 0 && xx < w {
					if c := cost[(y-1)*w+xx] + segPathStep; c < best {
						best, bx = c, xx
					}
				}
			}
			cost[y*w+x] = best + v[y*w+x]
			from[y*w+x] = int32(bx)
		}
	}
	// The ends: local minima of the cost along the bottom row.
	last := cost[(h-1)*w:]
	var ends []int
	for x := minW; x < w-minW; x++ {
		if (x == minW || last[x] <= last[x-1]) && (x == w-minW-1 || last[x] < last[x+1]) {
			ends = append(ends, x)
		}
	}
	sort.SliceStable(ends, func(a, b int) bool { return last[ends[a]] < last[ends[b]] })
	var out [][]segPiece
	var seen []float64 // each cut's left mass, not to propose one twice
	path := make([]int, h)
	for _, x := range ends {
		if len(out) == segPathCuts {
			break
		}
		path[h-1] = x
		for y := h - 1; y > 0; y-- {
			path[y-1] = int(from[y*w+path[y]])
		}
		// A pixel on the path goes to the right-hand piece.
		pair := []segPiece{{comps: p.comps, own: map[int]struct{}{}, cut: true}, {comps: p.comps, own: map[int]struct{}{}, cut: true}}
		s.each(p, func(i, x, y int) {
			k := 0
			if x-p.x0 >= path[y-p.box.Min.Y] {
				k = 1
			}
			q := &pair[k]
			q.own[i] = struct{}{}
			q.mass += s.ink[i]
			q.box = q.box.Union(image.Rect(x, y, x+1, y+1))
		})
		for k := range pair {
			pair[k].x0, pair[k].x1 = pair[k].box.Min.X, pair[k].box.Max.X
		}
		if pair[0].mass == 0 || pair[1].mass == 0 || pair[0].box.Dx() < minW || pair[1].box.Dx() < minW || !segTall(pair, ref) {
			continue
		}
		var ink float64
		for y, x := range path {
			ink += v[y*w+x]
		}
		// A 1 touching its neighbour is freed through one stroke's
		// ink; a cut through two (the ends of a 0's arcs) is no 1.
		one := ink <= segOneCutInk*stroke && s.freesOne(pair, ref, stroke)
		if onlyOnes && !one {
			continue
		}
		if slices.ContainsFunc(seen, func(m float64) bool { return math.Abs(m-float64(pair[0].mass)) < 0.5*stroke }) {
			continue
		}
		seen = append(seen, float64(pair[0].mass))
		pair[0].cutN = segRuns(h, func(y int) bool { return s.has(&p, p.x0+path[y], p.box.Min.Y+y) })
		for k := range pair {
			q := &pair[k]
			q.one = one && s.oneStroke(*q, ref, stroke)
			if ink > 2.5*stroke {
				q.uncertain = true
				q.reason = fmt.Sprintf("cut through %.0f px of ink (strokes are %.0f px)", ink, stroke)
			}
		}
		out = append(out, pair)
	}
	return out
}

// freesOne reports whether a cut in two frees a 1: one side a straight
// stroke no wider than segPathOne of ref, and both sides at least
// segPathOneTall of ref high (the other side a whole digit, not the arm
// of a 4 cut off its stem).
func (s *segmenter) freesOne(pair []segPiece, ref, stroke float64) bool {
	for _, q := range pair {
		if float64(q.box.Dy()) < segPathOneTall*ref {
			return false
		}
	}
	return slices.ContainsFunc(pair, func(q segPiece) bool { return s.oneStroke(q, ref, stroke) })
}

// oneStroke reports whether q is shaped as a 1: a straight stroke no
// wider than segPathOne of ref and at least segPathOneTall of it high.
func (s *segmenter) oneStroke(q segPiece, ref, stroke float64) bool {
	return float64(q.box.Dx()) <= segPathOne*ref && float64(q.box.Dy()) >= segPathOneTall*ref &&
		s.straight(q, stroke, max(1, min(stroke, segOneBend*ref)))
}

// straight reports whether q's ink is one straight stroke from its top
// to its bottom: the middle of its ink in each row lies within tol pixels
// of the line fitted to them, and in most rows the ink is no wider than
// two strokes (a 1, not the side of a 0 with the ends of its arcs).
func (s *segmenter) straight(q segPiece, stroke, tol float64) bool {
	n := q.box.Dy()
	sum := make([]float64, n)
	cnt := make([]float64, n)
	lo := make([]int, n)
	hi := make([]int, n)
	for y := range n {
		lo[y], hi[y] = s.w, -1
	}
	s.each(q, func(i, x, y int) {
		r := y - q.box.Min.Y
		sum[r] += float64(x)
		cnt[r]++
		lo[r], hi[r] = min(lo[r], x), max(hi[r], x)
	})
	var sy, sx, syy, sxy, m, wide float64
	for y := range n {
		if cnt[y] == 0 {
			continue
		}
		x := sum[y] / cnt[y]
		sy, sx, syy, sxy, m = sy+float64(y), sx+x, syy+float64(y*y), sxy+float64(y)*x, m+1
		if float64(hi[y]-lo[y]+1) > 2*stroke+1 {
			wide++
		}
	}
	if m < 2 || wide > segOneWideRows*m {
		return false
	}
	d := m*syy - sy*sy
	if d == 0 {
		return false
	}
	b := (m*sxy - sy*sx) / d
	a := (sx - b*sy) / m
	for y := range n {
		if cnt[y] > 0 && math.Abs(sum[y]/cnt[y]-(a+b*float64(y))) > tol {
			return false
		}
	}
	return true
}

// Fragments: a piece narrower than segFragWide and shorter than
// segFragTall of the row's height, within segFragGap of a neighbour, is a
// piece of that neighbour's stroke the pen (or the threshold) broke off,
// not a 1: a 1 is as tall as the row's digits.
const (
	segFragWide = 0.2
	segFragTall = 0.75
	segFragGap  = 0.25
)

// Bars: a mark too short to be a digit (notDigit) lying at the top of a
// digit, its bottom within segBarLow of that digit's height from the
// digit's top and its x-range reaching the digit's (or within segBarGap
// of the row's height), is a bar the pen lifted from: a 5's top, a 7's.
// A dash between digits lies lower, half-way down.
const (
	segBarLow = 0.4
	segBarGap = 0.1
)

// attachFragments joins each fragment to its nearest neighbour, and each
// bar to the digit it tops.
func (s *segmenter) attachFragments(ps []segPiece) []segPiece {
	ref := segRef(ps)
	tall := func(q segPiece) bool { return !q.notDigit && float64(q.box.Dy()) >= segFragTall*ref }
	for i := 0; i < len(ps); i++ {
		p := ps[i]
		best := -1
		switch {
		case p.notDigit:
			// A bar: the digit whose top it lies on that it overlaps
			// most.
			bestOv := -segBarGap * ref
			for j, q := range ps {
				if j == i || q.notDigit || float64(p.box.Max.Y) > float64(q.box.Min.Y)+segBarLow*float64(q.box.Dy()) {
					continue
				}
				ov := float64(min(p.box.Max.X, q.box.Max.X) - max(p.box.Min.X, q.box.Min.X))
				if ov >= bestOv {
					best, bestOv = j, ov
				}
			}
		case float64(p.box.Dx()) < segFragWide*ref && float64(p.box.Dy()) < segFragTall*ref:
			bestGap := segFragGap * ref
			for j, q := range ps {
				if j == i || !tall(q) {
					continue
				}
				gap := float64(max(q.box.Min.X-p.box.Max.X, p.box.Min.X-q.box.Max.X, 0))
				if gap <= bestGap {
					best, bestGap = j, gap
				}
			}
		}
		if best < 0 {
			continue
		}
		q := &ps[best]
		q.comps = append(q.comps, p.comps...)
		q.box = q.box.Union(p.box)
		q.mass += p.mass
		q.x0, q.x1 = q.box.Min.X, q.box.Max.X
		ps = slices.Delete(ps, i, i+1)
		i--
	}
	return ps
}

// segRuns counts the runs of true in in(0) .. in(n-1).
func segRuns(n int, in func(int) bool) int {
	runs, was := 0, false
	for i := range n {
		now := in(i)
		if now && !was {
			runs++
		}
		was = now
	}
	return runs
}

// segBridges counts the places where pieces a and b of label (a grid bw
// wide, its border cells unlabelled; nbr the offsets of a cell's eight
// neighbours) meet: the 8-connected groups of their cells next to the
// other's.
func segBridges(label []int32, bw int, nbr [8]int, a, b int32) int {
	touch := make([]bool, len(label))
	for c, k := range label {
		if k != a && k != b {
			continue
		}
		for _, d := range nbr {
			if j := label[c+d]; j == a+b-k {
				touch[c] = true
				break
			}
		}
	}
	n := 0
	var stack []int
	for c := range touch {
		if !touch[c] {
			continue
		}
		n++
		touch[c] = false
		stack = append(stack[:0], c)
		for len(stack) > 0 {
			q := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, d := range nbr {
				if touch[q+d] {
					touch[q+d] = false
					stack = append(stack, q+d)
				}
			}
		}
	}
	return n
}
