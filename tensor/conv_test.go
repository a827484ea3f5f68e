package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convDirect is the naive convolution y[o][oy][ox] = Σ w[o][c][i][j]·x[c][iy][ix].
func convDirect(x, w []float32, c, h, wd, oc, kh, kw, s, p int) []float32 {
	oh, ow := ConvOut(h, kh, s, p), ConvOut(wd, kw, s, p)
	y := make([]float32, oc*oh*ow)
	for o := 0; o < oc; o++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var sum float64
				for ch := 0; ch < c; ch++ {
					for i := 0; i < kh; i++ {
						for j := 0; j < kw; j++ {
							iy, ix := oy*s-p+i, ox*s-p+j
							if iy >= 0 && iy < h && ix >= 0 && ix < wd {
								sum += float64(w[((o*c+ch)*kh+i)*kw+j]) * float64(x[(ch*h+iy)*wd+ix])
							}
						}
					}
				}
				y[(o*oh+oy)*ow+ox] = float32(sum)
			}
		}
	}
	return y
}

type convCase struct{ c, h, w, oc, kh, kw, s, p int }

var convCases = []convCase{
	{1, 28, 28, 32, 5, 5, 1, 2}, {3, 7, 9, 4, 3, 3, 1, 1}, {2, 8, 8, 3, 3, 3, 2, 1},
	{2, 5, 6, 2, 2, 3, 3, 0}, {1, 4, 4, 1, 4, 4, 1, 0}, {2, 3, 3, 2, 5, 5, 1, 2}, {1, 2, 2, 1, 3, 3, 2, 3},
	// stride 1 without padding ("valid"): rows of 24, 10, 8 and 17 values
	// (arrays of eight, the last one overlapping) and of 3 (a plain loop)
	{1, 28, 28, 4, 5, 5, 1, 0}, {3, 12, 12, 5, 3, 3, 1, 0}, {2, 5, 7, 3, 3, 5, 1, 0},
	{2, 10, 10, 2, 3, 3, 1, 0}, {1, 19, 19, 2, 3, 3, 1, 0},
	// "same" with a kernel wider than Patches' kept masks, and "same" in
	// width only (a 3×5 kernel with pad 2: two more output rows than input
	// rows)
	{1, 10, 10, 2, 9, 9, 1, 4}, {2, 6, 9, 3, 3, 5, 1, 2},
}

// col2imNaive is Col2Im as a plain loop over patch rows, output rows and
// columns, in that order: the order every path must add in, bit for bit.
func col2imNaive(x, col []float32, ld, c, h, w, kh, kw, s, p int) {
	oh, ow := ConvOut(h, kh, s, p), ConvOut(w, kw, s, p)
	clear(x[:c*h*w])
	for ch := 0; ch < c; ch++ {
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				r := ((ch*kh+i)*kw + j) * ld
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						iy, ix := oy*s-p+i, ox*s-p+j
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							x[(ch*h+iy)*w+ix] += col[r+oy*ow+ox]
						}
					}
				}
			}
		}
	}
}

// TestCol2ImOrder requires Col2Im's fast paths to add in the plain loop's
// order: the same bits.
func TestCol2ImOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, tc := range convCases {
		oh, ow := ConvOut(tc.h, tc.kh, tc.s, tc.p), ConvOut(tc.w, tc.kw, tc.s, tc.p)
		ld := oh*ow + 1
		g := randSlice(r, tc.c*tc.kh*tc.kw*ld)
		got, want := make([]float32, tc.c*tc.h*tc.w), make([]float32, tc.c*tc.h*tc.w)
		Col2Im(got, append([]float32(nil), g...), ld, tc.c, tc.h, tc.w, tc.kh, tc.kw, tc.s, tc.p)
		col2imNaive(want, g, ld, tc.c, tc.h, tc.w, tc.kh, tc.kw, tc.s, tc.p)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: x[%d] = %v; the plain loop gives %v", tc, i, got[i], want[i])
			}
		}
	}
}

// TestIm2ColConv checks that Im2Col followed by Gemm is the direct
// convolution, with ld > OH·OW to cover batched layouts.
func TestIm2ColConv(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, tc := range convCases {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			oh, ow := ConvOut(tc.h, tc.kh, tc.s, tc.p), ConvOut(tc.w, tc.kw, tc.s, tc.p)
			x := randSlice(r, tc.c*tc.h*tc.w)
			w := randSlice(r, tc.oc*tc.c*tc.kh*tc.kw)
			rows, hw, ld := tc.c*tc.kh*tc.kw, oh*ow, oh*ow+3
			col := make([]float32, rows*ld)
			for i := range col {
				col[i] = float32(math.NaN()) // every used entry must be written
			}
			Im2Col(col, ld, x, tc.c, tc.h, tc.w, tc.kh, tc.kw, tc.s, tc.p)
			y := make([]float32, tc.oc*hw)
			Gemm(NoTrans, NoTrans, tc.oc, hw, rows, 1, w, rows, col, ld, 0, y, hw)
			want := convDirect(x, w, tc.c, tc.h, tc.w, tc.oc, tc.kh, tc.kw, tc.s, tc.p)
			for i := range want {
				if math.Abs(float64(y[i]-want[i])) > 1e-4 {
					t.Fatalf("y[%d] = %v; want %v", i, y[i], want[i])
				}
			}
			for row := 0; row < rows; row++ {
				for j := hw; j < ld && row < rows-1; j++ {
					if !math.IsNaN(float64(col[row*ld+j])) {
						t.Fatalf("Im2Col wrote col[%d] past OH·OW in row %d", row*ld+j, row)
					}
				}
			}
		})
	}
}

// TestCol2ImAdjoint checks ⟨Im2Col(x), g⟩ = ⟨x, Col2Im(g)⟩ for random x, g,
// which is what makes Col2Im the exact input gradient.
func TestCol2ImAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, tc := range convCases {
		oh, ow := ConvOut(tc.h, tc.kh, tc.s, tc.p), ConvOut(tc.w, tc.kw, tc.s, tc.p)
		rows, ld := tc.c*tc.kh*tc.kw, oh*ow+2
		x := randSlice(r, tc.c*tc.h*tc.w)
		g := randSlice(r, rows*ld)
		col := make([]float32, rows*ld)
		Im2Col(col, ld, x, tc.c, tc.h, tc.w, tc.kh, tc.kw, tc.s, tc.p)
		dx := randSlice(r, len(x)) // Col2Im must overwrite it
		Col2Im(dx, g, ld, tc.c, tc.h, tc.w, tc.kh, tc.kw, tc.s, tc.p)
		var lhs, rhs float64
		for row := 0; row < rows; row++ {
			for j := 0; j < oh*ow; j++ {
				lhs += float64(col[row*ld+j]) * float64(g[row*ld+j])
			}
		}
		for i := range x {
			rhs += float64(x[i]) * float64(dx[i])
		}
		if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%+v: <Im2Col(x), g> = %v; <x, Col2Im(g)> = %v", tc, lhs, rhs)
		}
	}
}

func TestConvOut(t *testing.T) {
	for _, tc := range []struct{ in, k, s, p, want int }{
		{28, 5, 1, 2, 28}, {28, 5, 1, 0, 24}, {14, 2, 2, 0, 7}, {7, 3, 2, 1, 4}, {2, 5, 1, 0, 0}, {5, 1, 0, 0, 0},
	} {
		if got := ConvOut(tc.in, tc.k, tc.s, tc.p); got != tc.want {
			t.Errorf("ConvOut(%d, %d, %d, %d) = %d; want %d", tc.in, tc.k, tc.s, tc.p, got, tc.want)
		}
	}
}

// TestCol2ImN checks that Col2ImN gives Col2Im's bits on each image, for
// every geometry of convCases and one to five images side by side (the
// "same" ones in one call per patch row, with runs under and over eight
// values), and writes no other value.
func TestCol2ImN(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	for _, tc := range convCases {
		oh, ow := ConvOut(tc.h, tc.kh, tc.s, tc.p), ConvOut(tc.w, tc.kw, tc.s, tc.p)
		hw, size := oh*ow, tc.c*tc.h*tc.w
		for n := 1; n <= 5; n++ {
			ld := n*hw + 2
			g := randSlice(r, tc.c*tc.kh*tc.kw*ld)
			got := randSlice(r, n*size+3) // every image value must be written
			tail := append([]float32(nil), got[n*size:]...)
			Col2ImN(got, append([]float32(nil), g...), ld, n, tc.c, tc.h, tc.w, tc.kh, tc.kw, tc.s, tc.p)
			for e := 0; e < n; e++ {
				want := make([]float32, size)
				Col2Im(want, append([]float32(nil), g[e*hw:]...), ld, tc.c, tc.h, tc.w, tc.kh, tc.kw, tc.s, tc.p)
				for i, v := range want {
					if math.Float32bits(got[e*size+i]) != math.Float32bits(v) {
						t.Fatalf("%+v, %d images: image %d x[%d] = %v; Col2Im gives %v", tc, n, e, i, got[e*size+i], v)
					}
				}
			}
			for i, v := range tail {
				if math.Float32bits(got[n*size+i]) != math.Float32bits(v) {
					t.Fatalf("%+v, %d images: value %d past the images written", tc, n, n*size+i)
				}
			}
		}
	}
}
