package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/testbad"
	"github.com/rakam-ml/rakam/nn"
)

func TestPredictJSONMatchesModel(t *testing.T) {
	m := testModel(t)
	cs, err := Replicas(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServer(t, cs, Config{})
	for seed := range uint64(5) {
		x := randomPixels(seed)
		code, _, b := post(t, ts.URL+"/v1/predict", "application/json", pixelsJSON(x))
		if code != http.StatusOK {
			t.Fatalf("POST pixels: %d %s", code, b)
		}
		r := decodeResponse(t, b)
		want := direct(t, m, x)
		if !closeTo(r.Probabilities, want, 1e-6) {
			t.Errorf("probabilities %v; want the model's %v", r.Probabilities, want)
		}
		if r.Label != infer.Argmax(want) {
			t.Errorf("label %d; want %d", r.Label, infer.Argmax(want))
		}
		if r.Pixels != nil || r.Inverted != nil {
			t.Errorf("response has pixels or inverted without being asked: %s", b)
		}
	}
}

func TestPredictImage(t *testing.T) {
	m := testModel(t)
	cs, _ := Replicas(m, 1)
	_, ts := newTestServer(t, cs, Config{})
	img := digitPNG(t)
	d, err := imageprep.Prepare(img)
	if err != nil {
		t.Fatal(err)
	}
	want := direct(t, m, d.Pixels)

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("note", "ignored")
	fw, _ := mw.CreateFormFile("image", "seven.png")
	fw.Write(img)
	mw.Close()

	for _, c := range []struct {
		name, ct string
		body     []byte
	}{
		{"raw png", "image/png", img},
		{"octet-stream", "application/octet-stream", img},
		{"wrong image subtype", "image/jpeg", img}, // the bytes decide
		{"multipart", mw.FormDataContentType(), form.Bytes()},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, b := post(t, ts.URL+"/v1/predict?pixels=1", c.ct, c.body)
			if code != http.StatusOK {
				t.Fatalf("POST %s: %d %s", c.name, code, b)
			}
			r := decodeResponse(t, b)
			if !closeTo(r.Pixels, d.Pixels, 0) {
				t.Errorf("pixels differ from imageprep.Prepare's")
			}
			if !closeTo(r.Probabilities, want, 1e-6) || r.Label != infer.Argmax(want) {
				t.Errorf("label %d %v; want %d %v", r.Label, r.Probabilities, infer.Argmax(want), want)
			}
			if r.Inverted == nil || !*r.Inverted {
				t.Errorf("inverted = %v; want true for dark ink on white", r.Inverted)
			}
		})
	}
}

func TestHostileRequests(t *testing.T) {
	_, ts := newTestServer(t, mustReplicas(t), Config{MaxBodyBytes: 1 << 20})
	good := randomPixels(1)
	js := string(pixelsJSON(good))
	with := func(i int, v float32) []byte {
		x := append([]float32(nil), good...)
		x[i] = v
		return pixelsJSON(x)
	}
	mwNoFile := func() (string, []byte) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("name", "x")
		w.Close()
		return w.FormDataContentType(), b.Bytes()
	}
	noFileCT, noFileBody := mwNoFile()
	img := digitPNG(t)

	cases := []struct {
		name, method, path, ct string
		body                   []byte
		code                   int
		msg                    string // must appear in the error
	}{
		{"GET predict", "GET", "/v1/predict", "", nil, 405, "method GET not allowed"},
		{"no content type", "POST", "/v1/predict", "", []byte(js), 415, "missing Content-Type"},
		{"text/plain", "POST", "/v1/predict", "text/plain", []byte(js), 415, `unsupported Content-Type "text/plain"`},
		{"malformed content type", "POST", "/v1/predict", "application/json; =", []byte(js), 415, "malformed Content-Type"},
		{"783 pixels", "POST", "/v1/predict", "application/json", pixelsJSON(good[:783]), 400, "783 values; want 784"},
		{"785 pixels", "POST", "/v1/predict", "application/json", pixelsJSON(append(good, 0)), 400, "more than 784 values"},
		{"NaN string", "POST", "/v1/predict", "application/json", []byte(strings.Replace(js, "[", `["NaN",`, 1)), 400, `pixels[0] = "NaN" is not a number`},
		{"NaN literal", "POST", "/v1/predict", "application/json", []byte(strings.Replace(js, "[", `[NaN,`, 1)), 400, "invalid JSON at byte"},
		{"1e999", "POST", "/v1/predict", "application/json", []byte(strings.Replace(js, "[", `[1e999,`, 1)), 400, "pixels[0] = 1e999 is not a number"},
		{"out of range", "POST", "/v1/predict", "application/json", with(17, 3.5), 400, "pixels[17] = 3.5 is outside 0..1"},
		{"negative", "POST", "/v1/predict", "application/json", with(783, -0.1), 400, "pixels[783] = -0.1 is outside 0..1"},
		{"unknown field", "POST", "/v1/predict", "application/json", []byte(`{"pixels":[0],"x":1}`), 400, `unknown field "x"`},
		{"trailing data", "POST", "/v1/predict", "application/json", []byte(js + `{}`), 400, "more data after the object"},
		{"empty body", "POST", "/v1/predict", "application/json", nil, 400, "empty request body"},
		{"missing pixels", "POST", "/v1/predict", "application/json", []byte(`{}`), 400, `missing "pixels"`},
		{"null pixels", "POST", "/v1/predict", "application/json", []byte(`{"pixels":null}`), 400, `missing "pixels"`},
		{"pixels object", "POST", "/v1/predict", "application/json", []byte(`{"pixels":{"a":1}}`), 400, `"pixels" must be an array`},
		{"truncated", "POST", "/v1/predict", "application/json", []byte(js[:100]), 400, "ends part-way"},
		{"array body", "POST", "/v1/predict", "application/json", []byte(`[1,2]`), 400, "invalid JSON"},
		{"oversized json", "POST", "/v1/predict", "application/json", bytes.Repeat([]byte(" "), 300<<10), 413, "larger than the limit of 262144 bytes"},
		{"100001 numbers", "POST", "/v1/predict", "application/json", []byte(`{"pixels":[` + strings.Repeat("0,", 100000) + `0]}`), 400, "more than 784 values"},
		{"oversized image", "POST", "/v1/predict", "image/png", bytes.Repeat([]byte{0x89}, 2<<20), 413, "larger than the limit"},
		{"corrupt png", "POST", "/v1/predict", "image/png", img[:len(img)/2], 400, "corrupt image data"},
		{"not an image", "POST", "/v1/predict", "image/png", []byte("hello there"), 415, "not a PNG, JPEG"},
		{"0x0 png", "POST", "/v1/predict", "image/png", testbad.PNGBomb(0, 0), 400, "non-positive dimension"},
		{"0x0 gif", "POST", "/v1/predict", "image/gif", zeroGIF(), 400, "has no pixels"},
		{"bomb png", "POST", "/v1/predict", "image/png", testbad.PNGBomb(60000, 60000), 413, "60000x60000"},
		{"number from JSON", "POST", "/v1/predict?number=1", "application/json", []byte(js), 400, "?number=1 reads a number in an image"},
		{"bad number query", "POST", "/v1/predict?number=several", "image/png", img, 400, `number="several"`},
		{"number of a bomb", "POST", "/v1/predict?number=1", "image/png", testbad.PNGBomb(60000, 60000), 413, "60000x60000"},
		{"number of text", "POST", "/v1/predict?number=1", "image/png", []byte("hello there"), 415, "not a PNG, JPEG"},
		{"multipart without file", "POST", "/v1/predict", noFileCT, noFileBody, 400, "no file part"},
		{"multipart without boundary", "POST", "/v1/predict", "multipart/form-data", noFileBody, 400, "without a boundary"},
		{"multipart garbage", "POST", "/v1/predict", "multipart/form-data; boundary=zz", []byte("nonsense"), 400, "malformed multipart"},
		{"bad query", "POST", "/v1/predict?pixels=maybe", "application/json", []byte(js), 400, `pixels="maybe"`},
		{"unknown path", "GET", "/v2/predict", "", nil, 404, `no such path "/v2/predict"`},
		{"POST page", "POST", "/", "text/plain", nil, 405, "method POST not allowed"},
		{"DELETE healthz", "DELETE", "/healthz", "", nil, 405, "not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, ts.URL+c.path, bytes.NewReader(c.body))
			if c.ct != "" {
				req.Header.Set("Content-Type", c.ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.code {
				t.Fatalf("%s %s (%s): status %d %s; want %d", c.method, c.path, c.name, resp.StatusCode, b, c.code)
			}
			if msg := errorOf(t, resp.Header, b); !strings.Contains(msg, c.msg) {
				t.Errorf("%s: error %q; want it to contain %q", c.name, msg, c.msg)
			}
		})
	}
	// The server is still healthy and answers a good request.
	code, _, b := post(t, ts.URL+"/v1/predict", "application/json", []byte(js))
	if code != 200 {
		t.Fatalf("good request after hostile ones: %d %s", code, b)
	}
}

func mustReplicas(t testing.TB) []Classifier {
	cs, err := Replicas(testModel(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// exclusive wraps a classifier and fails the test if two goroutines ever
// call it at once.
type exclusive struct {
	c       Classifier
	busy    atomic.Bool
	overlap atomic.Bool
	calls   atomic.Int64
	maxN    atomic.Int64
}

func (e *exclusive) Predict(x []float32, n int) ([]float32, error) {
	if !e.busy.CompareAndSwap(false, true) {
		e.overlap.Store(true)
	}
	defer e.busy.Store(false)
	e.calls.Add(1)
	for {
		m := e.maxN.Load()
		if int64(n) <= m || e.maxN.CompareAndSwap(m, int64(n)) {
			break
		}
	}
	time.Sleep(time.Millisecond) // widen the window for overlaps and batching
	return e.c.Predict(x, n)
}

func TestConcurrentRequestsAreBatchedAndSerialised(t *testing.T) {
	m := testModel(t)
	cs, _ := Replicas(m, 1)
	ex := &exclusive{c: cs[0]}
	_, ts := newTestServer(t, []Classifier{ex}, Config{MaxBatch: 16})
	const clients, each = 32, 8
	want := make([][]float32, clients*each)
	for i := range want {
		want[i] = direct(t, m, randomPixels(uint64(i)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				i := c*each + k
				resp, err := http.Post(ts.URL+"/v1/predict", "application/json", bytes.NewReader(pixelsJSON(randomPixels(uint64(i)))))
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("request %d: %d %s", i, resp.StatusCode, b)
					continue
				}
				r := decodeResponse(t, b)
				if !closeTo(r.Probabilities, want[i], 1e-6) {
					errs <- fmt.Errorf("request %d got another example's answer: %v; want %v", i, r.Probabilities, want[i])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ex.overlap.Load() {
		t.Error("the classifier was called by two goroutines at once")
	}
	if ex.maxN.Load() < 2 || ex.maxN.Load() > 16 {
		t.Errorf("largest batch %d; want 2..16 with 32 concurrent clients and MaxBatch 16", ex.maxN.Load())
	}
	t.Logf("%d requests in %d model calls, largest batch %d", clients*each, ex.calls.Load(), ex.maxN.Load())
}

// gate blocks every Predict until released.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Predict(x []float32, n int) ([]float32, error) {
	g.entered <- struct{}{}
	<-g.release
	return make([]float32, n*Classes), nil
}

func TestQueueFullAnswers429(t *testing.T) {
	g := &gate{entered: make(chan struct{}, 100), release: make(chan struct{})}
	_, ts := newTestServer(t, []Classifier{g}, Config{MaxBatch: 1, QueueSize: 2})
	body := pixelsJSON(randomPixels(3))
	results := make(chan int, 3)
	send := func() {
		resp, err := http.Post(ts.URL+"/v1/predict", "application/json", bytes.NewReader(body))
		if err != nil {
			results <- -1
			return
		}
		resp.Body.Close()
		results <- resp.StatusCode
	}
	go send()
	<-g.entered // one in the worker
	go send()
	go send()
	// Wait until both wait in the queue.
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, _ := http.Get(ts.URL + "/metrics")
		b, _ := io.ReadAll(s.Body)
		s.Body.Close()
		if bytes.Contains(b, []byte("rakam_queue_length 2")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("queue never filled")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, hdr, b := post(t, ts.URL+"/v1/predict", "application/json", body)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Errorf("with a full queue: %d (Retry-After %q) %s; want 429 with Retry-After", code, hdr.Get("Retry-After"), b)
	}
	errorOf(t, hdr, b)
	close(g.release)
	for range 3 {
		if c := <-results; c != 200 {
			t.Errorf("queued request: %d; want 200", c)
		}
	}
}

func TestMetricsAndHealth(t *testing.T) {
	_, ts := newTestServer(t, mustReplicas(t), Config{ModelName: "tiny"})
	post(t, ts.URL+"/v1/predict", "application/json", pixelsJSON(randomPixels(1)))
	post(t, ts.URL+"/v1/predict", "text/plain", nil)
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"status":"ok"`)) || !bytes.Contains(b, []byte(`"model":"tiny"`)) {
		t.Errorf("GET /healthz = %d %s", resp.StatusCode, b)
	}
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`rakam_http_requests_total{code="200",handler="predict",method="POST"} 1`,
		`rakam_http_requests_total{code="415",handler="predict",method="POST"} 1`,
		`rakam_http_request_duration_seconds_count{handler="predict"} 2`,
		`rakam_predictions_total 1`,
		`rakam_batch_size_count 1`,
		`go_goroutines`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("GET /metrics lacks %q", want)
		}
	}
}

func TestPage(t *testing.T) {
	_, ts := newTestServer(t, mustReplicas(t), Config{})
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<canvas id="pad"`, `id="label"`, `id="bars"`, `id="seen"`, `id="clear"`, `/v1/predict?pixels=1`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	// No external assets: nothing fetched from another origin.
	for _, bad := range []string{"http://", "https://", "src=\"//"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Errorf("page refers to an external resource (%q)", bad)
		}
	}
}

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestGracefulShutdown(t *testing.T) {
	g := &gate{entered: make(chan struct{}, 10), release: make(chan struct{})}
	s, err := New([]Classifier{g}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	inflight := make(chan int, 1)
	go func() {
		resp, err := http.Post(url+"/v1/predict", "application/json", bytes.NewReader(pixelsJSON(randomPixels(1))))
		if err != nil {
			inflight <- -1
			return
		}
		resp.Body.Close()
		inflight <- resp.StatusCode
	}()
	<-g.entered
	cancel() // SIGINT in rakam serve
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v with a request in flight", err)
	default:
	}
	close(g.release)
	if c := <-inflight; c != 200 {
		t.Errorf("in-flight request during shutdown: %d; want 200", c)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v; want nil after graceful shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestSlowClientsAreCutOff(t *testing.T) {
	s, err := New(mustReplicas(t), Config{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln)
	addr := ln.Addr().String()

	// Headers that never end.
	c1, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	fmt.Fprintf(c1, "POST /v1/predict HTTP/1.1\r\nHost: x\r\n")
	// A body that never arrives.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	fmt.Fprintf(c2, "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"pixels\":[")

	for _, c := range []struct {
		name string
		conn net.Conn
	}{{"slow headers", c1}, {"slow body", c2}} {
		c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		b, err := io.ReadAll(c.conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: server kept the connection open for 3 s", c.name)
			continue
		}
		// Either closed silently or answered with a 4xx, never 5xx.
		if len(b) > 0 && !bytes.HasPrefix(b, []byte("HTTP/1.1 4")) {
			t.Errorf("%s: server answered %q; want a 4xx or a closed connection", c.name, firstLine(b))
		}
		t.Logf("%s: %q", c.name, firstLine(b))
	}
	code, _, b := post(t, "http://"+addr+"/v1/predict", "application/json", pixelsJSON(randomPixels(1)))
	if code != 200 {
		t.Errorf("after slow clients: %d %s", code, b)
	}
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

func TestWideModelGetsSmallerBatches(t *testing.T) {
	// 4096 3x3 filters: 3.2 million values per example in the convolution's
	// output alone.
	m, err := nn.Build(nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 4096, Kernel: 3, Pad: 1},
		{Kind: "MaxPool2D", Kernel: 28},
		{Kind: "Flatten"},
		{Kind: "Dense", Units: 10},
	}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewModel(m)
	if err != nil {
		t.Fatal(err)
	}
	// input 784 + conv 4096·28·28 (output, and the chunk buffer it is
	// computed in) + im2col 3·3·1·28·28 + pool 4096 + flatten 4096 + dense 10
	per := 784 + 2*4096*28*28 + 9*28*28 + 4096 + 4096 + 10
	if got, want := c.MaxExamples(), nn.ActivationBudget/per; got != want {
		t.Errorf("MaxExamples() = %d; want %d (%d values per example)", got, want, per)
	}
	s, err := New([]Classifier{c}, Config{MaxBatch: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.batch.maxBatch != c.MaxExamples() {
		t.Errorf("server batches up to %d; want the model's limit %d", s.batch.maxBatch, c.MaxExamples())
	}
	small, _ := NewModel(testModel(t))
	if small.MaxExamples() < 4096 {
		t.Errorf("a small model's MaxExamples() = %d; want at least 4096", small.MaxExamples())
	}
	for _, cfg := range []Config{{QueueSize: 1 << 20}, {MaxBatch: 5000}} {
		if _, err := New([]Classifier{c}, cfg); err == nil {
			t.Errorf("New(%+v) accepted a size that allocates without bound", cfg)
		}
	}
}
