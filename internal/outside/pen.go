package outside

import (
	"image"
	"math"
	"math/rand/v2"

	"github.com/rakam-ml/rakam/mnist"
)

// drawPen writes digit i mod 10 with a pen: a skeleton chosen among the
// ways of writing it, jittered, slanted and rotated, drawn with a round pen
// 4% to 18% of the digit's height wide, 30% to 90% of the frame's height
// tall, anywhere in a frame of 40 to 480 pixels, in dark ink on white or
// light paper; one image in four is a JPEG.
func drawPen(i int, rng *rand.Rand, _ *mnist.Set) (Sample, error) {
	d := i % 10
	vs := variants(d)
	strokes := vs[rng.IntN(len(vs))]
	fw, fh := frame(40, 480, rng)
	h := float64(min(fw, fh)) * uniform(0.3, 0.9, rng)
	aspect := uniform(0.5, 0.85, rng)
	if d == 1 {
		aspect = uniform(0.25, 0.5, rng)
	}
	w := h * aspect
	cx, cy := centre(w, h, fw, fh, 0.04*float64(min(fw, fh)), rng)
	slant := uniform(-0.3, 0.2, rng)
	rot := uniform(-15, 15, rng) * math.Pi / 180
	pen := math.Max(1.3, h*uniform(0.04, 0.18, rng))
	mask := image.NewAlpha(image.Rect(0, 0, fw, fh))
	drawStrokes(mask, strokes, cx, cy, w, h, slant, rot, pen, 0.03, rng)
	img := paint(mask, lightPaper(rng), darkInk(rng), uniform(0, 4, rng), rng)
	quality := 0
	if rng.IntN(4) == 0 {
		quality = 70 + rng.IntN(26)
	}
	return sample(Pen, i, d, img, quality)
}
