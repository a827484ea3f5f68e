package report

import (
	"fmt"
	"sort"
)

// MostConfidentMistakes picks, from a model's test-set predictions, the n
// wrong answers it gave with the highest probability, most confident first
// (ties: lower test index first), ready for Input.Mistakes.
//
// probs holds k class probabilities per image, row by row; labels the true
// classes; images the 784 pixels of each image, row by row (as the mnist
// package stores them). model names the row that made the predictions.
func MostConfidentMistakes(model string, probs []float32, k int, labels []uint8, images []uint8, n int) ([]Mistake, error) {
	m := len(labels)
	switch {
	case k < 2:
		return nil, fmt.Errorf("report: %d classes; want at least 2", k)
	case len(probs) != m*k:
		return nil, fmt.Errorf("report: %d probabilities for %d images of %d classes; want %d", len(probs), m, k, m*k)
	case len(images) != m*ImagePixels:
		return nil, fmt.Errorf("report: %d pixels for %d images; want %d", len(images), m, m*ImagePixels)
	}
	var out []Mistake
	for i := 0; i < m; i++ {
		row := probs[i*k : (i+1)*k]
		pred := 0
		for c := range row {
			if row[c] > row[pred] {
				pred = c
			}
		}
		if int(labels[i]) >= k {
			return nil, fmt.Errorf("report: label %d of image %d outside 0..%d", labels[i], i, k-1)
		}
		if pred == int(labels[i]) {
			continue
		}
		conf := float64(row[pred])
		if conf != conf || conf < 0 || conf > 1 {
			return nil, fmt.Errorf("report: probability %v of image %d outside [0, 1]", conf, i)
		}
		out = append(out, Mistake{Index: i, True: int(labels[i]), Pred: pred, Confidence: conf, Model: model})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Confidence > out[b].Confidence })
	if len(out) > n {
		out = out[:n]
	}
	for j := range out {
		i := out[j].Index
		out[j].Pixels = append([]uint8(nil), images[i*ImagePixels:(i+1)*ImagePixels]...)
	}
	return out, nil
}
