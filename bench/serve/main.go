// Command serve is a load generator for rakam serve. It runs a fixed number
// of concurrent clients for a fixed time against a running server, each
// posting 28x28 JSON inputs ({"pixels": [784 numbers]}) made from MNIST test
// images, and reports predictions per second, latency percentiles and
// errors. With -mixed, one request in -hostile-every is a hostile one
// (oversized body, wrong content type, corrupt PNG, 0x0 image, NaN pixels,
// 783 pixels, decompression-bomb header) and -slow extra clients dribble
// requests that never finish; every hostile request must get a 4xx (or, for
// the slow ones, a 4xx or a closed connection) and nothing may get a 5xx.
//
// Usage:
//
//	rakam serve --model cnn.safetensors --addr 127.0.0.1:8080 --log-level warn &
//	go run ./bench/serve -url http://127.0.0.1:8080 -c 32 -d 30s
//	go run ./bench/serve -url http://127.0.0.1:8080 -c 32 -d 30s -mixed
//
// The exit status is 1 when a request failed, a hostile request was not
// refused with a 4xx, any answer was a 5xx, or the -want-rate / -want-p99
// targets were missed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color/palette"
	"image/gif"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rakam-ml/rakam/internal/testbad"
	"github.com/rakam-ml/rakam/mnist"
)

type options struct {
	url          string
	concurrency  int
	duration     time.Duration
	mixed        bool
	hostileEvery int
	slow         int
	inputs       int
	wantRate     float64
	wantP99      time.Duration
	json         bool
}

// hostile is one kind of bad request and the status it must get.
type hostile struct {
	name        string
	contentType string
	body        []byte
	want        int
}

// result is what -json prints.
type result struct {
	URL            string           `json:"url"`
	Mode           string           `json:"mode"`
	Concurrency    int              `json:"concurrency"`
	Seconds        float64          `json:"seconds"`
	Predictions    int64            `json:"predictions"`
	PerSecond      float64          `json:"predictions_per_second"`
	P50ms          float64          `json:"p50_ms"`
	P90ms          float64          `json:"p90_ms"`
	P99ms          float64          `json:"p99_ms"`
	MaxMs          float64          `json:"max_ms"`
	Errors         int64            `json:"errors"`
	ServerErrors   int64            `json:"server_errors_5xx"`
	Hostile        map[string]int64 `json:"hostile_refused"`
	HostileWrong   int64            `json:"hostile_not_refused"`
	Slow           int64            `json:"slow_cut_off"`
	SlowWrong      int64            `json:"slow_not_cut_off"`
	ErrorSamples   []string         `json:"error_samples,omitempty"`
	TargetsMissed  []string         `json:"targets_missed,omitempty"`
	HealthAfterRun string           `json:"health_after_run"`
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of a running rakam serve")
	flag.IntVar(&o.concurrency, "c", 32, "concurrent clients")
	flag.DurationVar(&o.duration, "d", 30*time.Second, "how long to run")
	flag.BoolVar(&o.mixed, "mixed", false, "mix hostile requests into the load")
	flag.IntVar(&o.hostileEvery, "hostile-every", 10, "with -mixed, one request in N is hostile")
	flag.IntVar(&o.slow, "slow", 4, "with -mixed, extra clients that send requests too slowly")
	flag.IntVar(&o.inputs, "inputs", 1000, "distinct MNIST test images to send")
	flag.Float64Var(&o.wantRate, "want-rate", 0, "fail unless at least this many predictions/s (0: no target)")
	flag.DurationVar(&o.wantP99, "want-p99", 0, "fail unless p99 latency is below this (0: no target)")
	flag.BoolVar(&o.json, "json", false, "print one JSON object instead of text")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/serve:", err)
		os.Exit(1)
	}
	if o.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		printResult(os.Stdout, res)
	}
	if res.Errors > 0 || res.ServerErrors > 0 || res.HostileWrong > 0 || res.SlowWrong > 0 || len(res.TargetsMissed) > 0 {
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (*result, error) {
	base, err := url.Parse(strings.TrimSuffix(o.url, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("-url %q: want http://HOST:PORT", o.url)
	}
	if o.concurrency < 1 || o.duration <= 0 || o.hostileEvery < 2 {
		return nil, errors.New("-c must be >= 1, -d > 0 and -hostile-every >= 2")
	}
	bodies, err := inputs(o.inputs)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		MaxIdleConns:        o.concurrency * 2,
		MaxIdleConnsPerHost: o.concurrency * 2,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	predictURL := base.String() + "/v1/predict"
	if err := health(client, base.String()); err != nil {
		return nil, fmt.Errorf("server not healthy before the run: %w", err)
	}

	res := &result{URL: base.String(), Mode: "clean", Concurrency: o.concurrency, Hostile: map[string]int64{}}
	if o.mixed {
		res.Mode = "mixed"
	}
	hostiles := hostileRequests()
	var (
		mu           sync.Mutex
		latencies    []time.Duration
		predictions  atomic.Int64
		errs         atomic.Int64
		serverErrs   atomic.Int64
		hostileWrong atomic.Int64
		samples      []string
	)
	sample := func(format string, a ...any) {
		mu.Lock()
		if len(samples) < 10 {
			samples = append(samples, strings.TrimSpace(fmt.Sprintf(format, a...)))
		}
		mu.Unlock()
	}
	rctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			lat := make([]time.Duration, 0, 1<<16)
			buf := make([]byte, 0, 4096)
			for n := 0; rctx.Err() == nil; n++ {
				if o.mixed && rng.IntN(o.hostileEvery) == 0 {
					h := hostiles[rng.IntN(len(hostiles))]
					code, _, err := do(rctx, client, predictURL, h.contentType, h.body, &buf)
					switch {
					case rctx.Err() != nil:
					case err != nil:
						hostileWrong.Add(1)
						sample("hostile %s: %v", h.name, err)
					case code >= 500:
						serverErrs.Add(1)
						sample("hostile %s: %d %s", h.name, code, buf)
					case code != h.want:
						hostileWrong.Add(1)
						sample("hostile %s: %d, want %d: %s", h.name, code, h.want, buf)
					default:
						mu.Lock()
						res.Hostile[h.name]++
						mu.Unlock()
					}
					continue
				}
				body := bodies[rng.IntN(len(bodies))]
				t0 := time.Now()
				code, _, err := do(rctx, client, predictURL, "application/json", body, &buf)
				d := time.Since(t0)
				switch {
				case rctx.Err() != nil: // the run ended mid-request
				case err != nil:
					errs.Add(1)
					sample("predict: %v", err)
				case code >= 500:
					serverErrs.Add(1)
					sample("predict: %d %s", code, buf)
				case code != 200 || !bytes.HasPrefix(buf, []byte(`{"label":`)):
					errs.Add(1)
					sample("predict: %d %s", code, buf)
				default:
					predictions.Add(1)
					lat = append(lat, d)
				}
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			mu.Unlock()
		}()
	}
	var slowCut, slowWrong atomic.Int64
	if o.mixed {
		for range o.slow {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for rctx.Err() == nil {
					ok, msg := slowClient(rctx, base.Host)
					switch {
					case rctx.Err() != nil: // the run ended first; no verdict
					case ok:
						slowCut.Add(1)
					default:
						slowWrong.Add(1)
						sample("slow client: %s", msg)
					}
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	slices.Sort(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return math.NaN()
		}
		i := min(len(latencies)-1, int(math.Ceil(p*float64(len(latencies))))-1)
		return float64(latencies[max(i, 0)].Microseconds()) / 1000
	}
	res.Seconds = elapsed.Seconds()
	res.Predictions = predictions.Load()
	res.PerSecond = float64(res.Predictions) / elapsed.Seconds()
	res.P50ms, res.P90ms, res.P99ms, res.MaxMs = pct(0.5), pct(0.9), pct(0.99), pct(1)
	res.Errors, res.ServerErrors, res.HostileWrong = errs.Load(), serverErrs.Load(), hostileWrong.Load()
	res.Slow, res.SlowWrong = slowCut.Load(), slowWrong.Load()
	res.ErrorSamples = samples
	if err := health(client, base.String()); err != nil {
		res.HealthAfterRun = err.Error()
		res.TargetsMissed = append(res.TargetsMissed, "server unhealthy after the run")
	} else {
		res.HealthAfterRun = "ok"
	}
	if o.wantRate > 0 && res.PerSecond < o.wantRate {
		res.TargetsMissed = append(res.TargetsMissed, fmt.Sprintf("%.0f predictions/s < %.0f", res.PerSecond, o.wantRate))
	}
	if o.wantP99 > 0 && !(res.P99ms < float64(o.wantP99.Microseconds())/1000) {
		res.TargetsMissed = append(res.TargetsMissed, fmt.Sprintf("p99 %.1f ms >= %v", res.P99ms, o.wantP99))
	}
	return res, nil
}

// do posts body and reads the answer into *buf.
func do(ctx context.Context, c *http.Client, u, contentType string, body []byte, buf *[]byte) (int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b := bytes.NewBuffer((*buf)[:0])
	_, err = io.Copy(b, resp.Body)
	*buf = b.Bytes()
	return resp.StatusCode, resp.Header, err
}

func health(c *http.Client, base string) error {
	resp, err := c.Get(base + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET /healthz: %s", resp.Status)
	}
	return nil
}

// slowClient sends the headers of a prediction and a few bytes of its body,
// then nothing more, and reports whether the server ended it properly: a 4xx
// answer or a closed connection, within 60 s.
func slowClient(ctx context.Context, host string) (bool, string) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return false, err.Error()
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	fmt.Fprintf(conn, "POST /v1/predict HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n", host)
	for _, part := range []string{`{"pix`, `els":[0,`} {
		if _, err := conn.Write([]byte(part)); err != nil {
			return true, "" // the server already hung up
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return false, "run ended"
		}
	}
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, "server kept a stalled request open for 60 s"
	}
	if len(b) == 0 || bytes.HasPrefix(b, []byte("HTTP/1.1 4")) {
		return true, ""
	}
	line, _, _ := bytes.Cut(b, []byte("\r\n"))
	return false, fmt.Sprintf("stalled request answered %q", line)
}

// inputs builds JSON bodies from the first n MNIST test images, or from
// random strokes when MNIST is not available.
func inputs(n int) ([][]byte, error) {
	var images [][]float32
	if dir, err := mnist.Locate(""); err == nil {
		set, err := mnist.LoadTest(dir)
		if err != nil {
			return nil, err
		}
		for i := range min(n, set.N) {
			img := set.Image(i)
			x := make([]float32, len(img))
			for j, p := range img {
				x[j] = float32(p) / 255
			}
			images = append(images, x)
		}
	} else {
		fmt.Fprintln(os.Stderr, "bench/serve: no MNIST found; sending random pixels")
		rng := rand.New(rand.NewPCG(1, 2))
		for range n {
			x := make([]float32, 784)
			for j := range x {
				if rng.IntN(5) == 0 {
					x[j] = rng.Float32()
				}
			}
			images = append(images, x)
		}
	}
	bodies := make([][]byte, len(images))
	for i, x := range images {
		b, err := json.Marshal(map[string][]float32{"pixels": x})
		if err != nil {
			return nil, err
		}
		bodies[i] = b
	}
	return bodies, nil
}

func hostileRequests() []hostile {
	good, _ := json.Marshal(map[string][]float32{"pixels": make([]float32, 784)})
	nanJSON := bytes.Replace(good, []byte("[0,"), []byte(`["NaN",`), 1)
	nanLiteral := bytes.Replace(good, []byte("[0,"), []byte(`[NaN,`), 1)
	short, _ := json.Marshal(map[string][]float32{"pixels": make([]float32, 783)})
	var pngBuf bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	png.Encode(&pngBuf, img)
	var zero bytes.Buffer
	gif.Encode(&zero, image.NewPaletted(image.Rect(0, 0, 0, 0), palette.Plan9), nil)
	return []hostile{
		{"oversized", "application/json", bytes.Repeat([]byte(" "), 9<<20), 413},
		{"wrong-type", "text/plain", good, 415},
		{"corrupt-png", "image/png", pngBuf.Bytes()[:pngBuf.Len()/2], 400},
		{"0x0-gif", "image/gif", zero.Bytes(), 400},
		{"0x0-png", "image/png", testbad.PNGBomb(0, 0), 400},
		{"bomb-png", "image/png", testbad.PNGBomb(100000, 100000), 413},
		{"nan-string", "application/json", nanJSON, 400},
		{"nan-literal", "application/json", nanLiteral, 400},
		{"783-pixels", "application/json", short, 400},
		{"not-an-image", "image/png", []byte("hello, this is not an image"), 415},
	}
}

func printResult(w io.Writer, r *result) {
	fmt.Fprintf(w, "%s load on %s: %d clients for %.1f s\n", r.Mode, r.URL, r.Concurrency, r.Seconds)
	fmt.Fprintf(w, "predictions  %d (%.0f/s)\n", r.Predictions, r.PerSecond)
	fmt.Fprintf(w, "latency      p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n", r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	fmt.Fprintf(w, "errors       %d failed predictions, %d answers 5xx\n", r.Errors, r.ServerErrors)
	if r.Mode == "mixed" {
		names := make([]string, 0, len(r.Hostile))
		var total int64
		for k, v := range r.Hostile {
			names = append(names, k)
			total += v
		}
		sort.Strings(names)
		fmt.Fprintf(w, "hostile      %d refused with the right 4xx, %d not:", total, r.HostileWrong)
		for _, k := range names {
			fmt.Fprintf(w, " %s=%d", k, r.Hostile[k])
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "slow clients %d cut off, %d not\n", r.Slow, r.SlowWrong)
	}
	fmt.Fprintf(w, "health after %s\n", r.HealthAfterRun)
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(w, "  e.g. %s\n", s)
	}
	for _, s := range r.TargetsMissed {
		fmt.Fprintf(w, "TARGET MISSED: %s\n", s)
	}
}
