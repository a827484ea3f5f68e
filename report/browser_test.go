package report

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rakam-ml/rakam/internal/atomicfile"
)

var screenshotPath = flag.String("screenshot", "auto",
	"where TestReportInBrowser saves its full-page screenshot (empty: nowhere; auto: the README's "+
		"docs/img/report.png for the report in $RAKAM_REPORT_DIR, a temporary file for the synthetic one)")

// chromiumPath finds a Chromium or Chrome binary: $CHROMIUM first, then the
// usual names on $PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestReportInBrowser opens report.html from a file:// URL in headless
// Chromium and checks that every chart is drawn with a non-zero size, that
// the page logs no console errors, and that it loads nothing but itself.
// It reports on the synthetic fixture, or on the report in
// $RAKAM_REPORT_DIR when set (for a real `rakam compare` output).
func TestReportInBrowser(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no chromium binary found (install Debian's chromium, or set $CHROMIUM); skipping the browser test")
	}
	dir := os.Getenv("RAKAM_REPORT_DIR")
	var want []string
	if dir == "" {
		dir = t.TempDir()
		in := fixture()
		if err := Write(dir, in); err != nil {
			t.Fatal(err)
		}
		p, err := prepare(in)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := charts(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			want = append(want, "chart-"+c.ID)
		}
	}
	abs, err := filepath.Abs(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser without a deadline (a deadline on the first Run
	// would bound the browser's whole life), then bound each step.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`1`)); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}

	// Collect console messages while the page loads and is checked.
	consoleCtx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	var (
		mu      sync.Mutex
		logged  []chromedp.ConsoleMessage
		drained = make(chan struct{})
	)
	go func() {
		defer close(drained)
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			logged = append(logged, m)
			mu.Unlock()
		}
	}()

	step, cancelStep := context.WithTimeout(ctx, 60*time.Second)
	defer cancelStep()
	url := "file://" + filepath.ToSlash(abs)
	if err := chromedp.Do(step, chromedp.Navigate(url), chromedp.WaitReady("footer")); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}

	type box struct {
		ID     string  `json:"id"`
		Width  float64 `json:"w"`
		Height float64 `json:"h"`
		Shown  bool    `json:"shown"`
	}
	boxes, err := chromedp.Run(step, chromedp.Evaluate[[]box](`Array.from(document.querySelectorAll('figure.chart')).map(f => {
		const s = f.querySelector('svg');
		if (!s) return {id: f.id, w: 0, h: 0, shown: false};
		const r = s.getBoundingClientRect();
		const cs = getComputedStyle(s);
		return {id: f.id, w: r.width, h: r.height, shown: cs.display !== 'none' && cs.visibility !== 'hidden' && s.childElementCount > 0};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, b := range boxes {
		seen[b.ID] = true
		if b.Width < 50 || b.Height < 50 || !b.Shown {
			t.Errorf("chart %s: svg box %.0fx%.0f, shown=%v; want a visible chart", b.ID, b.Width, b.Height, b.Shown)
		}
	}
	if len(boxes) == 0 {
		t.Error("the page has no charts")
	}
	for _, id := range want {
		if !seen[id] {
			t.Errorf("chart %s missing from the page", id)
		}
	}

	// Self-contained: the only resource the page loads is itself.
	resources, err := chromedp.Run(step, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resources {
		if !strings.HasPrefix(r, "data:") {
			t.Errorf("the page loaded %s; want no outside resources", r)
		}
	}
	scripts, err := chromedp.Run(step, chromedp.Evaluate[int](`document.scripts.length`))
	if err != nil {
		t.Fatal(err)
	}
	if scripts != 0 {
		t.Errorf("the page has %d scripts; want none", scripts)
	}

	shot := *screenshotPath
	if shot == "auto" {
		// Only a real run's report replaces the README's screenshot: the
		// synthetic one's goes to a temporary file, so that go test leaves
		// the working tree as it was.
		shot = filepath.Join(t.TempDir(), "report.png")
		if os.Getenv("RAKAM_REPORT_DIR") != "" {
			shot = filepath.Join("..", "docs", "img", "report.png")
		}
	}
	if shot != "" {
		png, err := chromedp.Run(step, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if len(png) < 8 || string(png[1:4]) != "PNG" {
			t.Fatalf("the screenshot is not a PNG (%d bytes)", len(png))
		}
		if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	}

	// On a phone-sized screen the charts shrink to fit and the page does not
	// scroll sideways (wide tables scroll inside their own box).
	if err := chromedp.Do(step, chromedp.EmulateViewport(400, 800, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	type narrow struct {
		MaxChart float64 `json:"max"`
		MinChart float64 `json:"min"`
		Scroll   float64 `json:"scroll"`
		Inner    float64 `json:"inner"`
	}
	nw, err := chromedp.Run(step, chromedp.Evaluate[narrow](`(() => {
		const w = Array.from(document.querySelectorAll('figure.chart svg')).map(s => s.getBoundingClientRect().width);
		return {max: Math.max(...w), min: Math.min(...w), scroll: document.documentElement.scrollWidth, inner: window.innerWidth};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	// A mobile browser widens its layout viewport to content that does not
	// fit, so compare with the device width, not innerWidth alone.
	if nw.Inner > 401 || nw.Scroll > 401 || nw.MaxChart > 400 || nw.MinChart < 100 {
		t.Errorf("at 400 px: page %.0f px wide in a %.0f px window, charts %.0f..%.0f px; want everything to fit", nw.Scroll, nw.Inner, nw.MinChart, nw.MaxChart)
	}

	time.Sleep(200 * time.Millisecond) // let late console messages arrive
	stopConsole()
	<-drained
	mu.Lock()
	defer mu.Unlock()
	for _, m := range logged {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleWarning {
			t.Errorf("console %s: %s", m.Type, m.Text)
		}
	}
}
