package serve

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// holdGate blocks the first Predict made through any of its classifiers
// until released; later calls run at once. Every worker goes through it,
// because which worker takes a request is up to the scheduler (under the
// race detector the second one often does).
type holdGate struct {
	first   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

// holdFirst is one worker's classifier behind a shared holdGate.
type holdFirst struct {
	c Classifier
	g *holdGate
}

func (h *holdFirst) Predict(x []float32, n int) ([]float32, error) {
	if h.g.first.CompareAndSwap(false, true) {
		close(h.g.entered)
		<-h.g.release
	}
	return h.c.Predict(x, n)
}

func getStatus(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestDrainOnShutdown: when Serve's context ends, readiness (/readyz and
// /v2/health/ready) fails at once while liveness holds; the server keeps
// answering predictions for DrainDelay; then it stops accepting, the
// request in flight still gets its answer, and Serve returns nil.
func TestDrainOnShutdown(t *testing.T) {
	m := testModel(t)
	cs, err := Replicas(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	h := &holdGate{entered: make(chan struct{}), release: make(chan struct{})}
	const drain = 600 * time.Millisecond
	s, err := New([]Classifier{&holdFirst{cs[0], h}, &holdFirst{cs[1], h}}, Config{ModelName: "tiny", DrainDelay: drain})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	for _, p := range []string{"/readyz", "/livez", "/healthz", "/v2/health/ready", "/v2/models/tiny/ready"} {
		if code, err := getStatus(base + p); err != nil || code != 200 {
			t.Fatalf("GET %s before shutdown = %d, %v; want 200", p, code, err)
		}
	}

	// A request in flight, held in whichever worker took it.
	inflight := make(chan int, 1)
	go func() {
		code, _, _ := post(t, base+"/v1/predict", "application/json", pixelsJSON(randomPixels(1)))
		inflight <- code
	}()
	select {
	case <-h.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no worker started the held prediction in 10 s")
	}

	cancel() // as SIGTERM does in rakam serve
	start := time.Now()
	for {
		code, err := getStatus(base + "/readyz")
		if err != nil {
			t.Fatalf("GET /readyz while draining: %v", err)
		}
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Since(start) > drain/2 {
			t.Fatalf("/readyz still %d %v after the context ended; want 503 at once", code, time.Since(start))
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range []struct {
		path string
		code int
	}{{"/livez", 200}, {"/healthz", 200}, {"/v2/health/live", 200}, {"/v2/health/ready", 400}, {"/v2/models/tiny/ready", 400}} {
		if code, err := getStatus(base + c.path); err != nil || code != c.code {
			t.Errorf("GET %s while draining = %d, %v; want %d", c.path, code, err, c.code)
		}
	}
	// Still serving: a new prediction is answered by the other worker.
	if code, _, b := post(t, base+"/v1/predict", "application/json", pixelsJSON(randomPixels(2))); code != 200 {
		t.Errorf("POST /v1/predict while draining = %d %s; want 200", code, b)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v %v after the context ended; want it to keep serving for %v", err, time.Since(start), drain)
	default:
	}

	// After the delay: no new connections; the held request finishes.
	time.Sleep(time.Until(start.Add(drain + 200*time.Millisecond)))
	if _, err := getStatus(base + "/livez"); err == nil {
		t.Errorf("GET /livez after the drain delay succeeded; want the listener closed")
	}
	close(h.release)
	if code := <-inflight; code != 200 {
		t.Errorf("the request in flight at shutdown got %d; want 200", code)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v; want nil after a graceful stop", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

func TestLivezReadyz(t *testing.T) {
	s, ts := newTestServer(t, mustReplicas(t), Config{ModelName: "tiny"})
	for _, p := range []string{"/livez", "/readyz"} {
		code, hdr, b := oipDo(t, http.MethodGet, ts.URL+p, nil)
		if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(string(b), `"status"`) {
			t.Errorf("GET %s = %d %s; want 200 and a JSON status", p, code, b)
		}
	}
	s.Close() // the workers are gone: not ready, still alive
	if code, _, b := oipDo(t, http.MethodGet, ts.URL+"/readyz", nil); code != 503 || !strings.Contains(string(b), `"error"`) {
		t.Errorf("GET /readyz after Close = %d %s; want 503 and a JSON error", code, b)
	}
	if code, _, _ := oipDo(t, http.MethodGet, ts.URL+"/livez", nil); code != 200 {
		t.Errorf("GET /livez after Close = %d; want 200", code)
	}
}

func TestCORS(t *testing.T) {
	preflight := func(url, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, url, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	getFrom := func(url, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	const app = "https://app.example:8443"

	t.Run("off by default", func(t *testing.T) {
		_, ts := newTestServer(t, mustReplicas(t), Config{})
		resp := getFrom(ts.URL+"/healthz", app)
		for k := range resp.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("without CORSOrigin the response has %s", k)
			}
		}
		if resp := preflight(ts.URL+"/v1/predict", app); resp.StatusCode != 405 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight without CORSOrigin = %d %v; want 405 and no CORS headers", resp.StatusCode, resp.Header)
		}
	})
	t.Run("one origin", func(t *testing.T) {
		_, ts := newTestServer(t, mustReplicas(t), Config{CORSOrigin: app, ModelName: "tiny"})
		resp := preflight(ts.URL+"/v2/models/tiny/infer", app)
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != app ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "content-type") {
			t.Errorf("preflight = %d %v; want 204 allowing %s to POST with Content-Type", resp.StatusCode, resp.Header, app)
		}
		if resp := getFrom(ts.URL+"/healthz", app); resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != app ||
			!strings.Contains(resp.Header.Get("Vary"), "Origin") {
			t.Errorf("GET from %s: %d %v; want Access-Control-Allow-Origin and Vary: Origin", app, resp.StatusCode, resp.Header)
		}
		if code, _, _ := post(t, ts.URL+"/v1/predict", "application/json", pixelsJSON(randomPixels(1))); code != 200 {
			t.Errorf("POST without Origin = %d", code)
		}
		if resp := getFrom(ts.URL+"/healthz", "https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET from another origin got Access-Control-Allow-Origin %q; want none", resp.Header.Get("Access-Control-Allow-Origin"))
		}
		if resp := preflight(ts.URL+"/v1/predict", "https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.StatusCode == 204 {
			t.Errorf("preflight from another origin = %d %v; want no CORS answer", resp.StatusCode, resp.Header)
		}
	})
	t.Run("any origin", func(t *testing.T) {
		_, ts := newTestServer(t, mustReplicas(t), Config{CORSOrigin: "*"})
		if resp := getFrom(ts.URL+"/livez", "http://localhost:3000"); resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("CORSOrigin * : Access-Control-Allow-Origin %q; want *", resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
	for _, bad := range []string{"app.example", "https://app.example/", "https://app.example/path", "ftp://x", "https://", "*.example.com"} {
		if _, err := New(mustReplicas(t), Config{CORSOrigin: bad}); err == nil || !strings.Contains(err.Error(), "CORS origin") {
			t.Errorf("New with CORSOrigin %q: %v; want an error naming the origin", bad, err)
		}
	}
	if _, err := New(mustReplicas(t), Config{DrainDelay: -time.Second}); err == nil {
		t.Error("New with a negative DrainDelay: no error")
	}
}
