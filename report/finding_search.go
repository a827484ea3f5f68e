package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// paramEffect is how much one hyperparameter moved validation accuracy.
type paramEffect struct {
	name        string
	spread      float64 // best group mean minus worst group mean
	best, worst string  // the values (or value ranges) of those groups
}

// searchEffects groups the trials by each parameter's value (or, for a
// numeric parameter with more than six distinct values, by thirds of its
// sorted values) and measures the spread of the groups' mean validation
// accuracy. Parameters that never vary are left out. Sorted by spread,
// largest first.
func searchEffects(s *Search) []paramEffect {
	names := searchParams(s)
	var out []paramEffect
	for _, k := range names {
		type obs struct {
			label string
			x     float64
			num   bool
			acc   float64
		}
		var o []obs
		distinct := map[string]bool{}
		allNum := true
		for _, t := range s.Trials {
			v, ok := t.Params[k]
			if !ok {
				continue
			}
			x, isNum := numeric(v)
			allNum = allNum && isNum
			label := formatParam(v)
			distinct[label] = true
			o = append(o, obs{label, x, isNum, t.ValAccuracy})
		}
		if len(distinct) < 2 {
			continue
		}
		groups := map[string][]float64{}
		if allNum && len(distinct) > 6 {
			sort.SliceStable(o, func(i, j int) bool { return o[i].x < o[j].x })
			for third := 0; third < 3; third++ {
				lo, hi := third*len(o)/3, (third+1)*len(o)/3
				if lo == hi {
					continue
				}
				label := fmt.Sprintf("%s–%s", formatParam(o[lo].x), formatParam(o[hi-1].x))
				for _, v := range o[lo:hi] {
					groups[label] = append(groups[label], v.acc)
				}
			}
		} else {
			for _, v := range o {
				groups[v.label] = append(groups[v.label], v.acc)
			}
		}
		e := paramEffect{name: k}
		bestM, worstM := math.Inf(-1), math.Inf(1)
		glabels := make([]string, 0, len(groups))
		for g := range groups {
			glabels = append(glabels, g)
		}
		sort.Strings(glabels)
		for _, g := range glabels {
			m := mean(groups[g])
			if m > bestM {
				bestM, e.best = m, g
			}
			if m < worstM {
				worstM, e.worst = m, g
			}
		}
		e.spread = bestM - worstM
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].spread > out[j].spread })
	return out
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// sortedTrials returns the trials by validation accuracy, best first.
func sortedTrials(s *Search) []SearchTrial {
	t := append([]SearchTrial(nil), s.Trials...)
	sort.SliceStable(t, func(i, j int) bool { return t[i].ValAccuracy > t[j].ValAccuracy })
	return t
}

func searchFinding(p *prepared) (out []string) {
	s := p.Search
	if s == nil || len(s.Trials) == 0 {
		return nil
	}
	trials := sortedTrials(s)
	method := s.Method
	if method != "" {
		method += "-"
	}
	top := trials[0]
	first := fmt.Sprintf("Of %d %ssearch trials, the best reached %s validation accuracy with %s", len(trials), method, pct(top.ValAccuracy), formatParams(top.Params))
	if s.WinnerTestAccuracy > 0 {
		first += fmt.Sprintf(", and %s on the test set", pct(s.WinnerTestAccuracy))
	}
	first += fmt.Sprintf("; the worst reached %s.", pct(trials[len(trials)-1].ValAccuracy))
	out = []string{first}
	eff := searchEffects(s)
	defer func() {
		if len(eff) > 0 && len(trials) < 3*len(eff) {
			out = append(out, fmt.Sprintf("With %d trials for %d parameters these spreads mostly compare single trials, so they hint at, rather than measure, each parameter's effect.", len(trials), len(eff)))
		}
	}()
	switch len(eff) {
	case 0:
	case 1:
		e := eff[0]
		out = append(out, fmt.Sprintf("Only %s varied: mean validation accuracy ranged over %s across its values (best %s, worst %s).", e.name, points(e.spread), e.best, e.worst))
	default:
		e := eff[0]
		s := fmt.Sprintf("%s mattered most: mean validation accuracy ranged over %s across its values (best %s, worst %s)", e.name, points(e.spread), e.best, e.worst)
		var mid []string
		for _, m := range eff[1 : len(eff)-1] {
			mid = append(mid, fmt.Sprintf("%s (%s)", m.name, points(m.spread)))
		}
		if len(mid) > 0 {
			s += "; then " + strings.Join(mid, ", ")
		}
		l := eff[len(eff)-1]
		s += fmt.Sprintf("; %s mattered least (%s).", l.name, points(l.spread))
		out = append(out, s)
	}
	return out
}

// searchParams lists, sorted, every parameter any trial of s sets.
func searchParams(s *Search) []string {
	keys := map[string]bool{}
	for _, t := range s.Trials {
		for k := range t.Params {
			keys[k] = true
		}
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
