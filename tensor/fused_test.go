package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAddBiasReLU(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	const m, n, ld = 7, 33, 40
	x := randSlice(r, m*ld)
	x[3] = float32(math.NaN())
	x[4] = float32(math.Inf(1))
	bias := randSlice(r, n)
	want := append([]float32(nil), x...)
	AddRowVector(m, n, want, ld, bias)
	for i := 0; i < m; i++ {
		ReLU(want[i*ld:i*ld+n], want[i*ld:i*ld+n])
	}
	AddBiasReLU(m, n, x, ld, bias)
	for i := range x {
		if !sameFloat32(x[i], want[i]) {
			t.Fatalf("AddBiasReLU: x[%d] = %v; AddRowVector+ReLU give %v", i, x[i], want[i])
		}
	}
}

// TestSoftmaxCrossEntropy checks the loss against SoftmaxRows+CrossEntropy
// and the gradient against central finite differences of the loss.
func TestSoftmaxCrossEntropy(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	const m, n = 5, 10
	z := randSlice(r, m*n)
	for i := range z {
		z[i] *= 4
	}
	labels := []uint8{0, 9, 3, 3, 7}
	p := make([]float32, m*n)
	SoftmaxRows(m, n, p, z)
	wantLoss := CrossEntropy(m, n, p, labels)
	dz := make([]float32, m*n)
	loss := SoftmaxCrossEntropy(m, n, dz, z, labels)
	if math.Abs(loss-wantLoss) > 1e-5 {
		t.Fatalf("SoftmaxCrossEntropy loss = %v; SoftmaxRows+CrossEntropy = %v", loss, wantLoss)
	}
	scratch := make([]float32, m*n)
	for i := range z {
		const h = 1e-2
		orig := z[i]
		z[i] = orig + h
		lp := SoftmaxCrossEntropy(m, n, scratch, z, labels)
		z[i] = orig - h
		lm := SoftmaxCrossEntropy(m, n, scratch, z, labels)
		z[i] = orig
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-float64(dz[i])) > 1e-3 {
			t.Fatalf("dz[%d] = %v; finite difference %v", i, dz[i], fd)
		}
	}
	// In place, and huge logits stay finite.
	z[0] = 1e30
	got := SoftmaxCrossEntropy(m, n, z, z, labels)
	if math.IsNaN(got) || math.IsInf(got, 0) {
		t.Fatalf("SoftmaxCrossEntropy with a 1e30 logit = %v; want finite", got)
	}
}
