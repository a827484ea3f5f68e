package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// blob returns a rows x cols image with a filled square of side 6 whose top
// left corner is (x0, y0).
func blob(rows, cols, x0, y0 int) []uint8 {
	img := make([]uint8, rows*cols)
	for y := y0; y < y0+6; y++ {
		for x := x0; x < x0+6; x++ {
			img[y*cols+x] = 255
		}
	}
	return img
}

// moments returns the total mass and the centre of mass (x, y).
func moments(img []float32, rows, cols int) (mass, cx, cy float64) {
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			v := float64(img[y*cols+x])
			mass += v
			cx += v * float64(x)
			cy += v * float64(y)
		}
	}
	return mass, cx / mass, cy / mass
}

func TestResampleShiftMovesMass(t *testing.T) {
	const rows, cols = 28, 28
	src := blob(rows, cols, 11, 11)
	ref := make([]float32, rows*cols)
	Normalize(ref, src)
	m0, x0, y0 := moments(ref, rows, cols)
	for _, tc := range []struct{ dx, dy float64 }{{0, 0}, {3, 0}, {0, -2}, {2.5, 1.5}, {-4, 4}} {
		dst := make([]float32, rows*cols)
		resample(dst, src, make([]uint8, (rows+2)*(cols+2)), rows, cols, warp{scale: 1, shiftX: tc.dx, shiftY: tc.dy}, nil, nil)
		m, x, y := moments(dst, rows, cols)
		if math.Abs(m-m0) > 1e-4 || math.Abs(x-x0-tc.dx) > 1e-4 || math.Abs(y-y0-tc.dy) > 1e-4 {
			t.Errorf("shift (%v, %v): mass %v centre (%v, %v); want mass %v centre (%v, %v)",
				tc.dx, tc.dy, m, x, y, m0, x0+tc.dx, y0+tc.dy)
		}
	}
	// Integer shifts are exact copies.
	dst := make([]float32, rows*cols)
	resample(dst, src, make([]uint8, (rows+2)*(cols+2)), rows, cols, warp{scale: 1, shiftX: 2, shiftY: -1}, nil, nil)
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			want := float32(0)
			if sx, sy := x-2, y+1; sx >= 0 && sy >= 0 && sx < cols && sy < rows {
				want = ref[sy*cols+sx]
			}
			if dst[y*cols+x] != want {
				t.Fatalf("shift (2, -1) pixel (%d, %d) = %v; want %v", x, y, dst[y*cols+x], want)
			}
		}
	}
}

func TestResampleRotateAndScale(t *testing.T) {
	const rows, cols = 28, 28
	// A blob right of the centre, rotated 90 degrees (clockwise on screen,
	// since y points down) ends below the centre.
	src := blob(rows, cols, 18, 11) // centre (20.5, 13.5)
	dst := make([]float32, rows*cols)
	resample(dst, src, make([]uint8, (rows+2)*(cols+2)), rows, cols, warp{scale: 1, rotate: math.Pi / 2}, nil, nil)
	m, x, y := moments(dst, rows, cols)
	if math.Abs(x-13.5) > 1e-3 || math.Abs(y-20.5) > 1e-3 || math.Abs(m-36) > 1e-3 {
		t.Errorf("rotate 90: mass %v centre (%v, %v); want 36 at (13.5, 20.5)", m, x, y)
	}
	// Scaling by 1.5 about the centre moves the centre of mass out by 1.5x
	// and multiplies the mass by 1.5^2.
	// (Bilinear sampling of a hard-edged square at a 2/3 pixel pitch
	// integrates it only approximately: hence the tolerances.)
	src = blob(rows, cols, 14, 11) // centre (16.5, 13.5), 3 right of the image centre
	resample(dst, src, make([]uint8, (rows+2)*(cols+2)), rows, cols, warp{scale: 1.5}, nil, nil)
	m, x, y = moments(dst, rows, cols)
	if math.Abs(x-(13.5+1.5*3)) > 0.05 || math.Abs(y-13.5) > 0.05 || math.Abs(m-36*2.25) > 0.03*36*2.25 {
		t.Errorf("scale 1.5: mass %v centre (%v, %v); want %v at (%v, 13.5)", m, x, y, 36*2.25, 13.5+1.5*3)
	}
}

func TestAugmentRangeAndBounds(t *testing.T) {
	const rows, cols = 28, 28
	a := Augment{MaxShift: 3, MaxRotate: 20, MinScale: 0.8, MaxScale: 1.2, ElasticAlpha: 34, ElasticSigma: 4}
	g, err := NewAugmenter(a, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]uint8, rows*cols)
	dst := make([]float32, rows*cols)
	ref := make([]float32, rows*cols)
	for i := 0; i < 200; i++ {
		for j := range src {
			src[j] = uint8(r.IntN(256))
		}
		g.Apply(dst, src, 9, 1, i)
		for j, v := range dst {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("example %d pixel %d = %v; want in [0, 1]", i, j, v)
			}
		}
	}
	// Shift only: the centre of mass of a central blob moves by at most
	// MaxShift per axis, and different examples move differently.
	gs, _ := NewAugmenter(Augment{MaxShift: 3}, rows, cols)
	src = blob(rows, cols, 11, 11)
	Normalize(ref, src)
	_, x0, y0 := moments(ref, rows, cols)
	moved := 0
	for i := 0; i < 100; i++ {
		gs.Apply(dst, src, 5, 2, i)
		_, x, y := moments(dst, rows, cols)
		if math.Abs(x-x0) > 3+1e-6 || math.Abs(y-y0) > 3+1e-6 {
			t.Fatalf("example %d: centre moved by (%v, %v); want at most 3", i, x-x0, y-y0)
		}
		if math.Abs(x-x0) > 0.5 {
			moved++
		}
	}
	if moved < 50 {
		t.Errorf("only %d of 100 examples moved by more than half a pixel; shifts are not being drawn", moved)
	}
	// Elastic only: moves pixels, keeps the mass roughly, and is not the identity.
	ge, _ := NewAugmenter(Augment{ElasticAlpha: 34, ElasticSigma: 4}, rows, cols)
	ge.Apply(dst, src, 5, 2, 0)
	m, _, _ := moments(dst, rows, cols)
	m0, _, _ := moments(ref, rows, cols)
	diff := 0.0
	for j := range dst {
		diff += math.Abs(float64(dst[j] - ref[j]))
	}
	if diff < 1 || math.Abs(m-m0) > 0.5*m0 {
		t.Errorf("elastic: |change| %v, mass %v (was %v); want a visible change and similar mass", diff, m, m0)
	}
	// Same (seed, epoch, index) on another augmenter gives the same image.
	g2, _ := NewAugmenter(a, rows, cols)
	out1, out2 := make([]float32, rows*cols), make([]float32, rows*cols)
	g.Apply(out1, src, 3, 4, 5)
	g2.Apply(out2, src, 3, 4, 5)
	for j := range out1 {
		if out1[j] != out2[j] {
			t.Fatalf("Apply is not deterministic at pixel %d: %v vs %v", j, out1[j], out2[j])
		}
	}
	// The zero Augment is the identity.
	gz, _ := NewAugmenter(Augment{}, rows, cols)
	gz.Apply(dst, src, 1, 1, 1)
	for j := range dst {
		if dst[j] != ref[j] {
			t.Fatalf("zero Augment changed pixel %d: %v; want %v", j, dst[j], ref[j])
		}
	}
}

// TestBilinearBackground holds bilinear's shortcut for four zero
// neighbours to the full formula, bit for bit, at random positions (a
// seventh of them on whole columns, and some off the image) over an image
// that is three quarters background.
func TestBilinearBackground(t *testing.T) {
	full := func(src []uint8, rows, cols int, x, y float64) float32 {
		if !(x > -1 && x < float64(cols) && y > -1 && y < float64(rows)) {
			return 0
		}
		x0, y0 := int(x+1)-1, int(y+1)-1
		tx, ty := x-float64(x0), y-float64(y0)
		at := func(xx, yy int) float64 {
			if xx < 0 || yy < 0 || xx >= cols || yy >= rows {
				return 0
			}
			return float64(src[yy*cols+xx])
		}
		v00, v01, v10, v11 := at(x0, y0), at(x0+1, y0), at(x0, y0+1), at(x0+1, y0+1)
		v := float64((1-ty)*(float64((1-tx)*v00)+float64(tx*v01))) + float64(ty*(float64((1-tx)*v10)+float64(tx*v11)))
		return min(max(float32(v/255), 0), 1)
	}
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]uint8, 28*28)
	for i := range src {
		if r.IntN(4) == 0 {
			src[i] = uint8(r.IntN(256))
		}
	}
	zeros := 0
	for n := 0; n < 200_000; n++ {
		x, y := r.Float64()*32-2, r.Float64()*32-2
		if n%7 == 0 {
			x = math.Floor(x)
		}
		got, want := bilinear(src, 28, 28, x, y), full(src, 28, 28, x, y)
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("bilinear at (%v, %v) = %v; want %v", x, y, got, want)
		}
		if want == 0 {
			zeros++
		}
	}
	if zeros < 10_000 {
		t.Fatalf("only %d background samples", zeros)
	}
}

// TestResampleAffine holds resampleAffine (the ink box and the inline
// sampling) to resampleField's pixel-by-pixel formula, bit for bit, over
// random warps, on images whose ink sits anywhere: a sparse digit-like
// image, a dense one, a single pixel in each corner, a full and an empty
// image, and a non-square one.
func TestResampleAffine(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	type img struct {
		name       string
		rows, cols int
		px         []uint8
	}
	var imgs []img
	sparse := make([]uint8, 28*28)
	for y := 6; y < 22; y++ {
		for x := 9; x < 19; x++ {
			if r.IntN(3) == 0 {
				sparse[y*28+x] = uint8(1 + r.IntN(255))
			}
		}
	}
	imgs = append(imgs, img{"sparse", 28, 28, sparse})
	dense := make([]uint8, 28*28)
	for i := range dense {
		dense[i] = uint8(r.IntN(256))
	}
	imgs = append(imgs, img{"dense", 28, 28, dense})
	for _, at := range []int{0, 27, 27 * 28, 28*28 - 1} {
		one := make([]uint8, 28*28)
		one[at] = 255
		imgs = append(imgs, img{fmt.Sprintf("pixel %d", at), 28, 28, one})
	}
	full := make([]uint8, 28*28)
	for i := range full {
		full[i] = 255
	}
	imgs = append(imgs, img{"full", 28, 28, full}, img{"empty", 28, 28, make([]uint8, 28*28)})
	wide := make([]uint8, 9*31)
	for i := range wide {
		if r.IntN(2) == 0 {
			wide[i] = uint8(r.IntN(256))
		}
	}
	imgs = append(imgs, img{"9x31", 9, 31, wide})
	for _, im := range imgs {
		got := make([]float32, im.rows*im.cols)
		want := make([]float32, im.rows*im.cols)
		for n := 0; n < 300; n++ {
			w := warp{rotate: (2*r.Float64() - 1) * math.Pi, scale: 0.5 + 1.5*r.Float64(),
				shiftX: (2*r.Float64() - 1) * 6, shiftY: (2*r.Float64() - 1) * 6}
			switch n % 5 {
			case 0:
				w = warp{scale: 1, shiftX: float64(r.IntN(9) - 4), shiftY: float64(r.IntN(9) - 4)} // whole pixels: points on the box's edges
			case 1:
				w.rotate, w.scale = 0, 1
			}
			for i := range got {
				got[i] = -1
			}
			resampleAffine(got, im.px, make([]uint8, (im.rows+2)*(im.cols+2)), im.rows, im.cols, w)
			resampleField(want, im.px, im.rows, im.cols, w, nil, nil)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, warp %+v: pixel %d = %v; want %v", im.name, w, i, got[i], want[i])
				}
			}
		}
	}
}
