package study

import (
	"fmt"
	"math"
	"slices"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/train"
)

// maxOutliers bounds Recipe.Outliers (the images are held in memory).
const maxOutliers = 1_000_000

// notDigitShare is the share of the validation digits the not-a-digit
// flag may mark: NotDigitBelow is the top probability below which that
// share of the validation answers fall. The flag is to mark at most 2 % of
// real digits (issue 15); 1.5 % on the validation split leaves room for
// the test digits' spread.
const notDigitShare = 0.015

// unsureCatch is the share of the validation split's wrong answers the
// not-sure flag is to catch: UnsureBelow is the lowest threshold that
// flags that many of them. On cnn-real's tuning runs it flagged about 3 %
// of the validation answers and caught 91 % of their mistakes and 96 % of
// those on the outside tuning sets; catching every mistake took 5–8 % of
// the answers (docs/outside.md).
const unsureCatch = 0.9

// maxUnsureShare caps the share of the validation answers the not-sure
// flag marks. With about twenty mistakes on the validation split, two or
// three of them answered at 0.99 or more put the threshold there and mark
// one answer in ten (five of sixteen cnn-real fine-tunings in session 17
// drew 0.995 or 0.996); a flag raised that often tells a user little.
const maxUnsureShare = 0.05

// chooseThresholds picks a trained model's flag thresholds on the
// validation split (never the test set): NotDigitBelow from notDigitShare,
// UnsureBelow from unsureCatch but marking at most maxUnsureShare of the
// answers, never below NotDigitBelow (and equal to it
// when the split has no mistakes to catch).
// What they catch on images that are no digit, and how often they mark
// real digits, is measured on the outside sets (docs/outside.md).
func chooseThresholds(m *nn.Sequential, val *mnist.Set) (*infer.Thresholds, error) {
	ev, err := train.Evaluate(m, val, evalBatch)
	if err != nil {
		return nil, err
	}
	tops := make([]float32, val.N)
	var wrong []float32
	for i := range tops {
		p := ev.Probs[i*train.Classes : (i+1)*train.Classes]
		label := infer.Argmax(p)
		tops[i] = p[label]
		if label != int(val.Labels[i]) {
			wrong = append(wrong, p[label])
		}
	}
	th := thresholdsFrom(tops, wrong)
	if err := th.Validate(); err != nil {
		return nil, fmt.Errorf("study: thresholds from %d validation answers: %w", val.N, err)
	}
	return th, nil
}

// thresholdsFrom chooses the thresholds from the top probabilities of all
// the validation answers (tops) and of the wrong ones (wrong); it sorts
// both.
func thresholdsFrom(tops, wrong []float32) *infer.Thresholds {
	slices.Sort(tops)
	slices.Sort(wrong)
	quantile := func(share float64) float32 { return tops[min(int(share*float64(len(tops))), len(tops)-1)] }
	th := &infer.Thresholds{NotDigitBelow: quantile(notDigitShare)}
	th.UnsureBelow = th.NotDigitBelow
	if len(wrong) > 0 {
		// The k-th lowest wrong answer's top probability, k = ⌈catch·n⌉:
		// every answer strictly below the next float is flagged. At most
		// maxUnsureShare of the answers fall strictly below the cap, the
		// top probability of the answer just past that share.
		k := int(math.Ceil(unsureCatch * float64(len(wrong))))
		catch := math.Nextafter32(wrong[k-1], 2)
		th.UnsureBelow = max(th.NotDigitBelow, min(catch, quantile(maxUnsureShare)))
	}
	th.UnsureBelow = min(th.UnsureBelow, 1)
	return th
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
