package study

import (
	"sort"

	"github.com/rakam-ml/rakam/report"
	"github.com/rakam-ml/rakam/train"
)

// maxMistakes is the number of mistakes Compare keeps for the report.
const maxMistakes = 24

// mistakes returns the n most confident wrong answers of a model on the
// test set, from its class probabilities (train.Classes per image, image
// after image, as Evaluate gives them): most confident first, ties in test
// order. This is the study's one implementation; the report draws what it
// is given.
func mistakes(model string, probs []float32, d *Data, n int) []report.Mistake {
	var ms []report.Mistake
	k := train.Classes
	for i := 0; i < d.Test.N; i++ {
		row := probs[i*k : i*k+k]
		pred := 0
		for j := 1; j < k; j++ {
			if row[j] > row[pred] {
				pred = j
			}
		}
		if pred != int(d.Test.Labels[i]) {
			ms = append(ms, report.Mistake{Index: i, Pixels: append([]uint8(nil), d.Test.Image(i)...), True: int(d.Test.Labels[i]),
				Pred: pred, Confidence: float64(row[pred]), Model: model})
		}
	}
	sort.SliceStable(ms, func(a, b int) bool { return ms[a].Confidence > ms[b].Confidence })
	if len(ms) > n {
		ms = ms[:n]
	}
	return ms
}
