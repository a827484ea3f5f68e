package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// patchCases are convolution geometries: the zoo cnn's three layers
// ("same" 3×3), cnn-fast's ("valid" 5×5 and 3×3), strided and padded
// ones, a wide kernel and non-square images.
var patchCases = []Patches{
	{N: 3, C: 1, H: 28, W: 28, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 5, C: 4, H: 14, W: 14, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 9, C: 3, H: 7, W: 7, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 2, C: 1, H: 28, W: 28, KH: 5, KW: 5, Stride: 1, Pad: 0},
	{N: 4, C: 2, H: 12, W: 12, KH: 3, KW: 3, Stride: 1, Pad: 0},
	{N: 3, C: 2, H: 9, W: 11, KH: 3, KW: 3, Stride: 2, Pad: 1},
	{N: 2, C: 3, H: 10, W: 8, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{N: 3, C: 2, H: 6, W: 9, KH: 4, KW: 4, Stride: 3, Pad: 3},
	{N: 1, C: 1, H: 5, W: 5, KH: 5, KW: 5, Stride: 1, Pad: 4},
	// "Same" maps of fewer than eight values (the Go path of the whole
	// examples' rows), and one row high (some patch rows all zeros).
	{N: 4, C: 2, H: 2, W: 3, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{N: 3, C: 2, H: 1, W: 9, KH: 3, KW: 3, Stride: 1, Pad: 1},
	// A "same" kernel wider than the masks Patches keeps (its last
	// column's mask looked up per row).
	{N: 2, C: 1, H: 10, W: 10, KH: 9, KW: 9, Stride: 1, Pad: 4},
}

// im2colOf lowers p's images side by side with Im2Col: the stored patch
// matrix the products must match.
func im2colOf(p *Patches) []float32 {
	p.check("test")
	ld := p.N * p.hw
	col := make([]float32, p.rows*ld)
	for e := range p.N {
		Im2Col(col[e*p.hw:], ld, p.X[e*p.size:], p.C, p.H, p.W, p.KH, p.KW, p.Stride, p.Pad)
	}
	return col
}

func withImages(r *rand.Rand, p Patches) *Patches {
	p.X = randSlice(r, p.N*p.C*p.H*p.W)
	return &p
}

// TestPatchRows: every run of every row Patches hands out is the run of
// Im2Col's matrix, for runs that start and end anywhere, across examples.
func TestPatchRows(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 1))
	for _, pc := range patchCases {
		p := withImages(r, pc)
		col := im2colOf(p)
		ld := p.N * p.hw
		for row := range p.rows {
			for range 20 {
				a := r.IntN(ld)
				b := a + 1 + r.IntN(ld-a)
				got := make([]float32, b-a)
				for i := range got {
					got[i] = float32(math.NaN()) // every value must be written
				}
				p.row(got, row, a)
				for i, v := range got {
					if want := col[row*ld+a+i]; math.Float32bits(v) != math.Float32bits(want) {
						t.Fatalf("%+v: row %d column %d: %v, Im2Col has %v", pc, row, a+i, v, want)
					}
				}
			}
		}
	}
}

// TestGemmPatchesSameBits: the products packed from the images have the
// bits of Gemm on the stored patch matrix, for the forward (A·P) and the
// weight-gradient (A·Pᵀ) orientation, with beta 0 and 1, on 1, 2 and 4
// threads (the row, column and k splits), whatever kernel this CPU runs.
func TestGemmPatchesSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 2))
	cases := append([]Patches{
		// The zoo cnn's second and third layers at batch 64: long k for
		// the weight gradient (split-K), and several column blocks.
		{N: 64, C: 16, H: 14, W: 14, KH: 3, KW: 3, Stride: 1, Pad: 1},
		{N: 64, C: 32, H: 7, W: 7, KH: 3, KW: 3, Stride: 1, Pad: 1},
	}, patchCases...)
	for _, pc := range cases {
		p := withImages(r, pc)
		col := im2colOf(p)
		k, n := p.rows, p.N*p.hw
		for _, m := range []int{1, 16, 37} {
			for _, beta := range []float32{0, 1} {
				for _, threads := range []int{1, 2, 4} {
					name := fmt.Sprintf("%dx%dx%d/%dx%d/s%dp%d/m%d/beta%v/threads%d", p.N, p.C, p.H, p.KH, p.KW, p.Stride, p.Pad, m, beta, threads)
					// Forward: C (m×n) = A (m×k)·P.
					a := randSlice(r, m*k)
					c0 := randSlice(r, m*n)
					want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
					GemmThreads(threads, NoTrans, NoTrans, m, n, k, 1, a, k, col, n, beta, want, n)
					GemmPatches(threads, m, 1, a, k, p, beta, got, n)
					sameBits(t, name+"/forward", got, want)
					// Weight gradient: C (m×k) = A (m×n)·Pᵀ.
					a = randSlice(r, m*n)
					c0 = randSlice(r, m*k)
					want, got = append([]float32(nil), c0...), append([]float32(nil), c0...)
					GemmThreads(threads, NoTrans, Trans, m, k, n, 1, a, n, col, n, beta, want, k)
					GemmPatchesT(threads, m, 1, a, n, p, beta, got, k)
					sameBits(t, name+"/gradient", got, want)
				}
			}
		}
	}
}

func sameBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, Gemm on the stored matrix gives %v", name, i, got[i], want[i])
		}
	}
}

// TestGemmPatchesChecks: bad geometry and short operands panic with a
// message naming what is wrong, as Gemm's do.
func TestGemmPatchesChecks(t *testing.T) {
	p := &Patches{X: make([]float32, 2*28*28), N: 2, C: 1, H: 28, W: 28, KH: 3, KW: 3, Stride: 1, Pad: 1}
	panicsWith(t, "tensor: GemmPatches: bad geometry", func() {
		q := *p
		q.Stride = 0
		GemmPatches(1, 4, 1, make([]float32, 36), 9, &q, 0, make([]float32, 4*1568), 1568)
	})
	panicsWith(t, "tensor: GemmPatches: 1568 values for 3 images", func() {
		q := *p
		q.N = 3
		GemmPatches(1, 4, 1, make([]float32, 36), 9, &q, 0, make([]float32, 4*2352), 2352)
	})
	panicsWith(t, "tensor: GemmPatches: a has 35 values", func() {
		GemmPatches(1, 4, 1, make([]float32, 35), 9, p, 0, make([]float32, 4*1568), 1568)
	})
	panicsWith(t, "tensor: GemmPatchesT: c has 35 values", func() {
		GemmPatchesT(1, 4, 1, make([]float32, 4*1568), 1568, p, 0, make([]float32, 35), 9)
	})
}

// TestColMask checks the wrap-column masks: all ones exactly at the
// positions whose column is in [lo, hi), one shared slice per geometry,
// and geometries past the cache's 16-bit key made on their own.
func TestColMask(t *testing.T) {
	for _, g := range [][4]int{{7, 49, 1, 7}, {7, 49, 0, 6}, {14, 196, 0, 14}, {5, 10, 2, 3}, {1 << 16, 1 << 17, 1, 1<<16 - 1}} {
		w, hw, lo, hi := g[0], g[1], g[2], g[3]
		m := colMask(w, hw, lo, hi)
		if len(m) != hw {
			t.Fatalf("%v: %d values", g, len(m))
		}
		for q, v := range m {
			want := uint32(0)
			if c := q % w; c >= lo && c < hi {
				want = ^uint32(0)
			}
			if v != want {
				t.Fatalf("%v: mask[%d] = %#x, want %#x", g, q, v, want)
			}
		}
		if again := colMask(w, hw, lo, hi); w < 1<<16 && &again[0] != &m[0] {
			t.Errorf("%v: a second mask made", g)
		}
	}
}
