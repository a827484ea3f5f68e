package report

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// speedChart plots test accuracy against training time for every row that
// has a training time, labelled by name; log-scaled time when the times
// span more than a factor of 20.
func speedChart(p *prepared) (chart, error) {
	var xys plotter.XYs
	var names []string
	for i := range p.Rows {
		r := &p.Rows[i]
		if r.TrainSeconds <= 0 {
			continue
		}
		xys = append(xys, plotter.XY{X: r.TrainSeconds, Y: 100 * r.TestAccuracy})
		names = append(names, r.Name)
	}
	if len(xys) == 0 {
		return chart{}, nil
	}
	pl := newPlot("Test accuracy against training time", "training time (s)", "test accuracy (%)")
	lo, hi := xys[0].X, xys[0].X
	for _, v := range xys {
		lo, hi = math.Min(lo, v.X), math.Max(hi, v.X)
	}
	logX := hi/lo > 20
	if logX {
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = logTicks{span125: 3}
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return chart{}, err
	}
	sc.GlyphStyle.Color = colBlue
	sc.GlyphStyle.Radius = vg.Points(3.5)
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	pl.Add(sc)
	ts := text.Style{Font: sans(8.5), Color: color.RGBA{40, 40, 40, 255}, Handler: pl.TextHandler}
	pl.Add(&placedLabels{xys: xys, labels: names, style: ts, radius: sc.GlyphStyle.Radius})
	// Leave room on the right for the last label.
	if logX {
		pl.X.Max = hi * 2.2
		pl.X.Min = lo / 1.3
	} else {
		pl.X.Max = hi + (hi-lo)*0.25 + 1
		pl.X.Min = math.Max(0, lo-(hi-lo)*0.05)
	}
	svg, err := render([][]*plot.Plot{{pl}}, 7*vg.Inch, 3.6*vg.Inch)
	cap := "Each point is a model: its training time on this machine against its test accuracy."
	if logX {
		cap += " Time is on a logarithmic scale."
	}
	return chart{ID: "accuracy-time", Section: "speed", Title: "Accuracy against training time", Caption: cap, SVG: svg}, err
}

// placedLabels names scatter points, putting each label on the first side
// of its point (right, left, above, below, then the diagonals) where it
// overlaps neither an earlier label nor a point, so clustered models stay
// readable. It draws nothing else.
type placedLabels struct {
	xys    plotter.XYs
	labels []string
	style  text.Style
	radius vg.Length
}

func (l *placedLabels) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	pts := make([]vg.Point, len(l.xys))
	var taken []vg.Rectangle
	for i, p := range l.xys {
		pts[i] = vg.Point{X: trX(p.X), Y: trY(p.Y)}
		r := l.radius + 1
		taken = append(taken, vg.Rectangle{Min: vg.Point{X: pts[i].X - r, Y: pts[i].Y - r}, Max: vg.Point{X: pts[i].X + r, Y: pts[i].Y + r}})
	}
	// Place the highest points first: they sit where labels crowd.
	order := make([]int, len(pts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return pts[order[a]].Y > pts[order[b]].Y })
	gap := l.radius + vg.Points(2)
	for _, i := range order {
		w, h := l.style.Width(l.labels[i]), l.style.Height(l.labels[i])
		p := pts[i]
		cands := []vg.Point{ // bottom-left corners
			{X: p.X + gap, Y: p.Y - h/2},
			{X: p.X - gap - w, Y: p.Y - h/2},
			{X: p.X - w/2, Y: p.Y + gap},
			{X: p.X - w/2, Y: p.Y - gap - h},
			{X: p.X + gap, Y: p.Y + gap/2},
			{X: p.X + gap, Y: p.Y - gap/2 - h},
			{X: p.X - gap - w, Y: p.Y + gap/2},
			{X: p.X - gap - w, Y: p.Y - gap/2 - h},
		}
		// Then further out, one and two label heights away.
		for _, k := range []vg.Length{1, 2} {
			cands = append(cands,
				vg.Point{X: p.X + gap, Y: p.Y + k*h},
				vg.Point{X: p.X + gap, Y: p.Y - (k+1)*h},
				vg.Point{X: p.X - gap - w, Y: p.Y + k*h},
				vg.Point{X: p.X - gap - w, Y: p.Y - (k+1)*h},
				vg.Point{X: p.X - w/2, Y: p.Y + gap + k*h},
				vg.Point{X: p.X - w/2, Y: p.Y - gap - (k+1)*h},
			)
		}
		// The first candidate inside the plot that overlaps nothing; failing
		// that, the one inside with the fewest overlaps; failing that, the first.
		best, bestOverlaps, bestIdx := cands[0], math.MaxInt, 0
		for ci, cand := range cands {
			box := vg.Rectangle{Min: cand, Max: vg.Point{X: cand.X + w, Y: cand.Y + h}}
			if box.Min.X < c.Min.X || box.Max.X > c.Max.X || box.Min.Y < c.Min.Y || box.Max.Y > c.Max.Y {
				continue
			}
			overlaps := 0
			for _, t := range taken {
				if box.Min.X < t.Max.X && t.Min.X < box.Max.X && box.Min.Y < t.Max.Y && t.Min.Y < box.Max.Y {
					overlaps++
				}
			}
			if overlaps < bestOverlaps {
				best, bestOverlaps, bestIdx = cand, overlaps, ci
			}
			if overlaps == 0 {
				break
			}
		}
		taken = append(taken, vg.Rectangle{Min: best, Max: vg.Point{X: best.X + w, Y: best.Y + h}})
		if bestIdx >= 8 {
			// A label set further out gets a leader line to its point, drawn
			// to the nearest point of the label's box.
			q := vg.Point{X: min(max(p.X, best.X), best.X+w), Y: min(max(p.Y, best.Y), best.Y+h)}
			c.StrokeLine2(draw.LineStyle{Color: colGrey, Width: vg.Points(0.6)}, p.X, p.Y, q.X, q.Y)
		}
		st := l.style
		st.XAlign, st.YAlign = draw.XLeft, draw.YBottom
		c.FillText(st, best, l.labels[i])
	}
}
