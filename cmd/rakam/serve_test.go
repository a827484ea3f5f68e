package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/serve"
)

func TestServeCommand(t *testing.T) {
	dir := t.TempDir()
	modelPath, m := servingModel(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"serve", "--model", modelPath, "--addr", "127.0.0.1:0", "--log-format", "json"},
			strings.NewReader(""), io.Discard, pw)
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	var url string
	for lines.Scan() {
		if m := regexp.MustCompile(`on (http://\S+/)`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		t.Fatal("rakam serve never said where it listens")
	}
	go io.Copy(io.Discard, pr)

	label, probs, _ := modelAnswer(t, m, barPNG(t, 40))
	resp, err := http.Post(url+"v1/predict", "image/png", strings.NewReader(string(barPNG(t, 40))))
	if err != nil {
		t.Fatal(err)
	}
	var r serve.Response
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != 200 || r.Label != label || len(r.Probabilities) != 10 || r.Probabilities[label] != probs[label] {
		t.Errorf("POST /v1/predict = %d %+v; want label %d, p %v", resp.StatusCode, r, label, probs[label])
	}
	resp, err = http.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"model":"tiny"`) {
		t.Errorf("GET /healthz = %s; want the model's name", b)
	}

	cancel() // as SIGINT does
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("rakam serve exited %d after an interrupt; want 0 (graceful stop)", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("rakam serve did not stop after the context ended")
	}
}

func TestServeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	modelPath, _ := servingModel(t, dir)
	t.Setenv("RAKAM_MODELS", filepath.Join(dir, "no-models"))
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"serve"}, 2, "no --model given and " + filepath.Join(dir, "no-models", "cnn-real.safetensors") + " does not exist"},
		{[]string{"serve", "--model", modelPath, "--workers", "0"}, 2, "--workers 0"},
		{[]string{"serve", "--model", modelPath, "--threads", "-1"}, 2, "--threads -1"},
		{[]string{"serve", "--model", modelPath, "--queue", "1000000000"}, 2, "--queue 1000000000: want 1..65536"},
		{[]string{"serve", "--model", modelPath, "--log-level", "loud"}, 2, "--log-level"},
		{[]string{"serve", "--model", modelPath, "--addr", "256.0.0.1:99999"}, 1, "256.0.0.1"},
		{[]string{"serve", "--model", dir + "/missing.safetensors"}, 1, "missing.safetensors"},
		{[]string{"serve", "--model", modelPath, "extra"}, 2, `unexpected argument "extra"`},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("rakam %s = %d, %q; want %d and %q", strings.Join(c.args, " "), code, errs, c.code, c.msg)
		}
	}
}

// startServe runs rakam serve with args and env until the returned stop
// is called; it returns the base URL the server printed.
func startServe(t *testing.T, args ...string) (base string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), io.Discard, pw)
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if m := regexp.MustCompile(`on http://(\S+)/`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		cancel()
		t.Fatalf("rakam serve %v never said where it listens (exit %d)", args, <-done)
	}
	return "http://" + base, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("rakam serve did not stop after the context ended")
			return -1
		}
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestServePortDrainCORS: PORT sets the address when --addr is not given;
// --drain-delay keeps the server answering, not ready, after the
// interrupt; --cors answers preflights; the /v2 API names the model as
// /healthz does.
func TestServePortDrainCORS(t *testing.T) {
	dir := t.TempDir()
	modelPath, _ := servingModel(t, dir)
	port := freePort(t)
	t.Setenv("PORT", port)
	base, stop := startServe(t, "--model", modelPath, "--drain-delay", "2s", "--cors", "https://app.example")
	if !strings.HasSuffix(base, ":"+port) {
		t.Errorf("with PORT=%s rakam serve listens on %s", port, base)
	}
	base = "http://127.0.0.1:" + port // the wildcard address, dialled on loopback

	status := func(method, path string, hdr ...string) (int, http.Header) {
		req, _ := http.NewRequest(method, base+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	for _, p := range []string{"/readyz", "/livez", "/v2/health/ready", "/v2/models/tiny", "/v2/models/tiny/ready"} {
		if code, _ := status("GET", p); code != 200 {
			t.Errorf("GET %s = %d; want 200", p, code)
		}
	}
	code, h := status("OPTIONS", "/v2/models/tiny/infer", "Origin", "https://app.example", "Access-Control-Request-Method", "POST")
	if code != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("preflight with --cors = %d %v; want 204 allowing the origin", code, h)
	}

	stopped := make(chan int, 1)
	go func() { stopped <- stop() }()
	deadline := time.Now().Add(time.Second)
	for {
		if code, _ := status("GET", "/readyz"); code == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz never turned 503 after the interrupt")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _ := status("GET", "/livez"); code != 200 {
		t.Errorf("GET /livez while draining = %d; want 200 (--drain-delay keeps serving)", code)
	}
	if code := <-stopped; code != 0 {
		t.Errorf("rakam serve exited %d after draining; want 0", code)
	}
}

func TestServeFlagErrors(t *testing.T) {
	dir := t.TempDir()
	modelPath, _ := servingModel(t, dir)
	t.Setenv("PORT", "http")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"serve", "--model", modelPath}, 2, `PORT="http" in the environment: want a port number`},
		{[]string{"serve", "--model", modelPath, "--addr", "127.0.0.1:99999"}, 1, "127.0.0.1:99999"}, // --addr wins over PORT
		{[]string{"serve", "--model", modelPath, "--addr", ":0", "--drain-delay", "-1s"}, 2, "--drain-delay -1s"},
		{[]string{"serve", "--model", modelPath, "--addr", ":0", "--drain-delay", "soon"}, 2, "drain-delay"},
		{[]string{"serve", "--model", modelPath, "--addr", ":0", "--cors", "app.example"}, 2, `CORS origin "app.example"`},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("PORT=http rakam %s = %d, %q; want %d and %q", strings.Join(c.args, " "), code, errs, c.code, c.msg)
		}
	}
}

// TestServeModelThresholds: rakam serve flags answers with the thresholds
// saved in the model, as rakam predict does: a model whose thresholds never
// flag gets unflagged answers where the defaults would flag its low top
// probability.
func TestServeModelThresholds(t *testing.T) {
	dir := t.TempDir()
	_, m := servingModel(t, dir)
	meta := infer.Thresholds{}.Meta() // 0 and 0: never flag
	meta["rakam.name"] = "tiny"
	path := filepath.Join(dir, "never-flags.safetensors")
	if err := nn.Save(path, m, meta); err != nil {
		t.Fatal(err)
	}
	img := barPNG(t, 40)
	_, probs, _ := modelAnswer(t, m, img)
	if a := infer.DefaultThresholds.Answer(probs); !a.NotDigit {
		t.Fatalf("the tiny model's top probability %v is not flagged by the defaults; the test needs one that is", probs[a.Label])
	}
	base, stop := startServe(t, "--model", path, "--addr", "127.0.0.1:0")
	defer stop()
	resp, err := http.Post(base+"/v1/predict", "image/png", bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	var r serve.Response
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != 200 || r.NotDigit || r.Unsure {
		t.Errorf("POST /v1/predict = %d, not_digit %v, unsure %v; want 200 and neither flag (the model's thresholds are 0)", resp.StatusCode, r.NotDigit, r.Unsure)
	}
}
