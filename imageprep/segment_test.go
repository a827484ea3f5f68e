package imageprep_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/rakam-ml/rakam/imageprep"
)

// segPt is a point in pixels.
type segPt struct{ x, y float64 }

// segStrokes are polylines in a unit box (x right, y down) for the test
// digits, drawn into a box of pixels by segPaint.
var segStrokes = map[rune][][]segPt{
	'0': {segEllipse(0.5, 0.5, 0.42, 0.48)},
	'1': {{{0.3, 0.2}, {0.6, 0}, {0.6, 1}}},
	'2': {{{0.1, 0.25}, {0.3, 0.03}, {0.7, 0.03}, {0.9, 0.25}, {0.85, 0.45}, {0.1, 0.97}, {0.95, 0.97}}},
	'4': {{{0.7, 1}, {0.7, 0}, {0.05, 0.7}, {0.95, 0.7}}},
	'7': {{{0.05, 0.03}, {0.95, 0.03}, {0.4, 1}}},
	// A 5 with its top bar off the body: two pieces overlapping in x.
	'5': {{{0.3, 0.03}, {0.95, 0.03}}, {{0.25, 0.16}, {0.2, 0.45}, {0.6, 0.38}, {0.9, 0.6}, {0.85, 0.88}, {0.5, 0.98}, {0.1, 0.88}}},
	'-': {{{0.1, 0.5}, {0.9, 0.5}}},
	// A 5 whose top bar the pen lifted and drew further right: the bar
	// overlaps the body's x-range by less than half its width.
	'S': {{{0.7, 0.03}, {1.5, 0.0}}, {{0.25, 0.16}, {0.2, 0.45}, {0.6, 0.38}, {0.9, 0.6}, {0.85, 0.88}, {0.5, 0.98}, {0.1, 0.88}}},
	// A plain 1, a bar leaning a little, and a piece of stroke broken off
	// a digit (short: a fragment, no 1).
	'|':  {{{0.7, 0}, {0.3, 1}}},
	'\'': {{{0.5, 0.25}, {0.5, 0.65}}},
	'.':  {{{0.5, 0.5}, {0.5, 0.5}}},
}

func segEllipse(cx, cy, rx, ry float64) []segPt {
	var p []segPt
	for i := 0; i <= 40; i++ {
		a := 2 * math.Pi * float64(i) / 40
		p = append(p, segPt{cx + rx*math.Cos(a), cy + ry*math.Sin(a)})
	}
	return p
}

// segGlyph is a character drawn into a box with a pen width.
type segGlyph struct {
	c   rune
	box image.Rectangle
	pen float64
}

// segPaint draws glyphs in ink over a background, antialiased: a pixel's
// coverage is how far its centre lies inside the stroke.
func segPaint(w, h int, bg, ink uint8, glyphs ...segGlyph) *image.Gray {
	cov := make([]float64, w*h)
	for _, g := range glyphs {
		sx, sy := float64(g.box.Dx()), float64(g.box.Dy())
		for _, s := range segStrokes[g.c] {
			for i := 0; i+1 < len(s); i++ {
				a := segPt{float64(g.box.Min.X) + s[i].x*sx, float64(g.box.Min.Y) + s[i].y*sy}
				b := segPt{float64(g.box.Min.X) + s[i+1].x*sx, float64(g.box.Min.Y) + s[i+1].y*sy}
				for y := max(0, int(min(a.y, b.y)-g.pen)); y <= min(h-1, int(max(a.y, b.y)+g.pen)); y++ {
					for x := max(0, int(min(a.x, b.x)-g.pen)); x <= min(w-1, int(max(a.x, b.x)+g.pen)); x++ {
						d := segDistance(segPt{float64(x) + 0.5, float64(y) + 0.5}, a, b)
						cov[y*w+x] = max(cov[y*w+x], min(1, max(0, g.pen/2-d+0.5)))
					}
				}
			}
		}
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, c := range cov {
		img.Pix[i] = uint8(math.Round(float64(bg)*(1-c) + float64(ink)*c))
	}
	return img
}

func segDistance(p, a, b segPt) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = max(0, min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/l2))
	}
	return math.Hypot(p.x-(a.x+t*dx), p.y-(a.y+t*dy))
}

// segRow lays out characters of height 60 px left to right, each gap
// (len(chars)-1 of them) in pixels after the glyph's width (negative:
// overlapping boxes); it returns the glyphs and the image width.
func segRow(chars string, widths []int, gaps []int) ([]segGlyph, int) {
	x := 20
	var gs []segGlyph
	for i, c := range chars {
		y0, y1 := 20, 80
		switch c {
		case '-':
			y0, y1 = 40, 60
		case '.':
			y0, y1 = 74, 78
		}
		gs = append(gs, segGlyph{c, image.Rect(x, y0, x+widths[i], y1), 7})
		x += widths[i]
		if i < len(gaps) {
			x += gaps[i]
		}
	}
	return gs, x + 20
}

func TestSegment(t *testing.T) {
	tests := []struct {
		name   string
		chars  string
		widths []int
		gaps   []int
		want   int    // parts
		cut    []bool // per part, when checked
		notDig int    // index of the part that is not a digit, or -1
		specks int
	}{
		{"apart", "170", []int{30, 36, 40}, []int{14, 10}, 3, []bool{false, false, false}, -1, 0},
		// The two zeros' strokes cross: one component, cut in two.
		{"touching pair", "00", []int{40, 40}, []int{-1}, 2, []bool{true, true}, -1, 0},
		{"touching in a row", "2004", []int{38, 40, 40, 38}, []int{12, -1, 12}, 4, []bool{false, true, true, false}, -1, 0},
		{"broken 5", "15", []int{30, 38}, []int{14}, 2, []bool{false, false}, -1, 0},
		{"speck", "1.7", []int{30, 4, 36}, []int{10, 10}, 2, nil, -1, 1},
		{"dash", "12-4", []int{30, 38, 26, 38}, []int{12, 12, 12}, 4, nil, 2, 0},
	}
	for _, tt := range tests {
		for _, dark := range []bool{true, false} {
			name := tt.name + "/light on dark"
			bg, ink := uint8(0), uint8(255)
			if dark {
				name = tt.name + "/dark on light"
				bg, ink = 235, 25
			}
			t.Run(name, func(t *testing.T) {
				gs, w := segRow(tt.chars, tt.widths, tt.gaps)
				img := segPaint(w, 100, bg, ink, gs...)
				seg, err := imageprep.Segment(img)
				if err != nil {
					t.Fatalf("Segment(%q) = %v", tt.chars, err)
				}
				if seg.Inverted != dark {
					t.Errorf("Inverted = %v; want %v", seg.Inverted, dark)
				}
				if len(seg.Parts) != tt.want {
					for _, p := range seg.Parts {
						t.Logf("part %v cut %v uncertain %v %s", p.Box, p.Cut, p.Uncertain, p.Reason)
					}
					t.Fatalf("Segment(%q) found %d parts; want %d", tt.chars, len(seg.Parts), tt.want)
				}
				if seg.Specks != tt.specks {
					t.Errorf("Segment(%q) ignored %d specks; want %d", tt.chars, seg.Specks, tt.specks)
				}
				// Every glyph that is not a speck must be one part, left
				// to right, its box within a few pixels of the glyph's.
				k := 0
				for _, g := range gs {
					if g.c == '.' {
						continue
					}
					p := seg.Parts[k]
					want := segInkBox(g)
					if d := segBoxDistance(p.Box, want); d > 4 {
						t.Errorf("part %d (%c) box %v; want about %v (off by %d px)", k, g.c, p.Box, want, d)
					}
					if tt.cut != nil && p.Cut != tt.cut[k] {
						t.Errorf("part %d (%c) Cut = %v; want %v", k, g.c, p.Cut, tt.cut[k])
					}
					if p.NotDigit != (k == tt.notDig) {
						t.Errorf("part %d (%c) NotDigit = %v; want %v (%s)", k, g.c, p.NotDigit, k == tt.notDig, p.Reason)
					}
					if p.Uncertain {
						t.Errorf("part %d (%c) uncertain: %s", k, g.c, p.Reason)
					}
					if _, err := imageprep.FromImage(p.Image); err != nil {
						t.Errorf("FromImage(part %d) = %v", k, err)
					}
					k++
				}
			})
		}
	}
}

// segInkBox is the box of a glyph's strokes, widened by half the pen.
func segInkBox(g segGlyph) image.Rectangle {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, s := range segStrokes[g.c] {
		for _, p := range s {
			x := float64(g.box.Min.X) + p.x*float64(g.box.Dx())
			y := float64(g.box.Min.Y) + p.y*float64(g.box.Dy())
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
	}
	r := g.pen / 2
	return image.Rect(int(math.Round(x0-r)), int(math.Round(y0-r)), int(math.Round(x1+r)), int(math.Round(y1+r)))
}

// segBoxDistance is the largest distance between corresponding edges.
func segBoxDistance(a, b image.Rectangle) int {
	d := 0
	for _, v := range []int{a.Min.X - b.Min.X, a.Min.Y - b.Min.Y, a.Max.X - b.Max.X, a.Max.Y - b.Max.Y} {
		d = max(d, v, -v)
	}
	return d
}

// TestSegmentFreesOne: a 1 touching a 0 is one piece of ink no wider than
// a digit is tall; one of the ways Segment proposes to read it frees the
// 1 along the ink, and says so (Stroke).
func TestSegmentFreesOne(t *testing.T) {
	gs, w := segRow("|0", []int{14, 40}, []int{-2})
	seg, err := imageprep.Segment(segPaint(w, 100, 235, 25, gs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(seg.Parts) != 1 {
		t.Fatalf("Segment(a 1 touching a 0) = %d parts; want the touching pair as one, with alternatives", len(seg.Parts))
	}
	one, zero := segInkBox(gs[0]), segInkBox(gs[1])
	for _, a := range seg.Alternatives {
		if len(a.Parts) == 2 && a.Parts[0].Stroke && !a.Parts[1].Stroke &&
			segBoxDistance(a.Parts[0].Box, one) <= 4 && segBoxDistance(a.Parts[1].Box, zero) <= 4 {
			return
		}
	}
	for _, a := range seg.Alternatives {
		for _, p := range a.Parts {
			t.Logf("alternative: part %v stroke %v", p.Box, p.Stroke)
		}
	}
	t.Errorf("no alternative frees the 1 (%v) from the 0 (%v) with Stroke set", one, zero)
}

// TestSegmentFragment: a short thin piece of stroke close to a digit (a
// stroke the pen broke) joins that digit instead of reading as a 1; a
// whole 1 as close stays a digit.
func TestSegmentFragment(t *testing.T) {
	tests := []struct {
		chars string
		want  int
	}{
		{"7'", 1},
		{"7|", 2},
	}
	for _, tt := range tests {
		gs, w := segRow(tt.chars, []int{36, 10}, []int{4})
		seg, err := imageprep.Segment(segPaint(w, 100, 0, 255, gs...))
		if err != nil {
			t.Fatal(err)
		}
		if len(seg.Parts) != tt.want {
			t.Errorf("Segment(%q) = %d parts; want %d", tt.chars, len(seg.Parts), tt.want)
		}
	}
}

// TestSegmentMasksNeighbours checks that a part's image holds its own ink
// only: for two touching zeros, the left part's image has no ink right of
// the cut, beyond the other zero's half.
func TestSegmentMasksNeighbours(t *testing.T) {
	gs, w := segRow("00", []int{40, 40}, []int{-1})
	img := segPaint(w, 100, 0, 255, gs...)
	seg, err := imageprep.Segment(img)
	if err != nil || len(seg.Parts) != 2 {
		t.Fatalf("Segment = %v, %v; want two parts", seg, err)
	}
	left, right := seg.Parts[0], seg.Parts[1]
	if left.Box.Max.X > right.Box.Min.X+1 {
		t.Errorf("left part %v and right part %v overlap", left.Box, right.Box)
	}
	// The left image's columns map to source columns from its box minus
	// the margin; its ink must end by the cut (faint antialiasing, under
	// the noise floor, may be left).
	margin := (left.Image.Bounds().Dx() - left.Box.Dx()) / 2
	for y := range left.Image.Bounds().Dy() {
		for x := range left.Image.Bounds().Dx() {
			if src := left.Box.Min.X - margin + x; src > left.Box.Max.X+1 && left.Image.GrayAt(x, y).Y > 40 {
				t.Fatalf("left part's image has ink at source column %d, right of its box %v", src, left.Box)
			}
		}
	}
}

// TestSegmentCoordinates checks boxes in source coordinates when the
// image does not start at 0,0 and when it is larger than Segment's
// working size (reduced by an integer factor).
func TestSegmentCoordinates(t *testing.T) {
	gs, w := segRow("17", []int{30, 36}, []int{14})
	small := segPaint(w, 100, 240, 10, gs...)
	// Nine times larger, nearest neighbour, placed at (50, 30).
	const k = 9
	big := image.NewGray(image.Rect(50, 30, 50+w*k, 30+100*k))
	for y := range 100 * k {
		for x := range w * k {
			big.SetGray(50+x, 30+y, small.GrayAt(x/k, y/k))
		}
	}
	seg, err := imageprep.Segment(big)
	if err != nil || len(seg.Parts) != 2 {
		t.Fatalf("Segment = %v, %v; want two parts", seg, err)
	}
	for i, p := range seg.Parts {
		g := segInkBox(gs[i])
		want := image.Rect(50+g.Min.X*k, 30+g.Min.Y*k, 50+g.Max.X*k, 30+g.Max.Y*k)
		if d := segBoxDistance(p.Box, want); d > 8*k {
			t.Errorf("part %d box %v; want about %v", i, p.Box, want)
		}
		if !p.Box.In(big.Bounds()) {
			t.Errorf("part %d box %v outside the image %v", i, p.Box, big.Bounds())
		}
	}
}

func TestSegmentErrors(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 80, 40))
	for i := range flat.Pix {
		flat.Pix[i] = 200
	}
	// Two pixels of dust on a blank sheet are no number.
	dust := image.NewGray(image.Rect(0, 0, 80, 40))
	copy(dust.Pix, flat.Pix)
	dust.SetGray(40, 20, color.Gray{0})
	tests := []struct {
		name string
		img  image.Image
		want error
	}{
		{"empty", image.NewGray(image.Rect(0, 0, 0, 10)), imageprep.ErrEmpty},
		{"all blank", flat, imageprep.ErrBlank},
		{"transparent", image.NewNRGBA(image.Rect(0, 0, 30, 30)), imageprep.ErrBlank},
		{"dust", dust, imageprep.ErrBlank},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seg, err := imageprep.Segment(tt.img)
			if !errors.Is(err, tt.want) {
				t.Errorf("Segment = %+v, %v; want %v", seg, err, tt.want)
			}
		})
	}
	if _, err := (imageprep.Limits{}).Segment([]byte("not an image")); !errors.Is(err, imageprep.ErrFormat) {
		t.Errorf("Limits.Segment(text) = %v; want ErrFormat", err)
	}
}

// FuzzSegment decodes arbitrary bytes and segments them: never a panic,
// and every part's box inside the image, with an image.
func FuzzSegment(f *testing.F) {
	gs, w := segRow("12-4", []int{30, 38, 26, 38}, []int{12, -2, 12})
	var b bytes.Buffer
	png.Encode(&b, segPaint(w, 100, 235, 25, gs...))
	f.Add(b.Bytes())
	b.Reset()
	png.Encode(&b, segPaint(60, 30, 0, 0))
	f.Add(b.Bytes())
	f.Add([]byte("not an image"))
	limits := imageprep.Limits{MaxPixels: 1 << 18, MaxSide: 2048}
	f.Fuzz(func(t *testing.T, data []byte) {
		seg, err := limits.Segment(data)
		if err != nil {
			return
		}
		img, err := limits.DecodeUpright(data)
		if err != nil {
			t.Fatalf("Segment succeeded where DecodeUpright fails: %v", err)
		}
		for i, p := range seg.Parts {
			if !p.Box.In(img.Bounds()) || p.Box.Empty() || p.Image == nil {
				t.Fatalf("part %d box %v in an image %v (image %v)", i, p.Box, img.Bounds(), p.Image != nil)
			}
		}
	})
}

// TestSegmentBoundedWork gives Segment what no number looks like: 25,600
// dots (components by the thousand) and one solid block (erosion that
// would run for hundreds of steps). Each must come back with a bounded
// number of parts: the heaviest 200 pieces are considered, the rest
// counted as specks.
func TestSegmentBoundedWork(t *testing.T) {
	dots := image.NewGray(image.Rect(0, 0, 1000, 1000))
	for i := range dots.Pix {
		dots.Pix[i] = 230
	}
	n := 0
	for y := 20; y < 980; y += 6 {
		for x := 20; x < 980; x += 6 {
			dots.Pix[y*1000+x], dots.Pix[y*1000+x+1] = 10, 10
			n++
		}
	}
	seg, err := imageprep.Segment(dots)
	if err != nil {
		t.Fatalf("Segment(%d dots) = %v", n, err)
	}
	if len(seg.Parts) > 200 || len(seg.Parts)+seg.Specks < n-200 {
		t.Errorf("Segment(%d dots) = %d parts, %d specks; want at most 200 parts, the rest specks", n, len(seg.Parts), seg.Specks)
	}
	block := image.NewGray(image.Rect(0, 0, 1000, 1000))
	for y := range 1000 {
		for x := range 1000 {
			block.Pix[y*1000+x] = 230
			if x > 100 && x < 900 && y > 300 && y < 700 {
				block.Pix[y*1000+x] = 20
			}
		}
	}
	if seg, err := imageprep.Segment(block); err != nil || len(seg.Parts) == 0 || len(seg.Parts) > 10 {
		t.Errorf("Segment(a solid block) = %v, %v; want a few parts", seg, err)
	}
}

// TestSegmentSheetOnDesk: a light sheet photographed on a dark desk stands
// out from the border as one solid block; the number is read on it.
func TestSegmentSheetOnDesk(t *testing.T) {
	gs, w := segRow("170", []int{30, 36, 40}, []int{14, 10})
	row := segPaint(w, 100, 235, 25, gs...)
	img := image.NewGray(image.Rect(0, 0, w+120, 260))
	for i := range img.Pix {
		img.Pix[i] = 50 // the desk
	}
	for y := 50; y < 220; y++ {
		for x := 40; x < w+80; x++ {
			img.SetGray(x, y, color.Gray{235}) // the sheet
		}
	}
	for y := range 100 {
		for x := range w {
			img.SetGray(60+x, 80+y, row.GrayAt(x, y))
		}
	}
	seg, err := imageprep.Segment(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(seg.Parts) != 3 || !seg.Inverted {
		t.Fatalf("Segment(a sheet with 170 on a desk) = %d parts, inverted %v; want 3, inverted", len(seg.Parts), seg.Inverted)
	}
	for i, p := range seg.Parts {
		want := segInkBox(gs[i]).Add(image.Pt(60, 80))
		if d := segBoxDistance(p.Box, want); d > 4 {
			t.Errorf("part %d box %v; want about %v", i, p.Box, want)
		}
	}
}

// TestSegmentUnevenLight: paper lit from one side, from grey 110 on the
// left to 250 on the right; the background is a plane fitted to the
// border, so the dim side is not taken for ink.
func TestSegmentUnevenLight(t *testing.T) {
	gs, w := segRow("170", []int{30, 36, 40}, []int{14, 10})
	cov := segPaint(w, 100, 0, 255, gs...) // coverage: 255 = ink
	img := image.NewGray(cov.Bounds())
	for y := range 100 {
		for x := range w {
			paper := 110 + 140*float64(x)/float64(w-1)
			c := float64(cov.GrayAt(x, y).Y) / 255
			img.SetGray(x, y, color.Gray{uint8(math.Round(paper*(1-c) + 0.25*paper*c))})
		}
	}
	seg, err := imageprep.Segment(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(seg.Parts) != 3 || !seg.Inverted {
		t.Fatalf("Segment(170 in uneven light) = %d parts, inverted %v; want 3, inverted", len(seg.Parts), seg.Inverted)
	}
	for i, p := range seg.Parts {
		if d := segBoxDistance(p.Box, segInkBox(gs[i])); d > 4 {
			t.Errorf("part %d box %v; want about %v", i, p.Box, segInkBox(gs[i]))
		}
	}
}

// TestSegmentBar: the top bar of a 5 drawn off to the right of its body
// (overlapping it by less than half its width) is part of that 5, not a
// dash; a dash half-way down between digits stays a dash.
func TestSegmentBar(t *testing.T) {
	gs, w := segRow("S7", []int{38, 36}, []int{36})
	seg, err := imageprep.Segment(segPaint(w, 100, 235, 25, gs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(seg.Parts) != 2 || seg.Parts[0].NotDigit || seg.Parts[1].NotDigit {
		for _, p := range seg.Parts {
			t.Logf("part %v not a digit %v %s", p.Box, p.NotDigit, p.Reason)
		}
		t.Fatalf("Segment(a 5 with its bar off to the right, a 7) = %d parts; want 2 digits", len(seg.Parts))
	}
	if want := segInkBox(gs[0]); segBoxDistance(seg.Parts[0].Box, want) > 4 {
		t.Errorf("the 5's box %v; want about %v, its bar included", seg.Parts[0].Box, want)
	}
	gs, w = segRow("1-4", []int{30, 26, 38}, []int{2, 2})
	seg, err = imageprep.Segment(segPaint(w, 100, 235, 25, gs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(seg.Parts) != 3 || !seg.Parts[1].NotDigit {
		t.Errorf("Segment(1, a dash close by, 4) = %d parts; want 3, the dash not a digit", len(seg.Parts))
	}
}

// TestSegmentCutStrokes: the cut between two touching 0s crosses one
// stroke (where they meet); every cut proposed through one wide 0 crosses
// both its arcs.
func TestSegmentCutStrokes(t *testing.T) {
	gs, w := segRow("00", []int{40, 40}, []int{-1})
	seg, err := imageprep.Segment(segPaint(w, 100, 235, 25, gs...))
	if err != nil {
		t.Fatal(err)
	}
	if len(seg.Parts) != 2 || seg.Parts[0].CutStrokes != 1 || seg.Parts[1].CutStrokes != 0 {
		for _, p := range seg.Parts {
			t.Logf("part %v cut strokes %d", p.Box, p.CutStrokes)
		}
		t.Errorf("two touching 0s: %d parts; want 2, the first cut from the second through one stroke", len(seg.Parts))
	}
	gs, w = segRow("0", []int{90}, nil)
	seg, err = imageprep.Segment(segPaint(w, 100, 235, 25, gs...))
	if err != nil {
		t.Fatal(err)
	}
	cuts := 0
	for _, a := range append(seg.Alternatives, imageprep.Alternative{Parts: seg.Parts}) {
		for _, p := range a.Parts[:len(a.Parts)-1] {
			cuts++
			if p.CutStrokes < 2 {
				t.Errorf("a cut through a wide 0 at %v crosses %d strokes; want both arcs (2)", p.Box, p.CutStrokes)
			}
		}
	}
	if cuts == 0 {
		t.Errorf("a 0 1.5 times as wide as high: no cut proposed; want it cut in two as an alternative at least")
	}
}
