package tensor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// panicsWith runs f and reports whether it panicked with a message
// containing want.
func panicsWith(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("no panic; want one naming %q", want)
			return
		}
		if msg, _ := r.(string); !strings.Contains(msg, want) {
			t.Errorf("panic %q; want it to name %q", r, want)
		}
	}()
	f()
}

// sameFloat32 reports whether a and b have the same bits, counting any NaN
// equal to any NaN: x86 and ARM give a NaN different payloads.
func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

func TestTensorBasics(t *testing.T) {
	x := New(2, 3, 4)
	if x.Len() != 24 || x.Dim(1) != 3 || x.Rows() != 2 || x.Cols() != 12 || x.String() != "Tensor[2 3 4]" {
		t.Fatalf("New(2, 3, 4): len %d, dim(1) %d, rows %d, cols %d, %s", x.Len(), x.Dim(1), x.Rows(), x.Cols(), x)
	}
	for _, v := range x.Data {
		if v != 0 {
			t.Fatal("New is not zero")
		}
	}
	if c := (&Tensor{}).Cols(); c != 0 {
		t.Errorf("Cols of a shapeless tensor = %d; want 0", c)
	}
	shape := []int{2, 3}
	y := New(shape...)
	shape[0] = 9
	if y.Shape[0] != 2 {
		t.Error("New kept the caller's shape slice")
	}

	data := []float32{1, 2, 3, 4, 5, 6}
	f := FromSlice(data, 3, 2)
	data[0] = 7
	if f.Data[0] != 7 {
		t.Error("FromSlice copied its data; it wraps it")
	}
	r := f.Reshape(2, 3)
	r.Data[5] = -1
	if f.Data[5] != -1 || !SameShape(r, New(2, 3)) || SameShape(r, f) || SameShape(r, New(2, 3, 1)) {
		t.Errorf("Reshape: shape %v, shares data %v", r.Shape, f.Data[5] == -1)
	}
	c := f.Clone()
	c.Data[1], c.Shape[0] = 100, 1
	if f.Data[1] == 100 || f.Shape[0] != 3 {
		t.Error("Clone shares data or shape with the original")
	}
	f.Zero()
	for _, v := range data {
		if v != 0 {
			t.Fatal("Zero left a value")
		}
	}

	panicsWith(t, "negative dimension", func() { New(2, -1) })
	panicsWith(t, "do not fill shape", func() { FromSlice(make([]float32, 5), 2, 3) })
	panicsWith(t, "do not fill shape", func() { New(2, 3).Reshape(4, 2) })
}

func TestEnsureShape(t *testing.T) {
	if e := EnsureShape(nil, 2, 2); e.Len() != 4 || !SameShape(e, New(2, 2)) {
		t.Errorf("EnsureShape(nil) = %v", e)
	}
	x := New(4, 5)
	x.Data[0] = 3
	if e := EnsureShape(x, 4, 5); e != x || e.Data[0] != 3 {
		t.Error("EnsureShape of the same shape did not return the tensor as it was")
	}
	// Smaller: the backing array is reused.
	e := EnsureShape(x, 2, 3)
	if e != x || !SameShape(e, New(2, 3)) || e.Len() != 6 || &e.Data[0] != &x.Data[0] {
		t.Errorf("EnsureShape smaller: %v, len %d, same array %v", e.Shape, e.Len(), &e.Data[0] == &x.Data[0])
	}
	// Back up within capacity: still the same array.
	if e2 := EnsureShape(e, 5, 4); e2.Len() != 20 || &e2.Data[0] != &x.Data[0] {
		t.Errorf("EnsureShape within capacity did not reuse the array")
	}
	// Larger than the capacity: a new zero tensor.
	if e3 := EnsureShape(x, 7, 7); e3 == x || e3.Len() != 49 || e3.Data[0] != 0 {
		t.Errorf("EnsureShape larger: same tensor %v, len %d", e3 == x, e3.Len())
	}
}

// TestMatMul checks MatMul against the float64 reference in every
// transpose case, including a dst of the wrong shape, and the panic on
// mismatched inner dimensions.
func TestMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const m, k, n = 5, 7, 3
	for _, tA := range []Transpose{NoTrans, Trans} {
		for _, tB := range []Transpose{NoTrans, Trans} {
			a, b := New(m, k), New(k, n)
			if tA {
				a = New(k, m)
			}
			if tB {
				b = New(n, k)
			}
			copy(a.Data, randSlice(rng, a.Len()))
			copy(b.Data, randSlice(rng, b.Len()))
			dst := MatMul(New(1, 1), a, tA, b, tB)
			if !SameShape(dst, New(m, n)) {
				t.Fatalf("tA=%v tB=%v: dst shape %v; want [%d %d]", tA, tB, dst.Shape, m, n)
			}
			want := make([]float32, m*n)
			gemm64(tA, tB, m, n, k, 1, a.Data, a.Cols(), b.Data, b.Cols(), 0, want, n)
			for i := range want {
				if math.Abs(float64(dst.Data[i]-want[i])) > 1e-5 {
					t.Fatalf("tA=%v tB=%v: dst[%d] = %v; want %v", tA, tB, i, dst.Data[i], want[i])
				}
			}
		}
	}
	panicsWith(t, "inner dimensions differ", func() { MatMul(nil, New(2, 3), NoTrans, New(4, 2), NoTrans) })
}

// TestStepWrappers checks the exported elementwise steps against their
// documented formulas, written out in scalar Go with every operation
// rounded separately (each product added or subtracted is converted, so
// the compiler cannot fuse it): the documentation promises the same bits.
func TestStepWrappers(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	const n = 37 // a vector body and a tail
	same := func(name string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s[%d] = %v; the formula gives %v", name, i, got[i], want[i])
			}
		}
	}

	p, g, m, v := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	for i := range v {
		v[i] = float32(math.Abs(float64(v[i])))
	}
	const l2, c1, c2, alpha, eps = 0.01, 0.1, 0.001, 0.002, 1e-7
	wp, wm, wv := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
	for i := range wp {
		gi := g[i] + float32(float32(l2)*wp[i])
		wm[i] += float32((gi - wm[i]) * c1)
		wv[i] += float32((float32(gi*gi) - wv[i]) * c2)
		wp[i] -= alpha * wm[i] / (float32(math.Sqrt(float64(wv[i]))) + eps)
	}
	AdamStep(p, g, m, v, l2, c1, c2, alpha, eps)
	same("AdamStep p", p, wp)
	same("AdamStep m", m, wm)
	same("AdamStep v", v, wv)

	ws := append([]float32(nil), p...)
	for i := range ws {
		ws[i] -= float32(0.05 * (g[i] + float32(0.001*ws[i])))
	}
	SGDStep(p, g, 0.05, 0.001)
	same("SGDStep", p, ws)

	x := randSlice(rng, n)
	xh, y := make([]float32, n), make([]float32, n)
	wxh, wy := make([]float32, n), make([]float32, n)
	const mean, kk, gamma, shift = 0.1, 1.7, 0.9, -0.2
	for i := range x {
		h := (x[i] - mean) * kk
		wxh[i], wy[i] = h, float32(gamma*h)+shift
	}
	BatchNormNormalize(x, xh, y, mean, kk, gamma, shift)
	same("BatchNormNormalize xh", xh, wxh)
	same("BatchNormNormalize y", y, wy)

	dx, wdx := make([]float32, n), make([]float32, n)
	const mdb, mdg = 0.03, -0.4
	for i := range wdx {
		wdx[i] = kk * ((g[i] - mdb) - float32(xh[i]*mdg))
	}
	BatchNormBackward(dx, g, xh, kk, mdb, mdg)
	same("BatchNormBackward", dx, wdx)

	src := []uint8{0, 1, 127, 128, 254, 255, 3, 9, 77}
	dst, wdst := make([]float32, len(src)), make([]float32, len(src))
	for i, b := range src {
		wdst[i] = float32(b) / 255
	}
	BytesToFloat(dst, src, 255)
	same("BytesToFloat", dst, wdst)

	ac, wac := make([]float32, n), make([]float32, n)
	for i := range x {
		wac[i] = x[i] + 0.25
	}
	AddConst(ac, x, 0.25)
	same("AddConst", ac, wac)

	for name, f := range map[string]func(){
		"AdamStep":           func() { AdamStep(p, g[:3], m, v, 0, 0, 0, 0, 0) },
		"SGDStep":            func() { SGDStep(p, g[:3], 0, 0) },
		"BatchNormNormalize": func() { BatchNormNormalize(x, xh[:3], y, 0, 0, 0, 0) },
		"BatchNormBackward":  func() { BatchNormBackward(dx, g[:3], xh, 0, 0, 0) },
		"BytesToFloat":       func() { BytesToFloat(dst[:1], src, 255) },
		"AddConst":           func() { AddConst(ac[:1], x, 0) },
		"DotSum":             func() { DotSum(g, g[:3]) },
		"MaxPool2x2":         func() { MaxPool2x2(make([]float32, 4), make([]int32, 3), x, x, 0, 8) },
	} {
		panicsWith(t, "tensor: "+name, f)
	}
}

// TestReductions checks SumLanes, SquaredDeviation and DotSum against the
// documented order: eight partial sums over the multiple-of-8 prefix,
// folded as ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)), then the tail in order,
// each product rounded before it is added. Each length gets 30 random
// draws: a multiply-add fused by the compiler changes the sum of squares
// in about one draw in five.
func TestReductions(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	lanes := func(v []float32) float32 {
		var s [8]float32
		body := len(v) &^ 7
		for i := 0; i < body; i++ {
			s[i%8] += v[i]
		}
		r := ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
		for _, x := range v[body:] {
			r += x
		}
		return r
	}
	for _, n := range []int{0, 1, 7, 8, 9, 64, 101} {
		for range 30 {
			g, h := randSlice(rng, n), randSlice(rng, n)
			if got, want := SumLanes(g), lanes(g); math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("n=%d: SumLanes = %v; documented order gives %v", n, got, want)
			}
			dev := make([]float32, n)
			prod := make([]float32, n)
			for i := range g {
				d := g[i] - 0.3
				dev[i] = float32(d * d)
				prod[i] = float32(g[i] * h[i])
			}
			if got, want := SquaredDeviation(g, 0.3), lanes(dev); math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("n=%d: SquaredDeviation = %v; documented order gives %v", n, got, want)
			}
			dot, sum := DotSum(g, h)
			if math.Float32bits(dot) != math.Float32bits(lanes(prod)) || math.Float32bits(sum) != math.Float32bits(lanes(g)) {
				t.Errorf("n=%d: DotSum = %v, %v; documented order gives %v, %v", n, dot, sum, lanes(prod), lanes(g))
			}
			if t.Failed() {
				return
			}
		}
	}
}

// TestMaxPool2x2 checks one pair of rows against a scalar statement,
// with ties, NaN and signed zeros.
func TestMaxPool2x2(t *testing.T) {
	nan := float32(math.NaN())
	negz := float32(math.Copysign(0, -1))
	r0 := []float32{1, 5, 2, 2, nan, 3, negz, 0, -1, -2, 4, 4, 9, 1, 0.5, 0.25, 7, 7}
	r1 := []float32{5, 0, 2, 1, 9, 9, 0, negz, -3, -1, 4, 8, 1, 1, 0.75, 0.5, 7, 8}
	const base, w = 40, 18
	out, arg := make([]float32, 9), make([]int32, 9)
	MaxPool2x2(out, arg, r0, r1, base, w)
	for j := range out {
		cand := []struct {
			v   float32
			idx int32
		}{{r0[2*j], int32(base + 2*j)}, {r0[2*j+1], int32(base + 2*j + 1)}, {r1[2*j], int32(base + w + 2*j)}, {r1[2*j+1], int32(base + w + 2*j + 1)}}
		best := cand[0]
		for _, c := range cand[1:] {
			if c.v > best.v {
				best = c
			}
		}
		if !sameFloat32(out[j], best.v) || arg[j] != best.idx {
			t.Errorf("window %d: %v at %d; want %v at %d", j, out[j], arg[j], best.v, best.idx)
		}
	}
}
