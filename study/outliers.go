package study

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/gofont/gosmallcaps"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
)

// outlierLetters are the letters drawn as outliers: none reads as a digit
// (no O, o, I, l, S, s, Z, z, B, b, G, g, q, T, t, L, J, D, Q).
const outlierLetters = "ACEFHKMNPRUVWXYacdefhkmnpruvwxy"

var outlierFonts = [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF, gobolditalic.TTF, gomedium.TTF, gomono.TTF, gosmallcaps.TTF}

// Outliers draws n 28x28 images that are no digit, for outlier exposure
// (nn.NoClass): letters typeset in the Go fonts at random sizes and places
// (two in three), and pen scrawls (smoothed random strokes, zigzags and
// crossings). Ink is white on black as in MNIST. The same seed gives the
// same images. Every label is nn.NoClass.
func Outliers(n int, seed uint64) (*mnist.Set, error) {
	if n < 0 {
		return nil, fmt.Errorf("study: %d outlier images; want 0 or more", n)
	}
	s := &mnist.Set{N: n, Rows: 28, Cols: 28, Images: make([]uint8, n*784), Labels: make([]uint8, n)}
	rng := rand.New(rand.NewPCG(seed, 0x6f75746c)) // "outl"
	faces := make([]*opentype.Font, len(outlierFonts))
	for i, ttf := range outlierFonts {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return nil, fmt.Errorf("study: outlier font %d: %w", i, err)
		}
		faces[i] = f
	}
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for i := 0; i < n; i++ {
		clear(img.Pix)
		if rng.IntN(3) > 0 {
			if err := drawLetter(img, faces[rng.IntN(len(faces))], rng); err != nil {
				return nil, err
			}
		} else {
			drawScrawl(img, rng)
		}
		copy(s.Images[i*784:(i+1)*784], img.Pix)
		s.Labels[i] = nn.NoClass
	}
	return s, nil
}

// drawLetter typesets a random outlier letter into img, 12 to 24 px tall.
func drawLetter(img *image.Gray, f *opentype.Font, rng *rand.Rand) error {
	size := 14 + rng.Float64()*14
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return fmt.Errorf("study: outlier font face: %w", err)
	}
	defer face.Close()
	letter := string(outlierLetters[rng.IntN(len(outlierLetters))])
	d := &font.Drawer{Dst: img, Src: image.White, Face: face}
	b, _ := d.BoundString(letter)
	w, h := (b.Max.X - b.Min.X).Ceil(), (b.Max.Y - b.Min.Y).Ceil()
	x := 14 - w/2 + rng.IntN(5) - 2
	y := 14 - h/2 + rng.IntN(5) - 2
	d.Dot = fixed.P(x, y).Sub(b.Min)
	d.DrawString(letter)
	return nil
}

// drawScrawl draws a smoothed random stroke with a round pen: a loose
// scribble, a zigzag, or two crossing strokes.
func drawScrawl(img *image.Gray, rng *rand.Rand) {
	r := 0.7 + rng.Float64()*1.1
	strokes := 1 + rng.IntN(2)
	for s := 0; s < strokes; s++ {
		k := 3 + rng.IntN(6)
		var pts [][2]float64
		zig := rng.IntN(3) == 0
		for j := 0; j < k; j++ {
			x, y := 4+rng.Float64()*20, 4+rng.Float64()*20
			if zig { // left to right, alternating top and bottom
				x = 4 + 20*float64(j)/float64(k-1)
				y = 6 + 16*float64(j%2) + rng.Float64()*3
			}
			pts = append(pts, [2]float64{x, y})
		}
		// Catmull-Rom through the points, drawn as short segments.
		prev := pts[0]
		for j := 0; j+1 < len(pts); j++ {
			p0, p1, p2, p3 := pts[max(j-1, 0)], pts[j], pts[j+1], pts[min(j+2, len(pts)-1)]
			for t := 0.1; t <= 1.0001; t += 0.1 {
				var q [2]float64
				for c := 0; c < 2; c++ {
					q[c] = 0.5 * (2*p1[c] + (-p0[c]+p2[c])*t + (2*p0[c]-5*p1[c]+4*p2[c]-p3[c])*t*t + (-p0[c]+3*p1[c]-3*p2[c]+p3[c])*t*t*t)
				}
				penSegment(img, prev, q, r)
				prev = q
			}
		}
	}
}

// penSegment draws the segment a-b with a round pen of radius r,
// antialiased by distance.
func penSegment(img *image.Gray, a, b [2]float64, r float64) {
	x0, x1 := int(math.Floor(min(a[0], b[0])-r-1)), int(math.Ceil(max(a[0], b[0])+r+1))
	y0, y1 := int(math.Floor(min(a[1], b[1])-r-1)), int(math.Ceil(max(a[1], b[1])+r+1))
	dx, dy := b[0]-a[0], b[1]-a[1]
	ll := dx*dx + dy*dy
	for y := max(y0, 0); y <= min(y1, 27); y++ {
		for x := max(x0, 0); x <= min(x1, 27); x++ {
			px, py := float64(x)+0.5-a[0], float64(y)+0.5-a[1]
			t := 0.0
			if ll > 0 {
				t = min(max((px*dx+py*dy)/ll, 0), 1)
			}
			ex, ey := px-t*dx, py-t*dy
			v := min(max(r+0.5-math.Sqrt(ex*ex+ey*ey), 0), 1)
			if o := uint8(v * 255); o > img.Pix[y*28+x] {
				img.Pix[y*28+x] = o
			}
		}
	}
}
