package outside

// Photographs of paper: plain, lined or squared, seen in mild perspective
// under a shadow, with sensor noise and JPEG compression.

import (
	"image"
	"math"
	"math/rand/v2"

	"github.com/rakam-ml/rakam/mnist"
)

// Rulings of paper.
const (
	plain = iota
	lined
	squared
)

// page is a sheet of paper in its own coordinates (pixels of the frame
// before the camera's perspective).
type page struct {
	paper   [3]float64
	ruling  int
	spacing float64    // distance between lines
	offset  [2]float64 // phase of the lines in x and y
	lineW   float64    // line width
	line    [3]float64 // line colour
	margin  float64    // x of a red margin line on lined paper; < 0: none
}

// randomPage picks paper colour and ruling: plain, lined (ruled lines 18 to
// 40 pixels apart, sometimes a red margin) or squared (14 to 34 pixels),
// each a third of the time, with light blue or grey lines 1 to 2.2 pixels
// wide.
func randomPage(fw, fh int, rng *rand.Rand) page {
	l := uniform(215, 252, rng)
	pg := page{paper: [3]float64{l, l - uniform(0, 8, rng), l - uniform(0, 14, rng)}, ruling: rng.IntN(3), margin: -1}
	pg.lineW = uniform(1, 2.2, rng)
	if rng.IntN(2) == 0 {
		pg.line = [3]float64{uniform(110, 170, rng), uniform(150, 200, rng), uniform(200, 240, rng)}
	} else {
		k := uniform(120, 190, rng)
		pg.line = [3]float64{k, k, k}
	}
	switch pg.ruling {
	case lined:
		pg.spacing = uniform(18, 40, rng)
		if rng.IntN(3) == 0 {
			pg.margin = uniform(0.05, 0.25, rng) * float64(fw)
		}
	case squared:
		pg.spacing = uniform(14, 34, rng)
	}
	pg.offset = [2]float64{uniform(0, pg.spacing, rng), uniform(0, pg.spacing, rng)}
	return pg
}

// at returns the page's colour at (u, v): paper, and the lines over it
// (antialiased by the distance to the line's centre).
func (pg *page) at(u, v float64) [3]float64 {
	c := pg.paper
	cover := func(t, off float64) float64 {
		f := (t - off) / pg.spacing
		d := math.Abs(f-math.Round(f)) * pg.spacing
		return math.Max(0, math.Min(1, pg.lineW/2-d+0.5))
	}
	var a float64
	switch pg.ruling {
	case lined:
		a = cover(v, pg.offset[1])
	case squared:
		a = math.Max(cover(u, pg.offset[0]), cover(v, pg.offset[1]))
	}
	for k := range 3 {
		c[k] = c[k]*(1-a) + pg.line[k]*a
	}
	if pg.margin >= 0 {
		if m := math.Max(0, math.Min(1, 1-math.Abs(u-pg.margin)+0.5)); m > 0 {
			red := [3]float64{220, 90, 100}
			for k := range 3 {
				c[k] = c[k]*(1-m) + red[k]*m
			}
		}
	}
	return c
}

// camera is how the page is seen: the map from frame to page coordinates,
// a shadow, noise and JPEG compression.
type camera struct {
	toPage    [9]float64 // homography: frame (x, y, 1) to page
	dir       [2]float64 // direction across which the shadow falls
	edge      float64    // where the shadow begins, 0..1 along dir
	soft      float64    // how wide its edge is
	shadow    float64    // how much light it takes, 0..1
	exposure  float64
	vignette  float64
	noise     float64
	quality   int
	blurMask  bool
	grainLow  float64 // pencil: the least of the ink left by the grain, 1 for a pen
	inkLevel  float64 // pencil pressure: the ink's opacity at full stroke
	inkColour [3]float64
}

// randomCamera turns the page by up to 10 degrees and moves each corner by
// up to 5% of the frame (mild perspective), casts a shadow taking up to 60%
// of the light across a random direction (its edge a gradient over 40% to
// 140% of the frame), and adds noise (2 to 9 levels)
// and JPEG compression (quality 35 to 75).
func randomCamera(fw, fh int, rng *rand.Rand) camera {
	w, h := float64(fw), float64(fh)
	rot := uniform(-10, 10, rng) * math.Pi / 180
	cos, sin := math.Cos(rot), math.Sin(rot)
	frameCorners := [4]pt{{0, 0}, {w, 0}, {w, h}, {0, h}}
	var quad [4]pt
	for k, c := range frameCorners {
		x, y := c.x-w/2, c.y-h/2
		quad[k] = pt{w/2 + x*cos - y*sin + uniform(-0.05, 0.05, rng)*w, h/2 + x*sin + y*cos + uniform(-0.05, 0.05, rng)*h}
	}
	a := uniform(0, 2*math.Pi, rng)
	cam := camera{
		toPage:   homography(frameCorners, quad),
		dir:      [2]float64{math.Cos(a), math.Sin(a)},
		edge:     uniform(0.15, 0.85, rng),
		soft:     uniform(0.2, 0.7, rng),
		shadow:   uniform(0, 0.6, rng),
		exposure: uniform(0.85, 1.05, rng),
		vignette: uniform(0, 0.15, rng),
		noise:    uniform(2, 9, rng),
		quality:  35 + rng.IntN(41),
		blurMask: rng.IntN(2) == 0,
		grainLow: 1,
		inkLevel: 1,
	}
	return cam
}

// shoot renders what the camera sees of the page with the ink mask (in
// page coordinates) on it.
func shoot(fw, fh int, pg *page, mask *image.Alpha, cam *camera, rng *rand.Rand) *image.NRGBA {
	if mask != nil && cam.blurMask {
		mask = boxBlur(mask, 1)
	}
	img := image.NewNRGBA(image.Rect(0, 0, fw, fh))
	H := &cam.toPage
	for y := range fh {
		for x := range fw {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			z := H[6]*fx + H[7]*fy + H[8]
			u, v := (H[0]*fx+H[1]*fy+H[2])/z, (H[3]*fx+H[4]*fy+H[5])/z
			c := pg.at(u, v)
			if mask != nil {
				if a := bilinear(mask, u, v) / 255; a > 0 {
					if cam.grainLow < 1 {
						a *= uniform(cam.grainLow, 1, rng)
					}
					a *= cam.inkLevel
					for k := range 3 {
						c[k] = c[k]*(1-a) + cam.inkColour[k]*a
					}
				}
			}
			// Light: exposure, a shadow with a soft edge, a vignette.
			nx, ny := fx/float64(fw)-0.5, fy/float64(fh)-0.5
			t := nx*cam.dir[0] + ny*cam.dir[1] + 0.5
			s := smoothstep(cam.edge-cam.soft, cam.edge+cam.soft, t)
			light := cam.exposure * (1 - cam.shadow*s) * (1 - cam.vignette*(nx*nx+ny*ny)*2)
			i := img.PixOffset(x, y)
			for k := range 3 {
				img.Pix[i+k] = clamp8(c[k]*light + cam.noise*rng.NormFloat64())
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

func smoothstep(a, b, t float64) float64 {
	if b <= a {
		if t < a {
			return 0
		}
		return 1
	}
	t = math.Max(0, math.Min(1, (t-a)/(b-a)))
	return t * t * (3 - 2*t)
}

// homography returns the 3x3 matrix (row-major) mapping the four points
// src to dst.
func homography(src, dst [4]pt) [9]float64 {
	var a [8][9]float64 // augmented system for h0..h7 (h8 = 1)
	for k := range 4 {
		x, y, u, v := src[k].x, src[k].y, dst[k].x, dst[k].y
		a[2*k] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*k+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for col := range 8 {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		for r := range 8 {
			if r != col && a[col][col] != 0 {
				f := a[r][col] / a[col][col]
				for c := col; c < 9; c++ {
					a[r][c] -= f * a[col][c]
				}
			}
		}
	}
	// Reduced: row r holds only its diagonal entry.
	var h [9]float64
	for r := range 8 {
		if a[r][r] != 0 {
			h[r] = a[r][8] / a[r][r]
		}
	}
	h[8] = 1
	return h
}

// drawPhoto photographs a pen digit (i mod 10) written on plain, lined or
// squared paper in blue, black or pencil, 25% to 60% of the frame (200 to
// 640 pixels) tall: on squared paper it spans 1.3 to 3.2 squares, on lined
// paper 0.9 to 2.2 lines. Pencil is grey, grainy and pressed lightly (50%
// to 90% opacity); the camera adds perspective, rotation, a shadow with a
// soft edge, noise and JPEG compression.
func drawPhoto(i int, rng *rand.Rand, _ *mnist.Set) (Sample, error) {
	d := i % 10
	fw, fh := frame(200, 640, rng)
	pg := randomPage(fw, fh, rng)
	// The digit fills 25% to 60% of the frame, as in a photo taken to
	// show it; the ruling is scaled to it: on squared paper the digit
	// spans 1.3 to 3.2 squares, on lined paper 0.9 to 2.2 lines.
	side := float64(min(fw, fh))
	h := side * uniform(0.25, 0.6, rng)
	switch pg.ruling {
	case squared:
		pg.spacing = math.Max(8, h/uniform(1.3, 3.2, rng))
	case lined:
		pg.spacing = math.Max(10, h/uniform(0.9, 2.2, rng))
	}
	pg.offset = [2]float64{uniform(0, pg.spacing, rng), uniform(0, pg.spacing, rng)}
	vs := variants(d)
	strokes := vs[rng.IntN(len(vs))]
	aspect := uniform(0.5, 0.85, rng)
	if d == 1 {
		aspect = uniform(0.25, 0.5, rng)
	}
	w := h * aspect
	// Near the middle, so that the turned page keeps it in the frame.
	cx, cy := centre(w, h, fw, fh, 0.18*side, rng)
	cam := randomCamera(fw, fh, rng)
	pen := h * uniform(0.05, 0.12, rng)
	switch rng.IntN(3) {
	case 0: // blue ballpoint
		cam.inkColour = [3]float64{uniform(10, 60, rng), uniform(20, 70, rng), uniform(110, 190, rng)}
	case 1: // black
		k := uniform(10, 50, rng)
		cam.inkColour = [3]float64{k, k, k + uniform(0, 10, rng)}
	default: // pencil
		k := uniform(60, 120, rng)
		cam.inkColour = [3]float64{k, k, k}
		cam.grainLow = uniform(0.5, 0.85, rng)
		cam.inkLevel = uniform(0.5, 0.9, rng)
		pen = h * uniform(0.04, 0.09, rng)
	}
	mask := image.NewAlpha(image.Rect(0, 0, fw, fh))
	drawStrokes(mask, strokes, cx, cy, w, h, uniform(-0.3, 0.2, rng), uniform(-8, 8, rng)*math.Pi/180, math.Max(1.5, pen), 0.03, rng)
	img := shoot(fw, fh, &pg, mask, &cam, rng)
	return sample(Photo, i, d, img, cam.quality)
}
