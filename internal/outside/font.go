package outside

// Typeset characters: the Go fonts and the Liberation fonts.

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansitalic"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifitalic"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomediumitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

type typeface struct {
	name string
	ttf  []byte
}

// galleryFaces are the fonts of testdata/digits, in the order it uses them.
var galleryFaces = []typeface{
	{"goregular", goregular.TTF},
	{"gobold", gobold.TTF},
	{"goitalic", goitalic.TTF},
	{"gomono", gomono.TTF},
	{"gomediumitalic", gomediumitalic.TTF},
	{"liberation-sans", liberationsansregular.TTF},
	{"liberation-serif", liberationserifregular.TTF},
	{"liberation-serif-bold", liberationserifbold.TTF},
}

// faces are the fonts of the font and letter kinds: regular, bold, italic,
// sans, serif and monospaced.
var faces = append(append([]typeface{}, galleryFaces...),
	typeface{"gomedium", gomedium.TTF},
	typeface{"gobolditalic", gobolditalic.TTF},
	typeface{"gomonobold", gomonobold.TTF},
	typeface{"liberation-sans-bold", liberationsansbold.TTF},
	typeface{"liberation-sans-italic", liberationsansitalic.TTF},
	typeface{"liberation-serif-italic", liberationserifitalic.TTF},
	typeface{"liberation-mono", liberationmonoregular.TTF},
)

// A glyph is a character rendered large (200 px em) on a scratch mask, with
// the bounding box of its ink.
type glyph struct {
	mask *image.Alpha
	ink  image.Rectangle
}

var glyphs struct {
	sync.Mutex
	m map[string]*glyph
}

// render returns the glyph of s in tf, rendering it once per process.
func render(tf typeface, s string) (*glyph, error) {
	key := tf.name + "\x00" + s
	glyphs.Lock()
	defer glyphs.Unlock()
	if g, ok := glyphs.m[key]; ok {
		return g, nil
	}
	f, err := opentype.Parse(tf.ttf)
	if err != nil {
		return nil, fmt.Errorf("outside: font %s: %w", tf.name, err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 200, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("outside: font %s: %w", tf.name, err)
	}
	defer face.Close()
	scratch := image.NewAlpha(image.Rect(0, 0, 400, 300))
	dr := &font.Drawer{Dst: scratch, Src: image.Opaque, Face: face, Dot: fixed.P(50, 240)}
	dr.DrawString(s)
	g := &glyph{mask: scratch, ink: inkBounds(scratch)}
	if g.ink.Empty() {
		return nil, fmt.Errorf("outside: font %s has no ink for %q", tf.name, s)
	}
	if glyphs.m == nil {
		glyphs.m = map[string]*glyph{}
	}
	glyphs.m[key] = g
	return g, nil
}

// stamp draws the glyph into out with its ink box scaled to height h and
// its centre at (cxo, cyo), rotated by rot radians, supersampling 2x2 per
// output pixel so small characters stay smooth.
func stamp(out *image.Alpha, g *glyph, cxo, cyo, h, rot float64) {
	scale := h / float64(g.ink.Dy())
	w := float64(g.ink.Dx()) * scale
	cxs, cys := float64(g.ink.Min.X)+float64(g.ink.Dx())/2, float64(g.ink.Min.Y)+float64(g.ink.Dy())/2
	cos, sin := math.Cos(rot), math.Sin(rot)
	// Only the pixels the rotated box can reach: the rest stay 0.
	reach := math.Hypot(w, h)/2 + 2
	b := out.Bounds().Intersect(image.Rect(int(cxo-reach), int(cyo-reach), int(cxo+reach)+1, int(cyo+reach)+1))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var s float64
			for _, o := range [4]pt{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}} {
				ux, uy := float64(x)+o.x-cxo, float64(y)+o.y-cyo
				sx := (ux*cos+uy*sin)/scale + cxs
				sy := (-ux*sin+uy*cos)/scale + cys
				s += bilinear(g.mask, sx, sy)
			}
			if v := uint8(math.Round(s / 4)); v > out.Pix[out.PixOffset(x, y)] {
				out.Pix[out.PixOffset(x, y)] = v
			}
		}
	}
}

// typesetDigit renders the digit in a font, slightly rotated, at a size that
// gives the scene's digit height, anywhere in the scene's area.
func typesetDigit(d int, tf typeface, sc scene, rng *rand.Rand) (*image.Alpha, error) {
	g, err := render(tf, fmt.Sprint(d))
	if err != nil {
		return nil, err
	}
	_, _, _, h := placement(sc, 1, rng)
	scale := h / float64(g.ink.Dy())
	w := float64(g.ink.Dx()) * scale
	r := area(sc)
	mx, my := float64(r.Dx())-w, float64(r.Dy())-h
	x0 := float64(r.Min.X) + mx*0.05 + rng.Float64()*mx*0.9
	y0 := float64(r.Min.Y) + my*0.05 + rng.Float64()*my*0.9
	rot := (rng.Float64()*2 - 1) * 10 * math.Pi / 180
	out := image.NewAlpha(image.Rect(0, 0, sc.w, sc.h))
	stamp(out, g, x0+w/2, y0+h/2, h, rot)
	return out, nil
}
