package imageprep

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKth holds kth to the sorted slice at every index, over sizes 1–120
// with many equal values, NaNs (slices.Sort puts them first) and
// infinities, and mad to median of the deviations.
func TestKth(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 120; n++ {
		for rep := 0; rep < 5; rep++ {
			v := make([]float64, n)
			for i := range v {
				switch r.IntN(10) {
				case 0:
					v[i] = math.NaN()
				case 1:
					v[i] = math.Inf(1 - 2*r.IntN(2))
				case 2, 3, 4:
					v[i] = float64(r.IntN(4)) // duplicates
				default:
					v[i] = r.NormFloat64()
				}
			}
			if rep == 0 { // no NaN: mad against the sorted median
				for i := range v {
					if math.IsNaN(v[i]) {
						v[i] = 0.5
					}
				}
				d := make([]float64, n)
				for i, x := range v {
					d[i] = math.Abs(x - 0.25)
				}
				if got, want := mad(v, 0.25), median(d); math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("n=%d: mad = %v; want %v", n, got, want)
				}
			}
			sorted := slices.Clone(v)
			slices.Sort(sorted)
			for k := range n {
				got, want := kth(slices.Clone(v), k), sorted[k]
				if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Fatalf("n=%d k=%d: kth = %v; want %v (of %v)", n, k, got, want, v)
				}
			}
		}
	}
	if mad(nil, 1) != 0 {
		t.Fatal("mad of nothing is not 0")
	}
}
