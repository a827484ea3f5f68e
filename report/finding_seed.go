package report

import (
	"fmt"
	"strconv"
	"strings"
)

// seedNumber parses the leading number of a reported figure ("98+ %" → 98).
func seedNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	x, err := strconv.ParseFloat(s[:end], 64)
	return x, err == nil
}

func seedFinding(p *prepared) string {
	var met, missed []string
	for i := range p.Rows {
		r := &p.Rows[i]
		fig, ok := p.SeedReported[r.Name]
		if !ok {
			continue
		}
		x, ok := seedNumber(fig)
		if !ok {
			continue
		}
		if 100*r.TestAccuracy >= x {
			met = append(met, r.Name)
		} else {
			missed = append(missed, fmt.Sprintf("%s (%s against the seed's %s)", r.Name, pct(r.TestAccuracy), fig))
		}
	}
	quick := ""
	if p.Quick && len(missed) > 0 {
		quick = " This was a quick run with fewer epochs; hold the full run against the seed."
	}
	switch {
	case len(met) == 0 && len(missed) == 0:
		return ""
	case len(missed) == 0:
		return fmt.Sprintf("Every row the seed study reported was met or beaten: %s.", joinAnd(met))
	case len(met) == 0:
		return fmt.Sprintf("No row reached the seed study's figure: %s.%s", joinAnd(missed), quick)
	}
	return fmt.Sprintf("Rows at or above the seed study's figure: %s. Below it: %s.%s", joinAnd(met), joinAnd(missed), quick)
}
