package imageprep

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/rakam-ml/rakam/internal/testbad"
)

var (
	black = color.NRGBA{0, 0, 0, 255}
	white = color.NRGBA{255, 255, 255, 255}
)

// reference renders a digit the way MNIST stores it: white on black, centred.
func reference(strokes [][]pt) image.Image {
	return drawGray(280, 280, strokes, image.Rect(80, 40, 200, 240), 22, 0, 255)
}

func mustPrepare(t *testing.T, name string, img image.Image) *Digit {
	t.Helper()
	d, err := FromImage(img)
	if err != nil {
		t.Fatalf("FromImage(%s) = %v", name, err)
	}
	checkDigit(t, name, d)
	return d
}

// checkDigit checks the invariants every prepared digit must satisfy.
func checkDigit(t *testing.T, name string, d *Digit) {
	t.Helper()
	if len(d.Pixels) != Size*Size || d.Gray == nil || d.Gray.Bounds() != image.Rect(0, 0, Size, Size) {
		t.Fatalf("%s: got %d pixels, image %v; want 784 and 28x28", name, len(d.Pixels), d.Gray.Bounds())
	}
	var peak float32
	for i, v := range d.Pixels {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("%s: pixel %d = %v; want 0..1", name, i, v)
		}
		if v != float32(d.Gray.Pix[i])/255 {
			t.Fatalf("%s: pixel %d = %v but image has %d/255", name, i, v, d.Gray.Pix[i])
		}
		peak = max(peak, v)
	}
	if peak != 1 {
		t.Errorf("%s: brightest pixel %v; want 1", name, peak)
	}
	b := inkBox(d)
	if side := max(b.Dx(), b.Dy()); side < Box-2 || side > Box {
		t.Errorf("%s: ink box %v has longer side %d; want %d (±2 for faint edges)", name, b, side, Box)
	}
	cx, cy := centreOfMass(d)
	// The shift is rounded to whole pixels and limited by the frame.
	if math.Abs(cx-14) > 0.5+float64(max(0, b.Dx()-Box)) || math.Abs(cy-14) > 0.5 {
		t.Errorf("%s: centre of mass (%.2f, %.2f); want (14, 14)", name, cx, cy)
	}
}

func inkBox(d *Digit) image.Rectangle {
	x0, y0, x1, y1 := Size, Size, -1, -1
	for y := range Size {
		for x := range Size {
			if d.Pixels[y*Size+x] > 0 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	return image.Rect(x0, y0, x1+1, y1+1)
}

func centreOfMass(d *Digit) (float64, float64) {
	var m, mx, my float64
	for y := range Size {
		for x := range Size {
			v := float64(d.Pixels[y*Size+x])
			m += v
			mx += v * float64(x)
			my += v * float64(y)
		}
	}
	return mx / m, my / m
}

// shapeDiff is meanAbsDiff after the best shift of a by at most one pixel
// each way: where a centre of mass lies near a half pixel, rounding the
// shift either way is right, and checkDigit checks the centring itself.
func shapeDiff(a, b []float32) float64 {
	best := math.Inf(1)
	shifted := make([]float32, len(a))
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			clear(shifted)
			for y := range Size {
				for x := range Size {
					if sx, sy := x-dx, y-dy; sx >= 0 && sx < Size && sy >= 0 && sy < Size {
						shifted[y*Size+x] = a[sy*Size+sx]
					}
				}
			}
			best = min(best, meanAbsDiff(shifted, b))
		}
	}
	return best
}

func meanAbsDiff(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i] - b[i]))
	}
	return s / float64(len(a))
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t testing.TB, data []byte) image.Image {
	t.Helper()
	img, _, err := DefaultLimits.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// addNoise adds Gaussian noise of standard deviation sigma (in 0..255 units)
// and n salt-and-pepper specks.
func addNoise(img *image.NRGBA, sigma float64, specks int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	clamp := func(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }
	for i := 0; i < len(img.Pix); i += 4 {
		for c := range 3 {
			img.Pix[i+c] = clamp(float64(img.Pix[i+c]) + sigma*rng.NormFloat64())
		}
	}
	b := img.Bounds()
	for range specks {
		x, y := rng.IntN(b.Dx()), rng.IntN(b.Dy())
		v := uint8(rng.IntN(2) * 255)
		img.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
	}
}

func TestFromImageVariants(t *testing.T) {
	digits := []struct {
		name    string
		strokes [][]pt
	}{{"one", one}, {"seven", seven}, {"zero", zero}}
	for _, dg := range digits {
		ref := mustPrepare(t, dg.name+"/reference", reference(dg.strokes))
		if ref.Inverted {
			t.Errorf("%s/reference: Inverted = true for white ink on black", dg.name)
		}
		s := dg.strokes
		noisy := drawRGBA(400, 400, s, image.Rect(130, 80, 274, 320), 26.4, color.NRGBA{235, 230, 220, 255}, color.NRGBA{30, 30, 60, 255})
		addNoise(noisy, 8, 40, 7)
		gradient := drawRGBA(500, 400, s, image.Rect(180, 60, 330, 310), 26, white, color.NRGBA{40, 40, 40, 255})
		for y := range 400 {
			for x := range 500 {
				// Light falling from the top left: 255 down to about 150.
				f := 1 - 0.4*(float64(x)/500+float64(y)/400)/2
				for c := range 3 {
					i := y*gradient.Stride + 4*x + c
					gradient.Pix[i] = uint8(float64(gradient.Pix[i]) * f)
				}
			}
		}
		paletted := image.NewPaletted(image.Rect(0, 0, 200, 200), palette.Plan9)
		draw.Draw(paletted, paletted.Bounds(), drawRGBA(200, 200, s, image.Rect(52, 20, 148, 180), 17.6, color.NRGBA{250, 250, 120, 255}, color.NRGBA{20, 20, 160, 255}), image.Point{}, draw.Src)
		var gifBuf bytes.Buffer
		if err := gif.Encode(&gifBuf, paletted, nil); err != nil {
			t.Fatal(err)
		}

		// A white sheet photographed on a dark wooden desk.
		desk := drawRGBA(640, 480, s, image.Rect(290, 150, 380, 300), 16.5, white, color.NRGBA{30, 30, 40, 255})
		for y := range 480 {
			for x := range 640 {
				if x < 160 || x >= 520 || y < 60 || y >= 420 {
					i := desk.PixOffset(x, y)
					desk.Pix[i], desk.Pix[i+1], desk.Pix[i+2] = 90, 60, 35
				}
			}
		}
		addNoise(desk, 4, 0, 5)

		cases := []struct {
			name     string
			img      image.Image
			inverted bool
			tol      float64 // mean absolute difference to the reference, 0..1
		}{
			{"light background", drawGray(280, 280, s, image.Rect(80, 40, 200, 240), 22, 255, 0), true, 0.01},
			{"grey on grey", drawGray(280, 280, s, image.Rect(80, 40, 200, 240), 22, 90, 200), false, 0.01},
			{"off-centre corner", drawGray(900, 700, s, image.Rect(20, 480, 140, 680), 22, 0, 255), false, 0.01},
			{"off-centre light", drawGray(900, 700, s, image.Rect(700, 10, 820, 210), 22, 255, 0), true, 0.01},
			{"colour paper", drawRGBA(300, 300, s, image.Rect(90, 50, 210, 250), 22, color.NRGBA{120, 170, 230, 255}, color.NRGBA{90, 10, 10, 255}), true, 0.03},
			{"noise and specks", noisy, true, 0.05},
			{"uneven lighting", gradient, true, 0.05},
			{"alpha dark ink", drawRGBA(280, 280, s, image.Rect(80, 40, 200, 240), 22, color.NRGBA{}, black), true, 0.01},
			{"alpha white ink", drawRGBA(280, 280, s, image.Rect(80, 40, 200, 240), 22, color.NRGBA{255, 255, 255, 0}, white), false, 0.01},
			{"tiny", drawGray(9, 13, s, image.Rect(2, 1, 8, 11), 1.6, 255, 0), true, 0.1},
			{"huge", drawGray(3200, 2400, s, image.Rect(1200, 400, 1800, 1400), 110, 255, 0), true, 0.02},
			{"thin pen", drawGray(1200, 1200, s, image.Rect(300, 100, 900, 1100), 4, 255, 0), true, 0.06},
			{"jpeg", decode(t, encodeJPEG(t, drawRGBA(640, 480, s, image.Rect(250, 90, 400, 340), 26, white, color.NRGBA{20, 20, 20, 255}), 75)), true, 0.03},
			{"gif", decode(t, gifBuf.Bytes()), true, 0.04},
			{"sheet on a desk", desk, true, 0.05},
		}
		for _, c := range cases {
			name := dg.name + "/" + c.name
			t.Run(name, func(t *testing.T) {
				d := mustPrepare(t, name, c.img)
				if testing.Verbose() {
					t.Logf("\n%s", ascii(d))
				}
				if d.Inverted != c.inverted {
					t.Errorf("FromImage(%s).Inverted = %v; want %v", name, d.Inverted, c.inverted)
				}
				if diff := shapeDiff(d.Pixels, ref.Pixels); diff > c.tol {
					t.Errorf("FromImage(%s): mean |difference| to the reference %.4f; want <= %.4f", name, diff, c.tol)
				}
			})
		}
	}
}

func TestFromImageThickensThinStrokes(t *testing.T) {
	d := mustPrepare(t, "thin", drawGray(1000, 1000, one, image.Rect(300, 100, 700, 900), 3, 255, 0))
	pl := plane{Size, Size, d.Pixels}
	if w := strokeWidth(pl); w < minStroke {
		t.Errorf("stroke width after preparing a 3 px pen at 800 px height = %.2f; want >= %.1f", w, minStroke)
	}
}

func TestPrepareIdempotent(t *testing.T) {
	for _, s := range [][][]pt{one, seven, zero} {
		d := mustPrepare(t, "first", reference(s))
		again, err := Prepare(encodePNG(t, d.Gray))
		if err != nil {
			t.Fatal(err)
		}
		if diff := meanAbsDiff(again.Pixels, d.Pixels); diff > 0.01 {
			t.Errorf("preparing a prepared digit changed it: mean |difference| %.4f; want <= 0.01", diff)
		}
	}
}

func TestPrepareErrors(t *testing.T) {
	uniform := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range uniform.Pix {
		uniform.Pix[i] = 240
	}
	noise := image.NewNRGBA(image.Rect(0, 0, 300, 300))
	draw.Draw(noise, noise.Bounds(), image.NewUniform(color.NRGBA{200, 200, 200, 255}), image.Point{}, draw.Src)
	addNoise(noise, 6, 0, 3)
	speck := image.NewGray(image.Rect(0, 0, 300, 300))
	draw.Draw(speck, speck.Bounds(), image.White, image.Point{}, draw.Src)
	speck.SetGray(150, 150, color.Gray{0})
	transparent := image.NewNRGBA(image.Rect(0, 0, 50, 50))
	valid := encodePNG(t, reference(one))
	var zeroGIF bytes.Buffer
	gif.Encode(&zeroGIF, image.NewPaletted(image.Rect(0, 0, 0, 0), palette.Plan9), nil)

	cases := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"empty file", nil, Limits{}, ErrFormat},
		{"text", []byte("hello, this is not an image"), Limits{}, ErrFormat},
		{"truncated png", valid[:len(valid)/2], Limits{}, ErrCorrupt},
		{"png signature then garbage", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xAB}, 100)...), Limits{}, ErrCorrupt},
		{"bomb header 100000x100000", testbad.PNGBomb(100000, 100000), Limits{}, ErrTooLarge},
		{"bomb header 16385x1", testbad.PNGBomb(16385, 1), Limits{}, ErrTooLarge},
		{"bomb header 7000x7000", testbad.PNGBomb(7000, 7000), Limits{}, ErrTooLarge},
		{"over MaxBytes", valid, Limits{MaxBytes: 100}, ErrTooLarge},
		{"over MaxPixels", valid, Limits{MaxPixels: 280*280 - 1}, ErrTooLarge},
		{"over MaxSide", valid, Limits{MaxSide: 279}, ErrTooLarge},
		{"0x0 png", testbad.PNGBomb(0, 0), Limits{}, ErrCorrupt},
		{"0x0 gif", zeroGIF.Bytes(), Limits{}, ErrEmpty},
		{"uniform", encodePNG(t, uniform), Limits{}, ErrBlank},
		{"noise only", encodePNG(t, noise), Limits{}, ErrBlank},
		{"single dark pixel", encodePNG(t, speck), Limits{}, ErrBlank},
		{"fully transparent", encodePNG(t, transparent), Limits{}, ErrBlank},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			d, err := c.lim.Prepare(c.data)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, c.want) {
				t.Fatalf("Prepare(%s) = %v, %v; want error %v", c.name, d, err, c.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; c.want == ErrTooLarge && alloc > 1<<20 {
				t.Errorf("Prepare(%s) allocated %d bytes before rejecting; want < 1 MiB", c.name, alloc)
			}
			t.Logf("Prepare(%s) = %v", c.name, err)
		})
	}
}

func TestFromImageEmpty(t *testing.T) {
	_, err := FromImage(image.NewGray(image.Rect(5, 5, 5, 9)))
	if !errors.Is(err, ErrEmpty) {
		t.Errorf("FromImage(0x4) = %v; want %v", err, ErrEmpty)
	}
}

func TestMaxFilter1D(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 40; n++ {
		for r := 1; r < 9; r++ {
			src := make([]float32, n)
			for i := range src {
				src[i] = rng.Float32()
			}
			dst := make([]float32, n)
			maxFilter1D(dst, src, r, make([]float32, 3*(n+4*r+2)))
			for i := range n {
				var want float32
				for j := max(0, i-r); j <= min(n-1, i+r); j++ {
					want = max(want, src[j])
				}
				if dst[i] != want {
					t.Fatalf("maxFilter1D(n=%d, r=%d)[%d] = %v; want %v", n, r, i, dst[i], want)
				}
			}
		}
	}
}

func TestResampleWeightsSumToOne(t *testing.T) {
	for _, c := range [][2]int{{1, 20}, {7, 20}, {20, 20}, {21, 20}, {280, 20}, {1000, 13}, {3, 1}} {
		for j, taps := range resampleWeights(c[0], c[1]) {
			var s float32
			for _, tp := range taps {
				if tp.i < 0 || tp.i >= c[0] {
					t.Fatalf("resampleWeights(%d, %d)[%d] reads sample %d", c[0], c[1], j, tp.i)
				}
				s += tp.w
			}
			if math.Abs(float64(s)-1) > 1e-5 {
				t.Errorf("resampleWeights(%d, %d)[%d] sums to %v; want 1", c[0], c[1], j, s)
			}
		}
	}
}
