package outside

// Kinds made from MNIST digits: small scans, and digits rendered larger
// with blurred, thickened or thinned strokes.

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	xdraw "golang.org/x/image/draw"

	"github.com/rakam-ml/rakam/internal/gauss"
	"github.com/rakam-ml/rakam/mnist"
)

// pick returns a random digit of src as a 28x28 image (white on black) and
// its label.
func pick(src *mnist.Set, rng *rand.Rand) (*image.Gray, int) {
	k := rng.IntN(src.N)
	return &image.Gray{Pix: src.Image(k), Stride: 28, Rect: image.Rect(0, 0, 28, 28)}, int(src.Labels[k])
}

// scale resizes g to w x h with an interpolator (antialiased when
// shrinking: the Catmull-Rom and bilinear kernels widen their support).
func scale(g *image.Gray, w, h int, k xdraw.Interpolator) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, w, h))
	k.Scale(out, out.Bounds(), g, g.Bounds(), xdraw.Src, nil)
	return out
}

// smoothers are the kernels a scanner or viewer enlarges with.
var smoothers = []xdraw.Interpolator{xdraw.BiLinear, xdraw.CatmullRom}

// toPaper maps a white-on-black image to ink on paper: 0 becomes the paper
// level, 255 the ink level.
func toPaper(g *image.Gray, paper, ink float64) *image.Gray {
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		a := float64(v) / 255
		out.Pix[i] = clamp8(paper*(1-a) + ink*a)
	}
	return out
}

// drawLowRes is what a small scan looks like: an MNIST digit shrunk with
// antialiasing to 8x8, 12x12 or 16x16, enlarged with smoothing (bilinear or
// Catmull-Rom) to 32 to 96 pixels, dark on white.
func drawLowRes(i int, rng *rand.Rand, src *mnist.Set) (Sample, error) {
	g, label := pick(src, rng)
	s := []int{8, 12, 16}[rng.IntN(3)]
	small := scale(g, s, s, xdraw.CatmullRom)
	n := 32 + rng.IntN(65)
	big := scale(small, n, n, smoothers[rng.IntN(len(smoothers))])
	img := toPaper(big, uniform(235, 255, rng), uniform(0, 50, rng))
	smp, err := sample(LowRes, i, label, img, 0)
	if err != nil {
		return Sample{}, err
	}
	smp.Detail = fmt.Sprintf("%dx%d", s, s)
	return smp, nil
}

// rendered enlarges an MNIST digit 2 to 7 times, lets op change its
// strokes (f is the enlargement), pads it by up to a quarter of its side,
// and puts it dark on light paper or light on a dark ground, half and half.
func rendered(kind Kind, i int, rng *rand.Rand, src *mnist.Set, op func(g *image.Gray, f float64) *image.Gray) (Sample, error) {
	g, label := pick(src, rng)
	n := 56 + rng.IntN(141)
	big := op(scale(g, n, n, smoothers[rng.IntN(len(smoothers))]), float64(n)/28)
	padL, padT := rng.IntN(n/4+1), rng.IntN(n/4+1)
	framed := image.NewGray(image.Rect(0, 0, n+padL+rng.IntN(n/4+1), n+padT+rng.IntN(n/4+1)))
	for y := range n {
		copy(framed.Pix[(y+padT)*framed.Stride+padL:], big.Pix[y*big.Stride:y*big.Stride+n])
	}
	var img *image.Gray
	if rng.IntN(2) == 0 {
		img = toPaper(framed, uniform(225, 255, rng), uniform(0, 60, rng))
	} else {
		img = toPaper(framed, uniform(0, 40, rng), uniform(200, 255, rng))
	}
	return sample(kind, i, label, img, 0)
}

// drawBlur blurs the enlarged digit with a Gaussian of 0.4 to 1.4 MNIST
// pixels.
func drawBlur(i int, rng *rand.Rand, src *mnist.Set) (Sample, error) {
	sigma := uniform(0.4, 1.4, rng)
	return rendered(Blur, i, rng, src, func(g *image.Gray, f float64) *image.Gray {
		return gaussian(g, sigma*f)
	})
}

// drawThick dilates the enlarged digit's strokes by a disc of radius 0.5
// to 1.3 MNIST pixels.
func drawThick(i int, rng *rand.Rand, src *mnist.Set) (Sample, error) {
	r := uniform(0.5, 1.3, rng)
	return rendered(Thick, i, rng, src, func(g *image.Gray, f float64) *image.Gray {
		return morph(g, r*f, true)
	})
}

// drawThin erodes the enlarged digit's strokes by a disc of radius 0.3 to
// 0.6 MNIST pixels (MNIST's strokes are about 2.8 pixels wide).
func drawThin(i int, rng *rand.Rand, src *mnist.Set) (Sample, error) {
	r := uniform(0.3, 0.6, rng)
	return rendered(Thin, i, rng, src, func(g *image.Gray, f float64) *image.Gray {
		return morph(g, r*f, false)
	})
}

// gaussian blurs g with a separable Gaussian of the given sigma in pixels.
func gaussian(g *image.Gray, sigma float64) *image.Gray {
	k := gauss.Kernel(sigma)
	r := len(k) / 2
	w, h := g.Rect.Dx(), g.Rect.Dy()
	tmp := make([]float64, w*h)
	for y := range h {
		for x := range w {
			var s float64
			for j, kv := range k {
				if xx := x + j - r; xx >= 0 && xx < w {
					s += kv * float64(g.Pix[y*g.Stride+xx])
				}
			}
			tmp[y*w+x] = s
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var s float64
			for j, kv := range k {
				if yy := y + j - r; yy >= 0 && yy < h {
					s += kv * tmp[yy*w+x]
				}
			}
			out.Pix[y*out.Stride+x] = clamp8(s)
		}
	}
	return out
}

// morph dilates (the maximum) or erodes (the minimum) g over a disc of
// radius r pixels.
func morph(g *image.Gray, r float64, dilate bool) *image.Gray {
	ri := int(math.Ceil(r))
	var disc []image.Point
	for dy := -ri; dy <= ri; dy++ {
		for dx := -ri; dx <= ri; dx++ {
			if float64(dx*dx+dy*dy) <= r*r+0.25 {
				disc = append(disc, image.Point{dx, dy})
			}
		}
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var v uint8 = 255
			if dilate {
				v = 0
			}
			for _, p := range disc {
				xx, yy := x+p.X, y+p.Y
				var s uint8 // outside the image is background
				if xx >= 0 && yy >= 0 && xx < w && yy < h {
					s = g.Pix[yy*g.Stride+xx]
				}
				if dilate {
					v = max(v, s)
				} else {
					v = min(v, s)
				}
			}
			out.Pix[y*out.Stride+x] = v
		}
	}
	return out
}
