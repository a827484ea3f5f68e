package report

import (
	"fmt"
)

func earlyStoppingFinding(p *prepared) string {
	e := p.EarlyStopping
	if e == nil {
		return ""
	}
	monitor := e.Monitor
	if monitor == "" {
		monitor = "val_loss"
	}
	var s string
	if e.MaxEpochs > 0 && e.StoppedEpoch >= e.MaxEpochs {
		s = fmt.Sprintf("Early stopping on %s (patience %d) never triggered: %s ran all %d epochs; the best epoch was %d (%s %.4f)", monitor, e.Patience, e.Model, e.MaxEpochs, e.BestEpoch, monitor, e.BestValue)
	} else {
		s = fmt.Sprintf("Early stopping on %s (patience %d) stopped %s after epoch %d", monitor, e.Patience, e.Model, e.StoppedEpoch)
		if e.MaxEpochs > 0 {
			s += fmt.Sprintf(" of %d, saving %d epochs", e.MaxEpochs, e.MaxEpochs-e.StoppedEpoch)
		}
		s += fmt.Sprintf("; the best epoch was %d (%s %.4f)", e.BestEpoch, monitor, e.BestValue)
	}
	switch {
	case e.Restored:
		s += fmt.Sprintf(", and its weights were restored, so the model in the table is the epoch-%d one.", e.BestEpoch)
	case e.BestEpoch == e.StoppedEpoch:
		s += ", the last one trained, so nothing needed restoring."
	default:
		s += fmt.Sprintf(", but its weights were not restored: the model in the table is the epoch-%d one.", e.StoppedEpoch)
	}
	return s
}
