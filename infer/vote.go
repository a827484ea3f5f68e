package infer

import (
	"fmt"

	"github.com/rakam-ml/rakam/tensor"
)

// Vote methods of an ensemble.
const (
	Hard = "hard" // majority vote of the members' predicted labels
	Soft = "soft" // argmax of the members' averaged probabilities
)

// Vote combines the predictions of an ensemble's members: members[m]
// holds member m's n×k probabilities (row-major). It returns the
// ensemble's labels and the members' averaged probabilities (each member
// weighted 1/len(members), summed in member order). Soft voting takes the
// argmax of the average; hard voting counts each member's argmax, a tie
// going to the tied label with the highest averaged probability, so the
// vote is deterministic and uses what the members know.
func Vote(method string, members [][]float32, n, k int) (labels []int, avg []float32, err error) {
	if len(members) == 0 {
		return nil, nil, fmt.Errorf("infer: ensemble has no members")
	}
	if n < 0 || k < 1 {
		return nil, nil, fmt.Errorf("infer: ensemble of %d examples of %d classes", n, k)
	}
	for i, p := range members {
		if len(p) != n*k {
			return nil, nil, fmt.Errorf("infer: ensemble member %d has %d probabilities; want %d×%d", i, len(p), n, k)
		}
	}
	avg = make([]float32, n*k)
	for _, p := range members {
		tensor.Axpy(1/float32(len(members)), p, avg)
	}
	switch method {
	case Soft:
		return Labels(avg, n, k), avg, nil
	case Hard:
		memberPred := make([][]int, len(members))
		for m, p := range members {
			memberPred[m] = Labels(p, n, k)
		}
		pred := make([]int, n)
		votes := make([]int, k)
		for i := range n {
			clear(votes)
			for m := range members {
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
		return pred, avg, nil
	default:
		return nil, nil, fmt.Errorf("infer: unknown vote method %q; want %q or %q", method, Hard, Soft)
	}
}
