package report

import (
	"fmt"

	"github.com/rakam-ml/rakam/results"
)

func speedFinding(p *prepared) string {
	var fast, slow *results.Model
	for i := range p.Rows {
		r := &p.Rows[i]
		if r.TrainSeconds <= 0 {
			continue
		}
		if fast == nil || r.TrainSeconds < fast.TrainSeconds {
			fast = r
		}
		if slow == nil || r.TrainSeconds > slow.TrainSeconds {
			slow = r
		}
	}
	if fast == nil || fast == slow {
		return ""
	}
	ratio := slow.TrainSeconds / fast.TrainSeconds
	times := fmt.Sprintf("%.0f times as long", ratio)
	if ratio < 10 {
		times = fmt.Sprintf("%.1f times as long", ratio)
	}
	s := fmt.Sprintf("Training took from %s s (%s, %s) to %s s (%s, %s), %s.",
		seconds(fast.TrainSeconds), fast.Name, pct(fast.TestAccuracy), seconds(slow.TrainSeconds), slow.Name, pct(slow.TestAccuracy), times)
	// The shortest training that reached 99 % on the test set.
	var first *results.Model
	for i := range p.Rows {
		r := &p.Rows[i]
		if r.TrainSeconds > 0 && r.TestAccuracy >= 0.99 && (first == nil || r.TrainSeconds < first.TrainSeconds) {
			first = r
		}
	}
	if first != nil {
		s += fmt.Sprintf(" The shortest training to 99 %% was %s's: %s s for %s.", first.Name, seconds(first.TrainSeconds), pct(first.TestAccuracy))
	}
	return s
}
