package report

import (
	"fmt"
	"strconv"
	"strings"
)

// page is everything the Markdown and HTML templates show, computed once
// so that both forms carry the same numbers.
type page struct {
	p        *prepared
	Charts   []chart
	Findings []Finding
	Overfit  []overfitRow
	Trials   []trialRow // best first, at most maxTrialRows
	Ensemble []ensembleRow
	Cards    []card
}

const maxTrialRows = 10

// overfitRow is one line of the overfitting table.
type overfitRow struct {
	Model                 string
	TrainAcc, ValAcc, Gap string
	MinValLossEpoch       int
	MinValLoss, LastLoss  string
	Rising                bool
}

type trialRow struct {
	Rank    int
	Params  string
	ValAcc  string
	Seconds string
}

type ensembleRow struct {
	Name, Method, Members, Accuracy, BestMember, BestMemberAccuracy, Diff string
	Beat                                                                  bool
}

// card is one headline number at the top of the HTML page.
type card struct{ Label, Value, Note string }

func buildPage(p *prepared) (*page, error) {
	cs, err := charts(p)
	if err != nil {
		return nil, err
	}
	pg := &page{p: p, Charts: cs, Findings: analyze(p)}
	for i := range p.Rows {
		r := &p.Rows[i]
		if len(r.History) == 0 {
			continue
		}
		last := r.History[len(r.History)-1]
		m := 0
		for j := range r.History {
			if r.History[j].ValLoss < r.History[m].ValLoss {
				m = j
			}
		}
		_, rising := valLossRise(r)
		pg.Overfit = append(pg.Overfit, overfitRow{
			Model: r.Name, TrainAcc: pct(last.TrainAccuracy), ValAcc: pct(last.ValAccuracy),
			Gap:             fmt.Sprintf("%+.2f", 100*(last.TrainAccuracy-last.ValAccuracy)),
			MinValLossEpoch: r.History[m].Epoch, MinValLoss: fmt.Sprintf("%.4f", r.History[m].ValLoss),
			LastLoss: fmt.Sprintf("%.4f", last.ValLoss), Rising: rising,
		})
	}
	if p.Search != nil {
		for i, t := range sortedTrials(p.Search) {
			if i == maxTrialRows {
				break
			}
			pg.Trials = append(pg.Trials, trialRow{Rank: i + 1, Params: formatParams(t.Params), ValAcc: pct(t.ValAccuracy), Seconds: seconds(t.Seconds)})
		}
	}
	for _, e := range p.Ensembles {
		d := e.Accuracy - e.BestMemberAccuracy
		pg.Ensemble = append(pg.Ensemble, ensembleRow{
			Name: e.Name, Method: e.Method, Members: strings.Join(e.Members, ", "), Accuracy: pct(e.Accuracy),
			BestMember: e.BestMember, BestMemberAccuracy: pct(e.BestMemberAccuracy),
			Diff: fmt.Sprintf("%+.2f", 100*d), Beat: d > 0,
		})
	}
	b := p.best
	pg.Cards = append(pg.Cards, card{"best model", pct(b.TestAccuracy), b.Name})
	if len(p.Ensembles) > 0 {
		be := p.Ensembles[0]
		for _, e := range p.Ensembles {
			if e.Accuracy > be.Accuracy {
				be = e
			}
		}
		pg.Cards = append(pg.Cards, card{"best ensemble", pct(be.Accuracy), be.Name})
	}
	if e := p.EarlyStopping; e != nil {
		pg.Cards = append(pg.Cards, card{"early stopping", "epoch " + strconv.Itoa(e.StoppedEpoch), fmt.Sprintf("best %d, %s", e.BestEpoch, e.Model)})
	}
	total := 0.0
	for i := range p.Rows {
		total += p.Rows[i].TrainSeconds
	}
	pg.Cards = append(pg.Cards, card{"models", strconv.Itoa(len(p.Rows)), seconds(total) + " s of training"})
	return pg, nil
}

// chartsIn returns the charts of one section, in order.
func (pg *page) chartsIn(section string) []chart {
	var out []chart
	for _, c := range pg.Charts {
		if c.Section == section {
			out = append(out, c)
		}
	}
	return out
}

// topicTitle is the heading of a finding.
var topicTitle = map[string]string{
	TopicBest:           "Best model",
	TopicDigits:         "Hardest digits",
	TopicOptimiser:      "Optimiser",
	TopicRegularisation: "Regularisation",
	TopicOverfitting:    "Overfitting",
	TopicCNN:            "Convolutional network",
	TopicAugmentation:   "Data augmentation",
	TopicSchedule:       "Learning-rate schedule",
	TopicEarlyStopping:  "Early stopping",
	TopicEnsembles:      "Ensembles",
	TopicSearch:         "Hyperparameter search",
	TopicSeed:           "Against the seed study",
	TopicSpeed:          "Training time",
}
