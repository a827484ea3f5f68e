package outside

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/rakam-ml/rakam/mnist"
)

// drawFont typesets digit i mod 10 in one of the fonts (Go and Liberation;
// regular, bold, italic, serif, sans and monospaced), rotated by up to 8
// degrees, 30% to 90% of the frame's height tall, anywhere in a frame of 28
// to 400 pixels; dark on light four times in five, else light on dark.
func drawFont(i int, rng *rand.Rand, _ *mnist.Set) (Sample, error) {
	d := i % 10
	g, err := render(faces[rng.IntN(len(faces))], fmt.Sprint(d))
	if err != nil {
		return Sample{}, err
	}
	fw, fh := frame(28, 400, rng)
	h := float64(min(fw, fh)) * uniform(0.3, 0.9, rng)
	w := h * float64(g.ink.Dx()) / float64(g.ink.Dy())
	cx, cy := centre(w, h, fw, fh, 0.04*float64(min(fw, fh)), rng)
	mask := image.NewAlpha(image.Rect(0, 0, fw, fh))
	stamp(mask, g, cx, cy, h, uniform(-8, 8, rng)*math.Pi/180)
	paper, ink := lightPaper(rng), darkInk(rng)
	if rng.IntN(5) == 0 {
		k := uint8(rng.IntN(60))
		paper, ink = color.NRGBA{k, k, k, 255}, lightPaper(rng)
	}
	img := paint(mask, paper, ink, uniform(0, 3, rng), rng)
	quality := 0
	if rng.IntN(5) == 0 {
		quality = 70 + rng.IntN(26)
	}
	return sample(Font, i, d, img, quality)
}
