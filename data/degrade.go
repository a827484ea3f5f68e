package data

import (
	"fmt"
	"image"
	"math"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/internal/gauss"
)

// Degrade configures distortions that make MNIST digits look like the
// digits users send: scanned small and enlarged, blurred, written with a
// thicker or thinner pen, faint. Each example is degraded with probability
// Prob; a degraded one draws, in this order: a resolution r uniform in
// [MinResolution, side) (the image is area-averaged down to r×r and
// enlarged back bilinearly, as a small scan enlarged with smoothing is;
// MinResolution 0 turns this off; MaxResolution, when set, narrows the
// range to [MinResolution, MaxResolution]), a Gaussian blur of sigma uniform in
// [0, MaxBlur] pixels, a stroke change uniform in ±MaxStroke pixels
// (grey-level dilation when positive, erosion when negative, fractional
// steps blended), and an ink level uniform in [MinContrast, 1] (0 turns it
// off). Then, when Reprepare is set, the degraded example goes through
// imageprep.FromImage, the preprocessing a user's image gets before the
// model sees it (cropped to its ink, strokes thickened, scaled into the
// 20×20 box, centred by mass), so the model trains on what it will be
// shown; the others stay MNIST digits, as the test set's are.
type Degrade struct {
	Prob          float64 `json:"prob"`
	MinResolution int     `json:"min_resolution,omitempty"` // pixels; 0: no resolution loss
	MaxResolution int     `json:"max_resolution,omitempty"` // pixels; 0: up to the image's side less one
	MaxBlur       float64 `json:"max_blur,omitempty"`       // sigma in pixels
	MaxStroke     float64 `json:"max_stroke,omitempty"`     // pixels of dilation or erosion
	MinContrast   float64 `json:"min_contrast,omitempty"`   // 0: ink level unchanged
	Reprepare     bool    `json:"reprepare,omitempty"`
}

// RealInputDegrade returns the degradation the study's real-input model
// trains with (chosen on the outside tuning sets: docs/outside.md).
func RealInputDegrade() *Degrade {
	return &Degrade{Prob: 0.5, MinResolution: 7, MaxBlur: 1.2, MaxStroke: 1.5, MinContrast: 0.35, Reprepare: true}
}

// Validate reports the first out-of-range field.
func (d *Degrade) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(d.Prob) || d.Prob < 0 || d.Prob > 1:
		return fmt.Errorf("data: degrade Prob = %v; want 0..1", d.Prob)
	case d.MinResolution < 0 || d.MinResolution > 64:
		return fmt.Errorf("data: degrade MinResolution = %d; want 0 (off) or 1..64 pixels", d.MinResolution)
	case d.MaxResolution != 0 && (d.MinResolution == 0 || d.MaxResolution < d.MinResolution || d.MaxResolution > 64):
		return fmt.Errorf("data: degrade MaxResolution = %d; want 0 (up to the side) or MinResolution (%d)..64 pixels, with MinResolution set", d.MaxResolution, d.MinResolution)
	case !finite(d.MaxBlur) || d.MaxBlur < 0 || d.MaxBlur > 8:
		return fmt.Errorf("data: degrade MaxBlur = %v; want 0..8 pixels", d.MaxBlur)
	case !finite(d.MaxStroke) || d.MaxStroke < 0 || d.MaxStroke > 4:
		return fmt.Errorf("data: degrade MaxStroke = %v; want 0..4 pixels", d.MaxStroke)
	case !finite(d.MinContrast) || d.MinContrast < 0 || d.MinContrast > 1:
		return fmt.Errorf("data: degrade MinContrast = %v; want 0..1", d.MinContrast)
	}
	return nil
}

// degrader holds a Degrade's scratch buffers for images of one size.
type degrader struct {
	d          Degrade
	rows, cols int
	a, b       []float64
	small      []float64
	zero       []float64   // a row of zeros (morph)
	resolved   func(r int) // tests: told each resolution drawn
	gray       *image.Gray
}

func newDegrader(d Degrade, rows, cols int) *degrader {
	n := rows * cols
	return &degrader{d: d, rows: rows, cols: cols, a: make([]float64, n), b: make([]float64, n),
		small: make([]float64, n), zero: make([]float64, cols), gray: image.NewGray(image.Rect(0, 0, cols, rows))}
}

// apply degrades img (rows*cols values in [0, 1], ink high) in place with
// the draws of r, then reprepares it if asked.
func (g *degrader) apply(img []float32, u func() float64) {
	d := &g.d
	if d.Prob > 0 && u() < d.Prob {
		x := g.a
		for i, v := range img {
			x[i] = float64(v)
		}
		if d.MinResolution > 0 {
			// r uniform in [MinResolution, hi)
			hi := min(g.rows, g.cols)
			if d.MaxResolution > 0 {
				hi = min(hi, d.MaxResolution+1)
			}
			if d.MinResolution < hi {
				r := d.MinResolution + int(u()*float64(hi-d.MinResolution))
				if g.resolved != nil {
					g.resolved(r)
				}
				g.resolution(x, r)
			}
		}
		if d.MaxBlur > 0 {
			if s := u() * d.MaxBlur; s > 0.05 {
				g.blur(x, s)
			}
		}
		if d.MaxStroke > 0 {
			g.stroke(x, (2*u()-1)*d.MaxStroke)
		}
		level := 1.0
		if d.MinContrast > 0 {
			level = d.MinContrast + u()*(1-d.MinContrast)
		}
		for i, v := range x {
			img[i] = float32(min(max(v*level, 0), 1))
		}
		if d.Reprepare {
			g.reprepare(img)
		}
	}
}

// resolution area-averages x down to r×r cells and enlarges it back
// bilinearly (cell centres as sample points).
func (g *degrader) resolution(x []float64, r int) {
	rows, cols := g.rows, g.cols
	s := g.small[:r*r]
	clear(s)
	for cy := 0; cy < r; cy++ {
		y0, y1 := cy*rows/r, (cy+1)*rows/r
		for cx := 0; cx < r; cx++ {
			x0, x1 := cx*cols/r, (cx+1)*cols/r
			var sum float64
			for y := y0; y < y1; y++ {
				for xx := x0; xx < x1; xx++ {
					sum += x[y*cols+xx]
				}
			}
			s[cy*r+cx] = sum / float64((y1-y0)*(x1-x0))
		}
	}
	sy, sx := float64(r)/float64(rows), float64(r)/float64(cols)
	for y := 0; y < rows; y++ {
		fy := (float64(y)+0.5)*sy - 0.5
		y0 := int(math.Floor(fy))
		ty := fy - float64(y0)
		ya, yb := min(max(y0, 0), r-1), min(max(y0+1, 0), r-1)
		for xx := 0; xx < cols; xx++ {
			fx := (float64(xx)+0.5)*sx - 0.5
			x0 := int(math.Floor(fx))
			tx := fx - float64(x0)
			xa, xb := min(max(x0, 0), r-1), min(max(x0+1, 0), r-1)
			top := (1-tx)*s[ya*r+xa] + tx*s[ya*r+xb]
			bot := (1-tx)*s[yb*r+xa] + tx*s[yb*r+xb]
			x[y*cols+xx] = (1-ty)*top + ty*bot
		}
	}
}

// blur convolves x with a Gaussian of sigma, separably, zeros outside.
func (g *degrader) blur(x []float64, sigma float64) {
	smoothSeparable(x, g.b, g.rows, g.cols, gauss.Kernel(sigma))
}

// stroke dilates (s > 0) or erodes (s < 0) x by |s| pixels: whole steps of
// a 3×3 maximum (minimum) filter, then the fractional rest blended in.
func (g *degrader) stroke(x []float64, s float64) {
	grow := s > 0
	s = math.Abs(s)
	for s > 0 {
		f := min(s, 1)
		g.morph(x, grow, f)
		s -= f
	}
}

// morph replaces x by (1-f)·x + f·(3×3 max or min of x), background (0)
// outside. The 3×3 extreme is taken as the extreme of each row's three
// (into g.small), then of three rows: Go's max and min order every value
// (−0 below +0, and a NaN wins), so any grouping gives the same bits as
// the nine values taken one by one (morphRef in the tests).
func (g *degrader) morph(x []float64, grow bool, f float64) {
	rows, cols, h, t := g.rows, g.cols, g.small[:g.rows*g.cols], g.b[:g.rows*g.cols]
	x = x[:rows*cols]
	extreme3(h, x, t, g.zero, rows, cols, grow)
	for i, v := range t {
		x[i] = (1-f)*x[i] + f*v
	}
}

// extreme3 sets t to the 3×3 maximum (grow) or minimum of x (rows×cols, 0
// outside), with h as scratch for the rows' pass and zero a row of cols
// zeros.
func extreme3(h, x, t, zero []float64, rows, cols int, grow bool) {
	op := func(a, b, c float64) float64 {
		if grow {
			return max(a, b, c)
		}
		return min(a, b, c)
	}
	for y := 0; y < rows; y++ {
		in, out := x[y*cols:(y+1)*cols], h[y*cols:(y+1)*cols]
		for xx := range out {
			l, r := 0.0, 0.0
			if xx > 0 {
				l = in[xx-1]
			}
			if xx+1 < cols {
				r = in[xx+1]
			}
			out[xx] = op(l, in[xx], r)
		}
	}
	for y := 0; y < rows; y++ {
		up, down := zero, zero // background above the first row, below the last
		if y > 0 {
			up = h[(y-1)*cols : y*cols]
		}
		if y+1 < rows {
			down = h[(y+1)*cols : (y+2)*cols]
		}
		mid, out := h[y*cols:(y+1)*cols], t[y*cols:(y+1)*cols]
		for xx := range out {
			out[xx] = op(up[xx], mid[xx], down[xx])
		}
	}
}

// reprepare passes img through imageprep as a user's image would be. An
// image imageprep finds blank (a digit eroded away) is left as it is.
func (g *degrader) reprepare(img []float32) {
	for i, v := range img {
		g.gray.Pix[i] = uint8(math.Round(float64(v) * 255))
	}
	dg, err := imageprep.FromImage(g.gray)
	if err != nil || len(dg.Pixels) != len(img) {
		return
	}
	copy(img, dg.Pixels)
}
