package tensor

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// direct1Cases: the zoo's first layers (3×3 "same", 5×5 "valid"), a 3×3
// "valid", odd image sizes, non-square kernels, a 1×1 kernel with and
// without padding, and a kernel as large as the padded image.
var direct1Cases = []Direct1{
	{H: 28, W: 28, KH: 3, KW: 3, Pad: 1, OutC: 16},
	{H: 28, W: 28, KH: 5, KW: 5, Pad: 0, OutC: 24},
	{H: 12, W: 12, KH: 3, KW: 3, Pad: 0, OutC: 5},
	{H: 7, W: 9, KH: 3, KW: 3, Pad: 1, OutC: 3},
	{H: 7, W: 9, KH: 3, KW: 5, Pad: 2, OutC: 2},
	{H: 9, W: 7, KH: 2, KW: 3, Pad: 0, OutC: 4},
	{H: 7, W: 9, KH: 1, KW: 1, Pad: 0, OutC: 3},
	{H: 5, W: 6, KH: 1, KW: 1, Pad: 1, OutC: 2},
	{H: 3, W: 4, KH: 5, KW: 6, Pad: 1, OutC: 2},
	// the vec kernels' groups: 4 rows of 3 (3 + 1), 7 rows of 7 (one at a
	// time), rows of 9 and 10 taps (cut into 8 + 1 and 8 + 2)
	{H: 9, W: 8, KH: 4, KW: 3, Pad: 1, OutC: 3},
	{H: 10, W: 10, KH: 7, KW: 7, Pad: 3, OutC: 2},
	{H: 4, W: 11, KH: 3, KW: 9, Pad: 0, OutC: 2},
	{H: 5, W: 14, KH: 2, KW: 10, Pad: 1, OutC: 2},
}

func nanSlice(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// close64 reports whether got is want up to float32 rounding of a sum whose
// terms have absolute values adding up to mag.
func close64(got float32, want, mag float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*mag+1e-6
}

// TestDirect1 checks Forward, WeightGrad (with the bias gradient) and
// InputGrad on batches of 1 and 3 images against nested loops in float64,
// over every geometry of direct1Cases. Scratch, outputs and plane borders
// start as NaN, so a value read from a column that is not an output (or a
// pixel left unwritten) shows.
func TestDirect1(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	for _, d := range direct1Cases {
		for _, n := range []int{1, 3} {
			t.Run(fmt.Sprintf("%dx%d_k%dx%d_p%d_o%d_n%d", d.H, d.W, d.KH, d.KW, d.Pad, d.OutC, n), func(t *testing.T) {
				oh, ow := d.OutH(), d.OutW()
				k, hw, ps := d.KH*d.KW, d.H*d.W, d.PlaneSize()
				x := randSlice(r, n*hw)
				w := randSlice(r, d.OutC*k)
				b := randSlice(r, d.OutC)
				dy := randSlice(r, n*d.OutC*oh*ow)
				xp, tmp, dxp := nanSlice(n*ps), nanSlice(d.Span()), nanSlice(ps)
				y, dx := nanSlice(n*d.OutC*oh*ow), nanSlice(n*hw)
				dw, db := make([]float32, d.OutC*k), make([]float32, d.OutC)
				for e := 0; e < n; e++ {
					d.PadImage(xp[e*ps:(e+1)*ps], x[e*hw:(e+1)*hw])
					d.Forward(y[e*d.OutC*oh*ow:], xp[e*ps:], w, b, tmp)
					d.WeightGrad(dw, db, dy[e*d.OutC*oh*ow:], xp[e*ps:], tmp, 0, d.OutC)
					d.InputGrad(dx[e*hw:], dy[e*d.OutC*oh*ow:], w, tmp, dxp)
				}
				// Forward: y[o][r][c] = b[o] + Σ w[o][i][j]·x[r−P+i][c−P+j].
				for e := 0; e < n; e++ {
					for o := 0; o < d.OutC; o++ {
						for rr := 0; rr < oh; rr++ {
							for c := 0; c < ow; c++ {
								want, mag := float64(b[o]), math.Abs(float64(b[o]))
								for i := 0; i < d.KH; i++ {
									for j := 0; j < d.KW; j++ {
										iy, ix := rr-d.Pad+i, c-d.Pad+j
										if iy >= 0 && iy < d.H && ix >= 0 && ix < d.W {
											v := float64(w[o*k+i*d.KW+j]) * float64(x[e*hw+iy*d.W+ix])
											want += v
											mag += math.Abs(v)
										}
									}
								}
								if got := y[((e*d.OutC+o)*oh+rr)*ow+c]; !close64(got, want, mag) {
									t.Fatalf("y[%d][%d][%d][%d] = %v; want %v", e, o, rr, c, got, want)
								}
							}
						}
					}
				}
				// WeightGrad: dw[o][i][j] = Σ_e Σ_(r,c) dy[e][o][r][c]·x[e][r−P+i][c−P+j],
				// db[o] = Σ dy[e][o]; dx the adjoint, accumulated at once.
				wantDx, magDx := make([]float64, n*hw), make([]float64, n*hw)
				for o := 0; o < d.OutC; o++ {
					var sb, mb float64
					for i := 0; i < d.KH; i++ {
						for j := 0; j < d.KW; j++ {
							var s, m float64
							for e := 0; e < n; e++ {
								for rr := 0; rr < oh; rr++ {
									for c := 0; c < ow; c++ {
										g := float64(dy[((e*d.OutC+o)*oh+rr)*ow+c])
										if i == 0 && j == 0 {
											sb += g
											mb += math.Abs(g)
										}
										iy, ix := rr-d.Pad+i, c-d.Pad+j
										if iy >= 0 && iy < d.H && ix >= 0 && ix < d.W {
											v := g * float64(x[e*hw+iy*d.W+ix])
											s += v
											m += math.Abs(v)
											u := g * float64(w[o*k+i*d.KW+j])
											wantDx[e*hw+iy*d.W+ix] += u
											magDx[e*hw+iy*d.W+ix] += math.Abs(u)
										}
									}
								}
							}
							if got := dw[o*k+i*d.KW+j]; !close64(got, s, m) {
								t.Fatalf("dw[%d][%d][%d] = %v; want %v", o, i, j, got, s)
							}
						}
					}
					if !close64(db[o], sb, mb) {
						t.Fatalf("db[%d] = %v; want %v", o, db[o], sb)
					}
				}
				for i, want := range wantDx {
					if !close64(dx[i], want, magDx[i]) {
						t.Fatalf("dx[%d] = %v; want %v", i, dx[i], want)
					}
				}
			})
		}
	}
}

// TestDirect1Order checks the documented order bit for bit: Forward and
// InputGrad against scalar float32 loops that round every product and add
// taps in row-major order (Forward's bias last), and WeightGrad called per
// filter range (as partitions over filters call it) against one call for
// all filters.
// Under purego and on arm64 the kernels are the Go loops, on amd64 the
// assembly: the same expected bits for both.
func TestDirect1Order(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2))
	for _, d := range direct1Cases {
		oh, ow := d.OutH(), d.OutW()
		k, hw, ps, wp := d.KH*d.KW, d.H*d.W, d.PlaneSize(), d.W+2*d.Pad
		x, w, b := randSlice(r, hw), randSlice(r, d.OutC*k), randSlice(r, d.OutC)
		dy := randSlice(r, d.OutC*oh*ow)
		xp, tmp, dxp := nanSlice(ps), nanSlice(d.Span()), nanSlice(ps)
		d.PadImage(xp, x)
		y, dx := make([]float32, d.OutC*oh*ow), make([]float32, hw)
		d.Forward(y, xp, w, b, tmp)
		d.InputGrad(dx, dy, w, tmp, dxp)
		for o := 0; o < d.OutC; o++ {
			for rr := 0; rr < oh; rr++ {
				for c := 0; c < ow; c++ {
					var s float32
					for i := 0; i < d.KH; i++ {
						for j := 0; j < d.KW; j++ {
							s += float32(w[o*k+i*d.KW+j] * xp[(rr+i)*wp+c+j])
						}
					}
					s += b[o]
					if got := y[(o*oh+rr)*ow+c]; math.Float32bits(got) != math.Float32bits(s) {
						t.Fatalf("%+v: y[%d][%d][%d] = %v; want %v", d, o, rr, c, got, s)
					}
				}
			}
		}
		// InputGrad adds filter by filter, tap by tap: per pixel, the same
		// order as this loop over (o, i, j) for fixed (rr, c).
		want := make([]float32, ps)
		for o := 0; o < d.OutC; o++ {
			for i := 0; i < d.KH; i++ {
				for j := 0; j < d.KW; j++ {
					for rr := 0; rr < oh; rr++ {
						for c := 0; c < ow; c++ {
							want[(rr+i)*wp+c+j] += float32(w[o*k+i*d.KW+j] * dy[(o*oh+rr)*ow+c])
						}
					}
				}
			}
		}
		for yy := 0; yy < d.H; yy++ {
			for xx := 0; xx < d.W; xx++ {
				g, v := dx[yy*d.W+xx], want[(yy+d.Pad)*wp+xx+d.Pad]
				if math.Float32bits(g) != math.Float32bits(v) {
					t.Fatalf("%+v: dx[%d][%d] = %v; want %v", d, yy, xx, g, v)
				}
			}
		}
		all, allB := make([]float32, d.OutC*k), make([]float32, d.OutC)
		d.WeightGrad(all, allB, dy, xp, tmp, 0, d.OutC)
		part, partB := make([]float32, d.OutC*k), make([]float32, d.OutC)
		for o0 := 0; o0 < d.OutC; o0 += 2 {
			d.WeightGrad(part, partB, dy, xp, tmp, o0, min(o0+2, d.OutC))
		}
		d.WeightGrad(part, nil, dy, xp, tmp, d.OutC, d.OutC) // an empty range
		for i := range all {
			if math.Float32bits(all[i]) != math.Float32bits(part[i]) {
				t.Fatalf("%+v: dw[%d] = %v in ranges of 2 filters, %v in one call", d, i, part[i], all[i])
			}
		}
		for i := range allB {
			if math.Float32bits(allB[i]) != math.Float32bits(partB[i]) {
				t.Fatalf("%+v: db[%d] = %v in ranges of 2 filters, %v in one call", d, i, partB[i], allB[i])
			}
		}
	}
}

// TestDirect1Checks: wrong sizes and geometries panic with the function's
// name.
func TestDirect1Checks(t *testing.T) {
	d := Direct1{H: 7, W: 9, KH: 3, KW: 3, Pad: 1, OutC: 2}
	span, ps := d.Span(), d.PlaneSize()
	ok := func(n int) []float32 { return make([]float32, n) }
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Forward", func() { d.Forward(ok(2*63-1), ok(ps), ok(18), ok(2), ok(span)) }},
		{"Forward", func() { d.Forward(ok(2*63), ok(ps), ok(18), ok(2), ok(span-1)) }},
		{"Forward", func() { d.Forward(ok(2*63), ok(ps), ok(17), ok(2), ok(span)) }},
		{"Forward", func() { d.Forward(ok(2*63), ok(ps), ok(18), ok(1), ok(span)) }},
		{"PadImage", func() { d.PadImage(ok(ps-1), ok(63)) }},
		{"WeightGrad", func() { d.WeightGrad(ok(18), ok(2), ok(126), ok(ps), ok(span), 1, 3) }},
		{"WeightGrad", func() { d.WeightGrad(ok(18), ok(1), ok(126), ok(ps), ok(span), 0, 2) }},
		{"WeightGrad", func() { d.WeightGrad(ok(18), nil, ok(125), ok(ps), ok(span), 0, 2) }},
		{"InputGrad", func() { d.InputGrad(ok(63), ok(126), ok(18), ok(span), ok(ps-1)) }},
		{"Span", func() { (&Direct1{H: 2, W: 9, KH: 3, KW: 3, OutC: 1}).Span() }},
		{"Forward", func() { (&Direct1{H: 7, W: 9, KH: 3, KW: 3, Pad: -1, OutC: 1}).Forward(nil, nil, nil, nil, nil) }},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "Direct1."+c.name) {
					t.Errorf("%s: panic %q; want one naming Direct1.%s", c.name, msg, c.name)
				}
			}()
			c.f()
		}()
	}
}

// TestDirect1Golden holds Forward, WeightGrad and InputGrad on the zoo's
// two first layers to recorded bits (an FNV-1a hash of every output), so a
// kernel path, architecture or build setting that rounded differently
// (AVX-512, AVX2, -tags purego, arm64) fails here. The inputs come from
// Float32, which uses no math library function.
func TestDirect1Golden(t *testing.T) {
	for i, c := range []struct {
		d    Direct1
		want uint64
	}{
		{Direct1{H: 28, W: 28, KH: 3, KW: 3, Pad: 1, OutC: 16}, 0x11c2e6a43e402474},
		{Direct1{H: 28, W: 28, KH: 5, KW: 5, Pad: 0, OutC: 24}, 0x193a89e1b8c8462e},
	} {
		d := c.d
		r := rand.New(rand.NewPCG(13, uint64(i)))
		const n = 3
		oh, ow := d.OutH(), d.OutW()
		k, hw, ps, out := d.KH*d.KW, d.H*d.W, d.PlaneSize(), d.OutC*d.OutH()*d.OutW()
		x, w, b := randSlice(r, n*hw), randSlice(r, d.OutC*k), randSlice(r, d.OutC)
		dy := randSlice(r, n*out)
		xp, tmp, dxp := make([]float32, ps), make([]float32, d.Span()), make([]float32, ps)
		y, dx := make([]float32, n*out), make([]float32, n*hw)
		dw, db := make([]float32, d.OutC*k), make([]float32, d.OutC)
		for e := 0; e < n; e++ {
			d.PadImage(xp, x[e*hw:])
			d.Forward(y[e*out:], xp, w, b, tmp)
			d.WeightGrad(dw, db, dy[e*out:], xp, tmp, 0, d.OutC)
			d.InputGrad(dx[e*hw:], dy[e*out:], w, tmp, dxp)
		}
		h := fnv.New64a()
		for _, s := range [][]float32{y, dw, db, dx} {
			for _, v := range s {
				h.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
			}
		}
		if got := h.Sum64(); got != c.want {
			t.Errorf("%+v (%dx%d outputs): hash %#x; recorded %#x", d, oh, ow, got, c.want)
		}
	}
}
