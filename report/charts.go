package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/rakam-ml/rakam/results"
)

// chart is one figure of the report: an SVG document plus what the page
// says about it. ID is also the file name under DIR/plots.
type chart struct {
	ID      string
	Section string // "curves", "confusion", "mistakes", "speed", "search", "schedule"
	Title   string
	Caption string
	SVG     []byte
}

// Colours: a colour-blind-safe set (Okabe & Ito).
var (
	colBlue   = color.RGBA{0, 114, 178, 255}
	colOrange = color.RGBA{230, 159, 0, 255}
	colGreen  = color.RGBA{0, 158, 115, 255}
	colRed    = color.RGBA{213, 94, 0, 255}
	colGrey   = color.RGBA{120, 120, 120, 255}
	colGrid   = color.RGBA{225, 225, 225, 255}
)

// newPlot returns a plot in the report's house style, with grid lines.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := basePlot(title, xlabel, ylabel)
	g := plotter.NewGrid()
	g.Vertical.Color = colGrid
	g.Horizontal.Color = colGrid
	p.Add(g)
	return p
}

// sans is the typeface of every chart: Liberation Sans, which gonum/plot
// embeds for measuring text and which is metric-compatible with Arial, the
// browser's fallback (see fontFallback).
func sans(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
}

// basePlot is newPlot without grid lines.
func basePlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(11)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(9.5)
		a.Tick.Label.Font = sans(8.5)
		a.LineStyle.Color = colGrey
		a.Tick.LineStyle.Color = colGrey
		a.Tick.Label.Color = color.RGBA{60, 60, 60, 255}
		a.Label.TextStyle.Color = color.RGBA{40, 40, 40, 255}
		a.Padding = vg.Points(2)
	}
	p.Legend.TextStyle.Font = sans(8.5)
	p.Legend.Top = true
	return p
}

func line(xy plotter.XYs, c color.Color, dashed bool) (*plotter.Line, error) {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	return l, nil
}

// render draws plots tiled in rows x cols on a w x h canvas and returns the
// SVG. gonum/plot panics on some degenerate data (an empty log axis, for
// one); render turns that into an error.
func render(rows [][]*plot.Plot, w, h vg.Length) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plot: %v", r)
		}
	}()
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	if len(rows) == 1 && len(rows[0]) == 1 {
		rows[0][0].Draw(dc)
	} else {
		t := draw.Tiles{Rows: len(rows), Cols: len(rows[0]), PadX: vg.Points(14), PadY: vg.Points(10), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		canvases := plot.Align(rows, t, dc)
		for j := range rows {
			for i, p := range rows[j] {
				if p != nil {
					p.Draw(canvases[j][i])
				}
			}
		}
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return fontFallback.ReplaceAll(b.Bytes(), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// fontFallback matches the font-family gonum writes, so that a viewer
// without Liberation Sans uses a metric-compatible face rather than serif.
var fontFallback = regexp.MustCompile(`font-family:Liberation Sans;`)

// charts builds every chart the Input has data for, in page order.
func charts(p *prepared) ([]chart, error) {
	var out []chart
	addErr := func(id string, c chart, err error) error {
		if err != nil {
			return fmt.Errorf("report: chart %s: %w", id, err)
		}
		if c.SVG != nil {
			out = append(out, c)
		}
		return nil
	}
	used := map[string]bool{}
	for i := range p.Rows {
		r := &p.Rows[i]
		if len(r.History) == 0 {
			continue
		}
		// Distinct names can share a slug ("cnn aug", "cnn-aug"); number them.
		id := "curves-" + slug(r.Name)
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("curves-%s-%d", slug(r.Name), n)
		}
		used[id] = true
		c, err := historyChart(p, r, id)
		if err := addErr(id, c, err); err != nil {
			return nil, err
		}
	}
	if len(p.best.Confusion) > 0 {
		c, err := confusionChart(p.best)
		if err := addErr("confusion", c, err); err != nil {
			return nil, err
		}
	}
	if len(p.Mistakes) > 0 {
		out = append(out, mistakesChart(p))
	}
	c, err := speedChart(p)
	if err := addErr("accuracy-time", c, err); err != nil {
		return nil, err
	}
	if p.Search != nil && len(p.Search.Trials) > 0 {
		c, err := searchChart(p.Search)
		if err := addErr("search", c, err); err != nil {
			return nil, err
		}
	}
	if p.Schedule != nil {
		c, err := scheduleChart(p)
		if err := addErr("lr-schedule", c, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes a row name safe for a file name and an HTML id.
func slug(s string) string {
	s = strings.Trim(slugRe.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if s == "" {
		return "model"
	}
	return s
}

// vline is a vertical marker at x spanning [y0, y1].
func vline(x, y0, y1 float64, c color.Color) (*plotter.Line, error) {
	l, err := line(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}}, c, true)
	if err != nil {
		return nil, err
	}
	l.Width = vg.Points(1)
	return l, nil
}

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

// yRange returns the y range the plot's data spans so far.
func yRange(p *plot.Plot) (float64, float64) {
	lo, hi := p.Y.Min, p.Y.Max
	if lo > hi || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 1
	}
	return lo, hi
}

// epochTicks labels whole epochs only, at most about ten of them.
type epochTicks struct{}

func (epochTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	step := math.Max(1, math.Ceil((hi-lo+1)/10))
	var t []plot.Tick
	for i, x := 0, lo; x <= hi && i < 12; i, x = i+1, x+step { // i bounds the loop where x+step == x
		t = append(t, plot.Tick{Value: x, Label: fmt.Sprintf("%.0f", x)})
	}
	return t
}

// confusionGrid is a confusion matrix as a heat-map grid: column c is the
// predicted label, row r counts from the bottom so true label 0 is on top.
// keep selects which cells carry a value; the others are NaN (unpainted).
type confusionGrid struct {
	m    [][]int
	keep func(t, p int) bool
}

func (g confusionGrid) Dims() (int, int) { return len(g.m), len(g.m) }
func (g confusionGrid) X(c int) float64  { return float64(c) }
func (g confusionGrid) Y(r int) float64  { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 {
	t := len(g.m) - 1 - r
	v := g.m[t][c]
	if !g.keep(t, c) || v == 0 {
		return math.NaN()
	}
	return math.Log1p(float64(v))
}

// ramp is a palette from white to c in n steps.
type ramp struct {
	from, to color.RGBA
	n        int
}

func (r ramp) Colors() []color.Color {
	out := make([]color.Color, r.n)
	for i := range out {
		f := float64(i) / float64(r.n-1)
		mix := func(a, b uint8) uint8 { return uint8(float64(a) + f*(float64(b)-float64(a)) + 0.5) }
		out[i] = color.RGBA{mix(r.from.R, r.to.R), mix(r.from.G, r.to.G), mix(r.from.B, r.to.B), 255}
	}
	return out
}

var _ palette.Palette = ramp{}

func confusionChart(r *results.Model) (chart, error) {
	m := r.Confusion
	k := len(m)
	maxDiag, maxOff := 0, 0
	for t := range m {
		for q := range m[t] {
			if t == q {
				maxDiag = max(maxDiag, m[t][q])
			} else {
				maxOff = max(maxOff, m[t][q])
			}
		}
	}
	p := basePlot(fmt.Sprintf("%s: confusion matrix (test set)", r.Name), "predicted label", "true label")
	diag := plotter.NewHeatMap(confusionGrid{m, func(t, q int) bool { return t == q }}, ramp{color.RGBA{198, 219, 239, 255}, color.RGBA{8, 69, 148, 255}, 64})
	diag.Min, diag.Max = 0, math.Log1p(float64(max(maxDiag, 1)))
	off := plotter.NewHeatMap(confusionGrid{m, func(t, q int) bool { return t != q }}, ramp{color.RGBA{254, 230, 206, 255}, color.RGBA{166, 54, 3, 255}, 64})
	off.Min, off.Max = 0, math.Log1p(float64(max(maxOff, 1)))
	p.Add(diag, off)
	var xys plotter.XYs
	var labels []string
	var styles []color.Color
	for t := range m {
		for q := range m[t] {
			v := m[t][q]
			if v == 0 {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(q), Y: float64(k - 1 - t)})
			labels = append(labels, fmt.Sprint(v))
			// White text on the dark end of either ramp.
			dark := (t == q && math.Log1p(float64(v)) > 0.55*diag.Max) || (t != q && math.Log1p(float64(v)) > 0.6*off.Max && maxOff > 3)
			if dark {
				styles = append(styles, color.White)
			} else {
				styles = append(styles, color.RGBA{30, 30, 30, 255})
			}
		}
	}
	if len(xys) > 0 {
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return chart{}, err
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].Color = styles[i]
			lab.TextStyle[i].XAlign = draw.XCenter
			lab.TextStyle[i].YAlign = draw.YCenter
			lab.TextStyle[i].Font = sans(8)
		}
		p.Add(lab)
	}
	var xt, yt []plot.Tick
	for i := 0; i < k; i++ {
		xt = append(xt, plot.Tick{Value: float64(i), Label: fmt.Sprint(i)})
		yt = append(yt, plot.Tick{Value: float64(k - 1 - i), Label: fmt.Sprint(i)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	svg, err := render([][]*plot.Plot{{p}}, 5*vg.Inch, 5*vg.Inch)
	errs := errorsOn(r)
	return chart{ID: "confusion", Section: "confusion", Title: "Confusion matrix of " + r.Name,
		Caption: fmt.Sprintf("Rows are the true digit, columns the prediction; blue cells are correct, orange cells are the %s mistakes (colour on a log scale, counts printed).", thousands(errs)),
		SVG:     svg}, err
}

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

// searchChart draws validation accuracy against each hyperparameter, one
// panel per parameter, three panels to a row.
func searchChart(s *Search) (chart, error) {
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

// blankPlot fills an empty tile.
func blankPlot() *plot.Plot {
	p := plot.New()
	p.HideAxes()
	return p
}

// scheduleChart draws the learning rate of the scheduled run, and the
// constant run's rate as a reference when known.
func scheduleChart(p *prepared) (chart, error) {
	s := p.Schedule
	sch, con := p.row(s.Scheduled), p.row(s.Constant)
	var xys plotter.XYs
	xlabel := "epoch"
	if len(s.LR) > 0 {
		per := float64(max(s.StepsPerEpoch, 1))
		for i, lr := range s.LR {
			// Step i happens during epoch i/per (0-based), so the curve spans 0..epochs.
			xys = append(xys, plotter.XY{X: float64(i) / per, Y: lr})
		}
		if s.StepsPerEpoch <= 1 {
			xys = xys[:0]
			for i, lr := range s.LR {
				xys = append(xys, plotter.XY{X: float64(i + 1), Y: lr})
			}
		}
	} else {
		for _, e := range sch.History {
			if e.LR > 0 {
				xys = append(xys, plotter.XY{X: float64(e.Epoch), Y: e.LR})
			}
		}
	}
	if len(xys) == 0 {
		return chart{}, nil
	}
	kind := s.Kind
	if kind == "" {
		kind = "scheduled"
	}
	pl := newPlot(fmt.Sprintf("Learning rate of %s (%s)", sch.Name, kind), xlabel, "learning rate")
	l, err := line(xys, colBlue, false)
	if err != nil {
		return chart{}, err
	}
	pl.Add(l)
	pl.X.Tick.Marker = epochTicks{}
	var constLR float64
	for _, e := range con.History {
		if e.LR > 0 {
			constLR = e.LR
		}
	}
	if constLR > 0 {
		c, err := line(plotter.XYs{{X: xys[0].X, Y: constLR}, {X: xys[len(xys)-1].X, Y: constLR}}, colOrange, true)
		if err != nil {
			return chart{}, err
		}
		pl.Add(c)
	}
	pl.Y.Min = 0
	pl.Y.Max *= 1.08
	svg, err := render([][]*plot.Plot{{pl}}, 7*vg.Inch, 2.8*vg.Inch)
	caption := fmt.Sprintf("The learning rate %s used at each point of training (solid blue)", sch.Name)
	if constLR > 0 {
		caption += fmt.Sprintf(", against the constant rate of %s (dashed orange)", con.Name)
	}
	return chart{ID: "lr-schedule", Section: "schedule", Title: "Learning-rate schedule", Caption: caption + ".", SVG: svg}, err
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

// logTicks labels 1, 2 and 5 times each power of ten on a log axis, or
// only the powers of ten when the range spans more than span125 decades,
// with minor ticks at the other integers.
type logTicks struct{ span125 float64 }

func (l logTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= min {
		return nil
	}
	wide := math.Log10(max/min) > l.span125
	var t []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			label := ""
			if m == 1 || (!wide && (m == 2 || m == 5)) {
				label = strconv.FormatFloat(v, 'g', 4, 64)
			}
			t = append(t, plot.Tick{Value: v, Label: label})
		}
	}
	return t
}

// plainTicks are gonum's default ticks with labels in the shortest form
// ("75", not "75.00").
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	t := plot.DefaultTicks{}.Ticks(min, max)
	for i := range t {
		if t[i].Label != "" {
			t[i].Label = strconv.FormatFloat(t[i].Value, 'g', 6, 64)
		}
	}
	return t
}
