package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/rakam-ml/rakam/internal/atomicfile"
)

// Files written by Write, relative to its directory.
const (
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
	JSONFile     = "results.json"
)

// Write validates in and writes DIR/plots/*.svg, DIR/report.md,
// DIR/report.html and DIR/results.json, creating dir if needed. Each file
// is written atomically (a temporary file renamed over the target), so a
// crash leaves either the previous file or the complete new one. Nothing
// is written if the input is invalid; the error names the field at fault.
func Write(dir string, in *Input) error {
	p, err := prepare(in)
	if err != nil {
		return err
	}
	pg, err := buildPage(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, plotsDir), 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, c := range pg.Charts {
		if err := atomicfile.WriteFile(filepath.Join(dir, filepath.FromSlash(chartFile(c))), c.SVG, 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	for _, f := range []struct {
		name string
		fn   func(io.Writer, *page) error
	}{{MarkdownFile, writeMarkdown}, {HTMLFile, writeHTML}, {JSONFile, writeJSON}} {
		err := atomicfile.Write(filepath.Join(dir, f.name), 0o644, func(w io.Writer) error { return f.fn(w, pg) })
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// jsonReport is the layout of results.json: the Input's fields (with Best and
// each ensemble's best member resolved), the analysis, and the
// chart files.
type jsonReport struct {
	*Input
	Analysis []Finding `json:"analysis"`
	Charts   []string  `json:"charts"`
}

func writeJSON(w io.Writer, pg *page) error {
	out := jsonReport{Input: pg.p.Input, Analysis: pg.Findings, Charts: []string{}}
	for _, c := range pg.Charts {
		out.Charts = append(out.Charts, chartFile(c))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// checkFinite rejects NaN and infinite values in the histories, which JSON
// cannot carry and charts cannot draw, naming the first one found.
func checkFinite(p *prepared) error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	for i := range p.Rows {
		r := &p.Rows[i]
		for j, e := range r.History {
			for _, v := range []struct {
				name string
				x    float64
			}{{"TrainLoss", e.TrainLoss}, {"TrainAccuracy", e.TrainAccuracy}, {"ValLoss", e.ValLoss}, {"ValAccuracy", e.ValAccuracy}, {"LR", e.LR}, {"Seconds", e.Seconds}} {
				if bad(v.x) {
					return inputErr(fmt.Sprintf("Rows[%d].History[%d].%s", i, j, v.name), "%v in %q; a diverged run cannot be reported", v.x, r.Name)
				}
			}
		}
		for _, v := range []struct {
			name string
			x    float64
		}{{"WeightedF1", r.WeightedF1}, {"TrainSeconds", r.TrainSeconds}, {"ImagesPerSecond", r.ImagesPerSecond}} {
			if bad(v.x) {
				return inputErr(fmt.Sprintf("Rows[%d].%s", i, v.name), "%v in %q", v.x, r.Name)
			}
		}
	}
	if s := p.Schedule; s != nil {
		for i, x := range s.LR {
			if bad(x) || x < 0 {
				return inputErr(fmt.Sprintf("Schedule.LR[%d]", i), "%v is not a learning rate", x)
			}
		}
	}
	for i, e := range p.Ensembles {
		if bad(e.Accuracy) || e.Accuracy < 0 || e.Accuracy > 1 {
			return inputErr(fmt.Sprintf("Ensembles[%d].Accuracy", i), "%v outside [0, 1]", e.Accuracy)
		}
	}
	return nil
}
