package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumRows checks that sumRows gives each row the bits of one plain
// left-to-right float32 loop, for row counts with and without a remainder
// of the eight-row groups, and that it adds to what db holds. The values
// span many magnitudes, so any other summation order rounds differently.
func TestSumRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rows := range []int{1, 3, 4, 5, 8, 11, 16, 20, 32} {
		for _, ld := range []int{1, 7, 49, 1000} {
			y := make([]float32, rows*ld)
			for i := range y {
				y[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3)))
			}
			db := make([]float32, rows)
			want := make([]float32, rows)
			for o := range db {
				db[o] = float32(rng.NormFloat64())
				var s float32
				for _, v := range y[o*ld : (o+1)*ld] {
					s += v
				}
				want[o] = db[o] + s
			}
			sumRows(db, y, ld)
			for o := range db {
				if math.Float32bits(db[o]) != math.Float32bits(want[o]) {
					t.Fatalf("rows %d, ld %d: row %d sums to %v; the plain loop gives %v", rows, ld, o, db[o], want[o])
				}
			}
		}
	}
}

// TestBiasParts checks that the bias gradient's partitions hold at least
// eight channels each where there are eight, and cover every channel.
func TestBiasParts(t *testing.T) {
	for n := 1; n <= 100; n++ {
		parts := biasParts(n)
		seen := 0
		for p := range parts {
			lo, hi := partRange(p, parts, n)
			if hi-lo < min(sumRowsWays, n) {
				t.Errorf("%d channels: partition %d of %d holds %d", n, p, parts, hi-lo)
			}
			seen += hi - lo
		}
		if seen != n || parts > maxParts {
			t.Errorf("%d channels: %d partitions cover %d", n, parts, seen)
		}
	}
}
