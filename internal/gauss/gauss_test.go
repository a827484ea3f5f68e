package gauss

import (
	"math"
	"testing"
)

// TestKernel checks the radius, the sum, the symmetry and the taps of a
// hand-computed case (sigma 0.5: r = 2, taps ∝ e^-8, e^-2, 1, e^-2, e^-8).
func TestKernel(t *testing.T) {
	for _, sigma := range []float64{0.3, 0.5, 1, 2.7} {
		k := Kernel(sigma)
		r := int(math.Ceil(3 * sigma))
		if len(k) != 2*r+1 {
			t.Fatalf("Kernel(%v) has %d taps; want %d", sigma, len(k), 2*r+1)
		}
		var sum float64
		for i, v := range k {
			sum += v
			if v != k[len(k)-1-i] {
				t.Errorf("Kernel(%v)[%d] = %v, [%d] = %v; want symmetric", sigma, i, v, len(k)-1-i, k[len(k)-1-i])
			}
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("Kernel(%v) sums to %v; want 1", sigma, sum)
		}
	}
	z := math.Exp(-8)*2 + math.Exp(-2)*2 + 1
	want := []float64{math.Exp(-8) / z, math.Exp(-2) / z, 1 / z, math.Exp(-2) / z, math.Exp(-8) / z}
	for i, v := range Kernel(0.5) {
		if math.Abs(v-want[i]) > 1e-15 {
			t.Errorf("Kernel(0.5)[%d] = %v; want %v", i, v, want[i])
		}
	}
}
