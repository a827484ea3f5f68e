package metrics

import (
	"fmt"
	"math"
)

// Confusion is a K×K confusion matrix: Counts[t*K+p] is the number of
// examples of true class t predicted as p.
type Confusion struct {
	K      int
	Counts []int
}

// NewConfusion returns an empty matrix for k classes.
func NewConfusion(k int) *Confusion {
	return &Confusion{K: k, Counts: make([]int, k*k)}
}

// Add records one prediction. Labels outside [0, K) are an error.
func (c *Confusion) Add(truth, pred int) error {
	if truth < 0 || truth >= c.K || pred < 0 || pred >= c.K {
		return fmt.Errorf("metrics: label pair (%d, %d) outside 0..%d", truth, pred, c.K-1)
	}
	c.Counts[truth*c.K+pred]++
	return nil
}

// AddAll records parallel slices of true and predicted labels.
func (c *Confusion) AddAll(truth []uint8, pred []int) error {
	if len(truth) != len(pred) {
		return fmt.Errorf("metrics: %d true labels but %d predictions", len(truth), len(pred))
	}
	for i := range truth {
		if err := c.Add(int(truth[i]), pred[i]); err != nil {
			return err
		}
	}
	return nil
}

// Total is the number of examples recorded.
func (c *Confusion) Total() int {
	n := 0
	for _, v := range c.Counts {
		n += v
	}
	return n
}

// At returns the count of true class t predicted as p.
func (c *Confusion) At(t, p int) int { return c.Counts[t*c.K+p] }

// Matrix returns the counts as rows (true) of columns (predicted).
func (c *Confusion) Matrix() [][]int {
	m := make([][]int, c.K)
	for t := range m {
		m[t] = append([]int(nil), c.Counts[t*c.K:(t+1)*c.K]...)
	}
	return m
}

// Accuracy is the fraction on the diagonal; 0 for an empty matrix.
func (c *Confusion) Accuracy() float64 {
	total, right := 0, 0
	for t := 0; t < c.K; t++ {
		for p := 0; p < c.K; p++ {
			total += c.At(t, p)
		}
		right += c.At(t, t)
	}
	return safeDiv(float64(right), float64(total))
}

// ClassScore holds one class's scores.
type ClassScore struct {
	Label     int     `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Summary is every score derived from a confusion matrix.
type Summary struct {
	Accuracy          float64      `json:"accuracy"`
	MacroPrecision    float64      `json:"macro_precision"`
	MacroRecall       float64      `json:"macro_recall"`
	MacroF1           float64      `json:"macro_f1"`
	WeightedPrecision float64      `json:"weighted_precision"`
	WeightedRecall    float64      `json:"weighted_recall"`
	WeightedF1        float64      `json:"weighted_f1"`
	PerClass          []ClassScore `json:"per_class"`
	Confusion         [][]int      `json:"confusion"`
}

// PerClass returns precision, recall, F1 and support for each class.
// Precision of a class never predicted, recall of a class with no examples
// and F1 when both are 0 are 0, as scikit-learn's zero_division default does.
func (c *Confusion) PerClass() []ClassScore {
	out := make([]ClassScore, c.K)
	for k := 0; k < c.K; k++ {
		tp := c.At(k, k)
		predicted, actual := 0, 0
		for j := 0; j < c.K; j++ {
			predicted += c.At(j, k)
			actual += c.At(k, j)
		}
		p := safeDiv(float64(tp), float64(predicted))
		r := safeDiv(float64(tp), float64(actual))
		out[k] = ClassScore{Label: k, Precision: p, Recall: r, F1: safeDiv(2*p*r, p+r), Support: actual}
	}
	return out
}

// Summarize computes every score of c.
func (c *Confusion) Summarize() Summary {
	s := Summary{Accuracy: c.Accuracy(), PerClass: c.PerClass(), Confusion: c.Matrix()}
	total := 0
	for _, cs := range s.PerClass {
		s.MacroPrecision += cs.Precision
		s.MacroRecall += cs.Recall
		s.MacroF1 += cs.F1
		s.WeightedPrecision += float64(cs.Precision * float64(cs.Support))
		s.WeightedRecall += float64(cs.Recall * float64(cs.Support))
		s.WeightedF1 += float64(cs.F1 * float64(cs.Support))
		total += cs.Support
	}
	k := float64(c.K)
	s.MacroPrecision /= k
	s.MacroRecall /= k
	s.MacroF1 /= k
	s.WeightedPrecision = safeDiv(s.WeightedPrecision, float64(total))
	s.WeightedRecall = safeDiv(s.WeightedRecall, float64(total))
	s.WeightedF1 = safeDiv(s.WeightedF1, float64(total))
	return s
}

// LogLoss is the mean of −ln p[i][labels[i]] over n rows of k probabilities,
// with probabilities clipped to [eps, 1−eps], eps = 1e-15 as scikit-learn
// does for float64 (for float32 inputs 1e-7 would be its choice; rakam keeps
// the float64 value so losses are comparable across models).
func LogLoss(probs []float32, labels []uint8, k int) (float64, error) {
	n := len(labels)
	if len(probs) != n*k {
		return 0, fmt.Errorf("metrics: LogLoss: %d probabilities for %d rows of %d classes", len(probs), n, k)
	}
	if n == 0 {
		return 0, nil
	}
	const eps = 1e-15
	var sum float64
	for i, l := range labels {
		if int(l) >= k {
			return 0, fmt.Errorf("metrics: LogLoss: label %d out of range 0..%d", l, k-1)
		}
		p := float64(probs[i*k+int(l)])
		if math.IsNaN(p) {
			return 0, fmt.Errorf("metrics: LogLoss: probability of row %d is NaN", i)
		}
		p = math.Min(math.Max(p, eps), 1-eps)
		sum -= math.Log(p)
	}
	return sum / float64(n), nil
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
