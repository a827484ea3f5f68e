package study

import (
	"reflect"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/report"
	"github.com/rakam-ml/rakam/train"
)

// TestMistakes checks the most confident mistakes on five hand-made test
// images: wrong answers only, most confident first, a tie in test order,
// cut to n, each with its own pixels (a copy).
func TestMistakes(t *testing.T) {
	// Image 0 right; 1 wrong at 0.6; 2 wrong at 0.9; 3 right; 4 wrong at
	// 0.9 (a tie with 2, so it comes after it).
	k := train.Classes
	probs := make([]float32, 5*k)
	for i, p := range []struct {
		class int
		p     float32
	}{{0, 0.8}, {1, 0.6}, {2, 0.9}, {2, 0.8}, {0, 0.9}} {
		for c := 0; c < k; c++ {
			probs[i*k+c] = (1 - p.p) / float32(k-1)
		}
		probs[i*k+p.class] = p.p
	}
	test := &mnist.Set{Images: make([]uint8, 5*report.ImagePixels), Labels: []uint8{0, 0, 1, 2, 1}, N: 5, Rows: 28, Cols: 28}
	for i := range 5 {
		test.Images[i*report.ImagePixels] = uint8(10 * i) // tag each image by its first pixel
	}
	d := &Data{Test: test}
	type short struct {
		Index, True, Pred int
		Conf              float32
		First             uint8
	}
	got := mistakes("m", probs, d, 2)
	var s []short
	for _, m := range got {
		if len(m.Pixels) != report.ImagePixels || m.Model != "m" {
			t.Fatalf("mistake %+v: %d pixels, model %q", m.Index, len(m.Pixels), m.Model)
		}
		s = append(s, short{m.Index, m.True, m.Pred, float32(m.Confidence), m.Pixels[0]})
	}
	want := []short{{2, 1, 2, 0.9, 20}, {4, 1, 0, 0.9, 40}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("mistakes(n=2) = %+v; want %+v", s, want)
	}
	got[0].Pixels[0] = 99
	if test.Images[2*report.ImagePixels] != 20 {
		t.Error("a mistake's pixels share the test set's memory; want a copy")
	}
	all := mistakes("m", probs, d, 10)
	if len(all) != 3 || all[2].Index != 1 {
		t.Errorf("mistakes(n=10) = %d, last image %d; want 3 ending with image 1", len(all), all[len(all)-1].Index)
	}
}
