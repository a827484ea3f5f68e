package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
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
