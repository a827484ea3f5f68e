package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

const guard = float32(-777.25)

// padded returns n random values (with NaN, ±Inf, ±0 mixed in) at offset
// off inside a slice whose other values are guard.
func padded(r *rand.Rand, n, off int) (full, s []float32) {
	full = make([]float32, off+n+9)
	for i := range full {
		full[i] = guard
	}
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	for i := 0; i < n; i++ {
		if r.IntN(8) == 0 {
			full[off+i] = specials[r.IntN(len(specials))]
		} else {
			full[off+i] = r.Float32()*4 - 2
		}
	}
	return full, full[off : off+n]
}

func checkGuards(t *testing.T, name string, full []float32, off, n int) {
	t.Helper()
	for i, v := range full {
		if (i < off || i >= off+n) && v != guard {
			t.Fatalf("%s: guard at %d overwritten with %v", name, i, v)
		}
	}
}

// reluRef is max(v, 0) as the kernels define it: +0 for negative values
// and −0, v itself for positive values and a NaN without its sign bit.
func reluRef(v float32) float32 {
	if v > 0 || (v != v && !math.Signbit(float64(v))) {
		return v
	}
	return 0
}

func same(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// paths runs f once per implementation this machine has.
func paths(t *testing.T, f func(t *testing.T)) {
	old := useAVX2
	defer func() { useAVX2 = old }()
	t.Run("go", func(t *testing.T) { useAVX2 = false; f(t) })
	if old {
		t.Run("avx2", func(t *testing.T) { useAVX2 = true; f(t) })
	}
}

func TestKernels(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for n := 0; n <= 67; n++ {
			for off := 0; off < 3; off++ {
				xf, x := padded(r, n, off)
				yf, y := padded(r, n, off+1)
				x0, y0 := append([]float32(nil), x...), append([]float32(nil), y...)

				Axpy(0.75, x, y)
				for i := range y {
					w := float64(y0[i]) + 0.75*float64(x0[i])
					g := float64(y[i])
					if !(g == w || (math.IsNaN(g) && math.IsNaN(w)) || math.Abs(g-w) <= 1e-6*(1+math.Abs(w))) {
						t.Fatalf("n=%d off=%d: Axpy y[%d] = %v; want %v", n, off, i, g, w)
					}
					// The Go loop rounds the product and the sum separately
					// (the assembly fuses them), on every architecture.
					if w := y0[i] + float32(0.75*x0[i]); !useAVX2 && !same(y[i], w) {
						t.Fatalf("n=%d off=%d: Axpy (Go) y[%d] = %v; want %v", n, off, i, y[i], w)
					}
				}
				checkGuards(t, "Axpy y", yf, off+1, n)
				checkGuards(t, "Axpy x", xf, off, n)

				copy(y, y0)
				Scale(-1.5, y)
				for i := range y {
					if !same(y[i], y0[i]*-1.5) {
						t.Fatalf("n=%d: Scale y[%d] = %v; want %v", n, i, y[i], y0[i]*-1.5)
					}
				}

				ReLU(y, x)
				for i := range y {
					w := reluRef(x0[i])
					if !same(y[i], w) {
						t.Fatalf("n=%d: ReLU y[%d] = %v; want %v (x=%v)", n, i, y[i], w, x0[i])
					}
				}
				checkGuards(t, "ReLU y", yf, off+1, n)

				copy(y, y0)
				AddReLU(y, x)
				for i := range y {
					w := reluRef(y0[i] + x0[i])
					if !same(y[i], w) {
						t.Fatalf("n=%d: AddReLU x[%d] = %v; want %v", n, i, y[i], w)
					}
				}

				dxf, dx := padded(r, n, off+2)
				ReLUBackward(dx, y0, x0)
				for i := range dx {
					w := float32(0)
					if x0[i] > 0 {
						w = y0[i]
					}
					if !same(dx[i], w) {
						t.Fatalf("n=%d: ReLUBackward dx[%d] = %v; want %v (y=%v dy=%v)", n, i, dx[i], w, x0[i], y0[i])
					}
				}
				checkGuards(t, "ReLUBackward dx", dxf, off+2, n)
			}
		}
	})
}

// TestAdam checks the Adam step on both paths against the same formula
// in scalar float32 with every operation rounded separately, bit for bit,
// for lengths that exercise the 8-wide body and the scalar tail, with and
// without an L2 term; values outside [0, n) must stay untouched. The large
// l2 and c2 make the terms comparable, so a multiply-add fused by the
// compiler (arm64, GOAMD64=v3) changes some results.
func TestAdam(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for n := 0; n <= 35; n++ {
			for _, hp := range [][2]float32{{0, 0.001}, {1e-4, 0.001}, {0.3, 0.001}, {0.3, 0.3}} {
				l2, c2 := hp[0], hp[1]
				pf, p := padded(r, n, 1)
				_, g := padded(r, n, 2)
				mf, m := padded(r, n, 3)
				vf, v := padded(r, n, 0)
				for i := range v {
					v[i] = float32(math.Abs(float64(v[i]))) // a second moment is never negative
				}
				p0, m0, v0 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
				const c1, alpha, eps = 0.1, 1e-3, 1e-7
				Adam(p, g, m, v, l2, c1, c2, alpha, eps)
				for i := range p {
					gj := g[i] + float32(l2*p0[i])
					wm := m0[i] + float32((gj-m0[i])*c1)
					wv := v0[i] + float32((float32(gj*gj)-v0[i])*c2)
					wp := p0[i] - alpha*wm/(float32(math.Sqrt(float64(wv)))+eps)
					if !same(m[i], wm) || !same(v[i], wv) || !same(p[i], wp) {
						t.Fatalf("n=%d l2=%v c2=%v i=%d: Adam gives p,m,v = %v,%v,%v; want %v,%v,%v", n, l2, c2, i, p[i], m[i], v[i], wp, wm, wv)
					}
				}
				checkGuards(t, "Adam p", pf, 1, n)
				checkGuards(t, "Adam m", mf, 3, n)
				checkGuards(t, "Adam v", vf, 0, n)
			}
		}
	})
}

// TestBytesToFloat checks every byte value, at every alignment and length
// up to 70 (the 32-, 8- and 1-wide loops), bit for bit against the Go
// division, with the values past the end untouched.
func TestBytesToFloat(t *testing.T) {
	paths(t, func(t *testing.T) {
		src := make([]uint8, 256+80)
		for i := range src {
			src[i] = uint8(i * 7)
		}
		for _, div := range []float32{255, 3, 0.5} {
			for n := 0; n <= 70; n++ {
				for off := 0; off < 3; off++ {
					full := make([]float32, off+n+9)
					for i := range full {
						full[i] = guard
					}
					dst := full[off : off+n]
					s := src[off+n : off+2*n]
					BytesToFloat(dst, s, div)
					for i, v := range s {
						if w := float32(v) / div; !same(dst[i], w) {
							t.Fatalf("div=%v n=%d: dst[%d] = %v; want %v", div, n, i, dst[i], w)
						}
					}
					checkGuards(t, "BytesToFloat", full, off, n)
				}
			}
			all := make([]uint8, 256)
			for i := range all {
				all[i] = uint8(i)
			}
			dst := make([]float32, 256)
			BytesToFloat(dst, all, div)
			for i, v := range all {
				if w := float32(v) / div; !same(dst[i], w) {
					t.Fatalf("div=%v: byte %d gives %v; want %v", div, v, dst[i], w)
				}
			}
		}
	})
}

// TestBatchNormKernels checks the batch-normalisation kernels on both
// paths bit for bit: the elementwise ones against their formulas, the
// reductions against the eight-lane order written out here, at lengths
// 0..70 and unaligned offsets.
func TestBatchNormKernels(t *testing.T) {
	lanes := func(n int, f func(i int) float32) float32 {
		var s [8]float32
		m := n &^ 7
		for i := 0; i < m; i++ {
			s[i%8] += f(i)
		}
		r := ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
		for i := m; i < n; i++ {
			r += f(i)
		}
		return r
	}
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 9))
		for n := 0; n <= 70; n++ {
			for off := 0; off < 3; off++ {
				_, x := padded(r, n, off)
				xhf, xh := padded(r, n, off+1)
				yf, y := padded(r, n, off+2)
				const mean, k, g, b = 0.25, 1.75, 0.5, -0.125
				BatchNormNormalize(x, xh, y, mean, k, g, b)
				for i, v := range x {
					h := (v - mean) * k
					if w := float32(g*h) + b; !same(xh[i], h) || !same(y[i], w) {
						t.Fatalf("n=%d: BatchNormNormalize xh,y[%d] = %v,%v; want %v,%v", n, i, xh[i], y[i], h, w)
					}
				}
				checkGuards(t, "BatchNormNormalize xh", xhf, off+1, n)
				checkGuards(t, "BatchNormNormalize y", yf, off+2, n)
				yOnlyf, yOnly := padded(r, n, off+2)
				BatchNormNormalizeY(x, yOnly, mean, k, g, b)
				for i := range yOnly {
					if !same(yOnly[i], y[i]) {
						t.Fatalf("n=%d: BatchNormNormalizeY y[%d] = %v; want BatchNormNormalize's %v", n, i, yOnly[i], y[i])
					}
				}
				checkGuards(t, "BatchNormNormalizeY y", yOnlyf, off+2, n)

				dxf, dx := padded(r, n, off+1)
				const mdb, mdg = 0.0625, -0.375
				BatchNormBackward(dx, x, xh, k, mdb, mdg)
				for i := range dx {
					if w := k * ((x[i] - mdb) - float32(xh[i]*mdg)); !same(dx[i], w) {
						t.Fatalf("n=%d: BatchNormBackward dx[%d] = %v; want %v", n, i, dx[i], w)
					}
				}
				checkGuards(t, "BatchNormBackward dx", dxf, off+1, n)

				if got, w := Sum(x), lanes(n, func(i int) float32 { return x[i] }); !same(got, w) {
					t.Fatalf("n=%d: Sum = %v; want %v", n, got, w)
				}
				acIn := append([]float32(nil), x...)
				acWant := append([]float32(nil), x...)
				AddConst(acWant, acWant, mean)
				if got, w := AddConstSum(acIn, mean), Sum(acWant); !same(got, w) {
					t.Fatalf("n=%d: AddConstSum = %v; want AddConst then Sum, %v", n, got, w)
				}
				for i := range acIn {
					if !same(acIn[i], acWant[i]) {
						t.Fatalf("n=%d: AddConstSum v[%d] = %v; want %v", n, i, acIn[i], acWant[i])
					}
				}
				if got, w := SquaredDeviation(x, mean), lanes(n, func(i int) float32 { d := x[i] - mean; return float32(d * d) }); !same(got, w) {
					t.Fatalf("n=%d: SquaredDeviation = %v; want %v", n, got, w)
				}
				dot, sum := DotSum(x, xh)
				wd := lanes(n, func(i int) float32 { return float32(x[i] * xh[i]) })
				ws := lanes(n, func(i int) float32 { return x[i] })
				if !same(dot, wd) || !same(sum, ws) {
					t.Fatalf("n=%d: DotSum = %v, %v; want %v, %v", n, dot, sum, wd, ws)
				}

				// The x̂-rebuilding forms: the bits of the forms above on
				// the xh BatchNormNormalize wrote (gr is a gradient).
				_, gr := padded(r, n, off+2)
				dot, sum = DotSumNorm(gr, x, mean, k)
				if wd, ws := DotSum(gr, xh); !same(dot, wd) || !same(sum, ws) {
					t.Fatalf("n=%d: DotSumNorm = %v, %v; want DotSum's %v, %v", n, dot, sum, wd, ws)
				}
				want := make([]float32, n)
				BatchNormBackward(want, gr, xh, k, mdb, mdg)
				BatchNormBackwardNorm(dx, gr, x, k, mdb, mdg, mean, k)
				for i := range dx {
					if !same(dx[i], want[i]) {
						t.Fatalf("n=%d: BatchNormBackwardNorm dx[%d] = %v; want BatchNormBackward's %v", n, i, dx[i], want[i])
					}
				}
				checkGuards(t, "BatchNormBackwardNorm dx", dxf, off+1, n)
				inPlace := append([]float32(nil), x...) // dx = x, as the batch norm runs it on yc
				BatchNormBackwardNorm(inPlace, gr, inPlace, k, mdb, mdg, mean, k)
				for i := range inPlace {
					if !same(inPlace[i], want[i]) {
						t.Fatalf("n=%d: BatchNormBackwardNorm in place dx[%d] = %v; want %v", n, i, inPlace[i], want[i])
					}
				}
			}
		}
	})
}

func TestAddConst(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 9))
		for n := 0; n <= 70; n++ {
			for off := 0; off < 3; off++ {
				_, x := padded(r, n, off)
				yf, y := padded(r, n, off+1)
				AddConst(y, x, 0.375)
				for i, v := range x {
					if !same(y[i], v+0.375) {
						t.Fatalf("n=%d: AddConst y[%d] = %v; want %v", n, i, y[i], v+0.375)
					}
				}
				checkGuards(t, "AddConst", yf, off+1, n)
			}
		}
	})
}

func TestSGD(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 13))
		for n := 0; n <= 70; n++ {
			for _, wd := range []float32{0, 1e-3, 0.3} {
				pf, p := padded(r, n, 1)
				_, g := padded(r, n, 2)
				p0 := append([]float32(nil), p...)
				SGD(p, g, 0.01, wd)
				for i := range p {
					d := g[i] + float32(wd*p0[i])
					if w := p0[i] - float32(0.01*d); !same(p[i], w) {
						t.Fatalf("n=%d wd=%v: SGD p[%d] = %v; want %v", n, wd, i, p[i], w)
					}
				}
				checkGuards(t, "SGD p", pf, 1, n)
			}
		}
	})
}

// TestMaxPool2x2 compares the AVX2 path with the Go loop bit for bit (values
// and indices) on rows full of ties, ±0, NaN and ±Inf, for every length up
// to 40 outputs, and checks the result against a plain statement of the
// rule wherever a window holds no NaN.
func TestMaxPool2x2(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	vals := []float32{1, 2, 2, -1, 0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0.5}
	for n := 0; n <= 40; n++ {
		w := 2*n + r.IntN(2) // an odd width leaves the last column out
		r0, r1 := make([]float32, w), make([]float32, w)
		for i := range r0 {
			r0[i], r1[i] = vals[r.IntN(len(vals))], vals[r.IntN(len(vals))]
		}
		var outs [2][]float32
		var args [2][]int32
		old := useAVX2
		for p, avx := range []bool{false, old} {
			useAVX2 = avx
			outs[p], args[p] = make([]float32, n), make([]int32, n)
			MaxPool2x2(outs[p], args[p], r0, r1, 100, int32(w))
		}
		useAVX2 = old
		for j := 0; j < n; j++ {
			if !same(outs[0][j], outs[1][j]) || args[0][j] != args[1][j] {
				t.Fatalf("n=%d window %d: go %v@%d, avx2 %v@%d", n, j, outs[0][j], args[0][j], outs[1][j], args[1][j])
			}
			// The rule: the first value in row-major order that no later
			// value of the window exceeds.
			cand := []struct {
				v   float32
				idx int32
			}{{r0[2*j], int32(100 + 2*j)}, {r0[2*j+1], int32(101 + 2*j)}, {r1[2*j], int32(100 + w + 2*j)}, {r1[2*j+1], int32(101 + w + 2*j)}}
			nan := false
			for _, c := range cand {
				nan = nan || c.v != c.v
			}
			if nan {
				continue
			}
			best := cand[0]
			for _, c := range cand[1:] {
				if c.v > best.v {
					best = c
				}
			}
			if outs[0][j] != best.v || args[0][j] != best.idx {
				t.Fatalf("n=%d window %d: %v@%d; want %v@%d", n, j, outs[0][j], args[0][j], best.v, best.idx)
			}
		}
	}
}

// TestMaxPool2x2Planes checks MaxPool2x2Planes on both paths against
// maxPool2x2Go row by row, bit for bit (values and indices), with ties,
// ±0, NaN and ±Inf, for rows of 1 to 20 windows (below eight the
// assembly's blocks run on into the next rows and planes; from eight,
// blocks whose last overlaps the one before), one to four planes, even
// and odd widths and heights (an odd last row or column is left out), and
// that nothing past the planes' outputs is written.
func TestMaxPool2x2Planes(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 13))
		vals := []float32{1, 2, 2, -1, 0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0.5}
		for ow := 1; ow <= 20; ow++ {
			for _, rows := range []int{1, 2, 3, 7} {
				for planes := 1; planes <= 4; planes++ {
					w := 2*ow + r.IntN(2)
					plane := (2*rows + r.IntN(2)) * w
					x := make([]float32, planes*plane)
					for i := range x {
						x[i] = vals[r.IntN(len(vals))]
					}
					n := planes * rows * ow
					out := make([]float32, n+9)
					arg := make([]int32, n+9)
					for i := n; i < len(out); i++ {
						out[i], arg[i] = guard, -7
					}
					MaxPool2x2Planes(out, arg, x, planes, rows, ow, w, plane)
					wo, wa := make([]float32, ow), make([]int32, ow)
					for p := 0; p < planes; p++ {
						for oy := 0; oy < rows; oy++ {
							xp := x[p*plane:]
							maxPool2x2Go(wo, wa, xp[2*oy*w:], xp[(2*oy+1)*w:], int32(2*oy*w), int32(w))
							for j := range ow {
								k := (p*rows+oy)*ow + j
								if !same(out[k], wo[j]) || arg[k] != wa[j] {
									t.Fatalf("ow %d rows %d planes %d w %d: plane %d window (%d, %d) = %v@%d; want %v@%d", ow, rows, planes, w, p, oy, j, out[k], arg[k], wo[j], wa[j])
								}
							}
						}
					}
					for i := n; i < len(out); i++ {
						if !same(out[i], guard) || arg[i] != -7 {
							t.Fatalf("ow %d rows %d planes %d: wrote past the outputs at %d", ow, rows, planes, i)
						}
					}
				}
			}
		}
	})
}

// TestMaxUnpool2x2Rows checks MaxUnpool2x2Rows on both paths, bit for bit,
// against what the max-pool layer did before it: clear the plane, then add
// each window's gradient (masked to +0 where the pooled value is not
// positive, with a ReLU fused) at its argmax. Gradients and pooled values
// include ±0, NaN and ±Inf; rows of 1 to 24 windows; the columns past
// 2·ow of an odd-width plane, and the rows past the last, keep guard.
func TestMaxUnpool2x2Rows(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 14))
		vals := []float32{1, 2, 2, -1, 0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0.5}
		for ow := 1; ow <= 24; ow++ {
			for _, rows := range []int{1, 3, 12} {
				for _, relu := range []bool{false, true} {
					w := 2*ow + r.IntN(2)
					x := make([]float32, 2*rows*w)
					for i := range x {
						x[i] = vals[r.IntN(len(vals))]
					}
					pooled, arg := make([]float32, rows*ow), make([]int32, rows*ow)
					for oy := 0; oy < rows; oy++ {
						maxPool2x2Go(pooled[oy*ow:(oy+1)*ow], arg[oy*ow:(oy+1)*ow], x[2*oy*w:], x[(2*oy+1)*w:], int32(2*oy*w), int32(w))
					}
					g := make([]float32, rows*ow)
					for i := range g {
						g[i] = vals[r.IntN(len(vals))]
					}
					var y []float32
					if relu {
						y = pooled
					}
					want := make([]float32, len(x)+5)
					got := make([]float32, len(x)+5)
					for i := range got {
						got[i], want[i] = guard, guard
					}
					for oy := 0; oy < rows; oy++ {
						for _, row := range []int{2 * oy, 2*oy + 1} {
							clear(want[row*w : row*w+2*ow])
						}
					}
					for j, a := range arg {
						v := g[j]
						if relu && !(pooled[j] > 0) {
							v = 0
						}
						want[a] += v
					}
					MaxUnpool2x2Rows(got, g, arg, y, rows, ow, w)
					for i := range want {
						if !same(got[i], want[i]) {
							t.Fatalf("ow %d rows %d w %d relu %v: dx[%d] = %v (%#x); want %v (%#x)", ow, rows, w, relu, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
				}
			}
		}
	})
}

// TestMulAdd checks MulAdd on both paths bit for bit against y + alpha·x
// with the product rounded first, for lengths through the 32-, 8- and
// one-wide loops, with NaN, ±Inf and ±0 mixed in; values outside [0, n)
// stay untouched. An alpha with many bits makes a fused multiply-add
// round differently in some elements: the test also checks that Axpy's
// assembly (fused) differs somewhere, so it would catch a fused MulAdd.
func TestMulAdd(t *testing.T) {
	const alpha = float32(0.7071068)
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 11))
		differs := false
		for n := 0; n <= 75; n++ {
			for off := 0; off < 3; off++ {
				xf, x := padded(r, n, off)
				yf, y := padded(r, n, off+1)
				y0 := append([]float32(nil), y...)
				MulAdd(alpha, x, y)
				for i := range y {
					if w := y0[i] + float32(alpha*x[i]); !same(y[i], w) {
						t.Fatalf("n=%d off=%d: MulAdd y[%d] = %v; want %v", n, off, i, y[i], w)
					}
				}
				checkGuards(t, "MulAdd y", yf, off+1, n)
				checkGuards(t, "MulAdd x", xf, off, n)
				fused := append([]float32(nil), y0...)
				Axpy(alpha, x, fused)
				for i := range fused {
					differs = differs || !same(fused[i], y[i])
				}
			}
		}
		if useAVX2 && !differs {
			t.Fatal("Axpy's fused assembly gave MulAdd's bits everywhere: the test cannot tell fused from unfused")
		}
	})
}

// TestTaps checks DotTaps against dotsumGo's dot per tap (and its sum),
// and MulAddTaps against one mulAddGo per tap in row-major order (from a
// cleared y with set), bit for bit, on both paths: every shape with a kernel and some without (4 rows, 9 taps),
// lengths through the 16-, 8- and scalar parts, rows in any order, and
// NaN, ±Inf and ±0 mixed in; y's values outside [0, n) stay untouched.
func TestTaps(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(17, 3))
		for nr := 1; nr <= 4; nr++ {
			for nt := 1; nt <= 9; nt++ {
				for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 40, 838} {
					rows := make([]int, nr)
					for i := range rows {
						rows[i] = r.IntN(40)
					}
					_, x := padded(r, rows[0]+n+nt+40, 0)
					_, g := padded(r, n, 1)
					w := make([]float32, nr*nt)
					for i := range w {
						w[i] = r.Float32()*2 - 1
					}
					out := make([]float32, nr*nt)
					sum := DotTaps(g, x, rows, nt, out)
					if _, want := dotsumGo(g, g); !same(sum, want) {
						t.Fatalf("DotTaps %dx%d n=%d: sum %v; want %v", nr, nt, n, sum, want)
					}
					for i, ro := range rows {
						for j := 0; j < nt; j++ {
							want, _ := dotsumGo(g, x[ro+j:ro+j+n])
							if !same(out[i*nt+j], want) {
								t.Fatalf("DotTaps %dx%d n=%d: tap (%d,%d) = %v; want %v", nr, nt, n, i, j, out[i*nt+j], want)
							}
						}
					}
					set := r.IntN(2) == 0
					yf, y := padded(r, n, 2)
					want := append([]float32(nil), y...)
					MulAddTaps(y, x, rows, nt, w, set)
					if set {
						clear(want)
					}
					for i, ro := range rows {
						for j := 0; j < nt; j++ {
							mulAddGo(w[i*nt+j], x[ro+j:ro+j+n], want)
						}
					}
					for p := range y {
						if !same(y[p], want[p]) {
							t.Fatalf("MulAddTaps %dx%d n=%d: y[%d] = %v; want %v", nr, nt, n, p, y[p], want[p])
						}
					}
					checkGuards(t, "MulAddTaps y", yf, 2, n)
				}
			}
		}
	})
}

// TestRows checks RowsCopy and RowsAddConst on both paths against plain
// loops, bit for bit, for widths below 8 (Go only), up to 32 (the
// assembly's straight-line rows, whose last block overlaps the one before)
// and above (its loop), and that nothing outside the rows is written: the gaps between rows and past the last one keep guard.
func TestRows(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 4))
		for _, width := range []int{1, 5, 7, 8, 9, 15, 16, 17, 24, 25, 28, 30, 32, 33, 40, 45} {
			for _, rows := range []int{0, 1, 3} {
				for _, add := range []bool{false, true} {
					ds, ss := width+r.IntN(3), width+r.IntN(4)
					_, src := padded(r, rows*ss+1, 0)
					dst := make([]float32, rows*ds+2)
					for i := range dst {
						dst[i] = guard
					}
					if add {
						RowsAddConst(dst, src, rows, width, ds, ss, 0.625)
					} else {
						RowsCopy(dst, src, rows, width, ds, ss)
					}
					for i, v := range dst {
						row, q := i/ds, i%ds
						want := guard
						if row < rows && q < width {
							want = src[row*ss+q]
							if add {
								want += 0.625
							}
						}
						if !same(v, want) {
							t.Fatalf("width %d rows %d add %v: dst[%d] = %v; want %v", width, rows, add, i, v, want)
						}
					}
				}
			}
		}
	})
}

// TestRowsAdd checks RowsAdd on both paths against the plain loop, bit for
// bit, for the same widths as TestRows: where the assembly's last block
// overlaps the one before, a value added twice would show. The gaps
// between rows and past the last one keep their values.
func TestRowsAdd(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 5))
		for _, width := range []int{1, 5, 7, 8, 9, 10, 15, 16, 17, 24, 25, 28, 30, 32, 33, 40, 45} {
			for _, rows := range []int{0, 1, 3, 10} {
				ds, ss := width+r.IntN(3), width+r.IntN(4)
				_, src := padded(r, rows*ss+1, 0)
				_, dst := padded(r, rows*ds+2, 0)
				want := append([]float32(nil), dst...)
				for i := range want {
					if row, q := i/ds, i%ds; row < rows && q < width {
						want[i] += src[row*ss+q]
					}
				}
				RowsAdd(dst, src, rows, width, ds, ss)
				for i, v := range dst {
					if !same(v, want[i]) {
						t.Fatalf("width %d rows %d: dst[%d] = %v; want %v", width, rows, i, v, want[i])
					}
				}
			}
		}
	})
}

// TestRowsCopyBlocks checks RowsCopyBlocks on both paths against plain
// loops for widths below 8 (Go), 8 to 32 (the assembly; the last block of
// a row overlapping the one before) and above (per-block RowsCopy), with
// gaps between rows and between blocks, and that nothing past the copied
// values is written.
func TestRowsCopyBlocks(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 6))
		for _, width := range []int{1, 5, 8, 10, 15, 16, 17, 24, 28, 32, 33, 45} {
			for _, rows := range []int{1, 3, 10} {
				for _, blocks := range []int{0, 1, 4} {
					ss := width + r.IntN(4)
					bs := rows*ss + r.IntN(9)
					_, src := padded(r, max(blocks, 1)*bs+1, 0)
					n := blocks * rows * width
					dst := make([]float32, n+5)
					for i := range dst {
						dst[i] = guard
					}
					RowsCopyBlocks(dst, src, blocks, rows, width, ss, bs)
					for i, v := range dst {
						want := guard
						if i < n {
							b, rq := i/(rows*width), i%(rows*width)
							want = src[b*bs+rq/width*ss+rq%width]
						}
						if !same(v, want) {
							t.Fatalf("width %d rows %d blocks %d: dst[%d] = %v; want %v", width, rows, blocks, i, v, want)
						}
					}
				}
			}
		}
	})
}

// TestRowSums checks RowSums on both paths against a plain left-to-right
// loop per row, bit for bit, for 1 to 8 rows, lengths through the
// assembly's blocks of eight and the Go tail, and values over many
// magnitudes (any other order of addition rounds differently).
func TestRowSums(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 7))
		for rows := 1; rows <= 8; rows++ {
			for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 64, 100} {
				ld := n + r.IntN(3)
				y := make([]float32, rows*ld+3)
				for i := range y {
					y[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
				}
				out := make([]float32, rows)
				for i := range out {
					out[i] = guard
				}
				RowSums(out, y, ld, n)
				for k := range out {
					var want float32
					for _, v := range y[k*ld : k*ld+n] {
						want += v
					}
					if !same(out[k], want) {
						t.Fatalf("rows %d n %d: row %d sums to %v; the plain loop gives %v", rows, n, k, out[k], want)
					}
				}
			}
		}
	})
}

// TestMaskedCopyBlocks checks MaskedCopyBlocks on both paths against a
// plain loop, bit for bit (NaN, ±Inf and ±0 among the values), for blocks
// shorter than eight (Go), runs shorter than eight, runs that start and
// end inside the block and at its edges, masks with isolated zeros and
// runs of them, gaps between the source blocks, and that nothing past the
// blocks is written.
func TestMaskedCopyBlocks(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 8))
		for _, n := range []int{5, 8, 9, 14, 16, 49, 196} {
			for trial := 0; trial < 12; trial++ {
				a := r.IntN(n + 1)
				b := a + r.IntN(n-a+1)
				if trial < 3 { // the whole block, from its start, to its end
					a, b = []int{0, 0, a}[trial], []int{n, b, n}[trial]
				}
				mask := make([]uint32, n)
				for q := range mask {
					if r.IntN(5) != 0 {
						mask[q] = ^uint32(0)
					}
				}
				for _, blocks := range []int{0, 1, 3} {
					ss := b - a + r.IntN(5)
					_, src := padded(r, max(blocks, 1)*ss+1, 0)
					dst := make([]float32, blocks*n+7)
					for i := range dst {
						dst[i] = guard
					}
					MaskedCopyBlocks(dst, src, mask, blocks, n, a, b, ss)
					for i, v := range dst {
						want := guard
						if e, q := i/n, i%n; i < blocks*n {
							want = 0
							if q >= a && q < b {
								want = math.Float32frombits(math.Float32bits(src[e*ss+q-a]) & mask[q])
							}
						}
						if !same(v, want) {
							t.Fatalf("n %d run [%d, %d) blocks %d: dst[%d] = %v; want %v", n, a, b, blocks, i, v, want)
						}
					}
				}
			}
		}
	})
}

// TestMaskedAddBlocks checks MaskedAddBlocks on both paths against a plain
// loop, bit for bit (NaN, ±Inf and ±0 among both operands, so a masked
// position adds +0 to −0), for runs shorter than eight (Go), of eight and
// of more (the last eight overlapping the ones before: added once), with
// gaps between the blocks on both sides, and that nothing else is written.
func TestMaskedAddBlocks(t *testing.T) {
	paths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(19, 9))
		for _, n := range []int{1, 5, 8, 9, 13, 16, 41, 196} {
			mask := make([]uint32, n)
			for q := range mask {
				if r.IntN(5) != 0 {
					mask[q] = ^uint32(0)
				}
			}
			for _, blocks := range []int{0, 1, 3} {
				ds, ss := n+r.IntN(5), n+r.IntN(5)
				_, src := padded(r, max(blocks, 1)*ss, 0)
				full, dst := padded(r, max(blocks, 1)*ds, 4)
				want := append([]float32(nil), dst...)
				for e := 0; e < blocks; e++ {
					for q := 0; q < n; q++ {
						want[e*ds+q] += math.Float32frombits(math.Float32bits(src[e*ss+q]) & mask[q])
					}
				}
				MaskedAddBlocks(dst, src, mask, blocks, n, ds, ss)
				for i := range want {
					if !same(dst[i], want[i]) {
						t.Fatalf("n %d blocks %d: dst[%d] = %v; want %v", n, blocks, i, dst[i], want[i])
					}
				}
				checkGuards(t, "MaskedAddBlocks", full, 4, len(dst))
			}
		}
	})
}
