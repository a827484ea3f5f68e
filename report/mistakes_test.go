package report

import (
	"reflect"
	"testing"
)

func TestMostConfidentMistakes(t *testing.T) {
	// Five images, three classes. Image 0 right; 1 wrong at 0.6; 2 wrong at
	// 0.9; 3 right; 4 wrong at 0.9 (a tie with 2, so it comes after it).
	probs := []float32{
		0.8, 0.1, 0.1,
		0.3, 0.6, 0.1,
		0.05, 0.05, 0.9,
		0.1, 0.1, 0.8,
		0.9, 0.05, 0.05,
	}
	labels := []uint8{0, 0, 1, 2, 1}
	images := make([]uint8, 5*ImagePixels)
	for i := range 5 {
		images[i*ImagePixels] = uint8(10 * i) // tag each image by its first pixel
	}
	got, err := MostConfidentMistakes("m", probs, 3, labels, images, 2)
	if err != nil {
		t.Fatal(err)
	}
	type short struct {
		Index, True, Pred int
		Conf              float32
		First             uint8
	}
	var s []short
	for _, m := range got {
		if len(m.Pixels) != ImagePixels || m.Model != "m" {
			t.Fatalf("mistake %+v: %d pixels, model %q", m.Index, len(m.Pixels), m.Model)
		}
		s = append(s, short{m.Index, m.True, m.Pred, float32(m.Confidence), m.Pixels[0]})
	}
	want := []short{{2, 1, 2, 0.9, 20}, {4, 1, 0, 0.9, 40}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("MostConfidentMistakes = %+v; want %+v", s, want)
	}
	all, _ := MostConfidentMistakes("m", probs, 3, labels, images, 10)
	if len(all) != 3 || all[2].Index != 1 {
		t.Errorf("all mistakes = %d, last %+v; want 3 ending with image 1", len(all), all[len(all)-1].Index)
	}
	// The result is valid report input.
	in := fixture()
	in.Mistakes = all
	for i := range in.Mistakes {
		in.Mistakes[i].Model = "cnn"
	}
	if _, err := prepare(in); err != nil {
		t.Errorf("mistakes rejected by the report: %v", err)
	}

	for _, tt := range []struct {
		name   string
		probs  []float32
		k      int
		labels []uint8
		images []uint8
	}{
		{"short probs", probs[:14], 3, labels, images},
		{"short images", probs, 3, labels, images[:10]},
		{"one class", probs, 1, labels, images},
		{"label out of range", probs, 3, []uint8{0, 0, 1, 2, 7}, images},
		{"probability above 1", append(append([]float32(nil), probs[:3]...), 0.1, 1.5, 0.1, 0, 0, 1, 0, 0, 1, 1, 0, 0), 3, labels, images},
	} {
		if _, err := MostConfidentMistakes("m", tt.probs, tt.k, tt.labels, tt.images, 3); err == nil {
			t.Errorf("MostConfidentMistakes(%s) succeeded; want an error", tt.name)
		}
	}
}
