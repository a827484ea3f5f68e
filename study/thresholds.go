package study

import (
	"fmt"
	"slices"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/train"
)

// maxOutliers bounds Recipe.Outliers (the images are held in memory).
const maxOutliers = 1_000_000

// The share of the validation digits each flag is allowed to mark: a
// model's thresholds are the top probabilities below which that share of
// its validation answers fall. The not-a-digit flag is to mark at most 2 %
// of real digits (issue 15); 1.5 % on the validation split leaves room for
// the test digits' spread.
const (
	notDigitShare = 0.015
	unsureShare   = 0.05
)

// chooseThresholds picks a trained model's flag thresholds on the
// validation split (never the test set): NotDigitBelow is the top
// probability below which notDigitShare of the validation digits fall,
// UnsureBelow the one for unsureShare. What they catch on images that are
// no digit is measured on outside sets (docs/outside.md).
func chooseThresholds(m *nn.Sequential, val *mnist.Set) (*infer.Thresholds, error) {
	ev, err := train.Evaluate(m, val, evalBatch)
	if err != nil {
		return nil, err
	}
	tops := make([]float32, val.N)
	for i := range tops {
		p := ev.Probs[i*train.Classes : (i+1)*train.Classes]
		tops[i] = p[infer.Argmax(p)]
	}
	slices.Sort(tops)
	at := func(share float64) float32 { return tops[min(int(share*float64(len(tops))), len(tops)-1)] }
	th := &infer.Thresholds{NotDigitBelow: at(notDigitShare), UnsureBelow: at(unsureShare)}
	if err := th.Validate(); err != nil {
		return nil, fmt.Errorf("study: thresholds from %d validation answers: %w", val.N, err)
	}
	return th, nil
}

// joinSets returns a followed by b (same image size).
func joinSets(a, b *mnist.Set) (*mnist.Set, error) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		return nil, fmt.Errorf("study: cannot join %dx%d images with %dx%d ones", a.Rows, a.Cols, b.Rows, b.Cols)
	}
	s := &mnist.Set{N: a.N + b.N, Rows: a.Rows, Cols: a.Cols}
	s.Images = append(append(make([]uint8, 0, len(a.Images)+len(b.Images)), a.Images...), b.Images...)
	s.Labels = append(append(make([]uint8, 0, a.N+b.N), a.Labels...), b.Labels...)
	return s, nil
}
