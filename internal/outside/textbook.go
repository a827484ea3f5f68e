package outside

// The textbook preprocessing: the baseline imageprep is measured against.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // decoders for the samples' formats
	_ "image/png"
	"math"

	xdraw "golang.org/x/image/draw"
)

// textbookMaxPixels bounds the images Textbook decodes.
const textbookMaxPixels = 40_000_000

// Textbook prepares an encoded PNG or JPEG image the way tutorials on
// MNIST do, with fixed parameters, and returns the 28x28 model input (784
// values in 0..1, row-major, white digit on black):
//
//  1. grayscale (color.GrayModel, transparent pixels count as black);
//  2. Otsu's threshold over the 256-level histogram; the side of the
//     threshold with fewer pixels is the ink (so a dark digit on light
//     paper is inverted to white on black);
//  3. crop to the bounding box of the ink pixels;
//  4. scale the binary crop (ink 255, else 0) with bilinear interpolation
//     (antialiased when shrinking) so that its longer side is 20 px,
//     keeping the aspect ratio;
//  5. place it in a 28x28 frame with its centre of mass at the centre
//     (14, 14), shifted less where ink would leave the frame.
//
// It fails with ErrNoInk for an image of one flat level.
func Textbook(data []byte) ([]float32, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("outside: textbook: %w", err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > textbookMaxPixels {
		return nil, fmt.Errorf("outside: textbook: %dx%d image is over %d pixels", cfg.Width, cfg.Height, textbookMaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("outside: textbook: %w", err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return nil, ErrNoInk
	}
	gray := make([]uint8, w*h)
	var hist [256]int
	for y := range h {
		for x := range w {
			v := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			gray[y*w+x] = v
			hist[v]++
		}
	}
	t, ok := otsu(&hist, w*h)
	if !ok {
		return nil, ErrNoInk
	}
	var above int
	for v := t + 1; v < 256; v++ {
		above += hist[v]
	}
	darkInk := above > w*h-above
	ink := func(v uint8) bool {
		if darkInk {
			return int(v) <= t
		}
		return int(v) > t
	}
	x0, y0, x1, y1 := w, h, -1, -1
	for y := range h {
		for x := range w {
			if ink(gray[y*w+x]) {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return nil, ErrNoInk
	}
	crop := image.NewGray(image.Rect(0, 0, x1-x0+1, y1-y0+1))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if ink(gray[y*w+x]) {
				crop.Pix[(y-y0)*crop.Stride+x-x0] = 255
			}
		}
	}
	cw, ch := crop.Rect.Dx(), crop.Rect.Dy()
	s := 20 / float64(max(cw, ch))
	sw := min(20, max(1, int(math.Round(float64(cw)*s))))
	sh := min(20, max(1, int(math.Round(float64(ch)*s))))
	small := image.NewGray(image.Rect(0, 0, sw, sh))
	xdraw.BiLinear.Scale(small, small.Bounds(), crop, crop.Bounds(), xdraw.Src, nil)
	var m, mx, my float64
	for y := range sh {
		for x := range sw {
			v := float64(small.Pix[y*small.Stride+x])
			m += v
			mx += v * float64(x)
			my += v * float64(y)
		}
	}
	ox, oy := (28-sw)/2, (28-sh)/2
	if m > 0 {
		ox = int(math.Round(14 - mx/m))
		oy = int(math.Round(14 - my/m))
	}
	ox = min(max(ox, 0), 28-sw)
	oy = min(max(oy, 0), 28-sh)
	out := make([]float32, 28*28)
	for y := range sh {
		for x := range sw {
			out[(oy+y)*28+ox+x] = float32(small.Pix[y*small.Stride+x]) / 255
		}
	}
	return out, nil
}

// otsu returns the threshold t that best separates the histogram into
// levels <= t and > t (the greatest between-class variance), and false
// when every pixel has the same level.
func otsu(hist *[256]int, n int) (int, bool) {
	var sum float64
	for v, c := range hist {
		sum += float64(v * c)
	}
	var wB, sumB float64
	best, t := -1.0, 0
	for v := range 255 {
		wB += float64(hist[v])
		if wB == 0 {
			continue
		}
		wF := float64(n) - wB
		if wF == 0 {
			break
		}
		sumB += float64(v * hist[v])
		mB, mF := sumB/wB, (sum-sumB)/wF
		if between := wB * wF * (mB - mF) * (mB - mF); between > best {
			best, t = between, v
		}
	}
	return t, best > 0
}
