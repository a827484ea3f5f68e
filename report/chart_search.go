package report

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// searchChart draws validation accuracy against each hyperparameter, one
// panel per parameter, three panels to a row.
func searchChart(s *Search) (chart, error) {
	names := searchParams(s)
	var varied, fixed []string
	for _, k := range names {
		vals := map[string]bool{}
		for _, t := range s.Trials {
			if v, ok := t.Params[k]; ok {
				vals[formatParam(v)] = true
			}
		}
		if len(vals) > 1 {
			varied = append(varied, k)
		} else {
			for v := range vals {
				fixed = append(fixed, k+"="+v)
			}
		}
	}
	if len(varied) == 0 {
		return chart{}, nil
	}
	var panels []*plot.Plot
	for _, k := range varied {
		pl := newPlot(k, k, "val accuracy (%)")
		var xys plotter.XYs
		allNum := true
		for _, t := range s.Trials {
			if v, ok := t.Params[k]; ok {
				if _, isNum := numeric(v); !isNum {
					allNum = false
				}
			}
		}
		if allNum {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, t := range s.Trials {
				if v, ok := t.Params[k]; ok {
					x, _ := numeric(v)
					xys = append(xys, plotter.XY{X: x, Y: 100 * t.ValAccuracy})
					lo, hi = math.Min(lo, x), math.Max(hi, x)
				}
			}
			pl.X.Tick.Marker = plainTicks{}
			if lo > 0 && hi/lo >= 20 {
				pl.X.Scale = plot.LogScale{}
				pl.X.Tick.Marker = logTicks{span125: 1}
				pl.X.Label.Text = k + " (log scale)"
			}
			if lo == hi {
				pl.X.Min, pl.X.Max = lo-1, hi+1
				if lo > 0 {
					pl.X.Min, pl.X.Max = lo/2, hi*2
				}
			}
		} else {
			cats := map[string]bool{}
			for _, t := range s.Trials {
				if v, ok := t.Params[k]; ok {
					cats[formatParam(v)] = true
				}
			}
			labels := make([]string, 0, len(cats))
			for c := range cats {
				labels = append(labels, c)
			}
			sort.Strings(labels)
			pos := map[string]float64{}
			var ticks []plot.Tick
			for i, c := range labels {
				pos[c] = float64(i)
				ticks = append(ticks, plot.Tick{Value: float64(i), Label: c})
			}
			for _, t := range s.Trials {
				if v, ok := t.Params[k]; ok {
					xys = append(xys, plotter.XY{X: pos[formatParam(v)], Y: 100 * t.ValAccuracy})
				}
			}
			pl.X.Tick.Marker = plot.ConstantTicks(ticks)
			pl.X.Min, pl.X.Max = -0.5, float64(len(labels))-0.5
		}
		if len(xys) > 0 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return chart{}, err
			}
			sc.GlyphStyle.Color = color.NRGBA{0, 114, 178, 150}
			sc.GlyphStyle.Radius = vg.Points(3)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			pl.Add(sc)
		}
		panels = append(panels, pl)
	}
	cols := min(3, len(panels))
	var rows [][]*plot.Plot
	for i := 0; i < len(panels); i += cols {
		row := make([]*plot.Plot, cols)
		copy(row, panels[i:min(i+cols, len(panels))])
		for j := range row {
			if row[j] == nil {
				row[j] = blankPlot()
			}
		}
		rows = append(rows, row)
	}
	svg, err := render(rows, 7*vg.Inch, vg.Length(len(rows))*2.4*vg.Inch)
	method := s.Method
	if method == "" {
		method = "hyperparameter"
	}
	caption := fmt.Sprintf("Validation accuracy of each of the %d %s-search trials against each hyperparameter it varied.", len(s.Trials), method)
	if len(fixed) > 0 {
		caption += " Fixed: " + strings.Join(fixed, ", ") + "."
	}
	return chart{ID: "search", Section: "search", Title: "Hyperparameter search", Caption: caption, SVG: svg}, err
}
