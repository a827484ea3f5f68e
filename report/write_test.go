package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/results"
)

// wantCharts are the chart IDs the fixture must produce.
func wantCharts(in *Input) []string {
	var ids []string
	for _, r := range in.Rows {
		ids = append(ids, "curves-"+slug(r.Name))
	}
	return append(ids, "confusion", "mistakes", "accuracy-time", "search", "lr-schedule")
}

func writeFixture(t *testing.T) (string, *Input) {
	t.Helper()
	dir := t.TempDir()
	in := fixture()
	if err := Write(dir, in); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir, in
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkXML fails unless b is well-formed XML.
func checkXML(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Errorf("%s is not well-formed SVG: %v", name, err)
			return
		}
	}
}

func TestWriteCharts(t *testing.T) {
	dir, in := writeFixture(t)
	md := readFile(t, filepath.Join(dir, MarkdownFile))
	html := readFile(t, filepath.Join(dir, HTMLFile))
	for _, id := range wantCharts(in) {
		file := filepath.Join(dir, "plots", id+".svg")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("chart %s: %v", id, err)
			continue
		}
		checkXML(t, id, b)
		if !bytes.Contains(b, []byte("<svg")) || len(b) < 1000 {
			t.Errorf("chart %s: %d bytes, no drawing", id, len(b))
		}
		if !strings.Contains(md, "](plots/"+id+".svg)") {
			t.Errorf("report.md does not show plots/%s.svg", id)
		}
		// Inline in the HTML, inside its figure.
		re := regexp.MustCompile(`<figure class="chart[^"]*" id="chart-` + regexp.QuoteMeta(id) + `"><svg[ >]`)
		if !re.MatchString(html) {
			t.Errorf("report.html has no inline <svg> in figure chart-%s", id)
		}
	}
	// Charts carry their data: the confusion matrix prints the diagonal.
	conf := readFile(t, filepath.Join(dir, "plots", "confusion.svg"))
	for d, n := range rowOf(in, in.Best).Confusion {
		if !strings.Contains(conf, ">"+strconv.Itoa(n[d])+"</text>") {
			t.Errorf("confusion.svg lacks the count %d of digit %d", n[d], d)
		}
	}
	// The curves have one polyline per series; the accuracy-time chart names every model.
	speed := readFile(t, filepath.Join(dir, "plots", "accuracy-time.svg"))
	for _, r := range in.Rows {
		if !strings.Contains(speed, ">"+r.Name+"</text>") {
			t.Errorf("accuracy-time.svg lacks the label %s", r.Name)
		}
	}
	mistakes := readFile(t, filepath.Join(dir, "plots", "mistakes.svg"))
	if got := strings.Count(mistakes, `<g class="digit">`); got != len(in.Mistakes) {
		t.Errorf("mistakes.svg draws %d digits; want %d", got, len(in.Mistakes))
	}
	if !strings.Contains(mistakes, "true 0</tspan>") || !strings.Contains(mistakes, "→ 1</tspan>") {
		t.Error("mistakes.svg lacks the first mistake's labels (true 0 → 1)")
	}
}

func TestWriteMarkdown(t *testing.T) {
	dir, in := writeFixture(t)
	md := readFile(t, filepath.Join(dir, MarkdownFile))
	for _, want := range []string{
		"# rakam: MNIST study",
		"| model | test acc | precision | recall | F1 | test loss | optimiser | regularisation | params | epochs | train s | images/s | seed reported |",
		"| **cnn-augment** | 99.52 % |",
		"| baseline-sgd | 91.80 % |",
		"| 90+ % |",
		"## Analysis",
		"- **Optimiser.** Adam won",
		"### Train and validation at the last epoch",
		"| baseline-adam | 99.50 % | 97.70 % | +1.80 |",
		"## Voting ensembles",
		"| cnns-soft | soft | cnn, cnn-augment, cnn-cosine | 99.61 % | cnn-augment | 99.52 % | +0.09 |",
		"| 1 | batch=32, hidden=128, lr=0.001, optimizer=adam | 97.14 % |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, r := range in.Rows {
		if !strings.Contains(md, "| "+r.Name+" |") && !strings.Contains(md, "| **"+r.Name+"** |") {
			t.Errorf("report.md table lacks row %s", r.Name)
		}
	}
	if in.Quick {
		t.Fatal("fixture should not be quick")
	}
	if strings.Contains(md, "quick") {
		t.Error("report.md mentions a quick run for a full one")
	}
}

func TestWriteHTMLSelfContained(t *testing.T) {
	dir, in := writeFixture(t)
	html := readFile(t, filepath.Join(dir, HTMLFile))
	for _, bad := range []string{"<script", "<link rel=\"stylesheet\"", "src=\"http", "href=\"http", "url(http", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html contains %q; want a self-contained page", bad)
		}
	}
	if strings.Contains(html, "<?xml") {
		t.Error("report.html contains an XML declaration from an inlined SVG")
	}
	for _, want := range []string{"<!DOCTYPE html>", "<style>", `<tr class="best">`, "Adam won", "<td class=\"num\">99.52 %</td>", `<td class="num yes">90&#43; %</td>`, `id="ensembles"`} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, r := range in.Rows {
		if !strings.Contains(html, `<td class="">`+r.Name+"</td>") {
			t.Errorf("report.html table lacks row %s", r.Name)
		}
	}
	// Text from the data is escaped, not injected.
	in.Rows[0].Name = `<b>x</b>`
	in.Ensembles, in.SeedReported = nil, nil
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	html = readFile(t, filepath.Join(dir, HTMLFile))
	if strings.Contains(html, "<b>x</b>") || !strings.Contains(html, "&lt;b&gt;x&lt;/b&gt;") {
		t.Error("a row name with markup was not escaped in report.html")
	}
}

func TestWriteQuick(t *testing.T) {
	dir := t.TempDir()
	in := fixture()
	in.Quick = true
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{MarkdownFile, HTMLFile} {
		if !strings.Contains(readFile(t, filepath.Join(dir, f)), "quick</strong>") && !strings.Contains(readFile(t, filepath.Join(dir, f)), "**quick**") {
			t.Errorf("%s does not say the run was quick", f)
		}
	}
}

// TestWriteTiming shows how the training times were measured under the
// comparison table of both reports, only when the study says, escaped in
// the HTML.
func TestWriteTiming(t *testing.T) {
	dir := t.TempDir()
	in := fixture()
	for _, f := range []string{MarkdownFile, HTMLFile} {
		if err := Write(dir, in); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(readFile(t, filepath.Join(dir, f)), "Training time:") {
			t.Errorf("%s has a timing note the input did not give", f)
		}
	}
	in.Timing = "two lanes <side by side>, 1 thread each."
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	if md := readFile(t, filepath.Join(dir, MarkdownFile)); !strings.Contains(md, "shown in detail below. Training time: two lanes <side by side>, 1 thread each.\n") {
		t.Error("report.md lacks the timing note under the table")
	}
	if html := readFile(t, filepath.Join(dir, HTMLFile)); !strings.Contains(html, "Training time: two lanes &lt;side by side&gt;, 1 thread each.</p>") {
		t.Error("report.html lacks the timing note (escaped) under the table")
	}
}

func TestWriteJSON(t *testing.T) {
	dir, in := writeFixture(t)
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	for _, k := range []string{"title", "date", "seed", "quick", "best", "roles", "rows", "mistakes", "search", "schedule", "early_stopping", "ensembles", "seed_reported", "analysis", "charts"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("results.json lacks %q", k)
		}
	}
	// Every row carries every field of the results.Model contract.
	rows := raw["rows"].([]any)
	if len(rows) != len(in.Rows) {
		t.Fatalf("results.json has %d rows; want %d", len(rows), len(in.Rows))
	}
	typ := reflect.TypeFor[results.Model]()
	for i, r := range rows {
		obj := r.(map[string]any)
		for f := range typ.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if _, ok := obj[name]; !ok && !strings.Contains(opts, "omitempty") {
				t.Errorf("rows[%d] lacks %q", i, name)
			}
		}
		if obj["name"] != in.Rows[i].Name {
			t.Errorf("rows[%d].name = %v; want %s", i, obj["name"], in.Rows[i].Name)
		}
	}
	// Round trip: the rows decode back to what went in.
	var back struct {
		Rows     []results.Model `json:"rows"`
		Analysis []Finding       `json:"analysis"`
		Best     string          `json:"best"`
		Roles    Roles           `json:"roles"`
		Mistakes []Mistake       `json:"mistakes"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Rows, in.Rows) {
		t.Error("rows in results.json differ from the input rows")
	}
	if !reflect.DeepEqual(back.Mistakes, in.Mistakes) {
		t.Error("mistakes in results.json differ from the input")
	}
	want, _ := Analyze(in)
	if !reflect.DeepEqual(back.Analysis, want) {
		t.Errorf("analysis in results.json = %v; want %v", back.Analysis, want)
	}
	if back.Best != "cnn-augment" || back.Roles != fixtureRoles {
		t.Errorf("best, roles = %q, %+v; want cnn-augment and %+v", back.Best, back.Roles, fixtureRoles)
	}
}

func TestWriteDeterministic(t *testing.T) {
	a, _ := writeFixture(t)
	b, _ := writeFixture(t)
	for _, f := range []string{MarkdownFile, HTMLFile, JSONFile, "plots/confusion.svg", "plots/search.svg"} {
		if readFile(t, filepath.Join(a, f)) != readFile(t, filepath.Join(b, f)) {
			t.Errorf("%s differs between two writes of the same input", f)
		}
	}
}

// TestWriteAtomic checks that a failed write leaves the previous report
// whole and leaves no temporary files behind.
func TestWriteAtomic(t *testing.T) {
	dir, in := writeFixture(t)
	before := map[string]string{}
	for _, f := range []string{MarkdownFile, HTMLFile, JSONFile} {
		before[f] = readFile(t, filepath.Join(dir, f))
	}
	// Invalid input: nothing is touched.
	bad := fixture()
	bad.Best = "nope"
	if err := Write(dir, bad); err == nil {
		t.Fatal("Write with a bad Best succeeded")
	}
	// A target that cannot be replaced: results.json's place is taken by a
	// non-empty directory, so the last rename fails.
	in.Title = "second run"
	if err := os.Remove(filepath.Join(dir, JSONFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, JSONFile, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, in); err == nil {
		t.Fatal("Write over a directory named results.json succeeded")
	}
	for _, f := range []string{MarkdownFile, HTMLFile} {
		got := readFile(t, filepath.Join(dir, f))
		if got != before[f] && !strings.HasPrefix(got, "# second run") && !strings.Contains(got, "<title>second run</title>") {
			t.Errorf("%s is neither the old nor the complete new report", f)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestWriteInputErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(in *Input)
		field string
	}{
		{"empty name", func(in *Input) { in.Rows[2].Name = "" }, "Rows[2].Name"},
		{"duplicate name", func(in *Input) { in.Rows[3].Name = "scratch" }, "Rows[3].Name"},
		{"accuracy above 1", func(in *Input) { in.Rows[1].TestAccuracy = 97.8 }, "Rows[1].TestAccuracy"},
		{"negative loss", func(in *Input) { in.Rows[1].TestLoss = -1 }, "Rows[1].TestLoss"},
		{"ragged confusion", func(in *Input) { in.Rows[0].Confusion[4] = in.Rows[0].Confusion[4][:9] }, "Rows[0].Confusion[4]"},
		{"NaN in history", func(in *Input) { in.Rows[5].History[2].ValLoss = nan() }, "Rows[5].History[2].ValLoss"},
		{"unknown best", func(in *Input) { in.Best = "resnet" }, "Best"},
		{"short pixels", func(in *Input) { in.Mistakes[3].Pixels = in.Mistakes[3].Pixels[:100] }, "Mistakes[3].Pixels"},
		{"bad label", func(in *Input) { in.Mistakes[0].Pred = 10 }, "Mistakes[0]"},
		{"bad confidence", func(in *Input) { in.Mistakes[0].Confidence = 1.5 }, "Mistakes[0].Confidence"},
		{"unknown mistake model", func(in *Input) { in.Mistakes[0].Model = "x" }, "Mistakes[0].Model"},
		{"bad param type", func(in *Input) { in.Search.Trials[1].Params["lr"] = []int{1} }, `Search.Trials[1].Params["lr"]`},
		{"unknown scheduled", func(in *Input) { in.Schedule.Scheduled = "x" }, "Schedule.Scheduled"},
		{"negative lr", func(in *Input) { in.Schedule.LR[5] = -1 }, "Schedule.LR[5]"},
		{"early stop epochs", func(in *Input) { in.EarlyStopping.BestEpoch = 9 }, "EarlyStopping"},
		{"unknown member", func(in *Input) { in.Ensembles[1].Members[0] = "x" }, "Ensembles[1].Members"},
		{"bad method", func(in *Input) { in.Ensembles[1].Method = "average" }, "Ensembles[1].Method"},
		{"unknown seed row", func(in *Input) { in.SeedReported["lenet"] = "99 %" }, "SeedReported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixture()
			tt.edit(in)
			dir := t.TempDir()
			err := Write(dir, in)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tt.field {
				t.Fatalf("Write = %v; want an InputError for %s", err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "report: input "+tt.field) {
				t.Errorf("error %q does not start with the field", err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("Write with bad input created %d entries", len(ents))
			}
		})
	}
	if err := Write(t.TempDir(), &Input{}); !errors.Is(err, ErrNoRows) {
		t.Errorf("Write(no rows) = %v; want ErrNoRows", err)
	}
	if err := Write(t.TempDir(), nil); !errors.Is(err, ErrNoRows) {
		t.Errorf("Write(nil) = %v; want ErrNoRows", err)
	}
}

func TestWriteDoesNotModifyInput(t *testing.T) {
	in := fixture()
	in.Best = ""
	in.Ensembles[0].BestMember = ""
	before, _ := json.Marshal(in)
	if err := Write(t.TempDir(), in); err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(in)
	if !bytes.Equal(before, after) {
		t.Error("Write modified its Input")
	}
}

// TestMinimalInput: a report from rows without histories, confusion or
// timings still works, with only the sections it has data for.
func TestMinimalInput(t *testing.T) {
	dir := t.TempDir()
	in := &Input{Rows: []results.Model{{Name: "a", TestAccuracy: 0.9}, {Name: "b", TestAccuracy: 0.95}}}
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	html := readFile(t, filepath.Join(dir, HTMLFile))
	if strings.Contains(html, "<figure") {
		t.Error("a report without data for charts has a figure")
	}
	if !strings.Contains(html, "b was the most accurate model: 95.00 %") {
		t.Error("the analysis does not name b the best")
	}
}

func nan() float64 { z := 0.0; return z / z }

// TestWriteOneEpoch: a quick run can train a single epoch; every chart is
// still drawn.
func TestWriteOneEpoch(t *testing.T) {
	in := fixture()
	in.Quick = true
	for i := range in.Rows {
		in.Rows[i].History = in.Rows[i].History[:1]
		in.Rows[i].Epochs = 1
	}
	in.EarlyStopping = &EarlyStop{Model: "early-stop", Monitor: "val_loss", Patience: 1, MaxEpochs: 1, StoppedEpoch: 1, BestEpoch: 1}
	in.Schedule.LR, in.Schedule.StepsPerEpoch = in.Schedule.LR[:390], 390
	in.Search.Trials = in.Search.Trials[:1]
	dir := t.TempDir()
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	for _, id := range wantCharts(in) {
		if id == "search" {
			continue // one trial varies nothing: no chart
		}
		b, err := os.ReadFile(filepath.Join(dir, "plots", id+".svg"))
		if err != nil {
			t.Errorf("chart %s: %v", id, err)
			continue
		}
		checkXML(t, id, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "plots", "search.svg")); err == nil {
		t.Error("a one-trial search drew a chart of nothing")
	}
	if got := findingText(t, in, "overfitting"); !strings.Contains(got, "single epoch") {
		t.Errorf("overfitting finding = %q; want it to say one epoch shows no trend", got)
	}
	if got := findingText(t, in, "early-stopping"); !strings.Contains(got, "never triggered") {
		t.Errorf("early-stopping finding = %q; want never triggered", got)
	}
}

// TestWriteWellFormed checks that every Markdown table has the same number
// of cells in each line, and that every in-page link of the HTML page has
// its target.
func TestWriteWellFormed(t *testing.T) {
	dir, _ := writeFixture(t)
	md := readFile(t, filepath.Join(dir, MarkdownFile))
	cells := func(line string) int { return strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") }
	want := -1
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		if want < 0 {
			want = cells(line)
		} else if got := cells(line); got != want {
			t.Errorf("report.md line %d has %d cell separators; its table has %d: %s", i+1, got, want, line)
		}
	}
	html := readFile(t, filepath.Join(dir, HTMLFile))
	links := regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(links) == 0 {
		t.Fatal("report.html has no in-page links")
	}
	for _, l := range links {
		if !strings.Contains(html, `id="`+l[1]+`"`) {
			t.Errorf("report.html links to #%s, which does not exist", l[1])
		}
	}
	if n := strings.Count(html, "<section"); n != strings.Count(html, "</section>") {
		t.Errorf("report.html opens %d sections and closes %d", n, strings.Count(html, "</section>"))
	}
}
