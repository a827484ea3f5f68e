package tensor

import (
	"math"
	"slices"
	"testing"
)

func TestRowOps(t *testing.T) {
	// 2×3 matrix with row stride 4; the 4th column is a guard.
	x := []float32{1, 2, 3, 99, -4, 5, -6, 99}
	AddRowVector(2, 3, x, 4, []float32{10, 20, 30})
	if want := []float32{11, 22, 33, 99, 6, 25, 24, 99}; !slices.Equal(x, want) {
		t.Errorf("AddRowVector = %v; want %v", x, want)
	}
	dst := []float32{1, 1, 1}
	SumRows(2, 3, x, 4, 0.5, dst)
	if want := []float32{17.5, 47.5, 57.5}; !slices.Equal(dst, want) {
		t.Errorf("SumRows(beta=0.5) = %v; want %v", dst, want)
	}
	dst[0] = float32(math.NaN())
	SumRows(2, 3, x, 4, 0, dst)
	if want := []float32{17, 47, 57}; !slices.Equal(dst, want) {
		t.Errorf("SumRows(beta=0) = %v; want %v", dst, want)
	}
}

func TestElementwise(t *testing.T) {
	nan := float32(math.NaN())
	x := []float32{-1, 0, 2, nan, float32(math.Inf(1)), -3}
	y := make([]float32, len(x))
	ReLU(y, x)
	if want := []float32{0, 0, 2, nan, float32(math.Inf(1)), 0}; !slices.EqualFunc(y, want, sameFloat32) {
		t.Errorf("ReLU = %v; want %v", y, want)
	}
	dy := []float32{1, 2, 3, 4, 5, 6}
	dx := make([]float32, len(x))
	ReLUBackward(dx, dy, y)
	if want := []float32{0, 0, 3, 0, 5, 0}; !slices.Equal(dx, want) {
		t.Errorf("ReLUBackward = %v; want %v", dx, want)
	}
	a := []float32{1, 2, 3}
	b := []float32{10, 20, 30}
	Axpy(-2, a, b)
	if want := []float32{8, 16, 24}; !slices.Equal(b, want) {
		t.Errorf("Axpy = %v; want %v", b, want)
	}
	Scale(0.5, b)
	if want := []float32{4, 8, 12}; !slices.Equal(b, want) {
		t.Errorf("Scale = %v; want %v", b, want)
	}
	if got := Sum(b); got != 24 {
		t.Errorf("Sum = %v; want 24", got)
	}
}

func TestSoftmaxArgmaxCrossEntropy(t *testing.T) {
	x := []float32{0, 0, math.Float32frombits(0x3f317218) /* ln 2 */, 1000, 1000, 0}
	p := make([]float32, 6)
	SoftmaxRows(2, 3, p, x)
	want := []float32{0.25, 0.25, 0.5, 0.5, 0.5, 0}
	for i := range p {
		if math.Abs(float64(p[i]-want[i])) > 1e-6 {
			t.Fatalf("SoftmaxRows = %v; want %v", p, want)
		}
	}
	idx := make([]int, 2)
	ArgmaxRows(2, 3, p, idx)
	if idx[0] != 2 || idx[1] != 0 { // a tie goes to the lowest index
		t.Errorf("ArgmaxRows = %v; want [2 0]", idx)
	}
	got := CrossEntropy(2, 3, p, []uint8{2, 2})
	wantCE := (-math.Log(0.5) - math.Log(1e-12)) / 2
	if math.Abs(got-wantCE) > 1e-6 {
		t.Errorf("CrossEntropy = %v; want %v (p=0 clamped at 1e-12)", got, wantCE)
	}
}
