package study

import (
	"fmt"

	"github.com/rakam-ml/rakam/metrics"
	"github.com/rakam-ml/rakam/tensor"
)

// Vote methods of an ensemble.
const (
	Hard = "hard" // majority vote of the members' predicted labels
	Soft = "soft" // argmax of the members' averaged probabilities
)

// VoteResult is an ensemble's score on a labelled set.
type VoteResult struct {
	Summary metrics.Summary
	// LogLoss of the averaged probabilities (soft voting only; 0 for hard).
	LogLoss float64
	Pred    []int
}

// Vote combines the members' N×k probability matrices by method and scores
// the combination against labels. Hard voting counts each member's argmax;
// a tie goes to the tied label with the highest summed probability, so the
// vote is deterministic and uses what the members know.
func Vote(method string, probs [][]float32, labels []uint8, k int) (*VoteResult, error) {
	if len(probs) == 0 {
		return nil, fmt.Errorf("study: ensemble has no members")
	}
	n := len(labels)
	for i, p := range probs {
		if len(p) != n*k {
			return nil, fmt.Errorf("study: ensemble member %d has %d probabilities; want %d×%d", i, len(p), n, k)
		}
	}
	avg := make([]float32, n*k)
	for _, p := range probs {
		tensor.Axpy(1/float32(len(probs)), p, avg)
	}
	pred := make([]int, n)
	res := &VoteResult{Pred: pred}
	switch method {
	case Soft:
		tensor.ArgmaxRows(n, k, avg, pred)
		ll, err := metrics.LogLoss(avg, labels, k)
		if err != nil {
			return nil, err
		}
		res.LogLoss = ll
	case Hard:
		votes := make([]int, k)
		memberPred := make([][]int, len(probs))
		for m, p := range probs {
			memberPred[m] = make([]int, n)
			tensor.ArgmaxRows(n, k, p, memberPred[m])
		}
		for i := 0; i < n; i++ {
			clear(votes)
			for m := range probs {
				votes[memberPred[m][i]]++
			}
			best := 0
			for c := 1; c < k; c++ {
				if votes[c] > votes[best] || votes[c] == votes[best] && avg[i*k+c] > avg[i*k+best] {
					best = c
				}
			}
			pred[i] = best
		}
	default:
		return nil, fmt.Errorf("study: unknown vote method %q; want %q or %q", method, Hard, Soft)
	}
	c := metrics.NewConfusion(k)
	if err := c.AddAll(labels, pred); err != nil {
		return nil, err
	}
	res.Summary = c.Summarize()
	return res, nil
}
