//go:build ignore

// Command generate draws the digit images in this directory: digits that do
// not come from MNIST, to check that rakam predict reads what people write
// and photograph. Run it from the repository root:
//
//	go run testdata/digits/generate.go
//
// Each file is named LABEL_STYLE_SCENE.EXT, LABEL being the true digit.
// STYLE is "hand" (a handwriting-like stroke: a hand-made skeleton per
// digit, its points jittered, slanted, rotated and scaled at random, then
// smoothed into a spline and drawn with a round pen of varying width) or
// the font it was typeset in. SCENE says where it was put: white, grey or
// blue paper, a sticky note, a chalkboard, a screen, a photo (uneven light,
// sensor noise, blur, JPEG), a sheet photographed on a wooden desk, a
// transparent canvas, a phone photo stored on its side with an EXIF
// orientation tag, and image sizes from 24x24 to 1600x1200 with the digit
// anywhere in the frame (on the sheet, for the desk).
//
// Everything is drawn from one seeded PCG, so the files are reproducible
// bit for bit.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomediumitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

type pt struct{ x, y float64 }

// skeletons are pen paths for each digit in a unit box (x right, y down),
// the way people commonly write them; some digits have two variants.
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

// scene is what the digit is drawn on.
type scene struct {
	name     string
	paper    color.NRGBA
	ink      color.NRGBA
	light    float64 // strength of uneven lighting, 0..0.5
	noise    float64 // sensor noise, in 0..255 units
	blur     int     // box blur radius
	jpeg     int     // JPEG quality; 0 writes PNG
	alpha    bool    // transparent paper (PNG)
	desk     bool    // the paper is a sheet lying on a wooden desk
	w, h     int
	fraction float64 // digit height as a fraction of the shorter side
}

var scenes = []scene{
	{name: "paper", paper: color.NRGBA{250, 250, 247, 255}, ink: color.NRGBA{25, 25, 35, 255}, w: 400, h: 400, fraction: 0.6},
	{name: "grey-paper", paper: color.NRGBA{205, 205, 200, 255}, ink: color.NRGBA{40, 40, 50, 255}, noise: 4, w: 320, h: 240, fraction: 0.7},
	{name: "sticky-note", paper: color.NRGBA{252, 236, 120, 255}, ink: color.NRGBA{30, 50, 170, 255}, noise: 3, w: 300, h: 300, fraction: 0.55},
	{name: "chalkboard", paper: color.NRGBA{38, 62, 50, 255}, ink: color.NRGBA{225, 230, 220, 255}, noise: 10, blur: 1, jpeg: 82, w: 640, h: 480, fraction: 0.5},
	{name: "screen", paper: color.NRGBA{0, 0, 0, 255}, ink: color.NRGBA{255, 255, 255, 255}, w: 200, h: 200, fraction: 0.75},
	{name: "photo", paper: color.NRGBA{235, 228, 215, 255}, ink: color.NRGBA{35, 30, 40, 255}, light: 0.35, noise: 7, blur: 2, jpeg: 72, w: 1200, h: 900, fraction: 0.45},
	{name: "photo-small-digit", paper: color.NRGBA{240, 240, 235, 255}, ink: color.NRGBA{20, 20, 90, 255}, light: 0.2, noise: 5, blur: 1, jpeg: 80, w: 1600, h: 1200, fraction: 0.18},
	{name: "canvas-alpha", ink: color.NRGBA{0, 0, 0, 255}, alpha: true, w: 280, h: 280, fraction: 0.7},
	{name: "thumbnail", paper: color.NRGBA{255, 255, 255, 255}, ink: color.NRGBA{0, 0, 0, 255}, w: 24, h: 24, fraction: 0.8},
	{name: "sheet-on-desk", paper: color.NRGBA{245, 244, 238, 255}, ink: color.NRGBA{30, 30, 45, 255}, desk: true, light: 0.25, noise: 6, blur: 1, jpeg: 78, w: 800, h: 600, fraction: 0.4},
	{name: "blue-paper", paper: color.NRGBA{150, 185, 225, 255}, ink: color.NRGBA{120, 20, 20, 255}, noise: 4, jpeg: 85, w: 500, h: 360, fraction: 0.6},
}

type typeface struct {
	name string
	ttf  []byte
}

var faces = []typeface{
	{"goregular", goregular.TTF},
	{"gobold", gobold.TTF},
	{"goitalic", goitalic.TTF},
	{"gomono", gomono.TTF},
	{"gomediumitalic", gomediumitalic.TTF},
	{"liberation-sans", liberationsansregular.TTF},
	{"liberation-serif", liberationserifregular.TTF},
	{"liberation-serif-bold", liberationserifbold.TTF},
}

func main() {
	dir := filepath.Join("testdata", "digits")
	if _, err := os.Stat(dir); err != nil {
		log.Fatalf("run from the repository root: %v", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "[0-9]_*"))
	for _, f := range old {
		os.Remove(f)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	n, typeset := 0, 0
	for d := range 10 {
		// Four images per digit, in four different scenes taken in turn so
		// every scene appears three or four times: two handwritten, one
		// typeset, and the fourth typeset for odd digits. Typeset images
		// go through the fonts in turn.
		for k := range 4 {
			sc := scenes[(4*d+k)%len(scenes)]
			var mask *image.Alpha
			var style string
			if k == 2 || (k == 3 && d%2 == 1) {
				f := faces[typeset%len(faces)]
				typeset++
				mask = typesetDigit(d, f, sc, rng)
				style = f.name
			} else {
				mask = handwrite(d, sc, rng)
				style = "hand"
			}
			img := compose(mask, sc, rng)
			ext := "png"
			if sc.jpeg > 0 {
				ext = "jpg"
			}
			name := filepath.Join(dir, fmt.Sprintf("%d_%s_%s.%s", d, style, sc.name, ext))
			if err := write(name, img, sc.jpeg); err != nil {
				log.Fatal(err)
			}
			n++
		}
	}
	// Two phone photos stored on their side, as phones do, with the EXIF
	// orientation tag that says how to turn them (6: a quarter turn
	// clockwise, 8: anticlockwise). A separate stream keeps the images
	// above unchanged.
	prng := rand.New(rand.NewPCG(2026, 12))
	phone := scene{name: "phone-exif", paper: color.NRGBA{238, 236, 230, 255}, ink: color.NRGBA{25, 25, 60, 255}, light: 0.3, noise: 6, blur: 1, jpeg: 80, w: 600, h: 800, fraction: 0.45}
	for _, c := range []struct{ digit, orientation int }{{2, 6}, {7, 8}} {
		img := compose(handwrite(c.digit, phone, prng), phone, prng).(*image.NRGBA)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, sideways(img, c.orientation), &jpeg.Options{Quality: phone.jpeg}); err != nil {
			log.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("%d_hand_%s-%d.jpg", c.digit, phone.name, c.orientation))
		if err := os.WriteFile(name, withExif(buf.Bytes(), uint16(c.orientation)), 0o644); err != nil {
			log.Fatal(err)
		}
		n++
	}
	fmt.Printf("wrote %d images to %s\n", n, dir)
}

// sideways returns the pixels a camera stores for an upright scene when it
// records orientation 6 (turned anticlockwise) or 8 (turned clockwise).
func sideways(up *image.NRGBA, o int) *image.NRGBA {
	w, h := up.Rect.Dx(), up.Rect.Dy()
	s := image.NewNRGBA(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			sx, sy := y, w-1-x
			if o == 8 {
				sx, sy = h-1-y, x
			}
			copy(s.Pix[s.PixOffset(sx, sy):s.PixOffset(sx, sy)+4], up.Pix[up.PixOffset(x, y):up.PixOffset(x, y)+4])
		}
	}
	return s
}

// withExif inserts an APP1 Exif segment with the orientation tag after the
// JPEG's start-of-image marker.
func withExif(jpg []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, '*', 0, 0, 0, 8, // big endian, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, // Orientation, SHORT, 1
		0, 0, 0, 0} // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// placement picks the digit's box: height from the scene, width from the
// aspect, anywhere in the frame with a small margin.
func placement(sc scene, aspect float64, rng *rand.Rand) (x0, y0, w, h float64) {
	side := float64(min(sc.w, sc.h))
	h = side * sc.fraction * (0.85 + 0.3*rng.Float64())
	h = math.Min(h, float64(sc.h)*0.9)
	w = h * aspect
	r := area(sc)
	mx, my := float64(r.Dx())-w, float64(r.Dy())-h
	x0 = float64(r.Min.X) + mx*0.05 + rng.Float64()*mx*0.9
	y0 = float64(r.Min.Y) + my*0.05 + rng.Float64()*my*0.9
	return
}

// area is where the digit may go: the whole frame, or the sheet on a desk.
func area(sc scene) image.Rectangle {
	if sc.desk {
		return sheet(sc)
	}
	return image.Rect(0, 0, sc.w, sc.h)
}

// sheet is the paper's rectangle in a desk scene.
func sheet(sc scene) image.Rectangle {
	return image.Rect(sc.w*17/100, sc.h*12/100, sc.w*80/100, sc.h*90/100)
}

// handwrite draws a jittered, slanted, rotated spline through the digit's
// skeleton with a round pen.
func handwrite(d int, sc scene, rng *rand.Rand) *image.Alpha {
	variants := skeletons[d]
	strokes := variants[rng.IntN(len(variants))]
	slant := -0.25 + 0.4*rng.Float64()
	rot := (rng.Float64()*2 - 1) * 12 * math.Pi / 180
	aspect := 0.55 + 0.25*rng.Float64()
	if d == 1 {
		aspect = 0.35
	}
	x0, y0, w, h := placement(sc, aspect, rng)
	pen := h * (0.07 + 0.06*rng.Float64())
	if sc.w < 50 {
		pen = math.Max(pen, 1.6)
	}
	cx, cy := x0+w/2, y0+h/2
	var paths [][]pt
	for _, s := range strokes {
		var ctrl []pt
		for _, p := range s {
			u := p.x + 0.035*rng.NormFloat64()
			v := p.y + 0.035*rng.NormFloat64()
			// Unit box to image: slant, then rotate about the centre.
			x := (u-0.5)*w + slant*(0.5-v)*h
			y := (v - 0.5) * h
			ctrl = append(ctrl, pt{cx + x*math.Cos(rot) - y*math.Sin(rot), cy + x*math.Sin(rot) + y*math.Cos(rot)})
		}
		paths = append(paths, spline(ctrl, 12))
	}
	mask := image.NewAlpha(image.Rect(0, 0, sc.w, sc.h))
	phase := rng.Float64() * 6
	for _, p := range paths {
		for i := 0; i+1 < len(p); i++ {
			// Pen pressure varies slowly along the stroke.
			wv := pen * (0.85 + 0.3*math.Sin(phase+float64(i)*0.15))
			segment(mask, p[i], p[i+1], wv)
		}
	}
	return mask
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

// typesetDigit renders the digit in a font, slightly rotated, at a size that
// gives the scene's digit height.
func typesetDigit(d int, tf typeface, sc scene, rng *rand.Rand) *image.Alpha {
	f, err := opentype.Parse(tf.ttf)
	if err != nil {
		log.Fatal(err)
	}
	// Render large on a scratch mask, then scale and rotate into place.
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 200, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		log.Fatal(err)
	}
	scratch := image.NewAlpha(image.Rect(0, 0, 300, 300))
	dr := &font.Drawer{Dst: scratch, Src: image.Opaque, Face: face, Dot: fixed.P(50, 240)}
	dr.DrawString(fmt.Sprint(d))
	ink := inkBounds(scratch)
	_, _, _, h := placement(sc, 1, rng)
	scale := h / float64(ink.Dy())
	w := float64(ink.Dx()) * scale
	r := area(sc)
	mx, my := float64(r.Dx())-w, float64(r.Dy())-h
	x0 := float64(r.Min.X) + mx*0.05 + rng.Float64()*mx*0.9
	y0 := float64(r.Min.Y) + my*0.05 + rng.Float64()*my*0.9
	rot := (rng.Float64()*2 - 1) * 10 * math.Pi / 180
	// Inverse map each output pixel into the scratch glyph (bilinear).
	out := image.NewAlpha(image.Rect(0, 0, sc.w, sc.h))
	cxo, cyo := x0+w/2, y0+h/2
	cxs, cys := float64(ink.Min.X)+float64(ink.Dx())/2, float64(ink.Min.Y)+float64(ink.Dy())/2
	cos, sin := math.Cos(rot), math.Sin(rot)
	// Supersample 2x2 per output pixel so small digits stay smooth.
	for y := range sc.h {
		for x := range sc.w {
			var s float64
			for _, o := range [4]pt{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}} {
				ux, uy := float64(x)+o.x-cxo, float64(y)+o.y-cyo
				sx := (ux*cos+uy*sin)/scale + cxs
				sy := (-ux*sin+uy*cos)/scale + cys
				s += bilinear(scratch, sx, sy)
			}
			out.Pix[out.PixOffset(x, y)] = uint8(math.Round(s / 4))
		}
	}
	return out
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

// compose puts ink through the mask onto the scene's paper, then applies
// the camera: uneven light, blur and noise.
func compose(mask *image.Alpha, sc scene, rng *rand.Rand) image.Image {
	b := mask.Bounds()
	if sc.alpha {
		img := image.NewNRGBA(b)
		draw.DrawMask(img, b, image.NewUniform(sc.ink), image.Point{}, mask, image.Point{}, draw.Over)
		return img
	}
	if sc.blur > 0 {
		mask = boxBlur(mask, sc.blur)
	}
	img := image.NewNRGBA(b)
	// Light falls off from a random point: a plane plus a vignette.
	lx, ly := rng.Float64(), rng.Float64()
	for y := range sc.h {
		for x := range sc.w {
			u, v := float64(x)/float64(sc.w), float64(y)/float64(sc.h)
			light := 1 - sc.light*math.Hypot(u-lx, v-ly)/1.2
			a := float64(mask.Pix[mask.PixOffset(x, y)]) / 255
			i := img.PixOffset(x, y)
			paper := sc.paper
			if sc.desk && !(image.Point{x, y}.In(sheet(sc))) {
				// Wood: brown with a grain along x.
				g := 0.85 + 0.15*math.Sin(float64(y)*0.21+3*math.Sin(float64(x)*0.013))
				paper = color.NRGBA{uint8(120 * g), uint8(80 * g), uint8(45 * g), 255}
			}
			for c, pair := range [3][2]uint8{{paper.R, sc.ink.R}, {paper.G, sc.ink.G}, {paper.B, sc.ink.B}} {
				v := (float64(pair[0])*(1-a) + float64(pair[1])*a) * light
				v += sc.noise * rng.NormFloat64()
				img.Pix[i+c] = uint8(math.Max(0, math.Min(255, math.Round(v))))
			}
			img.Pix[i+3] = 255
		}
	}
	return img
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

func write(name string, img image.Image, quality int) error {
	var buf bytes.Buffer
	var err error
	if quality > 0 {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}
