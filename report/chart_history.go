package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/rakam-ml/rakam/results"
)

// historyChart draws a model's loss and accuracy per epoch, training and
// validation, side by side. For the early-stopping run it marks the best
// and the stopping epoch.
func historyChart(p *prepared, r *results.Model, id string) (chart, error) {
	var tl, vl, ta, va plotter.XYs
	for _, e := range r.History {
		x := float64(e.Epoch)
		tl = append(tl, plotter.XY{X: x, Y: e.TrainLoss})
		vl = append(vl, plotter.XY{X: x, Y: e.ValLoss})
		ta = append(ta, plotter.XY{X: x, Y: 100 * e.TrainAccuracy})
		va = append(va, plotter.XY{X: x, Y: 100 * e.ValAccuracy})
	}
	loss := newPlot(r.Name+": loss", "epoch", "cross-entropy")
	acc := newPlot(r.Name+": accuracy", "epoch", "accuracy (%)")
	for _, s := range []struct {
		p          *plot.Plot
		train, val plotter.XYs
	}{{loss, tl, vl}, {acc, ta, va}} {
		lt, err := line(s.train, colBlue, false)
		if err != nil {
			return chart{}, err
		}
		lv, err := line(s.val, colOrange, true)
		if err != nil {
			return chart{}, err
		}
		s.p.Add(lt, lv)
		s.p.X.Tick.Marker = epochTicks{}
		// Dots mark each epoch; with a single epoch (a quick run) they are
		// all there is to see.
		for _, d := range []struct {
			xy plotter.XYs
			c  color.Color
		}{{s.train, colBlue}, {s.val, colOrange}} {
			if len(r.History) > 1 && d.c == colBlue {
				continue
			}
			if pts, err := plotter.NewScatter(d.xy); err == nil {
				pts.GlyphStyle.Color = d.c
				pts.GlyphStyle.Radius = vg.Points(1.5)
				if len(r.History) == 1 {
					pts.GlyphStyle.Radius = vg.Points(3)
				}
				pts.GlyphStyle.Shape = draw.CircleGlyph{}
				s.p.Add(pts)
			}
		}
	}
	caption := fmt.Sprintf("%s: training (solid blue) and validation (dashed orange) loss and accuracy after each epoch.", r.Name)
	if e := p.EarlyStopping; e != nil && e.Model == r.Name {
		for _, pl := range []*plot.Plot{loss, acc} {
			lo, hi := yRange(pl)
			if b, err := vline(float64(e.BestEpoch), lo, hi, colGreen); err == nil {
				pl.Add(b)
			}
			if e.StoppedEpoch != e.BestEpoch {
				if s, err := vline(float64(e.StoppedEpoch), lo, hi, colRed); err == nil {
					pl.Add(s)
				}
			}
		}
		if e.StoppedEpoch != e.BestEpoch {
			caption += fmt.Sprintf(" Early stopping: best epoch %d (green), stopped after epoch %d (red).", e.BestEpoch, e.StoppedEpoch)
		} else {
			caption += fmt.Sprintf(" Early stopping: the best epoch was the last one trained, %d (green).", e.BestEpoch)
		}
	}
	svg, err := render([][]*plot.Plot{{loss, acc}}, 6*vg.Inch, 2.4*vg.Inch)
	return chart{ID: id, Section: "curves", Title: r.Name, Caption: caption, SVG: svg}, err
}
