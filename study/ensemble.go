package study

import (
	"fmt"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/metrics"
)

// Vote methods of an ensemble (infer's).
const (
	Hard = infer.Hard // majority vote of the members' predicted labels
	Soft = infer.Soft // argmax of the members' averaged probabilities
)

// VoteResult is an ensemble's score on a labelled set.
type VoteResult struct {
	Summary metrics.Summary
	// LogLoss of the averaged probabilities (soft voting only; 0 for hard).
	LogLoss float64
	Pred    []int
}

// Vote combines the members' N×k probability matrices by method
// (infer.Vote: hard voting counts each member's argmax, a tie going to the
// tied label with the highest summed probability; soft voting takes the
// argmax of the average) and scores the combination against labels.
func Vote(method string, probs [][]float32, labels []uint8, k int) (*VoteResult, error) {
	pred, avg, err := infer.Vote(method, probs, len(labels), k)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	res := &VoteResult{Pred: pred}
	if method == Soft {
		ll, err := metrics.LogLoss(avg, labels, k)
		if err != nil {
			return nil, err
		}
		res.LogLoss = ll
	}
	c := metrics.NewConfusion(k)
	if err := c.AddAll(labels, pred); err != nil {
		return nil, err
	}
	res.Summary = c.Summarize()
	return res, nil
}
