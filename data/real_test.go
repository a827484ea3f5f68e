package data

import (
	"math"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
)

// TestAugmentRealDigits runs the augmenting loader over 2000 real test
// digits: labels follow their images, pixels stay in [0, 1], and the ink is
// kept on average (scaling by 0.9..1.1 changes an image's ink by at most
// about 20%, shifts of 2 pixels rarely push a digit out of the frame).
func TestAugmentRealDigits(t *testing.T) {
	dir, err := mnist.Locate("")
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 2000)
	for i := range idx {
		idx[i] = i
	}
	set := test.Subset(idx)
	l, err := NewLoader(set, 100, Options{Shuffle: true, Seed: 3, Augment: DefaultAugment(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	order := l.Order(1)
	it := l.Epoch(1)
	defer it.Close()
	var inkIn, inkOut float64
	k := 0
	ref := make([]float32, 784)
	for {
		x, y, ok := it.Next()
		if !ok {
			break
		}
		for i := range y {
			src := order[k]
			k++
			if y[i] != set.Labels[src] {
				t.Fatalf("example %d: label %d; want %d", src, y[i], set.Labels[src])
			}
			Normalize(ref, set.Image(src))
			var a, b float64
			for j, v := range x[i*784 : (i+1)*784] {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("example %d pixel %d = %v; want in [0, 1]", src, j, v)
				}
				a += float64(ref[j])
				b += float64(v)
			}
			if b < 0.6*a || b > 1.4*a {
				t.Errorf("example %d: ink %.1f after augmentation, %.1f before", src, b, a)
			}
			inkIn += a
			inkOut += b
		}
	}
	if k != set.N {
		t.Fatalf("saw %d examples; want %d", k, set.N)
	}
	if r := inkOut / inkIn; math.Abs(r-1) > 0.03 {
		t.Errorf("total ink changed by a factor %.3f; want within 3%% of 1", r)
	}
}
