package outside

// The sample images of testdata/digits: a few digits in many scenes.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// scene is what a gallery digit is drawn on.
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

// Gallery draws the sample images of testdata/digits: four images per
// digit (two handwritten, one or two typeset) in scenes taken in turn, from
// white paper to a sheet photographed on a desk, and two phone photos
// stored on their side with an EXIF orientation tag. Each Sample's Name is
// the file name, LABEL_STYLE_SCENE.EXT. The images are the same bit for bit
// on every run.
func Gallery() ([]Sample, error) {
	var out []Sample
	rng := rand.New(rand.NewPCG(2026, 11))
	typeset := 0
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
				f := galleryFaces[typeset%len(galleryFaces)]
				typeset++
				var err error
				if mask, err = typesetDigit(d, f, sc, rng); err != nil {
					return nil, err
				}
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
			data, err := encode(img, sc.jpeg)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Label: d, Name: fmt.Sprintf("%d_%s_%s.%s", d, style, sc.name, ext), Data: data})
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
			return nil, fmt.Errorf("outside: gallery: %w", err)
		}
		out = append(out, Sample{
			Label: c.digit,
			Name:  fmt.Sprintf("%d_hand_%s-%d.jpg", c.digit, phone.name, c.orientation),
			Data:  withExif(buf.Bytes(), uint16(c.orientation)),
		})
	}
	return out, nil
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
	mask := image.NewAlpha(image.Rect(0, 0, sc.w, sc.h))
	drawStrokes(mask, strokes, x0+w/2, y0+h/2, w, h, slant, rot, pen, 0.035, rng)
	return mask
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
