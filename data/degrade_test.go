package data

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func newTestDegrader(d Degrade) *degrader { return newDegrader(d, 28, 28) }

func sum64(x []float64) (s float64) {
	for _, v := range x {
		s += v
	}
	return s
}

// TestDegradeStroke: one step of dilation turns a pixel into a 3x3 square
// and one of erosion turns the square back into its centre; half a step
// blends half way.
func TestDegradeStroke(t *testing.T) {
	g := newTestDegrader(Degrade{})
	x := make([]float64, 28*28)
	x[14*28+14] = 1
	g.stroke(x, 1)
	if s := sum64(x); s != 9 {
		t.Fatalf("dilating one pixel by 1: mass %v; want 9", s)
	}
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			if x[(14+dy)*28+14+dx] != 1 {
				t.Fatalf("dilated pixel (%d, %d) = %v; want 1", 14+dx, 14+dy, x[(14+dy)*28+14+dx])
			}
		}
	}
	g.stroke(x, -1)
	if s := sum64(x); s != 1 || x[14*28+14] != 1 {
		t.Fatalf("eroding the 3x3 square by 1: mass %v, centre %v; want 1, 1", s, x[14*28+14])
	}
	g.stroke(x, 0.5)
	if s := sum64(x); math.Abs(s-5) > 1e-12 {
		t.Errorf("dilating one pixel by 0.5: mass %v; want 1 + 8/2 = 5", s)
	}
}

// TestDegradeBlurAndResolution: a blur keeps an inner blob's mass and
// lowers its peak; losing resolution keeps a constant image constant and an
// inner blob's mass roughly.
func TestDegradeBlurAndResolution(t *testing.T) {
	g := newTestDegrader(Degrade{})
	blobAt := func() []float64 {
		x := make([]float64, 28*28)
		for y := 10; y < 18; y++ {
			for xx := 10; xx < 18; xx++ {
				x[y*28+xx] = 1
			}
		}
		return x
	}
	x := blobAt()
	g.blur(x, 1)
	if s := sum64(x); math.Abs(s-64) > 1e-9 {
		t.Errorf("blur: mass %v; want 64", s)
	}
	if x[10*28+10] >= 1 || x[10*28+10] <= 0.2 {
		t.Errorf("blur: corner pixel %v; want lowered, still inked", x[10*28+10])
	}
	flat := make([]float64, 28*28)
	for i := range flat {
		flat[i] = 0.5
	}
	for _, r := range []int{7, 9, 13, 20} {
		f := append([]float64(nil), flat...)
		g.resolution(f, r)
		for i, v := range f {
			if math.Abs(v-0.5) > 1e-12 {
				t.Fatalf("resolution %d of a constant image: pixel %d = %v; want 0.5", r, i, v)
			}
		}
		x := blobAt()
		g.resolution(x, r)
		if s := sum64(x); math.Abs(s-64) > 64*0.15 {
			t.Errorf("resolution %d: blob mass %v; want about 64", r, s)
		}
	}
}

// TestDegradeDeterministic: the same example under the same seed degrades
// to the same bits on any augmenter; Prob 0 without Reprepare draws nothing
// and changes nothing; Reprepare centres a degraded digit by mass.
func TestDegradeDeterministic(t *testing.T) {
	src := blob(28, 28, 4, 5)
	a := DefaultAugment()
	a.Degrade = RealInputDegrade()
	a.Degrade.Prob = 1
	g1, err := NewAugmenter(*a, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := NewAugmenter(*a, 28, 28)
	d1, d2 := make([]float32, 784), make([]float32, 784)
	for i := 0; i < 20; i++ {
		g1.Apply(d1, src, 3, 1, i)
		g2.Apply(d2, src, 3, 1, i)
		for j := range d1 {
			if d1[j] != d2[j] {
				t.Fatalf("example %d pixel %d: %v and %v from two augmenters", i, j, d1[j], d2[j])
			}
		}
		if _, cx, cy := moments(d1, 28, 28); math.Abs(cx-13.5) > 1.01 || math.Abs(cy-13.5) > 1.01 {
			t.Errorf("example %d reprepared: centre of mass (%.2f, %.2f); want within a pixel of (13.5, 13.5)", i, cx, cy)
		}
	}
	off := *DefaultAugment()
	plain, _ := NewAugmenter(off, 28, 28)
	off.Degrade = &Degrade{}
	zero, _ := NewAugmenter(off, 28, 28)
	for i := 0; i < 5; i++ {
		plain.Apply(d1, src, 3, 1, i)
		zero.Apply(d2, src, 3, 1, i)
		for j := range d1 {
			if d1[j] != d2[j] {
				t.Fatalf("Degrade{} changed example %d pixel %d: %v, want %v", i, j, d2[j], d1[j])
			}
		}
	}
}

func TestDegradeValidate(t *testing.T) {
	for _, c := range []struct {
		d   Degrade
		msg string
	}{
		{Degrade{Prob: 1.5}, "Prob = 1.5"},
		{Degrade{Prob: math.NaN()}, "Prob = NaN"},
		{Degrade{MinResolution: -1}, "MinResolution = -1"},
		{Degrade{MaxResolution: 9}, "MaxResolution = 9"},
		{Degrade{MinResolution: 10, MaxResolution: 9}, "MaxResolution = 9"},
		{Degrade{MinResolution: 7, MaxResolution: 65}, "MaxResolution = 65"},
		{Degrade{MaxBlur: 9}, "MaxBlur = 9"},
		{Degrade{MaxStroke: math.Inf(1)}, "MaxStroke = +Inf"},
		{Degrade{MinContrast: 2}, "MinContrast = 2"},
	} {
		a := Augment{Degrade: &c.d}
		if err := a.Validate(); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Validate(%+v) = %v; want an error saying %q", c.d, err, c.msg)
		}
	}
	if err := RealInputDegrade().Validate(); err != nil {
		t.Errorf("RealInputDegrade().Validate() = %v", err)
	}
}

// TestDegradeMaxResolution: with MaxResolution the resolution drawn stays
// in [MinResolution, MaxResolution], every value of it drawn; without it,
// in [MinResolution, side); a MaxResolution at or past the side changes
// nothing.
func TestDegradeMaxResolution(t *testing.T) {
	src := blob(28, 28, 4, 5)
	drawn := func(d Degrade) map[int]bool {
		a := Augment{Degrade: &d}
		g, err := NewAugmenter(a, 28, 28)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		g.deg.resolved = func(r int) { seen[r] = true }
		dst := make([]float32, 784)
		for i := 0; i < 400; i++ {
			g.Apply(dst, src, 7, 1, i)
		}
		return seen
	}
	check := func(d Degrade, lo, hi int) {
		seen := drawn(d)
		for r := range seen {
			if r < lo || r > hi {
				t.Errorf("%+v: resolution %d drawn; want %d..%d", d, r, lo, hi)
			}
		}
		for r := lo; r <= hi; r++ {
			if !seen[r] {
				t.Errorf("%+v: resolution %d never drawn in 400 examples", d, r)
			}
		}
	}
	check(Degrade{Prob: 1, MinResolution: 7, MaxResolution: 9}, 7, 9)
	check(Degrade{Prob: 1, MinResolution: 8, MaxResolution: 8}, 8, 8)
	check(Degrade{Prob: 1, MinResolution: 20}, 20, 27)
	check(Degrade{Prob: 1, MinResolution: 20, MaxResolution: 40}, 20, 27)
}

func BenchmarkDegrade(b *testing.B) {
	src := blob(28, 28, 11, 11)
	a := DefaultAugment()
	a.Degrade = RealInputDegrade()
	g, _ := NewAugmenter(*a, 28, 28)
	dst := make([]float32, 784)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g.Apply(dst, src, 1, 0, i)
	}
}

// morphRef is the 3×3 filter of degrader.morph taken one value at a time,
// the nine in row order (the code it replaced).
func morphRef(x []float64, rows, cols int, grow bool, f float64) []float64 {
	t := make([]float64, len(x))
	for y := 0; y < rows; y++ {
		for xx := 0; xx < cols; xx++ {
			m := x[y*cols+xx]
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					yy, xc := y+dy, xx+dx
					v := 0.0
					if yy >= 0 && yy < rows && xc >= 0 && xc < cols {
						v = x[yy*cols+xc]
					}
					if grow {
						m = max(m, v)
					} else {
						m = min(m, v)
					}
				}
			}
			t[y*cols+xx] = m
		}
	}
	out := make([]float64, len(x))
	for i, v := range t {
		out[i] = (1-f)*x[i] + f*v
	}
	return out
}

// TestMorphSeparable holds morph's rows-then-columns filter to morphRef bit
// for bit, growing and shrinking, on images with negative values, both
// zeros, ink on every edge and a NaN, from 1×1 to 28×28.
func TestMorphSeparable(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{1, 1}, {1, 5}, {5, 1}, {2, 3}, {7, 9}, {28, 28}} {
		rows, cols := sz[0], sz[1]
		g := newDegrader(Degrade{}, rows, cols)
		for n := 0; n < 200; n++ {
			x := make([]float64, rows*cols)
			for i := range x {
				switch r.IntN(6) {
				case 0:
					x[i] = math.Copysign(0, -1)
				case 1:
					x[i] = -r.Float64()
				case 2, 3:
					x[i] = r.Float64()
				}
			}
			if n == 7 {
				x[r.IntN(len(x))] = math.NaN()
			}
			grow, f := n%2 == 0, r.Float64()
			if n%5 == 0 {
				f = 1
			}
			want := morphRef(x, rows, cols, grow, f)
			g.morph(x, grow, f)
			for i := range x {
				if math.Float64bits(x[i]) != math.Float64bits(want[i]) && !(math.IsNaN(x[i]) && math.IsNaN(want[i])) {
					t.Fatalf("%dx%d grow=%v f=%v: pixel %d = %v; want %v", rows, cols, grow, f, i, x[i], want[i])
				}
			}
		}
	}
}

// BenchmarkMorph times one 3×3 dilation of a 28×28 digit-sized blob: the
// rows-then-columns filter and the nine-value reference it replaced.
func BenchmarkMorph(b *testing.B) {
	src := blob(28, 28, 11, 11)
	x := make([]float64, len(src))
	g := newDegrader(Degrade{}, 28, 28)
	b.Run("separable", func(b *testing.B) {
		for b.Loop() {
			for i, v := range src {
				x[i] = float64(v) / 255
			}
			g.morph(x, true, 1)
		}
	})
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			for i, v := range src {
				x[i] = float64(v) / 255
			}
			morphRef(x, 28, 28, true, 1)
		}
	})
}
