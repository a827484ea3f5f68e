package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/train"
)

// findChromium returns a Chromium or Chrome binary, or "" when none is
// installed (Debian: apt-get install chromium).
func findChromium() string {
	if p := os.Getenv("RAKAM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserModel returns the model the page test serves and whether it was
// trained: RAKAM_CNN_MODEL if set, else softmax regression fitted to 20,000
// MNIST images for one epoch (a second or two), else random weights when
// MNIST is not available.
func browserModel(t *testing.T) (*nn.Sequential, string, bool) {
	if p := os.Getenv("RAKAM_CNN_MODEL"); p != "" {
		m, _, err := nn.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		return m, p, true
	}
	m, err := nn.Build(nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 10}}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := mnist.Locate("")
	if err != nil {
		t.Logf("no MNIST (%v): serving random weights; the page is still checked against the API", err)
		return m, "random softmax regression", false
	}
	set, err := mnist.LoadTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 20000)
	for i := range idx {
		idx[i] = i
	}
	loader, err := data.NewLoader(set.Subset(idx), 100, data.Options{Shuffle: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train.Fit(context.Background(), m, loader, nil, train.Config{Epochs: 1, Optimizer: optim.NewAdam(0.003)}); err != nil {
		t.Fatal(err)
	}
	return m, "softmax regression, 1 epoch on 20k MNIST images", true
}

// TestDrawingPageInChromium draws a "1" on the page with mouse events in
// headless Chromium and checks that the page shows what the API answers for
// the same canvas: the label, ten bars and the 28x28 the model saw. With
// RAKAM_SCREENSHOT=FILE it saves a screenshot (docs/img/serve.png).
func TestDrawingPageInChromium(t *testing.T) {
	browser := findChromium()
	if browser == "" {
		t.Skip("no chromium binary found (apt-get install chromium, or set RAKAM_CHROMIUM); skipping the browser test")
	}
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	m, desc, trained := browserModel(t)
	cs, err := Replicas(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cs, Config{ModelName: desc})
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln) }()
	defer func() {
		stop()
		<-served
	}()
	url := "http://" + ln.Addr().String() + "/"

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(820, 520),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("pad") !== null && document.getElementById("pad").dataset.version !== undefined`)); err != nil {
		t.Fatalf("the page never got ready: %v", err)
	}

	var rect struct{ X, Y, Width, Height float64 }
	if err := evalJSON(ctx, `JSON.stringify(document.getElementById("pad").getBoundingClientRect())`, &rect); err != nil {
		t.Fatal(err)
	}
	// A "1": a short up-stroke, then down the middle, as many people write it.
	at := func(u, v float64) (float64, float64) { return rect.X + u*rect.Width, rect.Y + v*rect.Height }
	stroke := [][2]float64{{0.38, 0.28}, {0.47, 0.2}, {0.54, 0.13}}
	for v := 0.16; v <= 0.87; v += 0.03 {
		stroke = append(stroke, [2]float64{0.54 - 0.04*(v-0.13), v})
	}
	if err := chromedp.Do(ctx, drag(at, stroke)); err != nil {
		t.Fatalf("drawing: %v", err)
	}
	// Wait until the shown prediction belongs to the finished drawing.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`(() => { const l = document.getElementById("label"); return l.textContent !== "" && l.dataset.version === document.getElementById("pad").dataset.version; })()`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the label never showed a prediction for the drawing: %v", err)
	}

	var page struct {
		Label  string    `json:"label"`
		Bars   []float64 `json:"bars"`
		Widths []string  `json:"widths"`
		Canvas string    `json:"canvas"`
		Seen   float64   `json:"seen"`
		Status string    `json:"status"`
		Flags  string    `json:"flags"`
	}
	if err := evalJSON(ctx, `JSON.stringify({
		label: document.getElementById("label").textContent,
		bars: [...document.querySelectorAll("#bars .bar")].map(b => Number(b.dataset.p)),
		widths: [...document.querySelectorAll("#bars .fill")].map(f => f.style.width),
		canvas: document.getElementById("pad").toDataURL("image/png"),
		seen: Array.from(document.getElementById("seen").getContext("2d").getImageData(0, 0, 28, 28).data).reduce((a, b) => a + b, 0),
		status: document.getElementById("status").textContent,
		flags: document.getElementById("label").dataset.notDigit + " " + document.getElementById("label").dataset.unsure,
	})`, &page); err != nil {
		t.Fatal(err)
	}

	// Ask the API about the very same canvas.
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(page.Canvas, "data:image/png;base64,"))
	if err != nil {
		t.Fatalf("canvas data URL: %v", err)
	}
	code, _, body := post(t, url+"v1/predict", "image/png", png)
	if code != 200 {
		t.Fatalf("POST the page's canvas: %d %s", code, body)
	}
	api := decodeResponse(t, body)
	if page.Label != fmt.Sprint(api.Label) {
		t.Errorf("page shows label %q; the API says %d for the same canvas", page.Label, api.Label)
	}
	if want := fmt.Sprint(api.NotDigit, " ", api.Unsure); page.Flags != want {
		t.Errorf("page shows not_digit, unsure = %q; the API says %q", page.Flags, want)
	}
	if len(page.Bars) != Classes {
		t.Fatalf("page has %d bars; want %d", len(page.Bars), Classes)
	}
	var sum float64
	for i, p := range page.Bars {
		sum += p
		if math.Abs(p-float64(api.Probabilities[i])) > 1e-6 {
			t.Errorf("bar %d shows %v; the API says %v", i, p, api.Probabilities[i])
		}
		var w float64
		if _, err := fmt.Sscanf(page.Widths[i], "%g%%", &w); err != nil || math.Abs(w-100*p) > 0.051 {
			t.Errorf("bar %d is %q wide; want %.1f%%", i, page.Widths[i], 100*p)
		}
	}
	if math.Abs(sum-1) > 1e-4 {
		t.Errorf("bars sum to %v; want 1", sum)
	}
	// 28*28 opaque pixels add 255 each in alpha; ink adds more.
	if page.Seen <= 28*28*255 {
		t.Errorf("the 28x28 preview is black (sum %v): the page did not draw what the model saw", page.Seen)
	}
	if trained && api.Label != 1 {
		t.Errorf("a trained model (%s) reads the drawn 1 as %d (p=%.2f)", desc, api.Label, api.Probabilities[api.Label])
	}
	t.Logf("model %s: drew a 1, page and API say %d (p=%.3f); status %q", desc, api.Label, api.Probabilities[api.Label], page.Status)

	if path := os.Getenv("RAKAM_SCREENSHOT"); path != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s", path)
	}

	// Clear empties the label and the bars.
	var cleared struct {
		Label string
		Bars  []string
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("clear"))); err != nil {
		t.Fatal(err)
	}
	if err := evalJSON(ctx, `JSON.stringify({Label: document.getElementById("label").textContent,
		Bars: [...document.querySelectorAll("#bars .fill")].map(f => f.style.width)})`, &cleared); err != nil {
		t.Fatal(err)
	}
	if cleared.Label != "" || cleared.Bars[api.Label] != "0px" && cleared.Bars[api.Label] != "0%" {
		t.Errorf("after Clear: label %q, bars %v; want empty", cleared.Label, cleared.Bars)
	}

	checkNumberMode(t, ctx, url)

	// Back to one digit for the touch check.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}

	// Touch: the same page draws with a finger (Pointer Events of type
	// touch). Touch emulation can change the layout, so measure again.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 1})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	if err := evalJSON(ctx, `JSON.stringify(document.getElementById("pad").getBoundingClientRect())`, &rect); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, touchDrag(at, stroke)); err != nil {
		t.Fatalf("drawing by touch: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`(() => { const l = document.getElementById("label"); return l.textContent !== "" && l.dataset.version === document.getElementById("pad").dataset.version; })()`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the label never showed a prediction for the touch drawing: %v", err)
	}
	var touched string
	if err := evalJSON(ctx, `JSON.stringify(document.getElementById("label").textContent)`, &touched); err != nil {
		t.Fatal(err)
	}
	if touched != page.Label {
		t.Errorf("the same 1 drawn by touch reads %q; by mouse it read %q", touched, page.Label)
	}
}

// checkNumberMode ticks "a number" on the page, writes a 1 and a 7 apart
// and checks that the page shows what POST /v1/predict?number=1 answers
// for the same canvas: the number, one box over the drawing and one
// 28x28 per digit, at the API's boxes.
func checkNumberMode(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}
	var rect struct{ X, Y, Width, Height float64 }
	if err := evalJSON(ctx, `JSON.stringify(document.getElementById("pad").getBoundingClientRect())`, &rect); err != nil {
		t.Fatal(err)
	}
	if rect.Width < 2*rect.Height {
		t.Errorf("in number mode the pad is %.0fx%.0f; want it wide", rect.Width, rect.Height)
	}
	at := func(u, v float64) (float64, float64) { return rect.X + u*rect.Width, rect.Y + v*rect.Height }
	var one, seven [][2]float64
	for v := 0.15; v <= 0.86; v += 0.04 {
		one = append(one, [2]float64{0.25, v})
	}
	seven = [][2]float64{{0.55, 0.18}, {0.62, 0.18}, {0.7, 0.18}}
	for v := 0.2; v <= 0.86; v += 0.04 {
		seven = append(seven, [2]float64{0.7 - 0.12*(v-0.18), v})
	}
	for _, stroke := range [][][2]float64{one, seven} {
		if err := chromedp.Do(ctx, drag(at, stroke)); err != nil {
			t.Fatalf("drawing: %v", err)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`(() => { const l = document.getElementById("label"); return l.dataset.digits !== "" && l.dataset.version === document.getElementById("pad").dataset.version; })()`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the page never showed a number for the drawing: %v", err)
	}
	var page struct {
		Number, Canvas, Unsure string
		Boxes                  []string
		Overlay                float64
	}
	if err := evalJSON(ctx, `JSON.stringify({
		Number: document.getElementById("label").textContent,
		Unsure: document.getElementById("label").dataset.unsure,
		Boxes: [...document.querySelectorAll("#digits .dig")].map(d => d.dataset.box),
		Canvas: document.getElementById("pad").toDataURL("image/png"),
		Overlay: Array.from(document.getElementById("boxes").getContext("2d").getImageData(0, 0, 560, 200).data).reduce((a, b) => a + b, 0),
	})`, &page); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(page.Canvas, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	code, _, body := post(t, url+"v1/predict?number=1", "image/png", png)
	if code != 200 {
		t.Fatalf("POST the page's canvas with ?number=1: %d %s", code, body)
	}
	var api NumberResponse
	if err := json.Unmarshal(body, &api); err != nil {
		t.Fatal(err)
	}
	if len(api.Digits) != 2 {
		t.Errorf("the API finds %d digits in a 1 and a 7 drawn apart; want 2", len(api.Digits))
	}
	if page.Number != api.Number || page.Unsure != fmt.Sprint(api.Unsure) || len(page.Boxes) != len(api.Digits) {
		t.Errorf("page shows number %q (unsure %s, %d digits); the API says %q (unsure %v, %d digits)", page.Number, page.Unsure, len(page.Boxes), api.Number, api.Unsure, len(api.Digits))
	}
	for i, b := range page.Boxes {
		if i < len(api.Digits) {
			d := api.Digits[i].Box
			if want := fmt.Sprintf("%d,%d,%d,%d", d[0], d[1], d[2], d[3]); b != want {
				t.Errorf("page's digit %d at %s; the API says %s", i, b, want)
			}
		}
	}
	if page.Overlay == 0 {
		t.Errorf("no boxes drawn over the canvas")
	}
	t.Logf("number mode: drew a 1 and a 7, page and API read %q (unsure %v, %v)", api.Number, api.Unsure, api.Reasons)
	if path := os.Getenv("RAKAM_SCREENSHOT_NUMBER"); path != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// touchDrag draws the stroke with one finger (touch emulation must be on).
func touchDrag(at func(u, v float64) (float64, float64), pts [][2]float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		id, r := 1.0, 4.0
		for i, p := range pts {
			x, y := at(p[0], p[1])
			typ := input.DispatchTouchEventTypeTouchMove
			if i == 0 {
				typ = input.DispatchTouchEventTypeTouchStart
			}
			if _, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{
				Type: typ, TouchPoints: []*input.TouchPoint{{X: x, Y: y, ID: &id, RadiusX: &r, RadiusY: &r}},
			}); err != nil {
				return err
			}
			time.Sleep(15 * time.Millisecond)
		}
		_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{
			Type: input.DispatchTouchEventTypeTouchEnd, TouchPoints: []*input.TouchPoint{},
		})
		return err
	})
}

// drag presses the left button at the first point, moves through the
// others and releases at the last, as a person drawing with a mouse.
func drag(at func(u, v float64) (float64, float64), pts [][2]float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		send := func(typ input.DispatchMouseEventType, p [2]float64, buttons int64) error {
			x, y := at(p[0], p[1])
			_, err := cdp.Call(ctx, t, input.DispatchMouseEvent, input.DispatchMouseEventParams{
				Type: typ, X: x, Y: y, Button: input.MouseButtonLeft, Buttons: buttons, ClickCount: 1,
			})
			return err
		}
		if err := send(input.DispatchMouseEventTypeMousePressed, pts[0], 1); err != nil {
			return err
		}
		for _, p := range pts[1:] {
			if err := send(input.DispatchMouseEventTypeMouseMoved, p, 1); err != nil {
				return err
			}
			time.Sleep(15 * time.Millisecond) // let the page send requests while drawing
		}
		return send(input.DispatchMouseEventTypeMouseReleased, pts[len(pts)-1], 0)
	})
}

func evalJSON(ctx context.Context, expr string, v any) error {
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		return err
	}
	return json.NewDecoder(bytes.NewReader([]byte(s))).Decode(v)
}
