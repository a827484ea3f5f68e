package imageprep

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// paperImage returns w x h paper of colour bg with lines every spacing
// pixels (horizontal, and vertical too when squared), 2 px wide, in colour
// line, and a red margin line at x = margin when margin > 0.
func paperImage(w, h int, bg color.NRGBA, spacing int, squared bool, line color.NRGBA, margin int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := bg
			if spacing > 0 && (y%spacing < 2 || (squared && x%spacing < 2)) {
				c = line
			}
			if margin > 0 && x >= margin && x < margin+2 {
				c = color.NRGBA{220, 80, 90, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// inkOver writes strokes in ink over img with the given opacity.
func inkOver(img *image.NRGBA, strokes [][]pt, box image.Rectangle, pen float64, ink color.NRGBA, opacity float64) *image.NRGBA {
	b := img.Bounds()
	cov := coverage(b.Dx(), b.Dy(), strokes, box, pen)
	for i, c := range cov {
		a := c * opacity
		for k, v := range [3]uint8{ink.R, ink.G, ink.B} {
			p := &img.Pix[4*i+k]
			*p = uint8(math.Round(float64(*p)*(1-a) + float64(v)*a))
		}
	}
	return img
}

// shade darkens img by up to depth across a soft diagonal edge.
func shade(img *image.NRGBA, depth float64) *image.NRGBA {
	b := img.Bounds()
	for y := range b.Dy() {
		for x := range b.Dx() {
			t := (float64(x)/float64(b.Dx()) + float64(y)/float64(b.Dy())) / 2
			s := math.Max(0, math.Min(1, (t-0.35)/0.3))
			f := 1 - depth*s*s*(3-2*s)
			for k := range 3 {
				p := &img.Pix[img.PixOffset(x, y)+k]
				*p = uint8(math.Round(float64(*p) * f))
			}
		}
	}
	return img
}

// The paper tests' colours and digits.
var (
	paperCream  = color.NRGBA{245, 242, 232, 255}
	inkBlue     = color.NRGBA{20, 40, 150, 255}
	paperDigits = []struct {
		name    string
		strokes [][]pt
	}{{"one", one}, {"seven", seven}, {"zero", zero}}
)

// TestFromImagePaper prepares digits written on ruled and squared paper
// and in pencil under a shadow: the lines must not be read as ink, nor the
// pencil as blank, and each must come out close to the reference.
func TestFromImagePaper(t *testing.T) {
	cream, blue := paperCream, inkBlue
	blueLine := color.NRGBA{150, 180, 230, 255}
	greyLine := color.NRGBA{170, 170, 170, 255}
	darkLine := color.NRGBA{150, 150, 150, 255}
	pencil := color.NRGBA{100, 100, 100, 255}
	for _, dg := range paperDigits {
		ref := mustPrepare(t, dg.name+"/reference", reference(dg.strokes))
		s := dg.strokes
		cases := []struct {
			name string
			img  image.Image
			tol  float64
		}{
			{"squared paper", inkOver(paperImage(480, 400, cream, 24, true, blueLine, 0), s, image.Rect(180, 90, 300, 290), 22, blue, 1), 0.04},
			{"lined paper", inkOver(paperImage(400, 480, cream, 30, false, greyLine, 40), s, image.Rect(150, 110, 246, 270), 17.6, blue, 1), 0.04},
			{"squared paper in pencil", inkOver(paperImage(480, 480, cream, 20, true, greyLine, 0), s, image.Rect(190, 110, 292, 280), 18.7, pencil, 0.8), 0.05},
			{"pencil in a shadow", shade(inkOver(paperImage(500, 400, cream, 0, false, cream, 0), s, image.Rect(200, 70, 320, 270), 22, pencil, 0.6), 0.6), 0.05},
			{"squared paper in pencil in a shadow", shade(inkOver(paperImage(480, 480, cream, 20, true, greyLine, 0), s, image.Rect(190, 110, 292, 280), 18.7, pencil, 0.5), 0.6), 0.05},
			// The shadow along the border, with noise, swells the border's
			// noise estimate over the pencil's contrast.
			{"lined paper in pencil, a light shadow and noise", noisy(shade(inkOver(paperImage(480, 480, cream, 40, false, darkLine, 0), s, image.Rect(190, 110, 292, 280), 18.7, pencil, 0.5), 0.2), 4), 0.04},
		}
		for _, c := range cases {
			name := dg.name + "/" + c.name
			t.Run(name, func(t *testing.T) {
				d := mustPrepare(t, name, c.img)
				if testing.Verbose() {
					t.Logf("\n%s", ascii(d))
				}
				if !d.Inverted {
					t.Errorf("FromImage(%s).Inverted = false; want true (dark ink on paper)", name)
				}
				if diff := shapeDiff(d.Pixels, ref.Pixels); diff > c.tol {
					t.Errorf("FromImage(%s): mean |difference| to the reference %.4f; want <= %.4f", name, diff, c.tol)
				}
			})
		}
	}
}

// TestBlankRuledPaper: ruled or squared paper with nothing written on it
// is blank, not a digit made of its lines.
func TestBlankRuledPaper(t *testing.T) {
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"squared", paperImage(400, 300, color.NRGBA{250, 250, 250, 255}, 22, true, color.NRGBA{150, 180, 230, 255}, 0)},
		{"lined with a margin", paperImage(300, 400, color.NRGBA{250, 250, 250, 255}, 28, false, color.NRGBA{150, 150, 150, 255}, 50)},
		{"lined with worn lines", wornLines(paperImage(400, 300, color.NRGBA{250, 250, 250, 255}, 25, false, color.NRGBA{150, 150, 150, 255}, 0))},
	} {
		if d, err := FromImage(c.img); err == nil {
			t.Errorf("FromImage(blank %s paper) = a digit with ink at %v; want ErrBlank", c.name, d.Ink)
		}
	}
}

// TestFromImageSmallScan prepares digits scanned at 12x12 and enlarged
// with bilinear smoothing to 96x96: they must come out near the reference
// with edges nearly as crisp, not with the scan's soft edges (a zero is
// left out: at 12 pixels it loses its shape).
func TestFromImageSmallScan(t *testing.T) {
	for _, dg := range []struct {
		name    string
		strokes [][]pt
	}{{"one", one}, {"seven", seven}} {
		ref := mustPrepare(t, dg.name+"/reference", reference(dg.strokes))
		small := drawGray(12, 12, dg.strokes, image.Rect(3, 1, 9, 11), 1.3, 255, 0)
		scan := image.NewGray(image.Rect(0, 0, 96, 96))
		xdraw.BiLinear.Scale(scan, scan.Bounds(), small, small.Bounds(), xdraw.Src, nil)
		d := mustPrepare(t, dg.name+"/scan", scan)
		if diff := shapeDiff(d.Pixels, ref.Pixels); diff > 0.04 {
			t.Errorf("FromImage(%s scanned small): mean |difference| to the reference %.4f; want <= 0.04\n%s", dg.name, diff, ascii(d))
		}
		// Edges as crisp as the reference's: within half a pixel.
		got, want := edgeWidth(plane{Size, Size, d.Pixels}), edgeWidth(plane{Size, Size, ref.Pixels})
		if got > want+0.5 {
			t.Errorf("FromImage(%s scanned small): edges %.2f px wide; want at most %.2f (the reference's and half a pixel)\n%s", dg.name, got, want+0.5, ascii(d))
		}
	}
}

// TestFromImageSmallScanKeepsLoop: a 0 written 8 pixels tall with a pen
// of 1.6 and enlarged ten times with smoothing keeps its hole: the
// smoothing fills it with grey the ramp alone reads as half ink (0.5),
// the unsharp mask before it (unsharp) leaves it nearer paper than ink
// (0.27 through the gentle ramp such a soft scan gets; 0 through the
// steep one) while the ring stays ink.
func TestFromImageSmallScanKeepsLoop(t *testing.T) {
	small := drawGray(8, 8, zero, image.Rect(2, 1, 6, 7), 1.6, 255, 0)
	scan := image.NewGray(image.Rect(0, 0, 80, 80))
	xdraw.BiLinear.Scale(scan, scan.Bounds(), small, small.Bounds(), xdraw.Src, nil)
	d := mustPrepare(t, "zero scanned small", scan)
	hole := min(d.Pixels[13*Size+13], d.Pixels[13*Size+14], d.Pixels[14*Size+13], d.Pixels[14*Size+14])
	ring := max(d.Pixels[13*Size+8], d.Pixels[14*Size+8], d.Pixels[13*Size+19], d.Pixels[14*Size+19])
	if hole > 0.35 || ring < 0.9 {
		t.Errorf("FromImage(a 0 scanned at 8x8): its hole (the middle 2x2) reads %.2f, the ring beside it %.2f; want the hole nearer paper (<= 0.35) and the ring ink (>= 0.9)\n%s", hole, ring, ascii(d))
	}
}

// TestFromImageThinsThickStrokes: a marker's strokes, a quarter of the
// digit's height wide, come out no wider than maxStroke.
func TestFromImageThinsThickStrokes(t *testing.T) {
	for _, dg := range []struct {
		name    string
		strokes [][]pt
	}{{"one", one}, {"seven", seven}, {"zero", zero}} {
		d := mustPrepare(t, dg.name, drawGray(400, 400, dg.strokes, image.Rect(110, 60, 290, 340), 75, 255, 0))
		if w := strokeWidth(plane{Size, Size, d.Pixels}); w > maxStroke+0.3 {
			t.Errorf("FromImage(%s with a marker): stroke width %.2f; want <= %.1f\n%s", dg.name, w, maxStroke+0.3, ascii(d))
		}
	}
}

// wornLines leaves every third line of lined paper (spacing 25) only in
// dashes a tenth of its length: too little of it to be found as a line.
func wornLines(img *image.NRGBA) *image.NRGBA {
	b := img.Bounds()
	paper := img.NRGBAAt(0, 3)
	for y := range b.Dy() {
		if y%75 >= 2 {
			continue
		}
		for x := range b.Dx() {
			if x%60 >= 6 {
				img.SetNRGBA(x, y, paper)
			}
		}
	}
	return img
}

// linedPaper returns w x h paper of colour bg with a horizontal line, 2 px
// wide, in colour line at each of rows, and a red margin at x = margin
// when margin > 0: paper whose lines are far apart next to the frame.
func linedPaper(w, h int, bg color.NRGBA, rows []int, line color.NRGBA, margin int) *image.NRGBA {
	img := paperImage(w, h, bg, 0, false, bg, margin)
	for _, y := range rows {
		for x := range w {
			if margin <= 0 || x < margin || x >= margin+2 {
				img.SetNRGBA(x, y, line)
				img.SetNRGBA(x, y+1, line)
			}
		}
	}
	return img
}

// TestFromImageFewRuledLines: lined paper photographed close shows one or
// two lines (and perhaps a margin) running past the digit; they must be
// erased and the digit kept as it is.
func TestFromImageFewRuledLines(t *testing.T) {
	cream, blue := paperCream, inkBlue
	greyLine := color.NRGBA{150, 150, 150, 255}
	for _, dg := range paperDigits {
		ref := mustPrepare(t, dg.name+"/reference", reference(dg.strokes))
		for _, c := range []struct {
			name string
			rows []int
			marg int
		}{
			{"two lines", []int{140, 300}, 0},
			{"one line and a margin", []int{220}, 60},
			{"two lines and a margin", []int{100, 320}, 40},
		} {
			name := dg.name + "/" + c.name
			img := inkOver(linedPaper(420, 400, cream, c.rows, greyLine, c.marg), dg.strokes, image.Rect(170, 110, 266, 270), 17.6, blue, 1)
			d := mustPrepare(t, name, img)
			if diff := shapeDiff(d.Pixels, ref.Pixels); diff > 0.04 {
				t.Errorf("FromImage(%s): mean |difference| to the reference %.4f; want <= 0.04\n%s", name, diff, ascii(d))
			}
		}
	}
}

// TestLoneLinesKeepStrokes: a digit's own long straight strokes, drawn
// with a fine pen and filling the frame, are not lone lines of paper: a
// one that is all the ink, a seven whose bar runs from edge to edge. Both
// must come out as they do drawn with a pen too wide for a ruled line.
func TestLoneLinesKeepStrokes(t *testing.T) {
	barSeven := [][]pt{{{0, 0.03}, {1, 0.03}, {0.45, 1}}}
	for _, dg := range []struct {
		name    string
		strokes [][]pt
	}{{"one", [][]pt{{{0.5, 0}, {0.5, 1}}}}, {"seven", barSeven}} {
		box := image.Rect(0, 6, 300, 294)
		ref := mustPrepare(t, dg.name+"/wide pen", drawGray(300, 300, dg.strokes, box, 10, 255, 0))
		d := mustPrepare(t, dg.name, drawGray(300, 300, dg.strokes, box, 3, 255, 0))
		if diff := shapeDiff(d.Pixels, ref.Pixels); diff > 0.05 {
			t.Errorf("FromImage(%s, a fine pen filling the frame): mean |difference| to the wide pen's %.4f; want <= 0.05\n%s\n%s", dg.name, diff, ascii(d), ascii(ref))
		}
	}
	// Without the guard the seven's bar would be erased: check that it is
	// found as a lone line at all, so the test means something.
	pl, _, _ := luminancePlane(drawGray(300, 300, barSeven, image.Rect(0, 6, 300, 294), 3, 255, 0))
	ink, _, err := extractInk(pl)
	if err != nil {
		t.Fatal(err)
	}
	f := (max(ink.w, ink.h) + rulingSide - 1) / rulingSide
	found := false
	for _, r := range findRules(maxPool(ink, f), false, rulingCoverage) {
		if fr, ok := fitRule(ink, r, f, rulingCoverage); ok && fr.span >= marginSpan && fr.coverage >= marginCoverage {
			found = true
		}
	}
	if !found {
		t.Errorf("the seven's bar is not found as a line; the test of the guard tests nothing")
	}
}

// TestLocalDipsShadowNotInk: cells of paper under a shadow whose soft edge
// crosses the page, and deepest in a corner, are paper; cells where ink
// covers the paper (darker than the paper around them) are not.
func TestLocalDipsShadowNotInk(t *testing.T) {
	const gx, gy = 12, 9
	cells := make([]cell, gx*gy)
	inkAt := map[int]bool{3*gx + 4: true, 4*gx + 5: true, 5*gx + 5: true, 6*gx + 8: true}
	for cy := range gy {
		for cx := range gx {
			u, v := (float64(cx)+0.5)/gx, (float64(cy)+0.5)/gy
			// The shadow takes up to 55% of the light towards the
			// bottom right corner, over an edge half the page wide.
			s := math.Max(0, math.Min(1, (u+v-0.9)/0.9))
			level := 0.85 * (1 - 0.55*s*s*(3-2*s))
			i := cy*gx + cx
			if inkAt[i] {
				level -= 0.25
			}
			cells[i] = cell{u: u, v: v, level: level}
		}
	}
	inkSide := func(level, surf float64) float64 { return surf - level }
	keep := localDips(cells, gx, gy, 0.06, inkSide)
	for i, k := range keep {
		if k == inkAt[i] {
			what := "paper"
			if inkAt[i] {
				what = "ink"
			}
			t.Errorf("cell (%d, %d), level %.3f, %s: kept as paper %v", i%gx, i/gx, cells[i].level, what, k)
		}
	}
	// A covered cell's paper is predicted from the paper around it, along
	// the shadow's gradient, to within less than the noise threshold.
	for i := range inkAt {
		got, ok := nearPaper(cells, keep, gx, gy, i)
		u, v := cells[i].u, cells[i].v
		s := math.Max(0, math.Min(1, (u+v-0.9)/0.9))
		want := 0.85 * (1 - 0.55*s*s*(3-2*s))
		if !ok || math.Abs(got-want) > 0.05 {
			t.Errorf("nearPaper(cell (%d, %d)) = %.3f, %v; want %.3f", i%gx, i/gx, got, ok, want)
		}
	}
}

// noisy adds Gaussian noise of the given spread (in levels) to img's
// colour channels, the same every time.
func noisy(img *image.NRGBA, spread float64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		if i%4 != 3 {
			img.Pix[i] = uint8(max(0, min(255, math.Round(float64(img.Pix[i])+spread*rng.NormFloat64()))))
		}
	}
	return img
}

// TestDropFragmentsAtEdge: a piece of a line leaving the image, turned
// from the other lines' tilt (perspective), is dropped as paper; the same
// piece inside the image, where a digit's stroke would be, is kept.
func TestDropFragmentsAtEdge(t *testing.T) {
	const w, h = 200, 300
	draw := func(p plane, x0, y0, y1 int) {
		for y := y0; y < y1; y++ {
			x := x0 + int(0.12*float64(y-y0))
			p.p[y*w+x], p.p[y*w+x+1] = 1, 1
		}
	}
	lines := []fitted{{rule: rule{vertical: true}, width: 2}}
	edge := plane{w, h, make([]float32, w*h)}
	draw(edge, 0, 150, 250)
	dropFragments(edge, lines)
	for i, v := range edge.p {
		if v != 0 {
			t.Fatalf("a turned piece of a line at the edge: ink left at (%d, %d); want it dropped", i%w, i/w)
		}
	}
	inside := plane{w, h, make([]float32, w*h)}
	draw(inside, 80, 150, 250)
	dropFragments(inside, lines)
	var left int
	for _, v := range inside.p {
		if v != 0 {
			left++
		}
	}
	if left != 200 {
		t.Errorf("the same piece inside the image: %d pixels left; want all 200 kept", left)
	}
}

// TestShadowInsideLitBorder: a shadow over the top of a page, its soft
// edge crossing the middle, whose sides the border's quadratic follows
// only in part: from the border's surface the shadow reads as ink with
// nothing on the other side, and the ratio of the two sides cannot tell.
// The shadow's surface must replace it, and the digit come out without
// the shadow.
func TestShadowInsideLitBorder(t *testing.T) {
	cream, blue := paperCream, inkBlue
	for _, dg := range paperDigits {
		ref := mustPrepare(t, dg.name+"/reference", reference(dg.strokes))
		img := inkOver(paperImage(400, 400, cream, 0, false, cream, 0), dg.strokes, image.Rect(150, 150, 246, 310), 17.6, blue, 1)
		// Half the light taken above y = 80, none below y = 200.
		for y := range 400 {
			s := math.Max(0, math.Min(1, float64(200-y)/120))
			f := 1 - 0.5*s*s*(3-2*s)
			for x := range 400 {
				for k := range 3 {
					p := &img.Pix[img.PixOffset(x, y)+k]
					*p = uint8(math.Round(float64(*p) * f))
				}
			}
		}
		d := mustPrepare(t, dg.name, noisy(img, 3))
		if diff := shapeDiff(d.Pixels, ref.Pixels); diff > 0.04 {
			t.Errorf("FromImage(%s under a shadow over the top): mean |difference| to the reference %.4f; want <= 0.04\n%s", dg.name, diff, ascii(d))
		}
	}
}

// TestDenseInkIsNoShadow: a tangle drawn with a marker covers whole cells
// of the paper; a surface that follows it leaves less of the image off it
// but is no shadow, and the ink must stay: dark on light comes out as the
// same tangle light on dark does.
func TestDenseInkIsNoShadow(t *testing.T) {
	var tangle [][]pt
	for i := range 6 {
		tangle = append(tangle, ellipse(0.5+0.04*float64(i%3), 0.5+0.03*float64(i), 0.3+0.03*float64(i), 0.4-0.02*float64(i), 30))
	}
	light := mustPrepare(t, "light on dark", drawGray(300, 300, tangle, image.Rect(20, 20, 280, 280), 36, 0, 255))
	dark := mustPrepare(t, "dark on light", drawGray(300, 300, tangle, image.Rect(20, 20, 280, 280), 36, 235, 50))
	if diff := shapeDiff(dark.Pixels, light.Pixels); diff > 0.03 {
		t.Errorf("a dense tangle dark on light differs from it light on dark by %.4f; want <= 0.03\n%s\n%s", diff, ascii(dark), ascii(light))
	}
}
